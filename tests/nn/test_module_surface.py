"""``Module``'s torch surface: ``apply``, ``register_parameter``, ``to``, the containers ``ModuleDict``,
``ParameterList``, ``ParameterDict``, ``Sequential(OrderedDict(...))``, and ``load_state_dict``'s
``strict``; each checked against what torch does with the same code."""

from collections import OrderedDict

import numpy as np
import pytest

import dlcourse
from dlcourse import nn

torch = pytest.importorskip("torch")


def _names(module):
    return list(module.state_dict())


# --- apply --------------------------------------------------------------------------------------------

def test_apply_visits_children_first_then_the_module_and_returns_it():
    def build(engine):
        return engine.Sequential(engine.Linear(2, 3), engine.Sequential(engine.ReLU(), engine.Linear(3, 1)))

    visited, torch_visited = [], []
    model = build(nn)
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    build(torch.nn).apply(lambda m: torch_visited.append(type(m).__name__))
    assert visited == torch_visited == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]


def test_apply_initialises_weights_as_in_the_torch_idiom():
    def init_weights(module):
        if isinstance(module, nn.Linear):
            module.weight.data[...] = 0.5
            module.bias.data[...] = 0.0

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).apply(init_weights)
    assert model(dlcourse.ones(1, 2)).item() == pytest.approx(1.5)


# --- register_parameter, add_module, register_buffer ------------------------------------------------

class Scale(nn.Module):
    """y = x * weight (+ bias when it has one): a layer whose bias is declared with None."""

    def __init__(self, bias: bool):
        super().__init__()
        self.register_parameter("weight", nn.Parameter(np.full(3, 2.0)))
        self.register_parameter("bias", nn.Parameter(np.ones(3)) if bias else None)

    def forward(self, x):
        return x * self.weight + self.bias if self.bias is not None else x * self.weight


def test_register_parameter_with_none_declares_the_name_without_a_parameter():
    with_bias, without = Scale(bias=True), Scale(bias=False)
    assert _names(with_bias) == ["weight", "bias"] and _names(without) == ["weight"]
    assert without.bias is None and len(list(without.parameters())) == 1
    assert without(dlcourse.ones(3)).tolist() == [2.0, 2.0, 2.0]
    without.bias = nn.Parameter(np.zeros(3))                  # a later assignment registers it
    assert _names(without) == ["weight", "bias"]
    reference = torch.nn.Module()
    reference.register_parameter("weight", torch.nn.Parameter(torch.ones(3)))
    reference.register_parameter("bias", None)
    assert list(reference.state_dict()) == ["weight"]


@pytest.mark.parametrize("name,value,error", [
    ("w.x", "param", KeyError), ("", "param", KeyError), ("training", "param", KeyError),
    ("w", "tensor", TypeError), ("w", "non-leaf", TypeError),
])
def test_register_parameter_raises_what_torch_raises(name, value, error):
    def make(engine_nn, factory):
        leaf = engine_nn.Parameter(factory(np.ones(2)))
        return {"param": leaf, "tensor": factory(np.ones(2)), "non-leaf": leaf * 2}[value]

    with pytest.raises(error):
        torch.nn.Module().register_parameter(name, make(torch.nn, torch.tensor))
    with pytest.raises(error):
        nn.Module().register_parameter(name, make(nn, dlcourse.Tensor))


def test_register_parameter_before_init_is_an_error():
    class Early(nn.Module):
        def __init__(self):
            self.register_parameter("w", nn.Parameter(np.ones(1)))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_add_module_registers_a_child_under_its_name():
    model = nn.Module()
    model.add_module("encoder", nn.Linear(2, 2))
    assert _names(model) == ["encoder.weight", "encoder.bias"]
    with pytest.raises(TypeError, match="not a Module"):
        model.add_module("x", 3)


def test_a_non_persistent_buffer_stays_out_of_the_state_dict():
    def build(engine_nn, factory):
        module = engine_nn.Module()
        module.register_buffer("mask", factory(np.ones(2)), persistent=False)
        module.register_buffer("scale", factory(np.ones(2)))
        return module

    ours, theirs = build(nn, dlcourse.Tensor), build(torch.nn, torch.tensor)
    assert _names(ours) == list(theirs.state_dict()) == ["scale"]
    assert [name for name, _ in ours.named_buffers()] == ["mask", "scale"]


