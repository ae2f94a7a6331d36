"""The reverse-mode engine: :class:`Tensor` and its backward pass.

A ``Tensor`` wraps a NumPy array. When an op runs on tensors that require gradients, the op's
``Function`` object is stored on the result (``tensor._ctx``) together with its inputs: the graph
lives on the tensors themselves. ``Tensor.backward`` sorts that graph topologically (iteratively,
so very deep graphs work), calls every ``backward`` in reverse order and adds each gradient into
its input, summing away broadcast axes in one place (:func:`_sum_to_shape`).

``Function`` and grad mode (``no_grad``) live in ``function.py``, the ops in ``ops.py`` and
``conv_ops.py``; this module imports them and nothing imports it back.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _rng
from . import ops as _ops
from .function import Function, IndexedGrad, is_grad_enabled, no_grad

__all__ = [
    "Function", "Tensor", "arange", "cat", "check_same_float_dtype", "is_grad_enabled", "maximum", "no_grad",
    "ones", "ones_like", "rand", "randn", "stack", "tensor", "unwrap", "where", "zeros", "zeros_like",
]


def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum ``grad`` over the axes that broadcasting added or stretched."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _add_at_index(grads: dict, owned: set, x: Tensor, g: IndexedGrad) -> None:
    """grads[x] += g, where g is zero outside ``g.index`` (repeated indices add up)."""
    if id(x) not in owned:
        base = grads.get(id(x))
        grads[id(x)] = np.zeros(x.shape, dtype=g.values.dtype) if base is None else base.copy()
        owned.add(id(x))
    if _is_basic_index(g.index):
        grads[id(x)][g.index] += g.values
    else:
        np.add.at(grads[id(x)], g.index, g.values)


def _is_basic_index(index) -> bool:
    """True for ints, slices, None and Ellipsis only (no index arrays, so no repeated elements)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice | type(None) | type(Ellipsis)) for i in items)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors that ``root`` depends on, inputs before outputs (iterative depth-first search)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            stack.extend((x, False) for x in node._ctx.inputs if x.requires_grad and id(x) not in visited)
    return order


def check_same_float_dtype(name: str, *tensors) -> None:
    """Matrix products refuse mixed float32/float64 (as PyTorch does) instead of silently upcasting."""
    dtypes = {t.dtype for t in tensors if t is not None and np.issubdtype(t.dtype, np.floating)}
    if len(dtypes) > 1:
        raise TypeError(f"{name}: inputs have different dtypes {sorted(map(str, dtypes))}; convert one with "
                        f".float() or .double() (training uses float32)")


def _default_dtype(data) -> np.ndarray:
    array = np.asarray(data)
    if array.dtype == np.float64 and not isinstance(data, np.ndarray | np.floating):
        array = array.astype(np.float32)  # Python floats become float32, as in PyTorch
    return array


