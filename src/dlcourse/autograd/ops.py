"""Primitive ops of the engine. Each class holds one op: its maths, its forward and its backward.

Forward and backward work on NumPy arrays. Backward returns one gradient per tensor input, shaped
like the op's (broadcast) output: the engine sums broadcast axes away in one place.
"""

import math

import numpy as np

from .function import Function, IndexedGrad


# --- arithmetic -----------------------------------------------------------------------------------
class Add(Function):
    """z = x + y.   dz/dx = 1,  dz/dy = 1."""

    @staticmethod
    def forward(ctx, x, y):
        """x + y."""
        return x + y

    @staticmethod
    def backward(ctx, grad):
        """(g, g)."""
        return grad, grad


class Sub(Function):
    """z = x - y.   dz/dx = 1,  dz/dy = -1."""

    @staticmethod
    def forward(ctx, x, y):
        """x - y."""
        return x - y

    @staticmethod
    def backward(ctx, grad):
        """(g, -g)."""
        return grad, -grad


class Mul(Function):
    """z = x * y.   dz/dx = y,  dz/dy = x."""

    @staticmethod
    def forward(ctx, x, y):
        """x * y (saves x and y)."""
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        """(g y, g x)."""
        x, y = ctx.saved_tensors
        return grad * y, grad * x


class Div(Function):
    """z = x / y.   dz/dx = 1/y,  dz/dy = -x/y^2."""

    @staticmethod
    def forward(ctx, x, y):
        """x / y (saves x and y)."""
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, grad):
        """(g / y, -g x / y^2)."""
        x, y = ctx.saved_tensors
        gx = grad / y
        return gx, -gx * x / y


class Neg(Function):
    """z = -x.   dz/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        """-x."""
        return -x

    @staticmethod
    def backward(ctx, grad):
        """-g."""
        return -grad


class Pow(Function):
    """z = x^p for a constant p.   dz/dx = p x^(p-1)  (0 when p = 0, as in PyTorch, also at x = 0)."""

    @staticmethod
    def forward(ctx, x, exponent):
        """x ** exponent (saves x)."""
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x ** exponent

    @staticmethod
    def backward(ctx, grad):
        """g p x^(p-1), or zeros for p = 0."""
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return np.zeros_like(grad)
        return grad * (p * x ** (p - 1))


class TensorPow(Function):
    """z = x^y for tensors x and y (broadcasting); either may be a constant, such as the base of ``2 ** t``.

    dz/dx = y x^(y-1)  (0 where y = 0),   dz/dy = x^y ln x  (0 where x = 0 and y >= 0).

    The value is NumPy's power itself, so a negative base works with integer exponents
    ((-2)^3 = -8); writing it as e^(y ln x) would give NaN there. The exceptions at 0 are
    PyTorch's; ln x of a negative base makes dz/dy NaN exactly where PyTorch's is NaN.
    """

    @staticmethod
    def forward(ctx, x, y):
        """x ** y elementwise (saves x, y and the result)."""
        out = np.power(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """(g y x^(y-1), g x^y ln x) with PyTorch's zeros; an unneeded one is skipped."""
        x, y, out = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):  # inf and NaN are the answers here, as in torch
            grad_x = np.where(y == 0, zero, grad * (y * np.power(x, y - 1))) if need_x else None
            grad_y = grad * np.where((x == 0) & (y >= 0), zero, out * np.log(x)) if need_y else None
        return grad_x, grad_y


class MatMul(Function):
    """Z = X @ Y (batched, NumPy rules).   dL/dX = G @ Y^T,  dL/dY = X^T @ G."""

    @staticmethod
    def forward(ctx, x, y):
        """x @ y with NumPy's rules (1-D operands, batch broadcasting)."""
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        """(G Y^T, X^T G), a 1-D x treated as a row and a 1-D y as a column; unneeded ones skipped."""
        x, y = ctx.saved_tensors
        if x.ndim == 1 and y.ndim == 1:
            return grad * y, grad * x
        if x.ndim == 1:    # (k,) @ (..., k, n): treat x as a (1, k) matrix
            return (grad[..., None, :] @ np.swapaxes(y, -1, -2))[..., 0, :], x[:, None] @ grad[..., None, :]
        if y.ndim == 1:    # (..., m, k) @ (k,): treat y as a (k, 1) matrix
            return grad[..., :, None] * y, (np.swapaxes(x, -1, -2) @ grad[..., None])[..., 0]
        # batch dimensions that were broadcast are summed away by the engine
        need_x, need_y = ctx.needs_input_grad
        return (grad @ np.swapaxes(y, -1, -2) if need_x else None,
                np.swapaxes(x, -1, -2) @ grad if need_y else None)


