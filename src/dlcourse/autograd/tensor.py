"""The reverse-mode engine: :class:`Tensor` and its backward pass, and the functions of ``torch.*``.

A ``Tensor`` wraps a NumPy array. When an op runs on tensors that require gradients, the op's
``Function`` object is stored on the result (``tensor._ctx``) together with its inputs: the graph
lives on the tensors themselves. ``Tensor.backward`` sorts that graph topologically (iteratively,
so very deep graphs work), calls every ``backward`` in reverse order and adds each gradient into
its input, summing away broadcast axes in one place (:func:`_sum_to_shape`, which also refuses a
gradient of the wrong shape). As in PyTorch, the pass frees what the ops saved unless
``retain_graph=True``, and every in-place op raises a tensor's version, so that a backward pass
through an op whose saved values were changed afterwards raises instead of using them.

``Function`` and grad mode (``no_grad``) live in ``function.py``, the ops in ``ops.py`` and
``conv_ops.py``; this module imports them and nothing imports it back.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from .. import _rng
from . import function as _function
from . import ops as _ops
from .function import FREED_GRAPH_MESSAGE, Function, IndexedGrad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function", "Tensor", "arange", "cat", "check_same_float_dtype", "exp", "eye", "flatten", "from_numpy",
    "full", "is_grad_enabled", "linspace", "log", "matmul", "max", "maximum", "mean", "no_grad", "ones",
    "ones_like", "rand", "randint", "randn", "randperm", "relu", "set_grad_enabled", "sigmoid", "softmax",
    "stack", "sum", "tanh", "tensor", "unwrap", "where", "zeros", "zeros_like",
]


def _sum_to_shape(grad: np.ndarray, shape: tuple, ctx: Function | None = None, input: Tensor | None = None
                  ) -> np.ndarray:
    """Undo broadcasting: sum ``grad`` over the axes that broadcasting added or stretched.

    ``grad`` must have the input's ``shape`` or a shape that ``shape`` broadcasts to (what an op's
    output has); anything else is a bug in the backward of ``ctx`` (the op that has ``input`` among its
    inputs), and it raises, naming the op and both shapes, instead of being reshaped into place
    because it happens to have as many elements.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or builtins.any(n not in (1, m) for n, m in zip(shape, grad.shape[lead:])):
        op = type(ctx).__name__ if ctx is not None else "backward"
        index = next((i for i, x in enumerate(ctx.inputs) if x is input), 0) if ctx is not None else 0
        raise RuntimeError(f"Function {op} returned an invalid gradient at index {index} - got shape "
                           f"{grad.shape} but expected the input's shape {shape} or a shape it broadcasts to")
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return np.asarray(grad.sum(axis=tuple(range(lead)))) if lead else grad


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


def _check_versions(node: Tensor) -> None:
    """Raise PyTorch's error if an in-place op, since ``node``'s op was recorded, changed what its backward
    pass needs: an array it saved (an input or its output), or an input that has become another op's output."""
    ctx = node._ctx
    saved, since = ctx._saved or (), ctx.recorded_at
    changed = [(f"input {i}", x) for i, (x, needed) in enumerate(zip(ctx.inputs, ctx.needs_input_grad))
               if x._changed_at > since
               and ((needed and x._graph_changed_at > since) or builtins.any(a is x.data for a in saved))]
    if node._changed_at > since and builtins.any(a is node.data for a in saved):
        changed.append(("the output", node))
    if changed:
        what, x = changed[0]
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"{what} of {type(ctx).__name__} (a {x.dtype} tensor of shape {x.shape}, now at version {x._version}) "
            f"was changed in place after {type(ctx).__name__} used it. Change it out of place (x = x + 1) or run "
            "the forward pass again.")


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


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "hpu", "ipu", "mtia", "privateuseone")


def _is_device(value) -> bool:
    """A device as torch names one: "cpu", "cuda:0", a ``torch.device``."""
    return type(value).__name__ == "device" or (isinstance(value, str) and value.split(":")[0] in _DEVICE_TYPES)


