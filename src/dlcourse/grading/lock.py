"""Lock reference implementations while a student's code runs.

A hidden test of "implement softmax" calls the student's function inside ``forbid(...)``; any call
to a listed library function (``torch.softmax``, ``scipy.special.softmax``, the course's own
``dlcourse.nn.functional.softmax``, ...) then raises :class:`ReferenceLockedError` with a message
that says which function is off limits, instead of quietly earning points.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys


class ReferenceLockedError(RuntimeError):
    """Raised when an exercise calls a library function it was asked to implement itself."""


def _resolve(target: str):
    """Split ``"package.module.attr"`` into (owner object, attribute name), importing as needed.

    Returns None when the package is not installed: what cannot be imported cannot be called.
    """
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:-1]:
            owner = getattr(owner, attribute, None)
            if owner is None:
                return None
        if hasattr(owner, parts[-1]):
            return owner, parts[-1]
        return None
    return None


@contextlib.contextmanager
def forbid(*targets: str):
    """Within the block, calling any of ``targets`` raises :class:`ReferenceLockedError`.

    Names the student's notebook imported directly (``from scipy.special import softmax``) are
    locked as well.

    Args:
        targets: dotted names such as ``"numpy.linalg.lstsq"`` or ``"torch.nn.functional.softmax"``.
            Names whose package is not installed are skipped.
    """
    patched = []
    try:
        for target in targets:
            found = _resolve(target)
            if found is None:
                continue
            owner, attribute = found
            original = getattr(owner, attribute)

            def locked(*args, _target=target, **kwargs):
                raise ReferenceLockedError(
                    f"{_target} is locked in this exercise: implement this part yourself "
                    "with NumPy operations instead of calling a library's version"
                )

            if callable(original):
                locked = functools.wraps(original)(locked)
            setattr(owner, attribute, locked)
            patched.append((owner, attribute, original))
            # A notebook that did `from torch import softmax` holds its own reference: lock it too.
            namespace = getattr(sys.modules.get("__main__"), "__dict__", {})
            for name, value in list(namespace.items()):
                if value is original:
                    namespace[name] = locked
                    patched.append((namespace, name, original))
        yield
    finally:
        for owner, attribute, original in reversed(patched):
            if isinstance(owner, dict):
                owner[attribute] = original
            else:
                setattr(owner, attribute, original)
