"""The PyTorch surface a student meets (issue 28): every name checked against torch itself, values
and float64 gradients; ``backward`` and in-place ops with torch's rules and errors; ``Value ==``."""

import pickle

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.autograd import Value
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")


# --- the lecture's example: a training step written with the new names --------------------------------
def test_a_gradient_step_in_torch_s_words_gives_torch_s_numbers():
    def step(library, w, x):
        loss = library.sum(library.sigmoid(library.matmul(x, w)) ** 2, dim=[0, 1]) / 4
        loss.backward()
        with library.no_grad():
            w -= 0.5 * w.grad
            w.grad.zero_()
        return loss.item()

    w0, x = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[1.0, 2.0], [-1.0, 0.5]])
    ours, theirs = dlcourse.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    for _ in range(3):
        loss = step(dlcourse, ours, dlcourse.tensor(x))
        assert loss == pytest.approx(step(torch, theirs, torch.tensor(x)), rel=1e-12)
    assert_close(ours, theirs.detach())
    assert ours.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


# --- top-level functions ------------------------------------------------------------------------------
UNARY = ["exp", "sigmoid", "tanh", "relu"]


@pytest.mark.parametrize("name", UNARY)
def test_top_level_elementwise_function_matches_torch(name, rng):
    a = rng.standard_normal((3, 4))
    check_against_torch(getattr(dlcourse, name), getattr(torch, name), a)


def test_top_level_log_matches_torch(rng):
    check_against_torch(dlcourse.log, torch.log, rng.uniform(0.5, 2.0, (3, 4)))


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": [0, 1]}, {"dim": (0, 2), "keepdim": True}, {"dim": -1}])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_top_level_and_method_sum_and_mean_take_lists_of_dims_like_torch(name, kwargs, rng):
    a = rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x: getattr(dlcourse, name)(x, **kwargs), lambda x: getattr(torch, name)(x, **kwargs), a)
    check_against_torch(lambda x: getattr(x, name)(**kwargs), lambda x: getattr(x, name)(**kwargs), a)


def test_top_level_max_has_torch_s_three_forms(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_against_torch(dlcourse.max, torch.max, a)
    check_against_torch(lambda x: dlcourse.max(x, 1).values, lambda x: torch.max(x, 1).values, a)
    check_against_torch(lambda x: dlcourse.max(x, dim=0, keepdim=True)[0],
                        lambda x: torch.max(x, dim=0, keepdim=True)[0], a)
    check_against_torch(dlcourse.max, torch.max, a, b)
    assert dlcourse.max(Tensor(a), 1).indices.tolist() == torch.max(torch.tensor(a), 1).indices.tolist()


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,))])
def test_top_level_and_method_matmul_match_torch(shapes, rng):
    a, b = (rng.standard_normal(s) for s in shapes)
    check_against_torch(dlcourse.matmul, torch.matmul, a, b)
    check_against_torch(lambda x, y: x.matmul(y), lambda x, y: x.matmul(y), a, b)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch(dim, rng):
    a = rng.standard_normal((3, 4))
    check_against_torch(lambda x: dlcourse.softmax(x, dim), lambda x: torch.softmax(x, dim), a)
    check_against_torch(lambda x: x.softmax(dim), lambda x: x.softmax(dim), a)
    check_against_torch(lambda x: x.log_softmax(dim=dim), lambda x: x.log_softmax(dim=dim), a)


@pytest.mark.parametrize("args", [(), (1,), (0, 1), (-2, -1), (1, -1)])
def test_top_level_flatten_matches_torch(args, rng):
    a = rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x: dlcourse.flatten(x, *args), lambda x: torch.flatten(x, *args), a)


def test_top_level_functions_take_tensors_only_like_torch():
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        dlcourse.exp(1.0)


# --- factories ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fill", [1.5, 3, True])
def test_full_infers_the_dtype_like_torch(fill):
    ours, theirs = dlcourse.full((2, 3), fill), torch.full((2, 3), fill)
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_full_eye_and_linspace_take_dtype_and_requires_grad():
    assert dlcourse.full([2], 0.5, dtype=dlcourse.float64).dtype == np.float64
    assert dlcourse.eye(3, requires_grad=True).requires_grad


@pytest.mark.parametrize("args", [(3,), (2, 4), (1,)])
def test_eye_matches_torch(args):
    assert dlcourse.eye(*args).tolist() == torch.eye(*args).tolist() and dlcourse.eye(*args).dtype == np.float32