# --- to, double, cpu ------------------------------------------------------------------------------------

def test_to_cpu_accepts_every_spelling_and_changes_nothing():
    model = nn.Linear(2, 2)
    weight = model.weight.data
    for device in ("cpu", "cpu:0", torch.device("cpu")):
        assert model.to(device) is model
    assert model.to(device="cpu") is model and model.cpu() is model
    assert model.weight.data is weight and model.weight.dtype == np.float32


@pytest.mark.parametrize("how", ["double", "np.float64", "dlcourse.float64", "torch.float64", "keyword",
                                 "device-and-dtype", "like-a-tensor"])
def test_to_dtype_converts_floating_parameters_their_grads_and_buffers(how):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(dlcourse.randn(4, 3)).sum().backward()
    convert = {"double": lambda m: m.double(), "np.float64": lambda m: m.to(np.float64),
               "dlcourse.float64": lambda m: m.to(dlcourse.float64), "torch.float64": lambda m: m.to(torch.float64),
               "keyword": lambda m: m.to(dtype=np.float64), "device-and-dtype": lambda m: m.to("cpu", np.float64),
               "like-a-tensor": lambda m: m.to(torch.zeros(1, dtype=torch.float64))}[how]
    assert convert(model) is model
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    assert model.float()[0].weight.dtype == np.float32


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", 0])
def test_to_a_gpu_says_the_engine_runs_on_the_cpu_and_where_the_gpu_is(device):
    named = f"cuda:{device}" if isinstance(device, int) else device
    with pytest.raises(RuntimeError, match=f"(?s)'{named}'.*CPU.*dlcourse\\.torch"):
        nn.Linear(2, 2).to(device)
    with pytest.raises(RuntimeError, match="cuda"):
        nn.Linear(2, 2).cuda()


def test_to_an_integer_dtype_raises_as_torch_does():
    with pytest.raises(TypeError, match="floating point"):
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError, match="floating point"):
        nn.Linear(2, 2).to(np.int64)


# --- containers ------------------------------------------------------------------------------------------

