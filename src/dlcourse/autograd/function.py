"""What every op is made of: :class:`Function`, grad mode (``no_grad``, ``set_grad_enabled``) and
:class:`IndexedGrad`.

The modules of the engine depend on each other in one direction only::

    function.py  <-  ops.py, conv_ops.py  <-  tensor.py

This module imports neither of the others. ``Function.apply`` wraps its result in a tensor of the
class bound to ``Function.tensor_class``; ``tensor.py`` binds it to ``Tensor`` right after defining
that class (the same late binding as minitorch's ``Function.apply``, which looks ``Tensor`` up in the
package instead of importing it).
"""

import contextlib
from typing import ClassVar

_grad_enabled = True
_in_place_clock = 0  # in-place ops so far: ops and changed tensors note it, to tell which came first


def tick_in_place_clock() -> int:
    """Count one more in-place op and return the new count (``Tensor``'s in-place ops call this)."""
    global _in_place_clock
    _in_place_clock += 1
    return _in_place_clock


def is_grad_enabled() -> bool:
    """True unless inside a ``no_grad()`` block."""
    return _grad_enabled


@contextlib.contextmanager
def no_grad():
    """Context manager that stops recording the graph (for evaluation and parameter updates)."""
    global _grad_enabled  # grad mode is process-wide, as in PyTorch
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


class set_grad_enabled:  # noqa: N801 (torch's name)
    """Turn graph recording on or off, as ``torch.set_grad_enabled(mode)``.

    Called on its own it switches grad mode at once (``set_grad_enabled(False)`` is a global
    ``no_grad``); used in a ``with`` statement it also restores the previous mode at the end of the
    block: ``with dlcourse.set_grad_enabled(training): loss = ...``.
    """

    def __init__(self, mode: bool):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info) -> None:
        global _grad_enabled
        _grad_enabled = self.previous


#: torch's message for a second backward pass through a graph whose saved arrays were freed.
FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward(). "
    "Specify retain_graph=True if you need to backward through the graph a second time or if you need to "
    "access saved tensors after calling backward."
)


class Function:
    """Base class of every primitive op: ``forward`` and ``backward`` side by side.

    Subclasses define ``forward(ctx, *arrays, **constants)`` returning a NumPy array and
    ``backward(ctx, grad)`` returning one gradient array (or ``None``) per tensor input.
    Positional arguments of :meth:`apply` are the differentiable inputs (tensors); keyword
    arguments are constants (shapes, axes, integer targets). ``ctx.needs_input_grad[i]`` tells
    ``backward`` whether input i wants a gradient, so expensive ones can be skipped.

    As in PyTorch, a backward pass frees what ``save_for_backward`` kept (unless it is called with
    ``retain_graph=True``); reading ``ctx.saved_tensors`` afterwards raises torch's error.
    """

    tensor_class: ClassVar[type]  # Tensor, bound by tensor.py, which imports this module

    def __init__(self):
        self.inputs: tuple = ()  # the input tensors, recorded by apply
        self.needs_input_grad: tuple[bool, ...] = ()
        self.recorded_at = 0  # the in-place clock when apply recorded the op (see tick_in_place_clock)
        self._saved: tuple | None = ()  # None once a backward pass has freed it

    def save_for_backward(self, *arrays):
        """Keep arrays for ``backward`` (read back as ``ctx.saved_tensors``)."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The arrays given to ``save_for_backward``; an error once a backward pass has freed them."""
        if self._saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        return self._saved

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """The op's output array from its input arrays; store on ``ctx`` whatever ``backward`` needs."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        """Given g = dL/d(output), return dL/d(input) for each tensor input (a tuple if several).

        Each gradient may be shaped like the (broadcast) output: the engine sums broadcast axes away.
        Return None for an input whose ``ctx.needs_input_grad`` is False to skip its computation.
        """
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **constants):
        """Run ``forward`` on the inputs' arrays; return a Tensor that records the graph if a gradient is needed."""
        tensor = Function.tensor_class
        inputs = tuple(x if isinstance(x, tensor) else tensor(x) for x in inputs)
        ctx = cls()
        ctx.needs_input_grad = tuple(x.requires_grad for x in inputs)
        out = tensor(cls.forward(ctx, *(x.data for x in inputs), **constants))
        if _grad_enabled and any(x.requires_grad for x in inputs):
            out.requires_grad = True
            ctx.inputs = inputs
            ctx.recorded_at = _in_place_clock
            out._ctx = ctx
        return out


class IndexedGrad:
    """A gradient that is zero except at ``index`` (returned by indexing ops): the engine adds
    ``values`` there in place instead of materialising a mostly-zero array per slice."""

    __slots__ = ("index", "values")

    def __init__(self, index, values):
        self.index, self.values = index, values