@pytest.mark.parametrize("args", [(0.0, 1.0, 7), (-3.3, 17.1, 101), (5.0, -2.0, 50), (2.0, 3.0, 1), (0.0, 1.0, 0)])
def test_linspace_matches_torch(args):
    ours, theirs = dlcourse.linspace(*args), torch.linspace(*args)
    assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=2e-6)
    if args[2] > 1:
        assert ours.data[0] == theirs[0].item() and ours.data[-1] == theirs[-1].item()
    ours64 = dlcourse.linspace(*args, dtype=dlcourse.float64)
    np.testing.assert_allclose(ours64.data, torch.linspace(*args, dtype=torch.float64).numpy(), rtol=1e-14, atol=1e-14)


def test_randint_has_torch_s_two_forms_and_draws_from_the_package_s_generator():
    dlcourse.manual_seed(3)
    a = dlcourse.randint(10, (1000,))
    b = dlcourse.randint(-5, 5, size=(4, 250))
    assert a.dtype == np.int64 == torch.randint(10, (3,)).numpy().dtype and a.shape == (1000,) and b.shape == (4, 250)
    assert a.data.min() == 0 and a.data.max() == 9 and b.data.min() == -5 and b.data.max() == 4
    dlcourse.manual_seed(3)
    assert dlcourse.randint(10, (1000,)).tolist() == a.tolist()


def test_randperm_is_a_permutation_from_the_package_s_generator():
    dlcourse.manual_seed(1)
    p = dlcourse.randperm(50)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(50))
    dlcourse.manual_seed(1)
    assert dlcourse.randperm(50).tolist() == p.tolist()


def test_from_numpy_shares_memory_and_keeps_the_dtype_like_torch():
    array = np.arange(3, dtype=np.float64)
    ours, theirs = dlcourse.from_numpy(array), torch.from_numpy(array)
    array[0] = 7.0
    assert ours.dtype == np.float64 and ours.tolist() == theirs.tolist() == [7.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="np.ndarray"):
        dlcourse.from_numpy([1.0, 2.0])


def test_factories_accept_the_cpu_and_refuse_a_gpu():
    assert dlcourse.zeros(2, device="cpu").shape == (2,) and dlcourse.tensor([1.0], device="cpu").shape == (1,)
    with pytest.raises(RuntimeError, match="CUDA"):
        dlcourse.ones(2, device="cuda")


# --- save and load -------------------------------------------------------------------------------------
def test_save_and_load_a_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    dlcourse.save(model.state_dict(), tmp_path / "model.pt")
    state = dlcourse.load(tmp_path / "model.pt")
    assert list(state) == list(model.state_dict())
    twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin.load_state_dict(state)
    x = dlcourse.randn(5, 3)
    assert twin(x).tolist() == model(x).tolist()


def test_save_keeps_a_tensor_s_dtype_class_and_requires_grad_but_not_its_graph(tmp_path):
    p = nn.Parameter(np.arange(3.0))
    hidden = p * 2
    (hidden * hidden).sum().backward()
    dlcourse.save({"p": p, "h": hidden, "ints": dlcourse.tensor([1, 2]), "step": 7, "name": "adam"}, tmp_path / "x")
    loaded = dlcourse.load(str(tmp_path / "x"))
    assert type(loaded["p"]) is nn.Parameter and loaded["p"].requires_grad and loaded["p"].grad is None
    assert loaded["p"].dtype == np.float64 and loaded["p"].tolist() == [0.0, 1.0, 2.0]
    assert loaded["h"].is_leaf and loaded["h"].tolist() == [0.0, 2.0, 4.0]
    assert loaded["ints"].dtype == np.int64 and loaded["step"] == 7 and loaded["name"] == "adam"


class _Anything:
    """Not a tensor, an array or a container: weights_only refuses it."""


def test_load_refuses_arbitrary_objects_unless_weights_only_is_false(tmp_path):
    dlcourse.save({"thing": _Anything()}, tmp_path / "x")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        dlcourse.load(tmp_path / "x")
    assert isinstance(dlcourse.load(tmp_path / "x", weights_only=False)["thing"], _Anything)