class Maximum(Function):
    """z = max(x, y) elementwise. The gradient goes to the larger input (split evenly on ties)."""

    @staticmethod
    def forward(ctx, x, y):
        """max(x, y) elementwise."""
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, grad):
        """g to the larger input, g/2 to each on ties."""
        x, y = ctx.saved_tensors
        share = ((x > y) + 0.5 * (x == y)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Where(Function):
    """z = x where condition else y (condition is a constant).   dz/dx = [c],  dz/dy = [not c]."""

    @staticmethod
    def forward(ctx, x, y, condition):
        """x where ``condition`` holds, y elsewhere (saves the condition)."""
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, grad):
        """(g where c, g where not c), zero elsewhere."""
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        return np.where(condition, grad, zero), np.where(condition, zero, grad)


class Cast(Function):
    """z = x converted to another floating dtype.   dz/dx = 1 (cast back)."""

    @staticmethod
    def forward(ctx, x, dtype):
        """x as ``dtype``."""
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        """g cast back to the input's dtype."""
        return grad.astype(ctx.input_dtype)


class Clone(Function):
    """z = a copy of x (its own array).   dz/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        """A copy of x."""
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        """g."""
        return grad


# --- elementwise functions -----------------------------------------------------------------------
class Exp(Function):
    """z = e^x.   dz/dx = e^x = z."""

    @staticmethod
    def forward(ctx, x):
        """e^x (saved for backward)."""
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """g e^x."""
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """z = ln x.   dz/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        """ln x."""
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        """g / x."""
        (x,) = ctx.saved_tensors
        return grad / x


class Tanh(Function):
    """z = tanh x.   dz/dx = 1 - z^2."""

    @staticmethod
    def forward(ctx, x):
        """tanh x (saved for backward)."""
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """g (1 - z^2)."""
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigma(x) = 1 / (1 + e^-x) of a NumPy array: the one sigmoid every op of the engine uses.

    Criterion: a relative error of a few units in the last place for every finite x, also for large
    negative x where sigma(x) is tiny (sigma(-50) = 1.93e-22, not 0), and no overflow warning for
    any x. Only e^-|x| <= 1 is evaluated: sigma(x) = 1 / (1 + e^-|x|) for x >= 0 and
    e^-|x| / (1 + e^-|x|) for x < 0. The textbook 1 / (1 + e^-x) overflows e^-x below x = -709;
    0.5 (1 + tanh(x/2)) and 1 - sigma(-x) lose every digit below about x = -37. sigma(-1000)
    underflows quietly to 0 and sigma(1000) is 1.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """z = sigma(x) = 1 / (1 + e^-x).   dz/dx = sigma(x) (1 - sigma(x)) = sigma(x) sigma(-x).

    Fused for stability (see :func:`sigmoid`); the derivative uses sigma(-x) instead of 1 - z, so
    it stays accurate where z rounds to 1 (dz/dx at x = 50 is 1.93e-22, not 0).
    """

    @staticmethod
    def forward(ctx, x):
        """sigma(x) (saves x and sigma(x))."""
        out = sigmoid(x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """g sigma(x) sigma(-x)."""
        x, out = ctx.saved_tensors
        return grad * out * sigmoid(-x)


class ReLU(Function):
    """z = max(x, 0).   dz/dx = [x > 0]."""

    @staticmethod
    def forward(ctx, x):
        """max(x, 0)."""
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        """g [x > 0]."""
        (x,) = ctx.saved_tensors
        return grad * (x > 0)


class Abs(Function):
    """z = |x|.   dz/dx = sign(x) (0 at 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        """|x|."""
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        """g sign(x)."""
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)


class Sign(Function):
    """z = sign(x) in {-1, 0, 1}.   dz/dx = 0 (everywhere, as PyTorch defines it also at 0)."""

    @staticmethod
    def forward(ctx, x):
        """sign(x)."""
        return np.sign(x)

    @staticmethod
    def backward(ctx, grad):
        """zeros."""
        return np.zeros_like(grad)


class Clamp(Function):
    """z = min(max(x, low), high).   dz/dx = [low <= x <= high]."""

    @staticmethod
    def forward(ctx, x, low, high):
        """x clipped to [low, high]; either bound may be None."""
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        """g where low <= x <= high, 0 elsewhere."""
        (x,) = ctx.saved_tensors
        keep = np.ones(x.shape, dtype=bool)
        if ctx.low is not None:
            keep &= x >= ctx.low
        if ctx.high is not None:
            keep &= x <= ctx.high
        return grad * keep


class Softplus(Function):
    """z = (1/beta) ln(1 + e^(beta x)), linear above ``threshold``.   dz/dx = sigmoid(beta x).

    Fused for stability: ln(1 + e^t) is evaluated with ``logaddexp`` so large t cannot overflow.
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        """(1/beta) ln(1 + e^(beta x)), or x where beta x > threshold."""
        bx = beta * x
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        """g sigmoid(beta x) (g above the threshold)."""
        (bx,) = ctx.saved_tensors
        return grad * np.where(bx > ctx.threshold, 1, sigmoid(bx)).astype(grad.dtype)


# --- reductions -----------------------------------------------------------------------------------
def _restore_reduced_axes(grad, axis, keepdims, shape):
    if axis is not None and not keepdims:
        axis = tuple(a % len(shape) for a in np.atleast_1d(axis))
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """z = sum_i x_i over ``axis``.   dz/dx_i = 1 (the gradient is copied back over the axis)."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        """The sum over ``axis`` (every axis if None)."""
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        """g broadcast back to the input's shape."""
        return _restore_reduced_axes(grad, ctx.axis, ctx.keepdims, ctx.shape)


class Mean(Function):
    """z = (1/n) sum_i x_i over ``axis``.   dz/dx_i = 1/n."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        """The mean over ``axis`` (every axis if None)."""
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        out = np.mean(x, axis=axis, keepdims=keepdims)
        ctx.count = x.size // max(out.size, 1) if x.size else 1
        return out

    @staticmethod
    def backward(ctx, grad):
        """g / n broadcast back to the input's shape."""
        return _restore_reduced_axes(grad / ctx.count, ctx.axis, ctx.keepdims, ctx.shape)


def _products_of_the_others(x: np.ndarray, axis: int) -> np.ndarray:
    """prod_{j != i} x_j along ``axis`` for every i, without dividing (exact when some x_j are 0)."""
    x = np.moveaxis(x, axis, -1)
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)            # prod_{j < i}
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]  # prod_{j > i}
    return np.moveaxis(before * after, -1, axis)