MaxResult = namedtuple("MaxResult", ["values", "indices"])


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like. Python floats become float32, NumPy arrays keep their dtype.
        requires_grad: if True, ``backward`` fills ``.grad`` for this tensor.
    """

    __array_ufunc__ = None  # make NumPy defer to our reflected operators (np.float64(2) * t)

    def __init__(self, data, requires_grad: bool = False):
        self.data = data.data if isinstance(data, Tensor) else _default_dtype(data)
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self._ctx: Function | None = None
        self._retains_grad = False

    # --- basic properties -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))) if self.ndim >= 2 else self)
    mT = property(lambda self: self.transpose(-2, -1))  # the last two dims swapped (batched matrices)
    is_leaf = property(lambda self: self._ctx is None)
    #: The op that produced this tensor (its ``Function`` context, with ``.inputs``), None for a leaf.
    grad_fn = property(lambda self: self._ctx)

    def size(self, dim=None):
        """The shape, or its size along ``dim`` (a tuple, not a ``torch.Size``)."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        suffix = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        return f"tensor({body}{suffix})"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                               "use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def any(self) -> bool:
        """True if any element is non-zero (a Python bool; torch returns a tensor)."""
        return bool(self.data.any())

    def all(self) -> bool:
        """True if every element is non-zero (a Python bool; torch returns a tensor)."""
        return bool(self.data.all())

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The NumPy array itself (shared, not copied, as in torch); refused while ``requires_grad``."""
        if self.requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return self.data

    def tolist(self):
        """The values as (nested) Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut off from the graph."""
        return Tensor(self.data)

    def retain_grad(self) -> None:
        """Also keep ``.grad`` for this intermediate (non-leaf) tensor, to inspect it."""
        self._retains_grad = True

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating tensors only); returns self."""
        if flag and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = flag
        return self

    def to(self, dtype) -> Tensor:
        """Convert to another dtype (differentiably). ``to("cpu")`` is accepted and does nothing."""
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        return _ops.Cast.apply(self, dtype=np.dtype(dtype)) if np.dtype(dtype) != self.dtype else self

    def float(self):
        """Convert to float32, differentiably (``to(np.float32)``)."""
        return self.to(np.float32)

    def double(self):
        """Convert to float64, differentiably (``to(np.float64)``)."""
        return self.to(np.float64)

    def long(self):
        """An int64 copy, outside the graph (no gradient flows through it)."""
        return Tensor(self.data.astype(np.int64))

    # --- backward ----------------------------------------------------------------------------
    def backward(self, gradient=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self); may be omitted when ``self`` holds one element.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no leaf needs a gradient)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"gradient can only be implied for a one-element output, got shape {self.shape}")
            gradient = np.ones_like(self.data)
        gradient = np.asarray(unwrap(gradient), dtype=self.dtype)
        if gradient.shape != self.shape:
            raise ValueError(f"gradient has shape {gradient.shape} but the tensor has shape {self.shape}")

        grads, owned = {id(self): gradient}, set()   # owned: arrays we created and may add into
        for node in reversed(_topological_order(self)):
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            if node._ctx is None or node._retains_grad:
                node._accumulate_grad(grad)
            if node._ctx is None:
                continue
            input_grads = node._ctx.backward(node._ctx, grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for x, g in zip(node._ctx.inputs, input_grads):
                if g is None or not x.requires_grad:
                    continue
                if isinstance(g, IndexedGrad):
                    _add_at_index(grads, owned, x, g)
                    continue
                g = _sum_to_shape(np.asarray(g), x.shape)
                if id(x) not in grads:
                    grads[id(x)] = g
                elif id(x) in owned:
                    grads[id(x)] += g
                else:
                    grads[id(x)] = grads[id(x)] + g
                    owned.add(id(x))

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        """Add a finished gradient into this leaf's ``.grad``."""
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        if self.grad is None:
            self.grad = Tensor(grad if grad.flags.writeable and grad.base is None else grad.copy())
        else:
            self.grad = Tensor(self.grad.data + grad)  # a new array: the old one may be shared

    # --- arithmetic ----------------------------------------------------------------------------
    def _as_tensor(self, other) -> Tensor:
        if isinstance(other, Tensor):
            return other
        dtype = self.dtype if np.issubdtype(self.dtype, np.floating) else None
        return Tensor(np.asarray(other, dtype=dtype))

    def _binary(self, op, other, name):
        other = self._as_tensor(other)
        try:
            np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(f"{name}: shapes {self.shape} and {other.shape} cannot be broadcast together") from None
        return op.apply(self, other)

    def __add__(self, other):
        return self._binary(_ops.Add, other, "add")

    def __radd__(self, other):
        return self._as_tensor(other)._binary(_ops.Add, self, "add")

    def __sub__(self, other):
        return self._binary(_ops.Sub, other, "sub")

    def __rsub__(self, other):
        return self._as_tensor(other)._binary(_ops.Sub, self, "sub")

    def __mul__(self, other):
        return self._binary(_ops.Mul, other, "mul")

    def __rmul__(self, other):
        return self._as_tensor(other)._binary(_ops.Mul, self, "mul")

    def __truediv__(self, other):
        return self._binary(_ops.Div, other, "div")

    def __rtruediv__(self, other):
        return self._as_tensor(other)._binary(_ops.Div, self, "div")

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return (self.log() * exponent).exp()
        return _ops.Pow.apply(self, exponent=exponent)

    def __rpow__(self, base):
        return (self * float(np.log(base))).exp()

    def __matmul__(self, other):
        other = self._as_tensor(other)
        a, b = self.shape, other.shape
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(f"matmul: both arguments need at least one dimension, got shapes {a} and {b}")
        inner_a, inner_b = a[-1], b[-2] if other.ndim >= 2 else b[0]
        if inner_a != inner_b:
            raise ValueError(f"matmul: shapes {a} and {b} do not match: {inner_a} (last dim of the first) != "
                             f"{inner_b} (the second's rows)")
        check_same_float_dtype("matmul", self, other)
        return _ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return self._as_tensor(other).__matmul__(self)

    # comparisons: results are boolean tensors outside the graph
    def _compare(self, fn, other):
        return Tensor(fn(self.data, unwrap(other)))

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    __hash__ = object.__hash__  # defining __eq__ would otherwise make tensors unhashable

    def __setitem__(self, index, value):
        """In-place assignment, allowed only outside the graph (no_grad, or a tensor without grad)."""
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("in-place assignment to a tensor that requires grad would corrupt its gradient; "
                               "do it inside `with dlcourse.no_grad():` or build a new tensor (e.g. with where/cat)")
        self.data[unwrap(index)] = unwrap(value)

    def __getitem__(self, index):
        index = tuple(map(unwrap, index)) if isinstance(index, tuple) else unwrap(index)
        return _ops.GetItem.apply(self, index=index)

    # --- elementwise and reductions --------------------------------------------------------------
    def exp(self):
        """e^x elementwise."""
        return _ops.Exp.apply(self)

    def log(self):
        """The natural logarithm elementwise."""
        return _ops.Log.apply(self)

    def tanh(self):
        """tanh elementwise."""
        return _ops.Tanh.apply(self)

    def sigmoid(self):
        """1 / (1 + e^-x) elementwise, stable for every x (see :func:`dlcourse.autograd.ops.sigmoid`)."""
        return _ops.Sigmoid.apply(self)

    def relu(self):
        """max(x, 0) elementwise."""
        return _ops.ReLU.apply(self)

    def abs(self):
        """|x| elementwise (gradient 0 at 0, as in torch)."""
        return _ops.Abs.apply(self)

    def sqrt(self):
        """The square root elementwise (``self ** 0.5``)."""
        return self ** 0.5

    def clamp(self, min=None, max=None):
        """Values clipped to [min, max] (either may be None); the gradient is 0 outside."""
        return _ops.Clamp.apply(self, low=min, high=max)

    def sum(self, dim=None, keepdim=False):
        """The sum over ``dim`` (an int or a tuple; every element if None)."""
        return _ops.Sum.apply(self, axis=dim, keepdims=keepdim)

    def mean(self, dim=None, keepdim=False):
        """The mean over ``dim`` (an int or a tuple; every element if None)."""
        return _ops.Mean.apply(self, axis=dim, keepdims=keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True):
        """The variance over ``dim``, divided by n - 1 if ``unbiased``. Pass ``keepdim`` and ``unbiased``
        by name: torch's positional order is (dim, unbiased, keepdim)."""
        count = self.data.size if dim is None else int(np.prod([self.shape[d] for d in np.atleast_1d(dim)]))
        centred = self - self.mean(dim, keepdim=True)
        return (centred * centred).sum(dim, keepdim) / (count - 1 if unbiased else count)

    def max(self, dim=None, keepdim=False):
        """Largest value; with ``dim``, returns ``(values, indices)`` like ``torch.max``."""
        if dim is None:
            return _ops.Max.apply(self, axis=None, keepdims=False)
        values = _ops.Max.apply(self, axis=dim, keepdims=keepdim)
        indices = np.argmax(self.data, axis=dim)
        return MaxResult(values, Tensor(np.expand_dims(indices, dim) if keepdim else indices))

    def argmax(self, dim=None, keepdim=False):
        """The index of the largest value (in the flattened tensor if ``dim`` is None), as an int64 tensor."""
        out = np.argmax(self.data, axis=dim)
        return Tensor(np.expand_dims(out, dim) if keepdim and dim is not None else out)

    # --- shapes ----------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same values with another shape, as sizes or one tuple (one may be -1). ``view`` is an alias."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        return _ops.Reshape.apply(self, shape=tuple(shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions ``start_dim`` to ``end_dim`` merged into one."""
        end = end_dim % max(self.ndim, 1)
        return self.reshape(self.shape[:start_dim] + (-1,) + self.shape[end + 1:])

    def unsqueeze(self, dim):
        """A new dimension of size 1 inserted at ``dim``."""
        dim = dim if dim >= 0 else dim + self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        """Dimensions of size 1 removed (only ``dim`` if given, and only if its size is 1)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:]) if self.shape[dim] == 1 else self

    def transpose(self, dim0, dim1):
        """Dimensions ``dim0`` and ``dim1`` swapped."""
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return _ops.Permute.apply(self, axes=tuple(axes))

    def permute(self, *dims):
        """The dimensions reordered, given as ints or one tuple."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
        return _ops.Permute.apply(self, axes=tuple(dims))

    def expand(self, *shape):
        """Broadcast to ``shape``: a new array, not a view as in torch, and every size given (no -1)."""
        return self + Tensor(np.zeros(shape, dtype=self.dtype))

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """Let torch read a dlcourse tensor as a value: ``torch_model.load_state_dict(dl_model.state_dict())``.

        Defining this makes a dlcourse tensor "tensor-like" to torch (``torch.overrides.is_tensor_like``),
        which torch's ``load_state_dict`` requires of each value; it then reads ``.shape`` and calls
        ``param.copy_(value)``, which comes here. Each dlcourse tensor among the arguments (also inside
        lists, tuples and dicts) becomes a torch tensor sharing its NumPy array (``torch.from_numpy``;
        a copy where the array is read-only or has negative strides) and ``func`` runs on them: torch
        functions such as ``torch.add(t, x)`` or ``torch.stack([t, x])`` give torch tensors, and
        ``copy_`` casts to the parameter's dtype. (``load_state_dict(..., assign=True)`` is refused by
        torch itself: it keeps the given objects, so it needs torch tensors.)

        Nothing else changes: the methods of a torch tensor other than ``copy_`` decline (Python's
        operators arrive as those methods), so ``torch_tensor * x`` still falls to dlcourse's reflected
        operator and gives a dlcourse tensor, as before. And dlcourse's graph never continues into
        torch's: a dlcourse tensor that requires grad raises a ``TypeError`` while torch records
        gradients (under ``torch.no_grad()``, as in ``load_state_dict``, its values are read).
        """
        import torch

        qualname = getattr(func, "__qualname__", "")
        if func is not torch.Tensor.copy_ and qualname.split(".")[0] in ("Tensor", "TensorBase"):
            return NotImplemented

        def to_torch(value):
            if isinstance(value, Tensor):
                if value.requires_grad and torch.is_grad_enabled():
                    raise TypeError(f"{torch.overrides.resolve_name(func) or func}() got a dlcourse tensor that "
                                    f"requires grad: dlcourse's graph does not continue into torch's; pass "
                                    f".detach() (or call it under torch.no_grad())")
                array = np.asarray(value.data)
                if not array.flags.writeable or any(stride < 0 for stride in array.strides):
                    array = array.copy()
                return torch.from_numpy(array)
            if isinstance(value, list | tuple):
                return type(value)(to_torch(v) for v in value)
            if isinstance(value, dict):
                return {k: to_torch(v) for k, v in value.items()}
            return value

        return func(*to_torch(tuple(args)), **to_torch(dict(kwargs or {})))


Function.tensor_class = Tensor  # what Function.apply wraps its results in


def unwrap(x):
    """The NumPy array inside a Tensor (no copy); anything else (an array, a number, an index) as it is.

    For code that accepts tensors and plain arrays alike: ``np.asarray(unwrap(mask))``.
    """
    return x.data if isinstance(x, Tensor) else x


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor from array-like data (a copy, like ``torch.tensor``)."""
    array = _default_dtype(unwrap(data))
    return Tensor(np.array(array, dtype=dtype), requires_grad=requires_grad)


def _shape(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else tuple(size)


def zeros(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    """A tensor of zeros; ``size`` as ints or one tuple."""
    return Tensor(np.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    """A tensor of ones; ``size`` as ints or one tuple."""
    return Tensor(np.ones(_shape(size), dtype=dtype), requires_grad=requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    """Standard normal samples from the package's generator (see ``manual_seed``)."""
    return Tensor(_rng.generator().standard_normal(_shape(size)).astype(dtype), requires_grad=requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1) from the package's generator."""
    return Tensor(_rng.generator().random(_shape(size)).astype(dtype), requires_grad=requires_grad)


def arange(*args, dtype=None) -> Tensor:
    """``np.arange(*args)`` as a tensor; without ``dtype``, float arguments give float64 (torch: float32)."""
    return Tensor(np.arange(*args, dtype=dtype))


def zeros_like(t: Tensor) -> Tensor:
    """Zeros with the shape and dtype of ``t``."""
    return Tensor(np.zeros_like(t.data))


def ones_like(t: Tensor) -> Tensor:
    """Ones with the shape and dtype of ``t``."""
    return Tensor(np.ones_like(t.data))


def cat(tensors, dim=0) -> Tensor:
    """The tensors joined along the existing dimension ``dim``."""
    return _ops.Concat.apply(*tensors, axis=dim)


def stack(tensors, dim=0) -> Tensor:
    """The tensors joined along a new dimension ``dim``."""
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (gradient flows to the chosen one)."""
    cond = np.asarray(unwrap(condition))
    x = x if isinstance(x, Tensor) else (y._as_tensor(x) if isinstance(y, Tensor) else Tensor(x))
    y = y if isinstance(y, Tensor) else x._as_tensor(y)
    return _ops.Where.apply(x, y, condition=cond.astype(bool))


def maximum(x: Tensor, y) -> Tensor:
    """max(x, y) elementwise, broadcast; the gradient goes to the larger (half to each on ties)."""
    return x._binary(_ops.Maximum, y, "maximum")