def test_load_says_when_a_file_was_written_by_torch_save(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.load"):
        dlcourse.load(tmp_path / "torch.pt")


def test_save_and_load_work_with_file_objects_and_refuse_a_gpu_map_location(tmp_path):
    with open(tmp_path / "x", "wb") as f:
        dlcourse.save(dlcourse.ones(2), f)
    with open(tmp_path / "x", "rb") as f:
        assert dlcourse.load(f, map_location="cpu").tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="CUDA"):
        dlcourse.load(tmp_path / "x", map_location="cuda:0")


# --- grad mode -----------------------------------------------------------------------------------------
def test_set_grad_enabled_as_a_context_manager_and_a_call_like_torch():
    x = dlcourse.ones(2, requires_grad=True)
    for library in (dlcourse, torch):
        with library.set_grad_enabled(False):
            assert not library.is_grad_enabled()
        assert library.is_grad_enabled()
        library.set_grad_enabled(False)
        assert not library.is_grad_enabled()
        library.set_grad_enabled(True)
        assert library.is_grad_enabled()
    with dlcourse.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with dlcourse.no_grad(), dlcourse.set_grad_enabled(True):
        assert (x * 2).requires_grad


# --- Tensor methods ------------------------------------------------------------------------------------
def test_t_transposes_a_matrix_and_refuses_three_dims_like_torch(rng):
    check_against_torch(lambda x: x.t(), lambda x: x.t(), rng.standard_normal((3, 4)))
    check_against_torch(lambda x: x.t() * 2, lambda x: x.t() * 2, rng.standard_normal(3))
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        dlcourse.ones(2, 3, 4).t()


@pytest.mark.parametrize("exponent", [2, 0.5, -1.5])
def test_pow_method_matches_torch(exponent, rng):
    a, b = rng.uniform(0.5, 2.0, (3, 4)), rng.standard_normal(4)
    check_against_torch(lambda x: x.pow(exponent), lambda x: x.pow(exponent), a)
    check_against_torch(lambda x, y: x.pow(y), lambda x, y: x.pow(y), a, b)


@pytest.mark.parametrize("kwargs", [{"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": -1}])
def test_min_along_a_dim_matches_torch_values_indices_and_gradient(kwargs, rng):
    a = rng.standard_normal((3, 4, 5))
    check_against_torch(lambda x: x.min(**kwargs).values, lambda x: x.min(**kwargs).values, a)
    assert Tensor(a).min(**kwargs).indices.tolist() == torch.tensor(a).min(**kwargs).indices.tolist()


def test_global_min_and_elementwise_min_match_torch():
    a = np.array([[1.0, -3.0], [-3.0, 0.0]])
    check_against_torch(lambda x: x.min(), lambda x: x.min(), a)
    check_against_torch(lambda x, y: x.min(y), lambda x, y: x.min(y), a, np.array([0.0, -1.0]))


@pytest.mark.parametrize("args,kwargs", [((), {}), ((1,), {}), ((0, False), {}), ((1, True, True), {}),
                                         ((), {"dim": [0, 1]}), ((), {"dim": 1, "correction": 0})])
@pytest.mark.parametrize("name", ["std", "var"])
def test_std_and_var_take_torch_s_arguments_in_torch_s_order(name, args, kwargs, rng):
    a = rng.standard_normal((4, 5))
    check_against_torch(lambda x: getattr(x, name)(*args, **kwargs), lambda x: getattr(x, name)(*args, **kwargs), a)


def test_clone_copies_and_passes_the_gradient_like_torch(rng):
    check_against_torch(lambda x: x.clone() * x, lambda x: x.clone() * x, rng.standard_normal(3))
    x = dlcourse.ones(3)
    y = x.clone()
    y.data[0] = 5.0
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_contiguous_cpu_and_to_cpu_return_the_tensor_or_a_contiguous_copy(rng):
    x = Tensor(rng.standard_normal((3, 4)))
    assert x.contiguous() is x and x.cpu() is x and x.to("cpu") is x and x.to(dtype=np.float64) is x
    transposed = x.t()
    assert not transposed.data.flags.c_contiguous and transposed.contiguous().data.flags.c_contiguous
    check_against_torch(lambda y: y.t().contiguous().view(-1), lambda y: y.t().contiguous().view(-1), x.data)