class Prod(Function):
    """z = prod_i x_i over ``axis`` (every element if None).   dz/dx_i = prod_{j != i} x_j.

    The product of the others is formed from running products from both ends, not as z / x_i,
    so it stays right where some x_j are 0.
    """

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        """The product over ``axis`` (saves x)."""
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        """g times the product of the other elements along ``axis``."""
        (x,) = ctx.saved_tensors
        if ctx.axis is None:
            others = _products_of_the_others(x.reshape(-1), 0).reshape(x.shape)
            return grad * others
        others = _products_of_the_others(x, ctx.axis)
        return _restore_reduced_axes(grad, ctx.axis, ctx.keepdims, x.shape) * others


class Max(Function):
    """z = max_i x_i.   dz/dx_i = 1 for the maximum (along ``axis``: the index argmax returns;
    over everything: shared evenly between ties, as ``torch.max()`` does)."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        """The maximum over ``axis`` (every axis if None)."""
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        out = np.max(x, axis=axis, keepdims=keepdims)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad):
        """g at the maximum (the argmax along ``axis``; over every axis shared by the ties), 0 elsewhere."""
        (x,) = ctx.saved_tensors
        if ctx.axis is None:
            winners = x == ctx.out
            return grad * winners / grad.dtype.type(winners.sum())
        index = np.expand_dims(np.argmax(x, axis=ctx.axis), ctx.axis)
        g = grad if ctx.keepdims else np.expand_dims(grad, ctx.axis)
        out = np.zeros_like(x, dtype=grad.dtype)
        np.put_along_axis(out, index, g, axis=ctx.axis)
        return out


# --- shapes and indexing ----------------------------------------------------------------------------
class Reshape(Function):
    """z = x viewed with another shape.   dL/dx = dL/dz reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        """x with shape ``shape``; a size mismatch raises a ValueError naming both shapes."""
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot view shape {x.shape} ({x.size} elements) as {shape}") from None

    @staticmethod
    def backward(ctx, grad):
        """g reshaped to the input's shape."""
        return grad.reshape(ctx.shape)


class Permute(Function):
    """z = x with its axes reordered.   dL/dx = dL/dz with the inverse order."""

    @staticmethod
    def forward(ctx, x, axes):
        """x with its axes in the order ``axes`` (negative axes count from the end)."""
        ctx.axes = tuple(a % x.ndim for a in axes) if x.ndim else tuple(axes)
        return np.transpose(x, ctx.axes)

    @staticmethod
    def backward(ctx, grad):
        """g with the inverse permutation."""
        return np.transpose(grad, np.argsort(ctx.axes))


