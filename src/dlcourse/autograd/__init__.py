"""Automatic differentiation: the Tensor engine, a scalar ``Value`` engine and the lecture's
explicit computation-graph style (``dlcourse.autograd.graph``)."""

from .scalar import Value
from .tensor import (
    Function, Tensor, arange, cat, is_grad_enabled, maximum, no_grad, ones, ones_like, rand, randn,
    stack, tensor, where, zeros, zeros_like,
)

__all__ = [
    "Function", "Tensor", "Value", "arange", "cat", "is_grad_enabled", "maximum", "no_grad", "ones",
    "ones_like", "rand", "randn", "stack", "tensor", "where", "zeros", "zeros_like",
]