def test_to_converts_dtypes_like_torch():
    x = dlcourse.tensor([1.5, -2.5], requires_grad=True)
    double = x.to(dlcourse.float64)
    assert double.dtype == np.float64 and double.requires_grad
    assert x.to("cpu", dlcourse.float64).dtype == np.float64 and x.to(Tensor(np.zeros(1))).dtype == np.float64
    ints = x.to(dlcourse.int64)
    assert ints.tolist() == torch.tensor([1.5, -2.5]).to(torch.int64).tolist() and not ints.requires_grad
    assert x.to(copy=True) is not x and x.device == "cpu" and x.to(x.device) is x
    double.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_a_gpu_device_is_refused_naming_cuda_and_mps(device):
    with pytest.raises(RuntimeError, match="CUDA, MPS .*not part of the course's engine"):
        dlcourse.ones(2).to(device)
    with pytest.raises(RuntimeError, match="CUDA"):
        dlcourse.ones(2).cuda()


def test_masked_fill_matches_torch(rng):
    a = rng.standard_normal((3, 4))
    mask = rng.standard_normal(4) > 0
    check_against_torch(lambda x: x.masked_fill(mask, -1e9), lambda x: x.masked_fill(torch.tensor(mask), -1e9), a)
    with pytest.raises(RuntimeError, match="boolean masks"):
        Tensor(a).masked_fill(mask.astype(int), 0.0)


def test_masked_fill_with_a_value_that_requires_grad_matches_torch(rng):
    a, mask = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) > 0
    check_against_torch(lambda x, v: x.masked_fill(mask, v), lambda x, v: x.masked_fill(torch.tensor(mask), v),
                        a, np.array(2.0))


@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": -1}])
def test_prod_matches_torch(kwargs, rng):
    a = rng.uniform(0.5, 1.5, (3, 4)) * np.sign(rng.standard_normal((3, 4)))
    check_against_torch(lambda x: x.prod(**kwargs), lambda x: x.prod(**kwargs), a)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}])
def test_prod_gradient_is_right_where_some_factors_are_zero(kwargs):
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    check_against_torch(lambda x: x.prod(**kwargs), lambda x: x.prod(**kwargs), a)


def test_sign_matches_torch_with_a_zero_gradient():
    check_against_torch(lambda x: x.sign() * x, lambda x: x.sign() * x, np.array([-2.0, 0.0, 3.0]))


def test_zero_and_fill_work_in_place_on_a_gradient():
    w = dlcourse.ones(3, requires_grad=True)
    (w * 2).sum().backward()
    grad = w.grad
    assert w.grad.zero_() is grad and grad.tolist() == [0.0, 0.0, 0.0]
    assert grad.fill_(2.5).tolist() == [2.5, 2.5, 2.5]


# --- in-place arithmetic: torch's rules ----------------------------------------------------------------
def test_an_update_under_no_grad_changes_the_parameter_in_place():
    w = dlcourse.tensor([1.0, 2.0], requires_grad=True)
    array, version = w.data, w._version
    (w * w).sum().backward()
    with dlcourse.no_grad():
        same = w
        w -= 0.25 * w.grad
        w *= 2
        w /= 4
        w += 1
    assert w is same and w.data is array and w.is_leaf and w.requires_grad
    assert w.tolist() == [1.25, 1.5] and w._version == version + 4


def test_an_in_place_op_on_a_leaf_that_requires_grad_raises_torch_s_error():
    message = "a leaf Variable that requires grad is being used in an in-place operation."
    for library in (dlcourse, torch):
        w, mask = library.ones(2, requires_grad=True), library.ones(2) > 0
        for update in (lambda w=w: w.__isub__(1.0), w.zero_, lambda w=w, mask=mask: w.masked_fill_(mask, 0.0)):
            with pytest.raises(RuntimeError, match=message):
                update()


def test_in_place_ops_in_the_graph_give_torch_s_gradients(rng):
    def fn(x, y):
        z = x * 1.0
        z += y
        z *= x
        z -= 2.0
        z /= y.exp()
        z.masked_fill_(x > 1.0, 0.5)
        return z

    check_against_torch(fn, fn, rng.standard_normal((3, 4)), rng.standard_normal(4))


def test_adding_a_tensor_that_requires_grad_in_place_puts_the_target_in_the_graph():
    for library in (dlcourse, torch):
        total, w = library.zeros(2, dtype=library.float64), library.tensor([1.0, 2.0], requires_grad=True)
        total += w * w
        assert total.requires_grad and not total.is_leaf
        total.sum().backward()
        assert w.grad.tolist() == [2.0, 4.0]