class Expand(Function):
    """z = x broadcast to ``shape`` (new leading axes, size-1 axes stretched).
    dL/dx = dL/dz summed over the broadcast axes (the engine's one reduction does it).

    The result is a new array (PyTorch's is a view of x's memory).
    """

    @staticmethod
    def forward(ctx, x, shape):
        """x broadcast to ``shape``, copied."""
        return np.broadcast_to(x, shape).copy()

    @staticmethod
    def backward(ctx, grad):
        """g, shaped like the output: the engine sums it back to x's shape."""
        return grad


class GetItem(Function):
    """z = x[index].   dL/dx = zeros with dL/dz added at ``index`` (repeated indices add up).

    Returned as an ``IndexedGrad`` so the engine adds it in place: slicing one time step out of a
    sequence costs the size of the slice, not of the sequence.
    """

    @staticmethod
    def forward(ctx, x, index):
        """x[index]."""
        ctx.index = index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        """``IndexedGrad(index, g)``: g added at ``index`` of a zero gradient."""
        return IndexedGrad(ctx.index, grad)


class Concat(Function):
    """z = [x_1, x_2, ...] joined along ``axis``.   dL/dx_k = the k-th slice of dL/dz."""

    @staticmethod
    def forward(ctx, *xs, axis):
        """The inputs joined along ``axis``."""
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        """g split back into one slice per input."""
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


# --- fused neural-network ops -------------------------------------------------------------------------
class Linear(Function):
    """y = x W^T + b.   dL/dx = G W,  dL/dW = G^T x,  dL/db = G (summed over rows by the engine).

    Fused for speed: one graph node instead of three (transpose, matmul, add).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        """x W^T (+ b)."""
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        """(G W, G^T x[, G]); G W is skipped when x needs no gradient (a first layer)."""
        x, weight = ctx.saved_tensors
        grad_x = grad @ weight if ctx.needs_input_grad[0] else None  # skipped for the first layer
        grad_weight = grad.reshape(-1, grad.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        return (grad_x, grad_weight, grad) if ctx.has_bias else (grad_x, grad_weight)


class Softmax(Function):
    """s_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j.   dL/dx = s * (g - sum(g s)).

    Fused for stability: subtracting the maximum keeps every exponential <= 1.
    """

    @staticmethod
    def forward(ctx, x, axis):
        """softmax(x) along ``axis`` (saved for backward)."""
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        """s * (g - sum(g s)) along ``axis``."""
        (s,) = ctx.saved_tensors
        return s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """z_i = x_i - m - ln sum_j e^(x_j - m).   dL/dx = g - softmax(x) * sum(g).

    Fused for stability: the log-sum-exp trick gives finite values for logits of any size.
    """

    @staticmethod
    def forward(ctx, x, axis):
        """log softmax(x) along ``axis`` (saved for backward)."""
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        """g - softmax(x) sum(g) along ``axis``."""
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.axis, keepdims=True)


class BCEWithLogits(Function):
    """l = max(x, 0) - x y + ln(1 + e^-|x|)  (= -[y ln s(x) + (1-y) ln(1-s(x))]).
    dl/dx = sigmoid(x) - y,   dl/dy = -x.

    Fused for stability: never evaluates ln of a sigmoid that rounded to 0 or 1.
    """

    @staticmethod
    def forward(ctx, x, y):
        """The elementwise loss max(x, 0) - x y + ln(1 + e^-|x|)."""
        ctx.save_for_backward(x, y)
        return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        """(g (sigmoid(x) - y), -g x)."""
        x, y = ctx.saved_tensors
        return grad * (sigmoid(x) - y), grad * -x


# --- special functions and graphs ---------------------------------------------------------
class Erf(Function):
    """y = erf(x).  dy/dx = 2 / sqrt(pi) exp(-x^2).  (A primitive: GELU needs it and NumPy lacks it.)"""

    @staticmethod
    def forward(ctx, x):
        """erf(x) (SciPy's), in x's dtype."""
        from scipy.special import erf  # SciPy comes with scikit-learn, a dependency of the course

        ctx.save_for_backward(x)
        return erf(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        """g 2 / sqrt(pi) e^(-x^2)."""
        (x,) = ctx.saved_tensors
        return (grad * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x),)



class Propagate(Function):
    """Z = S @ H for a fixed (sparse or dense) graph operator S.   dL/dH = S^T @ G.

    S is a constant (the graph does not learn), so the backward pass returns only dL/dH, and it
    never forms the (N, N) gradient a general matrix product would compute for S.
    """

    @staticmethod
    def forward(ctx, h, *, operator):
        """S @ h in h's dtype (``operator`` is S)."""
        ctx.operator = operator
        return np.asarray(operator @ h, dtype=h.dtype)

    @staticmethod
    def backward(ctx, grad):
        """S^T @ g, for h only."""
        return (np.asarray(ctx.operator.T @ grad, dtype=grad.dtype),)

