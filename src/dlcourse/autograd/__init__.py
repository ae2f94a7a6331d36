"""Automatic differentiation: the Tensor engine and a scalar ``Value`` engine. (The lecture's
explicit computation-graph style is :mod:`dlcourse.compgraph`.)

Modules, each depending only on those before it:

* ``function`` -- ``Function`` (the base of every op), grad mode (``no_grad``, ``set_grad_enabled``),
  ``IndexedGrad``;
* ``ops``, ``conv_ops`` -- the primitive ops, forward and backward side by side;
* ``tensor`` -- ``Tensor``, its backward pass, the factories (``zeros``, ``full``, ``cat``, ...) and
  the functions of ``torch.*`` (``exp``, ``sum``, ``matmul``, ...);
* ``serialization`` -- ``save`` and ``load``;
* ``scalar`` -- the micrograd-size ``Value`` engine of chapter 03.
"""

from .function import Function, is_grad_enabled, no_grad, set_grad_enabled
from .scalar import Value
from .serialization import load, save
from .tensor import (
    Tensor, arange, cat, exp, eye, flatten, from_numpy, full, linspace, log, matmul, max, maximum, mean, ones,
    ones_like, rand, randint, randn, randperm, relu, sigmoid, softmax, stack, sum, tanh, tensor, where, zeros,
    zeros_like,
)

__all__ = [
    "Function", "Tensor", "Value", "arange", "cat", "exp", "eye", "flatten", "from_numpy", "full",
    "is_grad_enabled", "linspace", "load", "log", "matmul", "max", "maximum", "mean", "no_grad", "ones",
    "ones_like", "rand", "randint", "randn", "randperm", "relu", "save", "set_grad_enabled", "sigmoid",
    "softmax", "stack", "sum", "tanh", "tensor", "where", "zeros", "zeros_like",
]
