"""The package's own random number generator, seeded by :func:`dlcourse.manual_seed`.

Weight initialisation, dropout masks, ``randn``/``rand`` and DataLoader shuffles all draw from
this one NumPy ``Generator``, so one call to ``manual_seed`` makes a whole run reproducible.
"""

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the package's generator (like ``torch.manual_seed``) and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The generator currently in use (call this each time: ``manual_seed`` replaces it)."""
    return _generator