def test_sequential_with_an_ordered_dict_registers_the_named_layers():
    def build(engine_nn):
        return engine_nn.Sequential(OrderedDict([("hidden", engine_nn.Linear(2, 4)), ("act", engine_nn.Tanh()),
                                                 ("out", engine_nn.Linear(4, 1))]))

    ours, theirs = build(nn), build(torch.nn).double()
    assert _names(ours) == list(theirs.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert ours.hidden is ours[0] and len(ours) == 3
    ours.double().load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 2))
    np.testing.assert_allclose(ours(dlcourse.Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12)


def test_sequential_slices_keep_their_names_and_edits_renumber_as_in_torch():
    def edited(engine_nn):
        model = engine_nn.Sequential(engine_nn.Linear(1, 2), engine_nn.ReLU(), engine_nn.Linear(2, 3))
        names = [list(model[1:].state_dict())]
        model.append(engine_nn.Linear(3, 4))
        model.insert(1, engine_nn.Tanh())
        del model[0]
        names.append(list(model.state_dict()))
        model.pop(0)
        names.append(list(model.state_dict()))
        return names

    assert edited(nn) == edited(torch.nn)


def test_module_list_slices_and_edits_match_torch():
    def edited(engine_nn):
        layers = engine_nn.ModuleList([engine_nn.Linear(1, 1), engine_nn.Linear(1, 2)])
        layers += [engine_nn.Linear(2, 3)]
        layers.insert(0, engine_nn.Linear(4, 1))
        layers[1] = engine_nn.Linear(1, 5)
        del layers[2]
        return [list(layers.state_dict()), [tuple(m.weight.shape) for m in layers[1:]], len(layers)]

    assert edited(nn) == edited(torch.nn)


def test_module_dict_registers_its_modules_under_their_keys():
    def build(engine_nn):
        heads = engine_nn.ModuleDict({"cls": engine_nn.Linear(4, 3), "box": engine_nn.Linear(4, 2)})
        heads["mask"] = engine_nn.Linear(4, 1)
        heads.update([("box", engine_nn.Linear(4, 4))])
        popped = heads.pop("cls")
        return heads, popped

    (ours, popped), (theirs, _) = build(nn), build(torch.nn)
    assert _names(ours) == list(theirs.state_dict()) == ["box.weight", "box.bias", "mask.weight", "mask.bias"]
    assert list(ours) == list(ours.keys()) == list(theirs.keys()) == ["box", "mask"]
    assert "mask" in ours and "cls" not in ours and len(ours) == 2
    assert isinstance(popped, nn.Linear) and ours["box"].out_features == 4
    assert [k for k, _ in ours.items()] == ["box", "mask"] and len(ours.values()) == 2
    with pytest.raises(KeyError):
        ours["cls"]
    with pytest.raises(KeyError, match="already exists"):
        ours["training"] = nn.Linear(1, 1)
    ours.clear()
    assert len(ours) == 0 and _names(ours) == []


def test_parameter_list_registers_its_entries_and_makes_tensors_parameters():
    def build(engine_nn, factory):
        params = engine_nn.ParameterList([engine_nn.Parameter(factory(np.ones(2))), factory(np.zeros(3))])
        params.append(factory(np.ones((2, 2))))
        params.extend([engine_nn.Parameter(factory(np.ones(1)))])
        return params

    ours, theirs = build(nn, dlcourse.Tensor), build(torch.nn, torch.tensor)
    assert _names(ours) == list(theirs.state_dict()) == ["0", "1", "2", "3"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours)
    assert len(ours) == 4 and ours[-1].shape == (1,) and [p.shape for p in ours[1:3]] == [(3,), (2, 2)]
    assert len(list(ours.parameters())) == 4
    total = sum((p.sum() for p in ours), dlcourse.tensor(0.0))
    total.backward()
    assert ours[2].grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert "Parameter containing: [float64 of size 2x2]" in repr(ours)


def test_parameter_dict_registers_its_entries_under_their_keys():
    def build(engine_nn, factory):
        params = engine_nn.ParameterDict({"scale": engine_nn.Parameter(factory(np.ones(3)))})
        params["shift"] = factory(np.zeros(3))
        return params

    ours, theirs = build(nn, dlcourse.Tensor), build(torch.nn, torch.tensor)
    assert _names(ours) == list(theirs.state_dict()) == ["scale", "shift"]
    assert isinstance(ours["shift"], nn.Parameter) and "scale" in ours and len(ours) == 2
    assert ours.keys() == ["scale", "shift"] and ours.get("nothing") is None
    ours.load_state_dict(theirs.state_dict())
    del ours["scale"]
    assert _names(ours) == ["shift"]


# --- load_state_dict -------------------------------------------------------------------------------------

def test_load_state_dict_accepts_numpy_arrays_and_keeps_the_parameter_dtype():
    layer = nn.Linear(2, 1)
    result = layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert repr(result) == "<All keys matched successfully>"
    assert layer.weight.dtype == np.float32 and layer.weight.tolist() == [[1.0, 2.0]]
    assert layer(dlcourse.tensor([[1.0, 1.0]])).item() == 3.5


def test_a_wrong_shape_is_an_error_even_without_strict_and_nothing_is_copied():
    layer = nn.Linear(2, 1)
    before = layer.bias.data.copy()
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: .*\(3, 2\).*\(1, 2\)"):
        layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.ones(1)}, strict=False)
    np.testing.assert_array_equal(layer.bias.data, before)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        torch.nn.Linear(2, 1).load_state_dict({"weight": torch.zeros(3, 2), "bias": torch.ones(1)}, strict=False)


def test_load_state_dict_with_assign_takes_the_given_arrays():
    layer = nn.Linear(2, 1)
    weight = np.array([[1.0, 2.0]])
    layer.load_state_dict({"weight": weight, "bias": np.zeros(1)}, assign=True)
    assert layer.weight.data is weight and layer.weight.requires_grad
