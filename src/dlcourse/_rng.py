"""The package's own random number generator, seeded by :func:`dlcourse.manual_seed`.

Weight initialisation, dropout masks, ``randn``/``rand`` and DataLoader shuffles all draw from
this one NumPy ``Generator``; ``manual_seed`` also seeds Python's ``random`` and, once imported,
PyTorch, so one call makes a whole run reproducible.
"""

import random
import sys

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every generator a lesson draws from, and return the package's (a NumPy ``Generator``).

    One call makes a run reproducible: the package's generator (weights, dropout masks,
    ``randn``/``rand``, DataLoader shuffles), Python's ``random``, and PyTorch's generators when
    torch is already imported (``torch.manual_seed`` seeds the CPU and every GPU). Draw a lesson's
    own data from the returned generator: ``rng = dlcourse.manual_seed(0)``.
    """
    global _generator
    _generator = np.random.default_rng(seed)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
    return _generator


def generator() -> np.random.Generator:
    """The generator currently in use (call this each time: ``manual_seed`` replaces it)."""
    return _generator