def test_backward_through_a_value_changed_in_place_raises_like_torch():
    for library in (dlcourse, torch):
        x = library.ones(3, dtype=library.float64, requires_grad=True)
        y = x.exp()
        out = (y * 3).sum()
        y += 1                      # Exp saved its output y, which has changed
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward()


def test_backward_through_an_input_changed_under_no_grad_raises_like_torch():
    for library in (dlcourse, torch):
        w = library.ones(3, dtype=library.float64, requires_grad=True)
        x = library.ones(3, dtype=library.float64)
        loss = (w * x).sum()
        with library.no_grad():
            x *= 2                  # Mul saved x for dL/dw
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_a_change_that_no_op_saved_does_not_stop_backward_like_torch():
    for library in (dlcourse, torch):
        x = library.ones(3, dtype=library.float64, requires_grad=True)
        y = x * 2
        out = (y + 1).sum()         # Add saves nothing
        with library.no_grad():
            y += 1
        out.backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_a_constant_that_later_joins_the_graph_in_place_does_not_stop_an_earlier_backward():
    for library in (dlcourse, torch):
        w, total = library.tensor([1.0, 2.0], requires_grad=True), library.zeros(2)
        y = (w + total).sum()       # total is a constant here, and Add saves nothing
        total += w * 3              # total joins the graph
        y.backward()
        assert w.grad.tolist() == [1.0, 1.0] and total.requires_grad


def test_in_place_results_that_cannot_fit_raise_like_torch():
    for library in (dlcourse, torch):
        ints, floats = library.ones(3, dtype=library.int64), library.ones(3)
        with pytest.raises(RuntimeError, match="can't be cast"):
            ints += 0.5
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            floats += library.ones(2, 3)


def test_an_in_place_op_on_a_view_in_the_graph_is_refused_with_an_explanation():
    x = dlcourse.ones(2, 3, requires_grad=True)
    view = (x * 2).reshape(6)
    with pytest.raises(RuntimeError, match="view.*not part of the course's engine"):
        view += 1


# --- backward(gradient, retain_graph, create_graph, inputs) ------------------------------------------------
def test_a_second_backward_without_retain_graph_raises_torch_s_error():
    for library in (dlcourse, torch):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*retain_graph=True"):
            loss.backward()


def test_a_graph_that_saved_nothing_can_run_backward_twice_like_torch():
    for library in (dlcourse, torch):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1
        y.sum().backward()
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph_lets_gradients_accumulate_like_torch(rng):
    a = rng.standard_normal((3, 4))
    grads = []
    for library, x in ((dlcourse, Tensor(a, requires_grad=True)), (torch, torch.tensor(a, requires_grad=True))):
        loss = library.tanh(x @ x.T).sum()
        loss.backward(retain_graph=True)
        loss.backward(retain_graph=True)
        loss.backward()
        grads.append(x.grad)
    assert_close(*grads)


def test_saved_tensors_are_freed_after_backward():
    x = dlcourse.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.grad_fn.saved_tensors  # noqa: B018


def test_create_graph_is_refused_as_not_part_of_the_engine():
    x = dlcourse.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True.*not part of the course's engine"):
        (x * x).sum().backward(create_graph=True)


def test_backward_inputs_fills_only_the_named_tensors_like_torch():
    for library in (dlcourse, torch):
        a, b = library.tensor([1.0, 2.0], requires_grad=True), library.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        assert a.grad.tolist() == [3.0, 4.0] and b.grad is None


def test_backward_s_signature_is_torch_s():
    import inspect

    ours = list(inspect.signature(Tensor.backward).parameters)
    assert ours == list(inspect.signature(torch.Tensor.backward).parameters)


# --- Value == ----------------------------------------------------------------------------------------------
def test_value_equality_compares_numbers_like_one_element_tensors():
    a, b = Value(1.0), Value(1.0)
    assert (a == b) is True and a == 1.0 and a != Value(2.0) and bool(torch.tensor(1.0) == torch.tensor(1.0))


def test_values_with_equal_numbers_stay_distinct_nodes_in_sets_and_graphs():
    w, x = Value(2.0), Value(2.0)
    assert len({w, x}) == 2 and {w: "w", x: "x"}[x] == "x"
    loss = w * x + w
    loss.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)

