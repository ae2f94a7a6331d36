"""Run one piece of PyTorch-style code twice, with ``torch`` and with ``dlcourse``, and compare.

An idiom is a function ``idiom(ns, run)`` written once against a namespace ``ns`` (``torch`` or
``dlcourse``: ``ns.tensor``, ``ns.nn.Linear``, ``ns.optim.Adam``, ``ns.utils.data.DataLoader``, ...).
``run`` gives it what must be the same in both runs: seeded NumPy data (``run.randn``,
``run.integers``) and the weights, through ``run.same_weights(model)``, which records the torch
model's parameters and buffers and, in the dlcourse run, copies them into the same-named tensors of
the dlcourse model (by assigning into ``.data`` from NumPy: the state-dict idioms are tested on
their own). The idiom returns a dict of what to compare: tensors, numbers, shapes, names, the names
of raised errors. :func:`compare` then asserts equal values, dtypes and shapes: rtol 1e-5 in
float32, 1e-10 in float64.
"""

from __future__ import annotations

import numpy as np

import dlcourse

# rtol, atol by dtype: float32 keeps about 7 digits; float64 results must agree to 10.
TOLERANCES = {np.dtype(np.float32): (1e-5, 1e-6), np.dtype(np.float64): (1e-10, 1e-12)}


def as_numpy(value) -> np.ndarray:
    """A torch or dlcourse tensor as a NumPy array (``.detach().numpy()``, the same call in both)."""
    return value.detach().numpy()


def is_tensor(value) -> bool:
    """True for a torch or a dlcourse tensor (anything with ``detach`` and ``numpy``)."""
    return hasattr(value, "detach") and hasattr(value, "numpy") and not isinstance(value, np.ndarray)


class Run:
    """One run of an idiom: its namespace, seeded data and the weight copy from torch to dlcourse.

    Args:
        ns: the ``torch`` module or the ``dlcourse`` package.
        weights: a list shared by the two runs of one idiom; the torch run appends the state of every
            model given to :meth:`same_weights`, the dlcourse run takes them back in the same order.
        tmp_path: a folder for files (``save``/``load``).
    """

    def __init__(self, ns, weights: list, tmp_path):
        self.ns = ns
        self.is_torch = ns.__name__ == "torch"
        self.rng = np.random.default_rng(0)
        self.tmp_path = tmp_path
        self._weights = weights
        self._taken = 0

    @property
    def models(self):
        """``dlcourse.models`` in the dlcourse run; in the torch run ``dlcourse.torch.models`` (the same files)."""
        if self.is_torch:
            import dlcourse.torch

            return dlcourse.torch.models
        import dlcourse.models

        return dlcourse.models

    def randn(self, *shape, dtype=np.float32) -> np.ndarray:
        """Standard normal NumPy data, the same in both runs."""
        return self.rng.standard_normal(shape).astype(dtype)

    def integers(self, low: int, high: int, shape) -> np.ndarray:
        """int64 NumPy data in [low, high), the same in both runs."""
        return self.rng.integers(low, high, shape).astype(np.int64)

    def same_weights(self, model):
        """Give ``model`` the torch model's weights: recorded in the torch run, copied in the dlcourse run."""
        params = {name: as_numpy(p).copy() for name, p in model.named_parameters()}
        buffers = {name: as_numpy(b).copy() for name, b in model.named_buffers()}
        if self.is_torch:
            self._weights.append((params, buffers))
            return model
        torch_params, torch_buffers = self._weights[self._taken]
        self._taken += 1
        assert sorted(params) == sorted(torch_params), (
            f"the dlcourse model's parameters are named {sorted(params)}, the torch model's {sorted(torch_params)}")
        own = dict(model.named_parameters())
        own.update((name, b) for name, b in model.named_buffers() if name in torch_buffers)
        for name, tensor in own.items():
            value = torch_params[name] if name in torch_params else torch_buffers[name]
            mine = as_numpy(tensor)
            assert mine.shape == value.shape and mine.dtype == value.dtype, (
                f"{name}: dlcourse has {mine.dtype}{mine.shape}, torch {value.dtype}{value.shape}")
            tensor.data[...] = value
        return model

    @staticmethod
    def error(fn) -> str | None:
        """The name of the exception class that ``fn()`` raises, or None."""
        try:
            fn()
        except Exception as error:  # noqa: BLE001  (the name of any error is the result compared)
            return type(error).__name__
        return None


