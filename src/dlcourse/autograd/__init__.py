"""Automatic differentiation: the Tensor engine and a scalar ``Value`` engine. (The lecture's
explicit computation-graph style is :mod:`dlcourse.compgraph`.)

Modules, each depending only on those before it:

* ``function`` -- ``Function`` (the base of every op), grad mode (``no_grad``), ``IndexedGrad``;
* ``ops``, ``conv_ops`` -- the primitive ops, forward and backward side by side;
* ``tensor`` -- ``Tensor``, its backward pass and the factory functions (``zeros``, ``cat``, ...);
* ``scalar`` -- the micrograd-size ``Value`` engine of chapter 03.
"""

from .function import Function, is_grad_enabled, no_grad
from .scalar import Value
from .tensor import (
    Tensor, arange, cat, maximum, ones, ones_like, rand, randn, stack, tensor, where, zeros, zeros_like,
)

__all__ = [
    "Function", "Tensor", "Value", "arange", "cat", "is_grad_enabled", "maximum", "no_grad", "ones",
    "ones_like", "rand", "randn", "stack", "tensor", "where", "zeros", "zeros_like",
]
