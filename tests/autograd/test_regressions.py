"""The six bugs of issue 28, each pinned by its repro checked against PyTorch, and the engine's guard
against an op whose backward returns a gradient of the wrong shape."""

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")


# --- 1. tensor(..., dtype=float64) converts once, straight to float64 -------------------------------
def test_tensor_with_dtype_float64_keeps_python_floats_exact():
    assert dlcourse.tensor([0.1], dtype=dlcourse.float64).item() == 0.1
    assert torch.tensor([0.1], dtype=torch.float64).item() == 0.1
    values = [0.1, 1 / 3, 1e-300, 2.0 ** 60 + 1]
    ours, theirs = dlcourse.tensor(values, dtype=np.float64), torch.tensor(values, dtype=torch.float64)
    assert ours.dtype == np.float64 and ours.tolist() == theirs.tolist()


def test_tensor_without_dtype_still_makes_python_floats_float32():
    assert dlcourse.tensor([0.1]).dtype == np.float32 and dlcourse.tensor([0.1]).item() == torch.tensor([0.1]).item()


# --- 2. two leaves never share one gradient array -----------------------------------------------------
def test_leaves_fed_the_same_upstream_gradient_get_their_own_arrays():
    a, b = dlcourse.ones(3, requires_grad=True), dlcourse.ones(3, requires_grad=True)
    ((a + b) ** 2).sum().backward()
    assert a.grad.data is not b.grad.data and not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data *= 0
    assert b.grad.tolist() == [4.0, 4.0, 4.0]


def test_clip_grad_norm_of_two_leaves_of_one_sum_matches_torch():
    a, b = dlcourse.ones(3, requires_grad=True), dlcourse.ones(3, requires_grad=True)
    ((a + b) ** 2).sum().backward()
    ta, tb = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    ((ta + tb) ** 2).sum().backward()
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(torch.nn.utils.clip_grad_norm_([ta, tb], 1.0).item())
    assert a.grad.data == pytest.approx(0.408, abs=1e-3) and b.grad.data == pytest.approx(0.408, abs=1e-3)
    assert_close(a.grad, ta.grad, rtol=1e-6) and assert_close(b.grad, tb.grad, rtol=1e-6)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell"])
def test_one_unbatched_recurrent_step_leaves_the_two_biases_independent_gradients(cell):
    ours, twin = getattr(nn, cell)(3, 4).double(), getattr(torch.nn, cell)(3, 4).double()
    twin.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(3)
    out, twin_out = ours(dlcourse.tensor(x)), twin(torch.tensor(x))
    first = (lambda o: o[0]) if cell == "LSTMCell" else (lambda o: o)
    (first(out) ** 2).sum().backward()
    (first(twin_out) ** 2).sum().backward()
    assert not np.shares_memory(ours.bias_ih.grad.data, ours.bias_hh.grad.data)
    nn.utils.clip_grad_norm_(ours.parameters(), 0.1)
    torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.1)
    twin_params = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, twin_params[name].grad, what=f"clipped gradient of {name}")


def test_a_gradient_passed_to_backward_is_copied_not_kept():
    x = Tensor(np.ones(3), requires_grad=True)
    upstream = np.array([1.0, 2.0, 3.0])
    x.backward(upstream)
    x.grad.data *= 10
    assert upstream.tolist() == [1.0, 2.0, 3.0]


def test_a_retained_intermediate_and_a_leaf_do_not_share_a_gradient():
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = x * 2
    hidden.retain_grad()
    (hidden + x).sum().backward()  # Add sends the same array to hidden and x
    assert not np.shares_memory(hidden.grad.data, x.grad.data)


# --- 3. permute with negative dims, and the shape check that would have caught it ----------------------
@pytest.mark.parametrize("dims", [(-1, 0, 1), (2, -3, -2), (-1, -2, -3)])
def test_permute_with_negative_dims_matches_torch(dims, rng):
    a = rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x: x.permute(*dims), lambda x: x.permute(*dims), a)


def test_the_issue_s_permute_repro_gives_torch_s_gradient():
    weights = np.arange(24.0).reshape(4, 2, 3)
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    (x.permute(-1, 0, 1) * Tensor(weights)).sum().backward()
    assert x.grad[0, 0].tolist() == [0.0, 6.0, 12.0, 18.0]


def test_transpose_with_negative_dims_matches_torch(rng):
    a = rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x: x.transpose(-1, 0), lambda x: x.transpose(-1, 0), a)


class _WrongShape(dlcourse.Function):
    """z = x.T, with a backward that forgets to transpose back (a planted bug)."""

    @staticmethod
    def forward(ctx, x):
        return x.T.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad  # shape (4, 3) for an input of shape (3, 4): as many elements, the wrong shape


def test_a_backward_returning_the_wrong_shape_raises_naming_the_op_and_both_shapes():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"_WrongShape.*index 0.*\(4, 3\).*\(3, 4\)"):
        _WrongShape.apply(x).sum().backward()


