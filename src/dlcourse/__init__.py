"""dlcourse: the shared package of the course.

A small NumPy reference autograd whose API mirrors PyTorch, PyTorch counterparts that run on a
GPU where one exists, offline data loaders, the book's plots and the grading helpers.

Where a name lives, as in PyTorch and torchvision: the engine in :mod:`dlcourse.autograd` (the
factories here), layers and losses in :mod:`dlcourse.nn`, optimisers and schedules in
:mod:`dlcourse.optim`, models in :mod:`dlcourse.models`, data sets, ``DataLoader``, transforms,
text and graph helpers in :mod:`dlcourse.data`; :mod:`dlcourse.metrics`,
:mod:`dlcourse.distributions`, :mod:`dlcourse.training` (the NumPy ``fit``/``evaluate``),
:mod:`dlcourse.viz`, :mod:`dlcourse.gradcheck`; PyTorch twins in :mod:`dlcourse.torch`; the lecture's
explicit-graph framework in :mod:`dlcourse.compgraph`; exercise checks in :mod:`dlcourse.grading`
and the instructor's tools in :mod:`dlcourse.autograder` and :mod:`dlcourse.course`.
"""

__version__ = "0.1.0"

import importlib

import numpy as np

from ._rng import manual_seed
from .autograd import (
    Function, Tensor, arange, cat, exp, eye, flatten, from_numpy, full, is_grad_enabled, linspace, load, log,
    matmul, max, maximum, mean, no_grad, ones, ones_like, rand, randint, randn, randperm, relu, save,
    set_grad_enabled, sigmoid, softmax, stack, sum, tanh, tensor, where, zeros, zeros_like,
)

float32, float64, int64 = np.float32, np.float64, np.int64

# nn and optim are light (NumPy only); the rest loads on first use so that `import dlcourse`
# imports neither torch nor matplotlib.
from . import nn, optim  # noqa: E402

_LAZY = {"compgraph", "data", "distributions", "gradcheck", "grading", "metrics", "models", "torch", "training",
         "utils", "viz"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")


__all__ = [
    "Function", "Tensor", "arange", "cat", "exp", "eye", "flatten", "float32", "float64", "from_numpy", "full",
    "int64", "is_grad_enabled", "linspace", "load", "log", "manual_seed", "matmul", "max", "maximum", "mean",
    "nn", "no_grad", "ones", "ones_like", "optim", "rand", "randint", "randn", "randperm", "relu", "save",
    "set_grad_enabled", "sigmoid", "softmax", "stack", "sum", "tanh", "tensor", "where", "zeros", "zeros_like",
]
