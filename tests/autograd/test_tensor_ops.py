"""The Tensor engine: every op's value and gradient equals PyTorch's (float64), plus engine behaviour."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import dlcourse
from dlcourse import Tensor
from dlcourse.gradcheck import gradcheck
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)


def arrays(seed, *shapes, positive=False):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, s) if positive else rng.standard_normal(s) for s in shapes]


# --- the lecture's examples ---------------------------------------------------------------------
def test_neuron_output_matches_the_lecture():
    x, w, b = dlcourse.tensor([1.0, 2.0, 3.0]), dlcourse.tensor([1.0, 0.5, 1.0]), dlcourse.tensor(0.5)
    assert (x * w).sum().item() + b.item() == 5.5
    assert (x @ w + b).item() == 5.5


def test_one_neuron_backprop_matches_the_lecture():
    w, b = Tensor(2.0, requires_grad=True), Tensor(1.0, requires_grad=True)
    loss = (w * 2.0 + b - 2.0) ** 2
    loss.backward()
    assert loss.item() == 9.0 and w.grad.item() == 12.0 and b.grad.item() == 6.0
    with dlcourse.no_grad():
        w.data -= 0.1 * w.grad.data
        b.data -= 0.1 * b.grad.data
    assert w.item() == pytest.approx(0.8) and b.item() == pytest.approx(0.4)


def test_xor_network_of_the_lecture_outputs_xor():
    X = dlcourse.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    W, c = dlcourse.tensor([[1.0, 1.0], [1.0, 1.0]]), dlcourse.tensor([0.0, -1.0])
    w, b = dlcourse.tensor([1.0, -2.0]), dlcourse.tensor(0.0)
    out = (X @ W + c).relu() @ w + b
    assert out.tolist() == [0.0, 1.0, 1.0, 0.0]


# --- binary ops with broadcasting -------------------------------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b), "sub": (lambda a, b: a - b), "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b),
}


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(shapes=pairs, seed=seeds)
def test_broadcasting_binary_op_matches_torch(name, shapes, seed):
    a, b = arrays(seed, *shapes.input_shapes)
    if name == "div":
        b = np.sign(b) * (np.abs(b) + 0.5)
    check_against_torch(BINARY[name], BINARY[name], a, b)


def test_maximum_matches_torch(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    check_against_torch(dlcourse.maximum, torch.maximum, a, b)


def test_maximum_splits_the_gradient_on_ties_like_torch():
    check_against_torch(dlcourse.maximum, torch.maximum, np.array([1.0, 2.0]), np.array([1.0, 3.0]))


def test_reflected_operators_match_torch(rng):
    a = rng.uniform(0.5, 2, (2, 3))
    fn = lambda x: (2.0 - x) * 3.0 + 1.0 / x + 2.0 ** x - (x + 1.5)  # noqa: E731
    check_against_torch(fn, fn, a)


def test_numpy_scalar_on_the_left_returns_a_tensor():
    out = np.float64(2.0) * Tensor(np.ones(3), requires_grad=True)
    assert isinstance(out, Tensor) and out.requires_grad


@SETTINGS
@given(shape=shapes, seed=seeds, exponent=st.sampled_from([2, 3, 0.5, -1.5, 1.0]))
def test_pow_matches_torch(shape, seed, exponent):
    (a,) = arrays(seed, shape, positive=True)
    check_against_torch(lambda x: x ** exponent, lambda x: x ** exponent, a)


def test_pow_with_tensor_exponent_matches_torch(rng):
    a, b = rng.uniform(0.5, 2, (3,)), rng.standard_normal(3)
    check_against_torch(lambda x, y: x ** y, lambda x, y: x ** y, a, b)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4))]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul_matches_torch(shape_a, shape_b, rng):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_against_torch(lambda x, y: x @ y, lambda x, y: x @ y, a, b)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        dlcourse.zeros(2, 3) @ dlcourse.zeros(4, 5)


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        dlcourse.zeros(2, 3) + dlcourse.zeros(4)


# --- unary ops -------------------------------------------------------------------------------------
UNARY = {
    "neg": (lambda x: -x, lambda x: -x), "exp": (Tensor.exp, torch.exp),
    "tanh": (Tensor.tanh, torch.tanh), "sigmoid": (Tensor.sigmoid, torch.sigmoid),
    "relu": (Tensor.relu, torch.relu), "abs": (Tensor.abs, torch.abs),
    "sqrt": (lambda x: (x * x + 1).sqrt(), lambda x: (x * x + 1).sqrt()),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7)),
    "log": (lambda x: (x * x + 0.1).log(), lambda x: (x * x + 0.1).log()),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary_op_matches_torch(name, shape, seed):
    (a,) = arrays(seed, shape)
    check_against_torch(*UNARY[name], a)


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_passes_gradcheck(name, rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(UNARY[name][0], [x])


def test_sigmoid_is_finite_for_huge_logits():
    x = Tensor(np.array([-1e4, 0.0, 1e4]), requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    assert y.tolist() == [0.0, 0.5, 1.0] and np.isfinite(x.grad.data).all()


# --- reductions ---------------------------------------------------------------------------------------
REDUCTION_ARGS = [dict(), dict(dim=0), dict(dim=1, keepdim=True), dict(dim=-1), dict(dim=(0, 2))]


@pytest.mark.parametrize("kwargs", REDUCTION_ARGS)
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_and_mean_match_torch(name, kwargs, rng):
    a = rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x: getattr(x, name)(**kwargs), lambda x: getattr(x, name)(**kwargs), a)


@pytest.mark.parametrize("kwargs", [dict(dim=0), dict(dim=1, keepdim=True), dict(dim=-1)])
def test_max_along_a_dim_matches_torch_values_indices_and_gradient(kwargs, rng):
    a = rng.standard_normal((3, 4, 5))
    check_against_torch(lambda x: x.max(**kwargs).values, lambda x: x.max(**kwargs).values, a)
    assert_close(Tensor(a).max(**kwargs).indices, torch.tensor(a).max(**kwargs).indices)


def test_global_max_shares_the_gradient_between_ties_like_torch():
    check_against_torch(lambda x: x.max(), lambda x: x.max(), np.array([[1.0, 3.0], [3.0, 0.0]]))


def test_var_matches_torch(rng):
    a = rng.standard_normal((4, 5))
    check_against_torch(lambda x: x.var(1), lambda x: x.var(1), a)
    check_against_torch(lambda x: x.var(0, unbiased=False), lambda x: x.var(0, unbiased=False), a)


# --- shapes and indexing -------------------------------------------------------------------------------
def test_reshape_transpose_permute_and_T_match_torch(rng):
    a = rng.standard_normal((2, 3, 4))
    fn = lambda x: x.reshape(6, 4).T.reshape(4, 2, 3).transpose(0, 2).permute(2, 0, 1).mT * 2  # noqa: E731
    check_against_torch(fn, fn, a)


def test_flatten_unsqueeze_squeeze_match_torch(rng):
    a = rng.standard_normal((2, 1, 3, 4))
    fn = lambda x: x.flatten(2).squeeze(1).unsqueeze(0).flatten() * 3  # noqa: E731
    check_against_torch(fn, fn, a)


def test_reshape_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        dlcourse.zeros(2, 3).reshape(4)


INDEXES = [(1,), (slice(None), 2), (Ellipsis, slice(1, 3)), (np.array([0, 2, 2]),),
           (np.array([0, 1, 1]), np.array([2, 0, 0])), (slice(None), None, 1)]


@pytest.mark.parametrize("index", INDEXES)
def test_getitem_matches_torch_including_repeated_indices(index, rng):
    a = rng.standard_normal((3, 4))
    idx = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    check_against_torch(lambda x: x[index], lambda x: x[idx], a)


def test_boolean_mask_indexing_matches_torch(rng):
    a = rng.standard_normal((3, 4))
    mask = a > 0
    check_against_torch(lambda x: x[mask], lambda x: x[torch.tensor(mask)], a)


def test_cat_and_stack_match_torch(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    check_against_torch(lambda x, y: dlcourse.cat([x, y * 2], 1), lambda x, y: torch.cat([x, y * 2], 1), a, b)
    check_against_torch(lambda x, y: dlcourse.stack([x, y], 1), lambda x, y: torch.stack([x, y], 1), a, b)


def test_where_sends_the_gradient_to_the_chosen_input(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    cond = a > 0
    check_against_torch(lambda x, y: dlcourse.where(cond, x, y),
                        lambda x, y: torch.where(torch.tensor(cond), x, y), a, b)


# --- engine behaviour ---------------------------------------------------------------------------------
def test_a_chain_of_50000_ops_backpropagates():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0  # two ops per step
    y.backward()
    assert x.grad.item() == 1.0


def test_fan_out_gradients_add_up():
    x = Tensor(3.0, requires_grad=True)
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad.item() == 7.0


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_shared_gradient_arrays_are_not_corrupted_by_accumulation():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()  # both receive the same upstream array
    (a * 5).sum().backward()
    assert a.grad.tolist() == [6.0, 6.0] and b.grad.tolist() == [1.0, 1.0]


def test_broadcast_gradient_is_summed_to_the_input_shape():
    bias = Tensor(np.zeros((1, 3)), requires_grad=True)
    (Tensor(np.ones((4, 3))) + bias).sum().backward()
    assert bias.grad.shape == (1, 3) and bias.grad.tolist() == [[4.0, 4.0, 4.0]]


def test_no_grad_records_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    with dlcourse.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert dlcourse.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x.detach() * 2
    assert not y.requires_grad and np.shares_memory(x.detach().data, x.data)


def test_comparisons_return_boolean_tensors_without_grad():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    result = x > 1.5
    assert result.dtype == bool and not result.requires_grad and result.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]


def test_python_floats_default_to_float32_and_numpy_arrays_keep_their_dtype():
    assert dlcourse.tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert (dlcourse.ones(2) * 2.5).dtype == np.float32
    assert dlcourse.tensor([1, 2]).dtype == np.int64


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        Tensor(np.array([1, 2]), requires_grad=True)


def test_backward_without_gradient_needs_a_scalar():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (x * 2).backward()


def test_item_numpy_and_shape_accessors():
    x = dlcourse.tensor([[1.0, 2.0]])
    assert x.shape == (1, 2) and x.T.shape == (2, 1) and x.numpy().tolist() == [[1.0, 2.0]]
    assert dlcourse.tensor(4.0).item() == 4.0
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_cast_keeps_the_gradient_in_the_input_dtype():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0]


def test_float32_training_graph_stays_float32():
    x = dlcourse.randn(4, 3, requires_grad=True)
    y = ((x * 2 + 1) ** 2).mean()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_manual_seed_makes_random_tensors_reproducible():
    dlcourse.manual_seed(7)
    a = dlcourse.randn(3)
    dlcourse.manual_seed(7)
    assert a.tolist() == dlcourse.randn(3).tolist()


def test_setitem_is_refused_on_tensors_in_the_graph_but_allowed_under_no_grad():
    x = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 1.0
    with dlcourse.no_grad():
        x[dlcourse.tensor([True, False, True])] = 2.0
    assert x.tolist() == [2.0, 0.0, 2.0]


def test_truth_value_of_a_one_element_tensor_and_ambiguity_error():
    assert bool(dlcourse.tensor(1.0)) and float(dlcourse.tensor([2.5])) == 2.5
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(dlcourse.ones(2))
    assert (dlcourse.ones(2) > 0).all() and not (dlcourse.ones(2) > 1).any()


def test_slicing_many_time_steps_adds_every_slice_gradient():
    x = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    total = x[0] * 0
    for t in range(4):
        total = total + x[t] * (t + 1)
    total.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3, [2.0] * 3, [3.0] * 3, [4.0] * 3]


def test_intermediate_gradients_are_kept_only_when_retained():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    hidden, other = x * 3, x * 2
    hidden.retain_grad()
    (hidden * hidden + other).sum().backward()
    assert hidden.grad.tolist() == [6.0, 12.0] and other.grad is None
    assert x.grad.tolist() == [20.0, 38.0]


# --- the one stable sigmoid -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_its_relative_accuracy_in_both_tails_without_warnings(dtype):
    from dlcourse.nn import functional as F

    z = np.array([-1000.0, -50.0, -20.0, 0.0, 20.0, 50.0, 1000.0], dtype=dtype)
    x = Tensor(z, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # an overflow in exp would raise here
        out = F.sigmoid(x)
        out.sum().backward()
    # float64 references from the textbook formula, exact enough on these inputs (e^50 is representable)
    exact = np.array([1 / (1 + math.exp(-v)) if v > -700 else 0.0 for v in z.tolist()])
    slope = np.array([math.exp(-abs(v)) / (1 + math.exp(-abs(v))) ** 2 for v in z.tolist()])
    tolerance = 4 * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(out.data, exact.astype(dtype), rtol=tolerance, atol=0)
    np.testing.assert_allclose(x.grad.data, slope.astype(dtype), rtol=tolerance, atol=0)
    assert out.data[1] > 0 and out.data.dtype == dtype          # sigmoid(-50) = 1.93e-22, not 0
    assert out.data[1] == pytest.approx(1.9287498479639178e-22, rel=tolerance)


def test_sigmoid_matches_torch_where_torch_is_accurate():
    z = np.linspace(-30, 3, 34)   # above 3 torch's s (1 - s) loses digits to 1 - s; ours uses s(-z)
    x, t = Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    x.sigmoid().sum().backward()
    torch.sigmoid(t).sum().backward()
    np.testing.assert_allclose(x.sigmoid().data, torch.sigmoid(t).detach().numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-300)