def test_a_gradient_with_broadcast_axes_is_still_summed_to_the_input_shape():
    bias = Tensor(np.zeros((1, 3)), requires_grad=True)
    (Tensor(np.ones((2, 4, 3))) * bias).sum().backward()
    assert bias.grad.shape == (1, 3) and bias.grad.tolist() == [[8.0, 8.0, 8.0]]


def test_a_backward_returning_too_few_gradients_raises():
    class OneGradient(dlcourse.Function):
        """z = x * y, with a backward that returns dz/dx only (a planted bug)."""

        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    x, y = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"OneGradient.*incorrect number of gradients \(expected 2, got 1\)"):
        OneGradient.apply(x, y).sum().backward()


# --- 4. squeeze with a negative dim ------------------------------------------------------------------
@pytest.mark.parametrize("dim", [-1, 1, (1, 2), (-1, 0), 0])
def test_squeeze_matches_torch(dim, rng):
    a = rng.standard_normal((3, 1, 1))
    check_against_torch(lambda x: x.squeeze(dim) * 2, lambda x: x.squeeze(dim) * 2, a)


def test_the_issue_s_squeeze_repro_works():
    assert dlcourse.ones(3, 1).squeeze(-1).shape == (3,) == tuple(torch.ones(3, 1).squeeze(-1).shape)


# --- 5. expand with -1, by torch's rules ---------------------------------------------------------------
@pytest.mark.parametrize("shape,sizes", [((3, 1), (-1, 4)), ((3, 1), (2, 3, 4)), ((3, 1), (2, -1, -1)),
                                         ((1,), (5,)), ((2, 1, 3), (4, 2, 5, 3)), ((3,), ((2, 3),))])
def test_expand_matches_torch(shape, sizes, rng):
    a = rng.standard_normal(shape)
    check_against_torch(lambda x: x.expand(*sizes), lambda x: x.expand(*sizes), a)


@pytest.mark.parametrize("shape,sizes", [((3, 1), (-1, 4, 4)), ((3, 2), (3, 4)), ((3, 2), (-1, 3, 2)),
                                         ((3, 2), (3,)), ((3, 1), (3, -2))])
def test_expand_refuses_what_torch_refuses(shape, sizes):
    with pytest.raises(RuntimeError):
        torch.ones(shape).expand(*sizes)
    with pytest.raises(RuntimeError, match="expand"):
        dlcourse.ones(*shape).expand(*sizes)


def test_expand_as_matches_torch(rng):
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((2, 3, 4))
    check_against_torch(lambda x, y: x.expand_as(y) * y, lambda x, y: x.expand_as(y) * y, a, b)


# --- 6. a negative base with ** -------------------------------------------------------------------------
def test_the_issue_s_negative_base_repros_give_torch_s_values():
    assert (dlcourse.tensor([-2.0]) ** dlcourse.tensor([2.0])).tolist() == [4.0]
    assert ((-2.0) ** dlcourse.tensor([3.0])).tolist() == [-8.0]


def _compare_with_nans(ours, theirs, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN in other places than torch")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, err_msg=what)


def test_tensor_power_matches_torch_values_and_gradients_including_nan_and_inf():
    base = np.array([-2.0, -2.0, -1.5, 0.0, 0.0, 0.0, 3.0, 2.0, -3.0])
    exponent = np.array([2.0, 3.0, 0.5, 0.0, 2.0, -1.0, -2.0, 0.0, 0.0])
    x, y = Tensor(base, requires_grad=True), Tensor(exponent, requires_grad=True)
    tx, ty = torch.tensor(base, requires_grad=True), torch.tensor(exponent, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = x ** y
    tz = tx ** ty
    upstream = np.arange(1.0, 10.0)
    z.backward(upstream)
    tz.backward(torch.tensor(upstream))
    _compare_with_nans(z.data, tz, "x ** y")
    _compare_with_nans(x.grad.data, tx.grad, "d/dx")
    _compare_with_nans(y.grad.data, ty.grad, "d/dy")


@pytest.mark.parametrize("base", [-2.0, 0.0, 2.5])
def test_a_number_to_a_tensor_power_matches_torch(base):
    exponent = np.array([-1.0, 0.0, 2.0, 3.0])
    y, ty = Tensor(exponent, requires_grad=True), torch.tensor(exponent, requires_grad=True)
    with np.errstate(divide="ignore"):
        z = base ** y
    tz = base ** ty
    z.backward(np.ones(4))
    tz.backward(torch.ones(4, dtype=torch.float64))
    _compare_with_nans(z.data, tz, f"{base} ** y")
    _compare_with_nans(y.grad.data, ty.grad, f"d({base} ** y)/dy")


def test_tensor_power_with_broadcasting_matches_torch(rng):
    a, b = rng.uniform(0.5, 2, (3, 1)), rng.standard_normal(4)
    check_against_torch(lambda x, y: x ** y, lambda x, y: x ** y, a, b)


def test_power_zero_has_torch_s_zero_gradient_also_at_zero():
    x, tx = Tensor(np.array([0.0, 2.0]), requires_grad=True), torch.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    (tx ** 0).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist() == [0.0, 0.0]