def _check_device(device) -> None:
    """Accept the CPU (the engine's only device); refuse any other with an error that says why."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"device {str(device)!r}: dlcourse tensors are NumPy arrays on the CPU; CUDA, MPS and "
                           "other accelerators are not part of the course's engine. Use PyTorch for a GPU "
                           "(dlcourse.torch.best_device() picks one).")


def _dims(dim):
    """``dim`` as NumPy's ``axis``: None, an int, or a tuple (from a list or tuple; an empty one means all)."""
    if isinstance(dim, Sequence):
        return tuple(dim) or None
    return dim


def _wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` counted from the front, with torch's error when it is out of range."""
    low, high = -builtins.max(ndim, 1), builtins.max(ndim, 1) - 1
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim % builtins.max(ndim, 1)


Dims = int | Sequence[int] | None  # one dim, several (a list or a tuple), or all of them
MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like. Python floats become float32, NumPy arrays keep their dtype.
        requires_grad: if True, ``backward`` fills ``.grad`` for this tensor.
    """

    __array_ufunc__ = None  # make NumPy defer to our reflected operators (np.float64(2) * t)
    _version = 0  # raised by every in-place op (an instance attribute from the first one on), as torch's
    _changed_at = 0  # the in-place clock (function.tick_in_place_clock) at this tensor's last in-place change
    _graph_changed_at = 0  # ... at the last one that made it the output of an op in the graph

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
    #: Always ``"cpu"`` (a string; torch's is a ``torch.device``): the engine's arrays live in NumPy.
    device = property(lambda self: "cpu")

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

    def clone(self) -> Tensor:
        """A copy with its own array, in the graph (the gradient passes straight through)."""
        return _ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        """The tensor itself if its array is C-contiguous, else a copy that is (in the graph, like ``clone``)."""
        return self if self.data.flags.c_contiguous else self.clone()

    def retain_grad(self) -> None:
        """Also keep ``.grad`` for this intermediate (non-leaf) tensor, to inspect it."""
        self._retains_grad = True

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating tensors only); returns self."""
        if flag and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = flag
        return self

    # --- dtype and device ----------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False) -> Tensor:
        """Convert to another dtype, as torch's ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``.

        A floating dtype keeps the tensor in the graph (``Cast``); an integer or boolean one gives a
        tensor outside it, as in torch. The device may only be the CPU: ``to("cuda")`` or ``to("mps")``
        raises, since the engine's arrays live in NumPy. Returns ``self`` when nothing changes (unless
        ``copy=True``).
        """
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _is_device(arg):
                device = arg
            else:
                dtype = arg
        _check_device(device)
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            if np.issubdtype(np.dtype(dtype), np.floating) and np.issubdtype(self.dtype, np.floating):
                out = _ops.Cast.apply(self, dtype=np.dtype(dtype))
            else:
                out = Tensor(self.data.astype(dtype))
        return out.clone() if copy and out is self else out

    def cpu(self) -> Tensor:
        """The tensor itself: it is already on the CPU."""
        return self

    def cuda(self, device: int | str | None = None) -> Tensor:
        """Refused with an error: CUDA is not part of the course's NumPy engine (use PyTorch for a GPU)."""
        _check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)
        return self  # a CUDA device never gets here

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
    def backward(self, gradient: Tensor | np.ndarray | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self); may be omitted when ``self`` holds one element.
            retain_graph: keep what the ops saved, so that ``backward`` can run through this graph
                again (gradients then add up). By default the pass frees it, as in PyTorch, and a
                second pass raises torch's error.
            create_graph: refused: gradients of gradients are not part of the course's engine.
            inputs: if given (a tensor or a list), only these tensors' ``.grad`` are filled.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True), a graph of the backward pass for gradients of "
                                      "gradients, is not part of the course's engine (its backward passes work on "
                                      "NumPy arrays); PyTorch does it with create_graph=True")
        retain_graph = create_graph if retain_graph is None else retain_graph
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no leaf needs a gradient)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"gradient can only be implied for a one-element output, got shape {self.shape}")
            gradient = np.ones_like(self.data)
        gradient = np.asarray(unwrap(gradient), dtype=self.dtype)
        if gradient.shape != self.shape:
            raise ValueError(f"gradient has shape {gradient.shape} but the tensor has shape {self.shape}")
        targets = None if inputs is None else {id(t) for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}

        grads, owned = {id(self): gradient}, set()   # owned: arrays we created and may add into
        handed_out = {id(gradient): gradient}          # arrays that a .grad (or the caller) holds
        clock = _function._in_place_clock              # an op recorded before it may need a version check
        for node in reversed(_topological_order(self)):
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            ctx = node._ctx
            if (ctx is None or node._retains_grad) if targets is None else id(node) in targets:
                node._accumulate_grad(grad, handed_out)
            if ctx is None:
                continue
            saved = ctx._saved
            if saved is None:
                raise RuntimeError(FREED_GRAPH_MESSAGE)
            if ctx.recorded_at != clock:
                _check_versions(node)
            input_grads = ctx.backward(ctx, grad)
            if saved and not retain_graph:
                ctx._saved = None  # freed, as in PyTorch (an op that saved nothing can run again)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = ctx.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(f"Function {type(ctx).__name__} returned an incorrect number of gradients "
                                   f"(expected {len(inputs)}, got {len(input_grads)})")
            for x, needed, g in zip(inputs, ctx.needs_input_grad, input_grads):
                if g is None or not needed:
                    continue
                if type(g) is IndexedGrad:
                    _add_at_index(grads, owned, x, g)
                    continue
                g = np.asarray(g)
                if g.shape != x.data.shape:
                    g = _sum_to_shape(g, x.data.shape, ctx, x)
                key = id(x)
                if key not in grads:
                    grads[key] = g
                elif key in owned:
                    grads[key] += g
                else:
                    grads[key] = grads[key] + g
                    owned.add(key)

    def _accumulate_grad(self, grad: np.ndarray, handed_out: dict) -> None:
        """Add a finished gradient into ``.grad``: never an array that another tensor's ``.grad`` (or the
        caller) also holds, so scaling one gradient in place cannot scale another."""
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        if self.grad is not None:
            self.grad = Tensor(self.grad.data + grad)  # a new array: the old one may be held elsewhere
            return
        if id(grad) in handed_out or not grad.flags.writeable or grad.base is not None:
            grad = grad.copy()
        handed_out[id(grad)] = grad
        self.grad = Tensor(grad)

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
        if isinstance(exponent, Tensor | np.ndarray):
            return self._binary(_ops.TensorPow, exponent, "pow")
        return _ops.Pow.apply(self, exponent=exponent)

    def __rpow__(self, base):
        return self._as_tensor(base)._binary(_ops.TensorPow, self, "pow")

    def pow(self, exponent: float | Tensor) -> Tensor:
        """``self ** exponent``: a number (``Pow``) or a tensor (``TensorPow``), elementwise."""
        return self ** exponent

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

    def matmul(self, other: Tensor) -> Tensor:
        """The matrix product ``self @ other`` (NumPy's and torch's rules for 1-D and batched operands)."""
        return self @ other

    # --- in place: torch's rules ------------------------------------------------------------------
    def _in_place(self, name: str, compute, other=None) -> Tensor:
        """Store ``compute(self)`` (the op done out of place) in this tensor, by PyTorch's rules.

        Outside the graph (under ``no_grad``, or when no tensor involved requires grad) the result is
        written into this tensor's array. In the graph, a leaf that requires grad refuses (torch's
        error); any other tensor becomes the op's output, its earlier value the op's input (it gets a
        new array, so what earlier ops saved stays as it was). Either way its version goes up, so a
        backward pass that needs the earlier value raises torch's error.
        """
        recording = is_grad_enabled() and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))
        if recording and self.requires_grad and self._ctx is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                               f"(`{name}` on a parameter: do it inside `with dlcourse.no_grad():`, as an "
                               "optimiser's step does, or compute a new tensor out of place)")
        if recording and self.data.base is not None:
            raise RuntimeError(f"`{name}` on a view in the graph (made by reshape/view, permute/transpose or "
                               "slicing): PyTorch's tracking of views changed in place is not part of the course's "
                               "engine; compute it out of place (y = y + 1) or clone() the view first")
        source = self
        if recording:  # the value before the op, with its history, becomes the op's input
            source = Tensor.__new__(Tensor)
            source.__dict__.update(self.__dict__)
            source.grad, source._retains_grad = None, False
        result = compute(source)
        if result.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                               f"{result.shape}")
        if not np.can_cast(result.dtype, self.dtype, casting="same_kind"):
            raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired output type "
                               f"{self.dtype}")
        if recording:
            if result.dtype != self.dtype:
                result = _ops.Cast.apply(result, dtype=self.dtype)
            self.data, self._ctx, self.requires_grad = result.data, result._ctx, True
        else:
            np.copyto(self.data, result.data, casting="same_kind")
        self._version += 1
        self._changed_at = _function.tick_in_place_clock()
        if recording:
            self._graph_changed_at = self._ctx.recorded_at = self._changed_at
        return self

    def __iadd__(self, other):
        return self._in_place("add_", lambda x: x + other, other)

    def __isub__(self, other):
        return self._in_place("sub_", lambda x: x - other, other)

    def __imul__(self, other):
        return self._in_place("mul_", lambda x: x * other, other)

    def __itruediv__(self, other):
        return self._in_place("div_", lambda x: x / other, other)

    def fill_(self, value: float | Tensor) -> Tensor:
        """Set every element to ``value``, in place (by the rules of in-place ops; see ``zero_``)."""
        return self._in_place("fill_", lambda x: x.masked_fill(np.ones(x.shape, dtype=bool), value), value)

    def zero_(self) -> Tensor:
        """Set every element to 0, in place: ``w.grad.zero_()``. In the graph, a leaf that requires grad
        refuses (torch's error); do it under ``no_grad``."""
        return self.fill_(0)

    def masked_fill_(self, mask: Tensor | np.ndarray, value: float | Tensor) -> Tensor:
        """``masked_fill`` in place."""
        return self._in_place("masked_fill_", lambda x: x.masked_fill(mask, value), value)

    def masked_fill(self, mask: Tensor | np.ndarray, value: float | Tensor) -> Tensor:
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True, the tensor elsewhere.

        The gradient flows to the kept elements (and to ``value`` if it is a 0-dim tensor that requires grad).
        """
        mask = np.asarray(unwrap(mask))
        if mask.dtype != bool:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=self.dtype))
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s)")
        return _ops.Where.apply(value.to(self.dtype), self, condition=mask)

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
        self._version += 1
        self._changed_at = _function.tick_in_place_clock()

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

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise; its gradient is 0 (as in torch)."""
        return _ops.Sign.apply(self)

    def sqrt(self):
        """The square root elementwise (``self ** 0.5``)."""
        return self ** 0.5

    def clamp(self, min=None, max=None):
        """Values clipped to [min, max] (either may be None); the gradient is 0 outside."""
        return _ops.Clamp.apply(self, low=min, high=max)

    def softmax(self, dim: int, dtype=None) -> Tensor:
        """e^x / sum(e^x) along ``dim`` (fused and stable: see ``ops.Softmax``)."""
        x = self if dtype is None else self.to(dtype)
        return _ops.Softmax.apply(x, axis=dim)

    def log_softmax(self, dim: int, dtype=None) -> Tensor:
        """log softmax along ``dim`` (fused and stable: see ``ops.LogSoftmax``)."""
        x = self if dtype is None else self.to(dtype)
        return _ops.LogSoftmax.apply(x, axis=dim)

    def sum(self, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The sum over ``dim`` (an int, a list or a tuple; every element if None)."""
        x = self if dtype is None else self.to(dtype)
        return _ops.Sum.apply(x, axis=_dims(dim), keepdims=keepdim)

    def mean(self, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The mean over ``dim`` (an int, a list or a tuple; every element if None)."""
        x = self if dtype is None else self.to(dtype)
        return _ops.Mean.apply(x, axis=_dims(dim), keepdims=keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The product over ``dim`` (one int, as in torch; every element if None)."""
        x = self if dtype is None else self.to(dtype)
        return _ops.Prod.apply(x, axis=dim, keepdims=keepdim)

    def var(self, dim: Dims = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: int | None = None) -> Tensor:
        """The variance over ``dim`` (an int, a list or a tuple; every element if None), divided by
        n - ``correction``: n - 1 by default (``unbiased``), n with ``unbiased=False``. torch's order."""
        dims = _dims(dim)
        count = self.data.size if dims is None else int(np.prod([self.shape[d] for d in np.atleast_1d(dims)]))
        correction = (1 if unbiased else 0) if correction is None else correction
        centred = self - self.mean(dims, keepdim=True)
        return (centred * centred).sum(dims, keepdim) / (count - correction)

    def std(self, dim: Dims = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: int | None = None) -> Tensor:
        """The standard deviation: the square root of ``var`` with the same arguments (torch's order)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def max(self, dim: int | Tensor | None = None, keepdim: bool = False):
        """Largest value; with ``dim``, returns ``(values, indices)`` like ``torch.max``; with a tensor,
        the elementwise ``maximum``."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return _ops.Max.apply(self, axis=None, keepdims=False)
        values = _ops.Max.apply(self, axis=dim, keepdims=keepdim)
        indices = np.argmax(self.data, axis=dim)
        return MaxResult(values, Tensor(np.expand_dims(indices, dim) if keepdim else indices))

    def min(self, dim: int | Tensor | None = None, keepdim: bool = False):
        """Smallest value; with ``dim``, returns ``(values, indices)`` like ``torch.min``; with a tensor,
        the elementwise minimum. Computed as -max(-x), so the gradient follows ``max``'s rules."""
        if isinstance(dim, Tensor):
            return -maximum(-self, -dim)
        if dim is None:
            return -(-self).max()
        values = -(-self).max(dim, keepdim).values
        indices = np.argmin(self.data, axis=dim)
        return MinResult(values, Tensor(np.expand_dims(indices, dim) if keepdim else indices))

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

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim`` to ``end_dim`` merged into one."""
        start, end = _wrap_dim(start_dim, self.ndim), _wrap_dim(end_dim, self.ndim)
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dimension of size 1 inserted at ``dim``."""
        dim = _wrap_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: Dims = None) -> Tensor:
        """Dimensions of size 1 removed: all of them, or those among ``dim`` (an int or a tuple) that have size 1."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {_wrap_dim(d, self.ndim) for d in (dim if isinstance(dim, Sequence) else (dim,))}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Dimensions ``dim0`` and ``dim1`` swapped."""
        axes = list(range(self.ndim))
        dim0, dim1 = _wrap_dim(dim0, self.ndim), _wrap_dim(dim1, self.ndim)
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return _ops.Permute.apply(self, axes=tuple(axes))

    def t(self) -> Tensor:
        """The transpose of a matrix (a tensor of at most 2 dimensions, as in torch)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def permute(self, *dims: int) -> Tensor:
        """The dimensions reordered, given as ints or one tuple (negative ones count from the end)."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: the tensor has {self.ndim} dimensions but {len(dims)} were given: {dims}")
        axes = tuple(_wrap_dim(d, self.ndim) for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"permute(): duplicate dims are not allowed: {dims}")
        return _ops.Permute.apply(self, axes=axes)

    def expand(self, *sizes: int) -> Tensor:
        """Broadcast to ``sizes`` (ints or one tuple), by torch's rules: -1 keeps a dimension's size, a
        size-1 dimension stretches, new dimensions go in front. A new array, not a view as in torch."""
        sizes = _shape(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self.ndim})")
        lead, target = len(sizes) - self.ndim, []
        for i, n in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if i < lead and n < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({n}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            if old is not None and n == -1:
                n = old
            if n < 0 or (old is not None and old not in (1, n)):
                raise RuntimeError(f"expand: the expanded size of the tensor ({n}) must match the existing size "
                                   f"({old}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                                   f"Tensor sizes: {list(self.shape)}")
            target.append(n)
        return _ops.Expand.apply(self, shape=tuple(target))

    def expand_as(self, other: Tensor) -> Tensor:
        """``expand(other.shape)``."""
        return self.expand(other.shape)

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


# --- factories (torch's names and keywords) ------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Make a tensor from array-like data (a copy, like ``torch.tensor``).

    Without ``dtype``, Python floats become float32 and NumPy arrays keep their dtype; with it, the
    data is converted once, straight to ``dtype`` (``tensor([0.1], dtype=float64)`` holds 0.1 exactly
    as float64 does, not 0.1 rounded to float32 first).
    """
    _check_device(device)
    data = unwrap(data)
    array = np.array(data, dtype=dtype) if dtype is not None else np.array(_default_dtype(data))
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares ``ndarray``'s memory (no copy) and keeps its dtype, as ``torch.from_numpy``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor(ndarray)


def _shape(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else tuple(size)


def zeros(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros; ``size`` as ints or one tuple."""
    _check_device(device)
    return Tensor(np.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones; ``size`` as ints or one tuple."""
    _check_device(device)
    return Tensor(np.ones(_shape(size), dtype=dtype), requires_grad=requires_grad)


def full(size: int | Sequence[int], fill_value: float | bool, *, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; the dtype follows the value as in torch
    (bool, int64, or float32 for a float) unless given."""
    _check_device(device)
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64 if isinstance(fill_value, int) else np.float32
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(np.full(size, unwrap(fill_value), dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype=np.float32, device=None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (ones on the diagonal; m = n by default)."""
    _check_device(device)
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype=np.float32, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (float32 by default, as in torch).

    Like torch, the first half counts up from ``start`` and the second half down from ``end``, so
    both ends are exact.
    """
    _check_device(device)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    i = np.arange(steps)
    step = (end - start) / builtins.max(steps - 1, 1)
    values = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i)) if steps > 1 else [start] * steps
    return Tensor(np.asarray(values, dtype=np.float64).astype(dtype), requires_grad=requires_grad)


def randn(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples from the package's generator (see ``manual_seed``)."""
    _check_device(device)
    return Tensor(_rng.generator().standard_normal(_shape(size)).astype(dtype), requires_grad=requires_grad)


def rand(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1) from the package's generator."""
    _check_device(device)
    return Tensor(_rng.generator().random(_shape(size)).astype(dtype), requires_grad=requires_grad)


def randint(low: int = 0, high: int | None = None, size: Sequence[int] | None = None, *, dtype=np.int64,
            device=None, requires_grad: bool = False) -> Tensor:
    """Random integers in [low, high) from the package's generator, as ``torch.randint``:
    ``randint(high, size)`` or ``randint(low, high, size)``; int64 by default."""
    _check_device(device)
    if size is None and isinstance(high, tuple | list):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() needs high and size: randint(high, size) or randint(low, high, size)")
    values = _rng.generator().integers(low, high, size=tuple(size), dtype=np.int64)
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def randperm(n: int, *, dtype=np.int64, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 from the package's generator (int64 by default)."""
    _check_device(device)
    return Tensor(_rng.generator().permutation(n).astype(dtype), requires_grad=requires_grad)


def arange(*args, dtype=None) -> Tensor:
    """``np.arange(*args)`` as a tensor; without ``dtype``, float arguments give float64 (torch: float32)."""
    return Tensor(np.arange(*args, dtype=dtype))


def zeros_like(t: Tensor) -> Tensor:
    """Zeros with the shape and dtype of ``t``."""
    return Tensor(np.zeros_like(t.data))


def ones_like(t: Tensor) -> Tensor:
    """Ones with the shape and dtype of ``t``."""
    return Tensor(np.ones_like(t.data))


# --- functions of torch.* (each calls the Tensor method of the same name) ---------------------------
def _tensor_argument(name: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


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


def exp(input: Tensor) -> Tensor:
    """e^x elementwise (``input.exp()``)."""
    return _tensor_argument("exp", input).exp()


def log(input: Tensor) -> Tensor:
    """The natural logarithm elementwise (``input.log()``)."""
    return _tensor_argument("log", input).log()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x) elementwise (``input.sigmoid()``)."""
    return _tensor_argument("sigmoid", input).sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh elementwise (``input.tanh()``)."""
    return _tensor_argument("tanh", input).tanh()


def relu(input: Tensor) -> Tensor:
    """max(x, 0) elementwise (``input.relu()``)."""
    return _tensor_argument("relu", input).relu()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """softmax along ``dim`` (``input.softmax(dim)``)."""
    return _tensor_argument("softmax", input).softmax(dim, dtype=dtype)


def sum(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over ``dim`` (an int, a list or a tuple; every element if None), as ``input.sum``."""
    return _tensor_argument("sum", input).sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean over ``dim`` (an int, a list or a tuple; every element if None), as ``input.mean``."""
    return _tensor_argument("mean", input).mean(dim, keepdim, dtype=dtype)


def max(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False):
    """``torch.max``: the largest value; ``(values, indices)`` along ``dim``; or, given a tensor as the
    second argument, the elementwise ``maximum``."""
    return _tensor_argument("max", input).max(dim, keepdim)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product ``input @ other``."""
    return _tensor_argument("matmul", input) @ other


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions ``start_dim`` to ``end_dim`` merged into one (``input.flatten``)."""
    return _tensor_argument("flatten", input).flatten(start_dim, end_dim)