def run_both(idiom, tmp_path) -> tuple[dict, dict]:
    """Run ``idiom`` with torch, then with dlcourse (the same seeds, data and weights); return both results."""
    import torch

    weights: list = []
    for name in ("torch", "dlcourse"):
        (tmp_path / name).mkdir(exist_ok=True)
    torch.manual_seed(0)
    dlcourse.manual_seed(0)
    torch_result = idiom(torch, Run(torch, weights, tmp_path / "torch"))
    dlcourse.manual_seed(0)
    dl_result = idiom(dlcourse, Run(dlcourse, weights, tmp_path / "dlcourse"))
    return torch_result, dl_result


def _plain(value):
    """Tensors to NumPy arrays, torch.Size and tuples to lists, recursively; other values unchanged."""
    if is_tensor(value):
        return as_numpy(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def compare(dl_value, torch_value, what: str = "result", scalar_dtype=np.float32) -> None:
    """Assert that the dlcourse result equals the torch result: same keys, shapes, dtypes and values
    (floats within :data:`TOLERANCES`; Python floats with the tolerance of ``scalar_dtype``)."""
    dl_value, torch_value = _plain(dl_value), _plain(torch_value)
    if isinstance(torch_value, dict):
        assert isinstance(dl_value, dict), f"{what}: dlcourse gives {type(dl_value).__name__}, torch a dict"
        assert sorted(dl_value) == sorted(torch_value), (
            f"{what}: keys {sorted(dl_value)} != torch's {sorted(torch_value)}")
        for key in torch_value:
            compare(dl_value[key], torch_value[key], f"{what}[{key!r}]", scalar_dtype)
        return
    if isinstance(torch_value, list):
        assert isinstance(dl_value, list), f"{what}: dlcourse gives {type(dl_value).__name__}, torch a sequence"
        assert len(dl_value) == len(torch_value), f"{what}: {len(dl_value)} items, torch has {len(torch_value)}"
        for i, (a, b) in enumerate(zip(dl_value, torch_value)):
            compare(a, b, f"{what}[{i}]", scalar_dtype)
        return
    if isinstance(torch_value, np.ndarray):
        assert isinstance(dl_value, np.ndarray), f"{what}: dlcourse gives {type(dl_value).__name__}, torch a tensor"
        assert dl_value.shape == torch_value.shape, f"{what}: shape {dl_value.shape} != torch's {torch_value.shape}"
        assert dl_value.dtype == torch_value.dtype, f"{what}: dtype {dl_value.dtype} != torch's {torch_value.dtype}"
        if np.issubdtype(torch_value.dtype, np.floating):
            rtol, atol = TOLERANCES[torch_value.dtype]
            np.testing.assert_allclose(dl_value, torch_value, rtol=rtol, atol=atol, err_msg=what)
        else:
            np.testing.assert_array_equal(dl_value, torch_value, err_msg=what)
        return
    if isinstance(torch_value, float) and not isinstance(torch_value, bool):
        assert isinstance(dl_value, int | float | np.floating) and not isinstance(dl_value, bool), (
            f"{what}: dlcourse gives {dl_value!r}, torch the number {torch_value!r}")
        rtol, atol = TOLERANCES[np.dtype(scalar_dtype)]
        np.testing.assert_allclose(dl_value, torch_value, rtol=rtol, atol=atol, err_msg=what)
        return
    assert type(dl_value) is type(torch_value) and dl_value == torch_value, (
        f"{what}: dlcourse gives {dl_value!r}, torch {torch_value!r}")
