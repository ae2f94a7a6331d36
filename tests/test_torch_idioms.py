"""A student moves from ``dlcourse`` to ``torch`` by changing the imports: checked idiom by idiom.

Every idiom below is written once, against a namespace ``ns`` that is ``torch`` in one run and
``dlcourse`` in the other (``ns.tensor``, ``ns.nn.Linear``, ``ns.optim.Adam``,
``ns.nn.functional``, ``ns.utils.data.DataLoader``, ...). Both runs get the same data and, through
``run.same_weights``, the same weights (the torch model's, copied into the dlcourse one), and must
return the same values: outputs, losses, gradients, and parameters after a few optimiser steps
(rtol 1e-5 in float32, 1e-10 in float64; the harness is in ``tests/idioms.py``). Where a value is
random by nature (``randint``, ``randperm``, a shuffled loader) the idiom returns its properties
instead (shape, dtype, range, being a permutation), and those must agree.

The worked example first: a ``Linear`` layer, its output and its gradients, the same in both.
Then, one test per idiom, named by its area and the line a torch user writes:

* ``autograd``: the top-level functions, the ``Tensor`` methods, ``backward`` and grad mode;
* ``nn``: layers, ``nn.functional`` and ``nn.utils``;
* ``module``: ``Module``, containers, optimisers and schedules, ``utils.data``, saving;
* ``training``: short training loops (a few optimiser steps, then losses and parameters);
* ``state dict``: ``torch_model.load_state_dict(dl_model.state_dict())`` and the reverse;
* ``lesson``: the lesson cells whose prose says that changing the imports gives the same numbers
  (their model and step, extracted; the notebooks are not executed).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import dlcourse
from idioms import Run, as_numpy, compare, run_both

torch = pytest.importorskip("torch")

IDIOMS: list = []


def idiom(area: str, line: str, scalar_dtype=np.float32):
    """Register ``fn(ns, run)`` as the idiom ``line`` of ``area``; Python floats it returns are
    compared with the tolerance of ``scalar_dtype``."""
    def register(fn):
        IDIOMS.append(pytest.param(fn, scalar_dtype, id=f"{area}: {line}"))
        return fn
    return register


# --- helpers the idioms share (written against ns, like the idioms) ---------------------------------
def leaf(ns, run, *shape, positive=False):
    """A float64 leaf tensor that requires grad, from the run's data."""
    values = run.randn(*shape, dtype=np.float64)
    return ns.tensor(np.abs(values) + 0.5 if positive else values, requires_grad=True)


def backprop(ns, run, output) -> None:
    """Back-propagate a random upstream gradient (the same in both runs): (output * g).sum().backward()."""
    upstream = run.randn(*tuple(output.shape), dtype=as_numpy(output).dtype)
    (output * ns.tensor(upstream)).sum().backward()


def grads_of(model) -> dict:
    """Every parameter's gradient, by name."""
    return {f"{name}.grad": p.grad for name, p in model.named_parameters()}


def params_of(model) -> dict:
    """Every parameter's value, by name."""
    return dict(model.named_parameters())


def module_result(ns, run, model, *inputs) -> dict:
    """Output, input gradients and parameter gradients of ``model`` on the given leaf inputs."""
    output = model(*inputs)
    backprop(ns, run, output)
    result = {"output": output, **grads_of(model)}
    result.update((f"input {i} grad", x.grad) for i, x in enumerate(inputs))
    return result


# --- the worked example --------------------------------------------------------------------------------
def test_a_linear_layer_gives_the_same_output_and_gradients_in_both_engines(tmp_path):
    def linear_step(ns, run):
        layer = run.same_weights(ns.nn.Linear(3, 2))
        x = ns.tensor([[1.0, 2.0, 3.0]])
        loss = (layer(x) ** 2).sum()
        loss.backward()
        return {"loss": loss, "weight.grad": layer.weight.grad, "bias.grad": layer.bias.grad}

    torch_result, dl_result = run_both(linear_step, tmp_path)
    compare(dl_result, torch_result)
    assert set(torch_result) == {"loss", "weight.grad", "bias.grad"}


# =============================================================================================================
# autograd: top-level functions, Tensor methods, backward, grad mode
# =============================================================================================================
@idiom("autograd", "torch.exp(x)", np.float64)
def _exp(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.exp(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.log(x)", np.float64)
def _log(ns, run):
    x = leaf(ns, run, 3, 4, positive=True)
    y = ns.log(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.sum(x), torch.sum(x, dim=1)", np.float64)
def _sum(ns, run):
    x = leaf(ns, run, 3, 4)
    total, rows = ns.sum(x), ns.sum(x, dim=1)
    backprop(ns, run, rows)
    total.backward()
    return {"sum": total, "sum dim=1": rows, "x.grad": x.grad}


@idiom("autograd", "torch.mean(x), torch.mean(x, dim=0)", np.float64)
def _mean(ns, run):
    x = leaf(ns, run, 3, 4)
    total, columns = ns.mean(x), ns.mean(x, dim=0)
    backprop(ns, run, columns)
    total.backward()
    return {"mean": total, "mean dim=0": columns, "x.grad": x.grad}


@idiom("autograd", "torch.max(x)", np.float64)
def _max(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.max(x)
    y.backward()
    return {"max": y, "x.grad": x.grad}


@idiom("autograd", "torch.max(x, dim=1)", np.float64)
def _max_dim(ns, run):
    x = leaf(ns, run, 3, 4)
    values, indices = ns.max(x, dim=1)
    backprop(ns, run, values)
    return {"values": values, "indices": indices, "x.grad": x.grad}


@idiom("autograd", "torch.matmul(a, b)", np.float64)
def _matmul(ns, run):
    a, b = leaf(ns, run, 2, 3, 4), leaf(ns, run, 4, 5)
    y = ns.matmul(a, b)
    backprop(ns, run, y)
    return {"y": y, "a.grad": a.grad, "b.grad": b.grad}


@idiom("autograd", "torch.sigmoid(x)", np.float64)
def _sigmoid(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.sigmoid(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.tanh(x)", np.float64)
def _tanh(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.tanh(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.relu(x)", np.float64)
def _relu(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.relu(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.softmax(x, dim=1)", np.float64)
def _softmax(ns, run):
    x = leaf(ns, run, 3, 4)
    y = ns.softmax(x, dim=1)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.flatten(x, 1)", np.float64)
def _flatten(ns, run):
    x = leaf(ns, run, 2, 3, 4)
    y = ns.flatten(x, 1)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.full((2, 3), 7.0)")
def _full(ns, run):
    return {"float fill": ns.full((2, 3), 7.0), "int fill": ns.full((2, 3), 7)}


@idiom("autograd", "torch.eye(3)")
def _eye(ns, run):
    return {"eye(3)": ns.eye(3), "eye(2, 3)": ns.eye(2, 3)}


@idiom("autograd", "torch.linspace(0, 1, 5)")
def _linspace(ns, run):
    return {"linspace": ns.linspace(0, 1, 5), "negative": ns.linspace(-2.0, 2.0, steps=9)}


@idiom("autograd", "torch.randint(0, 10, (3, 4))")
def _randint(ns, run):
    values = as_numpy(ns.randint(0, 10, (3, 4)))
    return {"shape": list(values.shape), "dtype": values.dtype.name,
            "in [0, 10)": bool(values.min() >= 0 and values.max() < 10)}


@idiom("autograd", "torch.randperm(10)")
def _randperm(ns, run):
    values = as_numpy(ns.randperm(10))
    return {"shape": list(values.shape), "dtype": values.dtype.name,
            "a permutation": bool(np.array_equal(np.sort(values), np.arange(10)))}


@idiom("autograd", "torch.from_numpy(array)", np.float64)
def _from_numpy(ns, run):
    array = run.randn(2, 3, dtype=np.float64)
    t = ns.from_numpy(array)
    array[0, 0] = 5.0                                     # the tensor shares the array's memory
    return {"tensor": t, "shares memory": float(t[0, 0]) == 5.0}


@idiom("autograd", "torch.save(obj, path); torch.load(path)")
def _save_load(ns, run):
    path = run.tmp_path / "checkpoint.pt"
    ns.save({"weights": ns.tensor(run.randn(2, 3)), "step": 3}, path)
    loaded = ns.load(path)
    return {"weights": loaded["weights"], "step": loaded["step"]}


@idiom("autograd", "with torch.set_grad_enabled(False):")
def _set_grad_enabled(ns, run):
    x = ns.tensor(run.randn(3), requires_grad=True)
    with ns.set_grad_enabled(False):
        off = x * 2
    with ns.set_grad_enabled(True):
        on = x * 2
    return {"off.requires_grad": off.requires_grad, "on.requires_grad": on.requires_grad}


@idiom("autograd", "x.matmul(w)", np.float64)
def _tensor_matmul(ns, run):
    x, w = leaf(ns, run, 4, 3), leaf(ns, run, 3, 2)
    y = x.matmul(w)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad, "w.grad": w.grad}


@idiom("autograd", "x.t()", np.float64)
def _t(ns, run):
    x = leaf(ns, run, 4, 3)
    y = x.t()
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.pow(2), x.pow(0.5)", np.float64)
def _pow(ns, run):
    x = leaf(ns, run, 3, 4, positive=True)
    square, root = x.pow(2), x.pow(0.5)
    backprop(ns, run, square + root)
    return {"pow(2)": square, "pow(0.5)": root, "x.grad": x.grad}


@idiom("autograd", "x.min()", np.float64)
def _tensor_min(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.min()
    y.backward()
    return {"min": y, "x.grad": x.grad}


@idiom("autograd", "x.min(dim=0)", np.float64)
def _tensor_min_dim(ns, run):
    x = leaf(ns, run, 3, 4)
    values, indices = x.min(dim=0)
    backprop(ns, run, values)
    return {"values": values, "indices": indices, "x.grad": x.grad}


@idiom("autograd", "x.std(), x.std(dim=1, keepdim=True)", np.float64)
def _std(ns, run):
    x = leaf(ns, run, 3, 4)
    total, rows = x.std(), x.std(dim=1, keepdim=True)
    backprop(ns, run, rows)
    total.backward()
    return {"std": total, "std dim=1": rows, "x.grad": x.grad}


@idiom("autograd", "x.softmax(dim=-1)", np.float64)
def _tensor_softmax(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.softmax(dim=-1)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.log_softmax(dim=-1)", np.float64)
def _tensor_log_softmax(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.log_softmax(dim=-1)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.clone()", np.float64)
def _clone(ns, run):
    x = leaf(ns, run, 2, 3)
    y = x.clone()
    backprop(ns, run, y * 3)
    data = ns.tensor(run.randn(2, 3, dtype=np.float64))
    copy = data.clone()
    copy[0, 0] = 100.0                                    # the clone does not share memory
    return {"y": y, "x.grad": x.grad, "original after writing the clone": data}


@idiom("autograd", "x.contiguous()", np.float64)
def _contiguous(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.transpose(0, 1).contiguous()
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.cpu()", np.float64)
def _cpu(ns, run):
    x = leaf(ns, run, 3, 4)
    y = (x * 2).cpu()
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.zero_()")
def _zero_(ns, run):
    x = ns.tensor(run.randn(2, 3))
    returned = x.zero_()
    return {"x": x, "returns x": returned is x}


@idiom("autograd", "w.grad.zero_()")
def _grad_zero_(ns, run):
    w = ns.tensor(run.randn(3), requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    (w * 3).sum().backward()                              # accumulates onto the zeroed gradient
    return {"w.grad": w.grad}


@idiom("autograd", "x.masked_fill(x < 0, 0.0)", np.float64)
def _masked_fill(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.masked_fill(x < 0, 0.0)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "scores.masked_fill(mask, float('-inf')).softmax(-1)", np.float64)
def _masked_fill_attention(ns, run):
    scores = leaf(ns, run, 4, 4)
    mask = ns.tensor(np.triu(np.ones((4, 4), dtype=bool), 1))
    y = scores.masked_fill(mask, float("-inf")).softmax(-1)
    backprop(ns, run, y)
    return {"y": y, "scores.grad": scores.grad}


@idiom("autograd", "x.prod(), x.prod(dim=1)", np.float64)
def _prod(ns, run):
    x = leaf(ns, run, 3, 4)
    total, rows = x.prod(), x.prod(dim=1)
    backprop(ns, run, rows)
    total.backward()
    return {"prod": total, "prod dim=1": rows, "x.grad": x.grad}


@idiom("autograd", "x.sign()", np.float64)
def _sign(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.sign()
    (y * x).sum().backward()                              # d(sign(x) x)/dx = sign(x): sign passes no gradient
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.sum(dim=[0, 1])", np.float64)
def _sum_dims(ns, run):
    x = leaf(ns, run, 2, 3, 4)
    y = x.sum(dim=[0, 1])
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.mean(dim=(0, 2), keepdim=True)", np.float64)
def _mean_dims(ns, run):
    x = leaf(ns, run, 2, 3, 4)
    y = x.mean(dim=(0, 2), keepdim=True)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "loss.backward(retain_graph=True); loss.backward()", np.float64)
def _retain_graph(ns, run):
    x = leaf(ns, run, 3)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    first = as_numpy(x.grad).copy()
    loss.backward()                                       # the graph was kept: the gradients add up
    return {"after one": first, "after two": x.grad}


@idiom("autograd", "a second loss.backward() without retain_graph raises")
def _second_backward_raises(ns, run):
    x = ns.tensor(run.randn(3), requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    return {"error": Run.error(loss.backward)}


@idiom("autograd", "with torch.no_grad(): w -= lr * w.grad", np.float64)
def _in_place_update(ns, run):
    w = leaf(ns, run, 3)
    original = w
    for _ in range(2):
        ((w * 2 - 1) ** 2).sum().backward()
        with ns.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    return {"w": w, "the same tensor": w is original, "w.requires_grad": w.requires_grad, "w.is_leaf": w.is_leaf}


@idiom("autograd", "torch.tensor([0.1], dtype=torch.float64).item()", np.float64)
def _float64_literal(ns, run):
    x = ns.tensor([0.1], dtype=ns.float64)
    return {"item": x.item(), "tensor": x}


@idiom("autograd", "((a + b) ** 2).sum().backward(); clip_grad_norm_([a, b], 1.0)", np.float64)
def _shared_gradient(ns, run):
    a, b = leaf(ns, run, 3), leaf(ns, run, 3)
    ((a + b) ** 2).sum().backward()
    norm = ns.nn.utils.clip_grad_norm_([a, b], 1.0)
    return {"norm": norm, "a.grad": a.grad, "b.grad": b.grad}


@idiom("autograd", "x.permute(-1, 0, 1)", np.float64)
def _permute_negative(ns, run):
    x = leaf(ns, run, 2, 3, 4)
    y = x.permute(-1, 0, 1)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "torch.ones(3, 1).squeeze(-1)")
def _squeeze_negative(ns, run):
    return {"y": ns.ones(3, 1).squeeze(-1)}


@idiom("autograd", "torch.ones(3, 1).expand(-1, 4)")
def _expand_minus_one(ns, run):
    return {"y": ns.ones(3, 1).expand(-1, 4)}


@idiom("autograd", "torch.tensor([-2.]) ** torch.tensor([2.]); (-2.0) ** torch.tensor([3.])", np.float64)
def _negative_base(ns, run):
    base = ns.tensor([-2.0], dtype=ns.float64, requires_grad=True)
    square = base ** ns.tensor([2.0], dtype=ns.float64)
    square.sum().backward()
    cube = (-2.0) ** ns.tensor([3.0], dtype=ns.float64)
    return {"(-2) ** 2": square, "base.grad": base.grad, "(-2.0) ** 3": cube}


@idiom("autograd", "torch.cat, torch.stack, torch.where", np.float64)
def _cat_stack_where(ns, run):
    a, b = leaf(ns, run, 2, 3), leaf(ns, run, 2, 3)
    joined = ns.cat([a, b], dim=1)
    stacked = ns.stack([a, b], dim=0)
    chosen = ns.where(a > b, a, b)
    backprop(ns, run, joined)
    backprop(ns, run, stacked)
    backprop(ns, run, chosen)
    return {"cat": joined, "stack": stacked, "where": chosen, "a.grad": a.grad, "b.grad": b.grad}


@idiom("autograd", "x.reshape, x.transpose, x.unsqueeze, x[1:, ::2]", np.float64)
def _shapes(ns, run):
    x = leaf(ns, run, 3, 4)
    y = x.reshape(2, 6).transpose(0, 1).unsqueeze(0)[:, 1:, ::2]
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("autograd", "x.argmax(dim=1), x.item(), x.tolist(), x.shape, x.size(0)")
def _basic_queries(ns, run):
    x = ns.tensor(run.randn(3, 4))
    return {"argmax": x.argmax(dim=1), "item": x[0, 0].item(), "tolist": x.tolist(),
            "shape": list(x.shape), "size(0)": x.size(0), "dim": x.dim(), "numel": x.numel()}


# =============================================================================================================
# nn: layers, functional, utils
# =============================================================================================================
@idiom("nn", "nn.Linear(4, 3)", np.float64)
def _linear(ns, run):
    model = run.same_weights(ns.nn.Linear(4, 3).double())
    return module_result(ns, run, model, leaf(ns, run, 5, 4))


@idiom("nn", "nn.GELU()", np.float64)
def _gelu_layer(ns, run):
    x = leaf(ns, run, 3, 5)
    y = ns.nn.GELU()(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "nn.GELU(approximate='tanh')", np.float64)
def _gelu_layer_tanh(ns, run):
    x = leaf(ns, run, 3, 5)
    y = ns.nn.GELU(approximate="tanh")(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "F.gelu(x)", np.float64)
def _gelu(ns, run):
    x = leaf(ns, run, 3, 5)
    y = ns.nn.functional.gelu(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "F.gelu(x, approximate='tanh')", np.float64)
def _gelu_tanh(ns, run):
    x = leaf(ns, run, 3, 5)
    y = ns.nn.functional.gelu(x, approximate="tanh")
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "F.layer_norm(x, (5,), weight, bias)", np.float64)
def _layer_norm_functional(ns, run):
    x, weight, bias = leaf(ns, run, 2, 3, 5), leaf(ns, run, 5), leaf(ns, run, 5)
    y = ns.nn.functional.layer_norm(x, (5,), weight, bias)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad, "weight.grad": weight.grad, "bias.grad": bias.grad}


@idiom("nn", "nn.LayerNorm(5)", np.float64)
def _layer_norm(ns, run):
    model = run.same_weights(ns.nn.LayerNorm(5).double())
    return module_result(ns, run, model, leaf(ns, run, 2, 3, 5))


@idiom("nn", "nn.BatchNorm1d(4) in training mode", np.float64)
def _batch_norm_1d(ns, run):
    model = run.same_weights(ns.nn.BatchNorm1d(4).double())
    result = module_result(ns, run, model, leaf(ns, run, 6, 4))
    return {**result, "running_mean": model.running_mean, "running_var": model.running_var}


@idiom("nn", "nn.Conv1d(3, 4, 3, padding=1)", np.float64)
def _conv1d(ns, run):
    model = run.same_weights(ns.nn.Conv1d(3, 4, 3, padding=1).double())
    return module_result(ns, run, model, leaf(ns, run, 2, 3, 10))


@idiom("nn", "nn.AdaptiveAvgPool2d((1, 1))", np.float64)
def _adaptive_avg_pool_global(ns, run):
    x = leaf(ns, run, 2, 3, 6, 6)
    y = ns.nn.AdaptiveAvgPool2d((1, 1))(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "nn.AdaptiveAvgPool2d((2, 3)) of a 5 x 7 input", np.float64)
def _adaptive_avg_pool_uneven(ns, run):
    x = leaf(ns, run, 1, 2, 5, 7)
    y = ns.nn.AdaptiveAvgPool2d((2, 3))(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "nn.TransformerEncoder(layer, num_layers=2)", np.float64)
def _transformer_encoder(ns, run):
    layer = ns.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
    model = run.same_weights(ns.nn.TransformerEncoder(layer, num_layers=2).double())
    return module_result(ns, run, model, leaf(ns, run, 2, 5, 16))


@idiom("nn", "nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=True)", np.float64)
def _transformer_encoder_layer(ns, run):
    layer = ns.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=True)
    model = run.same_weights(layer.double())
    return module_result(ns, run, model, leaf(ns, run, 2, 5, 16))


@idiom("nn", "nn.MultiheadAttention(16, 4, batch_first=True)(x, x, x, attn_mask=mask)", np.float64)
def _multihead_attention(ns, run):
    model = run.same_weights(ns.nn.MultiheadAttention(16, 4, batch_first=True).double())
    x = leaf(ns, run, 2, 5, 16)
    mask = ns.tensor(np.triu(np.ones((5, 5), dtype=bool), 1))
    output, weights = model(x, x, x, attn_mask=mask)
    backprop(ns, run, output)
    return {"output": output, "weights": weights, "x.grad": x.grad, **grads_of(model)}


@idiom("nn", "nn.Sequential(nn.Linear(4, 3), nn.ReLU(inplace=True))", np.float64)
def _relu_inplace(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(4, 3), ns.nn.ReLU(inplace=True)).double())
    return module_result(ns, run, model, leaf(ns, run, 5, 4))


@idiom("nn", "nn.LeakyReLU(0.2, inplace=True)", np.float64)
def _leaky_relu_inplace(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(4, 3), ns.nn.LeakyReLU(0.2, inplace=True)).double())
    return module_result(ns, run, model, leaf(ns, run, 5, 4))


@idiom("nn", "nn.Conv2d(4, 6, 3, groups=2)", np.float64)
def _conv2d_groups(ns, run):
    model = run.same_weights(ns.nn.Conv2d(4, 6, 3, groups=2).double())
    return module_result(ns, run, model, leaf(ns, run, 2, 4, 6, 6))


@idiom("nn", "nn.MaxPool2d(2, ceil_mode=True)", np.float64)
def _max_pool_ceil(ns, run):
    x = leaf(ns, run, 1, 2, 5, 5)
    y = ns.nn.MaxPool2d(2, ceil_mode=True)(x)
    backprop(ns, run, y)
    return {"y": y, "x.grad": x.grad}


@idiom("nn", "nn.Embedding(10, 4, padding_idx=0)")
def _embedding_padding(ns, run):
    model = ns.nn.Embedding(10, 4, padding_idx=0)
    padding_row_at_init = as_numpy(model.weight)[0].copy()
    run.same_weights(model)
    ids = ns.tensor(np.array([[0, 3, 5], [5, 0, 9]]))
    y = model(ids)
    backprop(ns, run, y)
    return {"padding row at init": padding_row_at_init, "y": y, "weight.grad": model.weight.grad}


@idiom("nn", "nn.CrossEntropyLoss(label_smoothing=0.1)", np.float64)
def _cross_entropy_smoothing(ns, run):
    logits = leaf(ns, run, 5, 4)
    loss = ns.nn.CrossEntropyLoss(label_smoothing=0.1)(logits, ns.tensor(run.integers(0, 4, 5)))
    loss.backward()
    return {"loss": loss, "logits.grad": logits.grad}


@idiom("nn", "F.cross_entropy(logits, y, label_smoothing=0.2)", np.float64)
def _cross_entropy_smoothing_functional(ns, run):
    logits = leaf(ns, run, 5, 4)
    loss = ns.nn.functional.cross_entropy(logits, ns.tensor(run.integers(0, 4, 5)), label_smoothing=0.2)
    loss.backward()
    return {"loss": loss, "logits.grad": logits.grad}


@idiom("nn", "nn.Conv2d(3, 4, 3, padding='same')", np.float64)
def _conv2d_same(ns, run):
    model = run.same_weights(ns.nn.Conv2d(3, 4, 3, padding="same").double())
    return module_result(ns, run, model, leaf(ns, run, 2, 3, 7, 7))


@idiom("nn", "nn.Conv2d(2, 3, 4, padding='same', dilation=2)", np.float64)
def _conv2d_same_even(ns, run):
    model = run.same_weights(ns.nn.Conv2d(2, 3, 4, padding="same", dilation=2).double())
    return module_result(ns, run, model, leaf(ns, run, 1, 2, 9, 9))


@idiom("nn", "nn.LSTM(5, 8, 1, True, True)", np.float64)
def _lstm_positional(ns, run):
    model = run.same_weights(ns.nn.LSTM(5, 8, 1, True, True).double())   # bias=True, batch_first=True
    x = leaf(ns, run, 2, 7, 5)
    output, (h, c) = model(x)
    backprop(ns, run, output)
    return {"output": output, "h_n": h, "c_n": c, "x.grad": x.grad, **grads_of(model)}


@idiom("nn", "nn.GRU(4, 6, batch_first=True)", np.float64)
def _gru(ns, run):
    model = run.same_weights(ns.nn.GRU(4, 6, batch_first=True).double())
    x = leaf(ns, run, 2, 5, 4)
    output, h = model(x)
    backprop(ns, run, output)
    return {"output": output, "h_n": h, "x.grad": x.grad, **grads_of(model)}


@idiom("nn", "nn.LSTMCell(3, 4) on an unbatched input, then clip_grad_norm_", np.float64)
def _lstm_cell_unbatched(ns, run):
    cell = run.same_weights(ns.nn.LSTMCell(3, 4).double())
    h, c = cell(leaf(ns, run, 3))
    (h.sum() + c.sum()).backward()
    norm = ns.nn.utils.clip_grad_norm_(cell.parameters(), 0.1)
    return {"h": h, "c": c, "norm": norm, **grads_of(cell)}


@idiom("nn", "F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None)",
       np.float64)
def _sdpa(ns, run):
    q, k, v = leaf(ns, run, 2, 3, 5, 4), leaf(ns, run, 2, 3, 6, 4), leaf(ns, run, 2, 3, 6, 4)
    y = ns.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False,
                                                      scale=None)
    backprop(ns, run, y)
    return {"y": y, "q.grad": q.grad, "k.grad": k.grad, "v.grad": v.grad}


@idiom("nn", "F.scaled_dot_product_attention(q, k, v, is_causal=True)", np.float64)
def _sdpa_causal(ns, run):
    q, k, v = leaf(ns, run, 2, 5, 4), leaf(ns, run, 2, 5, 4), leaf(ns, run, 2, 5, 4)
    y = ns.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    backprop(ns, run, y)
    return {"y": y, "q.grad": q.grad, "k.grad": k.grad, "v.grad": v.grad}


@idiom("nn", "F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=0.5)", np.float64)
def _sdpa_mask(ns, run):
    q, k, v = leaf(ns, run, 2, 5, 4), leaf(ns, run, 2, 5, 4), leaf(ns, run, 2, 5, 4)
    allowed = ns.tensor(np.tril(np.ones((5, 5), dtype=bool)))      # torch's boolean mask: True takes part
    y = ns.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=0.5)
    backprop(ns, run, y)
    return {"y": y, "q.grad": q.grad, "k.grad": k.grad, "v.grad": v.grad}


@idiom("nn", "nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)", np.float64)
def _clip_grad_value(ns, run):
    model = run.same_weights(ns.nn.Linear(4, 3).double())
    backprop(ns, run, model(leaf(ns, run, 5, 4)))
    ns.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
    return grads_of(model)


@idiom("nn", "nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)", np.float64)
def _clip_grad_norm(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(4, 3), ns.nn.Tanh(), ns.nn.Linear(3, 2)).double())
    backprop(ns, run, model(leaf(ns, run, 5, 4)))
    norm = ns.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    return {"norm": norm, **grads_of(model)}


@idiom("nn", "nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1)", np.float64)
def _conv_transpose(ns, run):
    model = run.same_weights(ns.nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1).double())
    return module_result(ns, run, model, leaf(ns, run, 2, 3, 4, 4))


@idiom("nn", "F.mse_loss, F.binary_cross_entropy_with_logits, F.nll_loss(F.log_softmax(x, 1), y)", np.float64)
def _losses(ns, run):
    x, target = leaf(ns, run, 5, 3), ns.tensor(run.randn(5, 3, dtype=np.float64))
    F = ns.nn.functional
    mse = F.mse_loss(x, target)
    bce = F.binary_cross_entropy_with_logits(x, (target > 0).double())
    nll = F.nll_loss(F.log_softmax(x, 1), ns.tensor(run.integers(0, 3, 5)))
    (mse + bce + nll).backward()
    return {"mse": mse, "bce": bce, "nll": nll, "x.grad": x.grad}


# =============================================================================================================
# module: Module, containers, optimisers and schedules, utils.data, saving
# =============================================================================================================
def small_mlp(ns):
    return ns.nn.Sequential(ns.nn.Linear(4, 8), ns.nn.Tanh(), ns.nn.Linear(8, 3))


@idiom("module", "model.apply(init_weights)")
def _apply(ns, run):
    model = small_mlp(ns)

    def init_weights(module):
        if isinstance(module, ns.nn.Linear):
            ns.nn.init.constant_(module.weight, 0.1)
            ns.nn.init.zeros_(module.bias)

    returned = model.apply(init_weights)
    return {"returns the model": returned is model, **params_of(model)}


@idiom("module", "self.register_parameter('scale', nn.Parameter(torch.ones(3)))")
def _register_parameter(ns, run):
    class Scaled(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_parameter("scale", ns.nn.Parameter(ns.ones(3)))

        def forward(self, x):
            return x * self.scale

    model = Scaled()
    loss = model(ns.tensor(run.randn(2, 3))).sum()
    loss.backward()
    return {"names": [name for name, _ in model.named_parameters()], "loss": loss, "scale.grad": model.scale.grad}


@idiom("module", "nn.ModuleDict({'encoder': ..., 'head': ...})")
def _module_dict(ns, run):
    class TwoParts(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = ns.nn.ModuleDict({"encoder": ns.nn.Linear(4, 6), "head": ns.nn.Linear(6, 2)})

        def forward(self, x):
            return self.parts["head"](self.parts["encoder"](x).relu())

    model = run.same_weights(TwoParts())
    loss = model(ns.tensor(run.randn(3, 4))).sum()
    loss.backward()
    return {"keys": list(model.parts.keys()), "state_dict keys": sorted(model.state_dict()), "loss": loss,
            **grads_of(model)}


@idiom("module", "nn.ParameterList([nn.Parameter(...), ...])")
def _parameter_list(ns, run):
    class Weights(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = ns.nn.ParameterList([ns.nn.Parameter(ns.ones(3) * (i + 1)) for i in range(3)])

        def forward(self, x):
            for w in self.weights:
                x = x * w
            return x

    model = Weights()
    loss = model(ns.tensor(run.randn(2, 3))).sum()
    loss.backward()
    return {"names": [name for name, _ in model.named_parameters()], "len": len(model.weights), "loss": loss,
            **grads_of(model)}


@idiom("module", "nn.Sequential(OrderedDict([('hidden', ...), ('act', ...), ('out', ...)]))")
def _sequential_ordered_dict(ns, run):
    model = ns.nn.Sequential(OrderedDict([("hidden", ns.nn.Linear(4, 8)), ("act", ns.nn.ReLU()),
                                          ("out", ns.nn.Linear(8, 3))]))
    run.same_weights(model)
    output = model(ns.tensor(run.randn(2, 4)))
    return {"names": [name for name, _ in model.named_parameters()], "output": output,
            "model.hidden is model[0]": model.hidden is model[0]}


@idiom("module", "model.to('cpu')")
def _model_to_cpu(ns, run):
    model = run.same_weights(small_mlp(ns))
    returned = model.to("cpu")
    return {"returns the model": returned is model, "output": model(ns.tensor(run.randn(2, 4)))}


@idiom("module", "model.requires_grad_(False)")
def _module_requires_grad(ns, run):
    model = small_mlp(ns)
    model[0].requires_grad_(False)
    return {"requires_grad": [p.requires_grad for p in model.parameters()]}


@idiom("module", "optim.SGD(model.parameters()) with model[0] frozen")
def _partly_frozen(ns, run):
    model = run.same_weights(small_mlp(ns))
    for p in model[0].parameters():
        p.requires_grad = False
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = ns.tensor(run.randn(6, 4)), ns.tensor(run.integers(0, 3, 6))
    for _ in range(3):
        optimizer.zero_grad()
        ns.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return params_of(model)


@idiom("module", "optim.SGD(filter(lambda p: p.requires_grad, model.parameters()))")
def _filtered_frozen(ns, run):
    model = run.same_weights(small_mlp(ns))
    model[0].weight.requires_grad = False
    optimizer = ns.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
    x, y = ns.tensor(run.randn(6, 4)), ns.tensor(run.integers(0, 3, 6))
    for _ in range(3):
        optimizer.zero_grad()
        ns.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return params_of(model)


def lrs_over_epochs(ns, run, make_scheduler, epochs=6, metrics=None) -> dict:
    """Train a small model for ``epochs`` one-step epochs, stepping the scheduler after each."""
    model = run.same_weights(small_mlp(ns))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1)
    scheduler = make_scheduler(ns.optim.lr_scheduler, optimizer)
    x, y = ns.tensor(run.randn(6, 4)), ns.tensor(run.integers(0, 3, 6))
    lrs = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = ns.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        lrs.append(optimizer.param_groups[0]["lr"])
    return {"lrs": lrs, **params_of(model)}


@idiom("module", "lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)")
def _step_lr(ns, run):
    return lrs_over_epochs(ns, run, lambda s, optimizer: s.StepLR(optimizer, step_size=2, gamma=0.5))


@idiom("module", "lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5)")
def _multi_step_lr(ns, run):
    return lrs_over_epochs(ns, run, lambda s, optimizer: s.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5))


@idiom("module", "lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda epoch: 0.9 ** epoch)")
def _lambda_lr(ns, run):
    return lrs_over_epochs(ns, run, lambda s, optimizer: s.LambdaLR(optimizer, lr_lambda=lambda epoch: 0.9 ** epoch))


@idiom("module", "lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=1); step(val_loss)")
def _reduce_on_plateau(ns, run):
    return lrs_over_epochs(ns, run, lambda s, optimizer: s.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                                             patience=1),
                           epochs=7, metrics=[1.0, 0.9, 0.95, 0.97, 0.85, 0.86, 0.87])


@idiom("module", "lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)")
def _cosine_lr(ns, run):
    return lrs_over_epochs(ns, run, lambda s, optimizer: s.CosineAnnealingLR(optimizer, T_max=4))


@idiom("module", "utils.data.DataLoader(utils.data.TensorDataset(x, y), batch_size=4)")
def _data_loader(ns, run):
    dataset = ns.utils.data.TensorDataset(ns.tensor(run.randn(10, 3)), ns.tensor(run.integers(0, 2, 10)))
    loader = ns.utils.data.DataLoader(dataset, batch_size=4)
    return {"len(dataset)": len(dataset), "dataset[2]": list(dataset[2]), "len(loader)": len(loader),
            "batches": [list(batch) for batch in loader]}


@idiom("module", "utils.data.DataLoader(dataset, batch_size=4, drop_last=True)")
def _data_loader_drop_last(ns, run):
    dataset = ns.utils.data.TensorDataset(ns.tensor(run.randn(10, 3)))
    loader = ns.utils.data.DataLoader(dataset, batch_size=4, drop_last=True)
    return {"len(loader)": len(loader), "batches": [list(batch) for batch in loader]}


@idiom("module", "utils.data.DataLoader(dataset, batch_size=4, shuffle=True)")
def _data_loader_shuffle(ns, run):
    dataset = ns.utils.data.TensorDataset(ns.arange(10))
    loader = ns.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    epoch = np.concatenate([as_numpy(x) for (x,) in loader])
    return {"batch sizes": [len(x) for (x,) in loader], "dtype": epoch.dtype.name,
            "an epoch is a permutation": sorted(epoch.tolist()) == list(range(10))}


@idiom("module", "torch.save(model.state_dict(), path); model.load_state_dict(torch.load(path))")
def _save_state_dict(ns, run):
    path = run.tmp_path / "model.pt"
    trained = run.same_weights(small_mlp(ns))
    ns.save(trained.state_dict(), path)
    fresh = small_mlp(ns)
    fresh.load_state_dict(ns.load(path))
    return params_of(fresh)


@idiom("module", "other.load_state_dict(model.state_dict()) on one engine")
def _state_dict_same_engine(ns, run):
    model = run.same_weights(small_mlp(ns))
    other = small_mlp(ns)
    other.load_state_dict(model.state_dict())
    return {"keys": list(model.state_dict()), **params_of(other)}


@idiom("module", "model.state_dict() keys with BatchNorm2d")
def _state_dict_keys(ns, run):
    model = ns.nn.Sequential(ns.nn.Conv2d(1, 2, 3), ns.nn.BatchNorm2d(2), ns.nn.ReLU())
    return {"keys": sorted(model.state_dict())}


@idiom("module", "optimizer.zero_grad(); model.train(); model.eval(); named_parameters(); numel()")
def _module_basics(ns, run):
    model = run.same_weights(small_mlp(ns))
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-3)
    model(ns.tensor(run.randn(2, 4))).sum().backward()
    optimizer.zero_grad()
    model.eval()
    evaluating = [m.training for m in model.modules()]
    model.train()
    return {"grads after zero_grad": [p.grad is None for p in model.parameters()], "training in eval": evaluating,
            "training": model.training, "names": [name for name, _ in model.named_parameters()],
            "count": sum(p.numel() for p in model.parameters() if p.requires_grad)}


@idiom("module", "for group in optimizer.param_groups: group['lr'] = 0.01")
def _param_groups(ns, run):
    model = run.same_weights(small_mlp(ns))
    optimizer = ns.optim.SGD([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}],
                             lr=0.2, momentum=0.5)
    x, y = ns.tensor(run.randn(6, 4)), ns.tensor(run.integers(0, 3, 6))
    for step in range(3):
        if step == 1:
            for group in optimizer.param_groups:
                group["lr"] = 0.01
        optimizer.zero_grad()
        ns.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return params_of(model)


# =============================================================================================================
# training: short loops, a few optimiser steps, then losses and parameters
# =============================================================================================================
@idiom("training", "MLP classifier, nn.CrossEntropyLoss, optim.Adam, 5 steps")
def _train_mlp_adam(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(10, 16), ns.nn.ReLU(), ns.nn.Linear(16, 4)))
    loss_fn = ns.nn.CrossEntropyLoss()
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-2)
    x, y = ns.tensor(run.randn(32, 10)), ns.tensor(run.integers(0, 4, 32))
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


def small_cnn(ns):
    return ns.nn.Sequential(ns.nn.Conv2d(1, 4, 3, padding=1), ns.nn.BatchNorm2d(4), ns.nn.ReLU(),
                            ns.nn.MaxPool2d(2), ns.nn.Dropout(0.25), ns.nn.Flatten(), ns.nn.Linear(4 * 6 * 6, 3))


def cnn_steps(ns, run, model, steps=3) -> dict:
    optimizer = ns.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = ns.tensor(run.randn(8, 1, 12, 12)), ns.tensor(run.integers(0, 3, 8))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ns.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model), **dict(model.named_buffers())}


@idiom("training", "CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout) in eval mode, SGD momentum, 3 steps")
def _train_cnn_eval(ns, run):
    model = run.same_weights(small_cnn(ns))
    model.eval()
    return cnn_steps(ns, run, model)


@idiom("training", "CNN with BatchNorm2d in training mode (no dropout), SGD momentum, 3 steps")
def _train_cnn_train_mode(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Conv2d(1, 4, 3, padding=1), ns.nn.BatchNorm2d(4), ns.nn.ReLU(),
                                              ns.nn.MaxPool2d(2), ns.nn.Flatten(), ns.nn.Linear(4 * 6 * 6, 3)))
    result = cnn_steps(ns, run, model)
    return {k: v for k, v in result.items() if not k.endswith("num_batches_tracked")}


@idiom("training", "LSTM(batch_first=True) with a linear head, Adam, 3 steps")
def _train_lstm(ns, run):
    class Classifier(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = ns.nn.LSTM(input_size=3, hidden_size=6, batch_first=True)
            self.head = ns.nn.Linear(6, 2)

        def forward(self, x):
            output, (h, c) = self.lstm(x)
            return self.head(output[:, -1])

    model = run.same_weights(Classifier())
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-2)
    x, y = ns.tensor(run.randn(4, 7, 3)), ns.tensor(run.integers(0, 2, 4))
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = ns.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


def regression_steps(ns, run, make_optimizer, steps=5) -> dict:
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(3, 8), ns.nn.Tanh(), ns.nn.Linear(8, 1)))
    optimizer = make_optimizer(ns.optim, model.parameters())
    loss_fn = ns.nn.MSELoss()
    x, y = ns.tensor(run.randn(16, 3)), ns.tensor(run.randn(16, 1))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


@idiom("training", "optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-2), 5 steps")
def _train_sgd_weight_decay(ns, run):
    return regression_steps(ns, run, lambda optim, p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2))


@idiom("training", "optim.AdamW(params, lr=1e-2, weight_decay=0.1), 5 steps")
def _train_adamw(ns, run):
    return regression_steps(ns, run, lambda optim, p: optim.AdamW(p, lr=1e-2, weight_decay=0.1))


@idiom("training", "optim.RMSprop, optim.Adagrad, optim.SGD(nesterov=True), 5 steps each")
def _train_other_optimisers(ns, run):
    return {"RMSprop": regression_steps(ns, run, lambda optim, p: optim.RMSprop(p, lr=1e-2)),
            "Adagrad": regression_steps(ns, run, lambda optim, p: optim.Adagrad(p, lr=1e-1)),
            "Nesterov": regression_steps(ns, run, lambda optim, p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True))}


@idiom("training", "a DataLoader epoch loop with scheduler.step() per epoch")
def _train_epochs_with_scheduler(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(3, 8), ns.nn.ReLU(), ns.nn.Linear(8, 2)))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = ns.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loader = ns.utils.data.DataLoader(
        ns.utils.data.TensorDataset(ns.tensor(run.randn(12, 3)), ns.tensor(run.integers(0, 2, 12))), batch_size=5)
    epoch_losses, lrs = [], []
    for _ in range(3):
        model.train()
        total = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = ns.nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
        scheduler.step()
        epoch_losses.append(total / len(loader.dataset))
        lrs.append(scheduler.get_last_lr()[0])
    return {"epoch losses": epoch_losses, "lrs": lrs, **params_of(model)}


@idiom("training", "linear regression by hand: w -= lr * w.grad; w.grad.zero_(), 5 steps")
def _train_by_hand(ns, run):
    x, y = ns.tensor(run.randn(20, 3)), ns.tensor(run.randn(20))
    w = ns.zeros(3, requires_grad=True)
    b = ns.zeros(1, requires_grad=True)
    losses = []
    for _ in range(5):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with ns.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return {"losses": losses, "w": w, "b": b}


@idiom("training", "logistic regression: nn.BCEWithLogitsLoss, optim.SGD, 5 steps")
def _train_logistic(ns, run):
    model = run.same_weights(ns.nn.Linear(4, 1))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = ns.nn.BCEWithLogitsLoss()
    x, y = ns.tensor(run.randn(16, 4)), ns.tensor(run.integers(0, 2, (16, 1)).astype(np.float32))
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with ns.no_grad():
        accuracy = ((model(x) > 0).float() == y).float().mean().item()
    return {"losses": losses, "accuracy": accuracy, **params_of(model)}


@idiom("training", "gradient accumulation: two backward() per optimizer.step()")
def _train_accumulation(ns, run):
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(4, 6), ns.nn.ReLU(), ns.nn.Linear(6, 3)))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1)
    x, y = ns.tensor(run.randn(8, 4)), ns.tensor(run.integers(0, 3, 8))
    for _ in range(2):
        optimizer.zero_grad()
        for half in (slice(0, 4), slice(4, 8)):
            (ns.nn.functional.cross_entropy(model(x[half]), y[half]) / 2).backward()
        optimizer.step()
    return params_of(model)


@idiom("training", "RNN with clip_grad_norm_ between backward() and step(), 3 steps")
def _train_rnn_clipping(ns, run):
    class Tagger(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = ns.nn.RNN(4, 8, batch_first=True)
            self.out = ns.nn.Linear(8, 3)

        def forward(self, x):
            return self.out(self.rnn(x)[0])

    model = run.same_weights(Tagger())
    optimizer = ns.optim.SGD(model.parameters(), lr=0.5)
    x, y = ns.tensor(run.randn(3, 6, 4)), ns.tensor(run.integers(0, 3, (3, 6)))
    norms = []
    for _ in range(3):
        optimizer.zero_grad()
        ns.nn.functional.cross_entropy(model(x).reshape(-1, 3), y.reshape(-1)).backward()
        norms.append(float(ns.nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
        optimizer.step()
    return {"norms": norms, **params_of(model)}


@idiom("training", "bag-of-embeddings text classifier, Adam, 3 steps")
def _train_embedding_classifier(ns, run):
    class BagOfWords(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = ns.nn.Embedding(20, 8)
            self.head = ns.nn.Linear(8, 2)

        def forward(self, ids):
            return self.head(self.embed(ids).mean(dim=1))

    model = run.same_weights(BagOfWords())
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-2)
    ids, y = ns.tensor(run.integers(0, 20, (5, 7))), ns.tensor(run.integers(0, 2, 5))
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = ns.nn.functional.cross_entropy(model(ids), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


# =============================================================================================================
# lesson: the cells whose prose says that changing the imports gives the same numbers
# =============================================================================================================
# ADAM_IN_FLOAT64: Adam divides each gradient by its own running size, so a parameter whose true gradient is
# zero (a key bias of attention, a bias just before BatchNorm) moves by about lr times its float32 rounding
# noise over (noise + eps): 1e-4 apart in the two engines. The lessons that train such models with Adam run
# here in float64, where that noise is far below eps; the code is the lessons' otherwise.
@idiom("lesson", "02-neuron/01-neuron-and-linear-regression cells 10-11: Linear(3, 1) gives 5.5")
def _lesson_neuron(ns, run):
    x_rows = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 4.0, 0.5]])
    w, b = np.array([1.0, 0.5, 1.0]), 0.5
    neuron = ns.nn.Linear(in_features=3, out_features=1)
    neuron.load_state_dict({"weight": ns.tensor(w.reshape(1, 3)), "bias": ns.tensor(np.array([b]))})
    output = neuron(ns.tensor(x_rows, dtype=ns.float32)).squeeze(1)
    return {"output": output, "first is 5.5": output[0].item() == 5.5}


@idiom("lesson", "04-mlp/01-backprop-with-tensors cells 7-8: autograd computes the same numbers", np.float64)
def _lesson_layer_backprop(ns, run):
    a, x, b = run.randn(3, 4, dtype=np.float64), run.randn(4, dtype=np.float64), run.randn(3, dtype=np.float64)
    g = np.array([1.0, -2.0, 0.5])
    a_t, x_t, b_t = (ns.tensor(v, requires_grad=True) for v in (a, x, b))
    y_t = ns.sigmoid(a_t @ x_t + b_t)
    (ns.tensor(g) @ y_t).backward()
    return {"y": y_t, "dL/dA": a_t.grad, "dL/db": b_t.grad, "dL/dx": x_t.grad}


def lesson_mnist_like(run, n=320):
    """Stand-ins for the lessons' scaled MNIST rows: (n, 784) float32 in [-1, 1] and int64 labels."""
    images = run.rng.uniform(-1, 1, size=(n, 784)).astype(np.float32)
    return images, run.integers(0, 10, n)


@idiom("lesson", "04-mlp/03-digit-classifier-from-scratch cells 20-21: train_steps(library), SGD, 10 steps")
def _lesson_digit_classifier_sgd(ns, run):
    x_train, labels_train = lesson_mnist_like(run)
    generator = np.random.default_rng(0)
    initial_params = {}
    for k, (fan_in, fan_out) in enumerate([(784, 64), (64, 10)], start=1):
        initial_params[f"W{k}"] = generator.normal(scale=np.sqrt(2 / fan_in), size=(fan_out, fan_in)).astype(np.float32)
        initial_params[f"b{k}"] = np.zeros(fan_out, dtype=np.float32)
    nn, optim = ns.nn, ns.optim
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    names = {"0.weight": "W1", "0.bias": "b1", "2.weight": "W2", "2.bias": "b2"}
    model.load_state_dict({key: ns.tensor(initial_params[name]) for key, name in names.items()})
    loss_function = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.02)
    losses = []
    for rows in np.arange(10 * 32).reshape(10, 32):
        optimizer.zero_grad()
        loss = loss_function(model(ns.tensor(x_train[rows])), ns.tensor(labels_train[rows]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **{name: model.state_dict()[key] for key, name in names.items()}}


@idiom("lesson", "04-mlp/03-digit-classifier-from-scratch cells 22-24: Adam fed by DataLoader(TensorDataset)")
def _lesson_digit_classifier_adam(ns, run):
    x_train, labels_train = lesson_mnist_like(run, n=160)
    # float64: Adam divides by sqrt(v), so a weight whose gradient is rounding noise in float32 (a pixel
    # that is almost always 0) takes a full-size step in a direction the two engines' roundings choose
    x_train = x_train.astype(np.float64)
    model = run.same_weights(ns.nn.Sequential(ns.nn.Linear(784, 64), ns.nn.ReLU(), ns.nn.Linear(64, 10)).double())
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = ns.nn.CrossEntropyLoss()
    loader = ns.utils.data.DataLoader(ns.utils.data.TensorDataset(ns.tensor(x_train), ns.tensor(labels_train)),
                                      batch_size=32)
    losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_function(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with ns.no_grad():
        predictions = model(ns.tensor(x_train[:50])).numpy().argmax(axis=1)
    return {"losses": losses, "predictions": predictions, **params_of(model)}


@idiom("lesson", "05-outputs-activations/03-preprocessing-and-initialisation cells 9-10: first_layer_gradient(library)")
def _lesson_symmetry(ns, run):
    inputs_np, targets_np = run.randn(16, 3), run.randn(16, 1)
    nn = ns.nn
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    for parameter in net.parameters():
        nn.init.constant_(parameter, 0.3)
    nn.functional.mse_loss(net(ns.tensor(inputs_np)), ns.tensor(targets_np)).backward()
    gradient = net[0].weight.grad.numpy()
    return {"gradient": gradient, "rows equal": bool(np.allclose(gradient, gradient[:1]))}


@idiom("lesson", "06-regularization/01-parameter-penalties cells 11-12: SGD(weight_decay=0.01), change the imports")
def _lesson_weight_decay(ns, run):
    data_rng = np.random.default_rng(seed=1)
    x_train = np.sort(data_rng.uniform(-1, 1, size=(20, 1)), axis=0).astype(np.float32)
    y_train = (np.sin(3 * x_train) + data_rng.normal(scale=0.3, size=x_train.shape)).astype(np.float32)
    x_val = data_rng.uniform(-1, 1, size=(300, 1)).astype(np.float32)
    y_val = (np.sin(3 * x_val) + data_rng.normal(scale=0.3, size=x_val.shape)).astype(np.float32)
    nn = ns.nn
    model = run.same_weights(nn.Sequential(nn.Linear(1, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(),
                                           nn.Linear(128, 1)))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-2)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(20):                                   # the lesson runs 3000 full-batch steps
        optimizer.zero_grad()
        loss = loss_fn(model(ns.tensor(x_train)), ns.tensor(y_train))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with ns.no_grad():
        validation = nn.functional.mse_loss(model(ns.tensor(x_val)), ns.tensor(y_val)).item()
    return {"losses": losses, "validation MSE": validation, **params_of(model)}


@idiom("lesson", "07-optimization/01-landscapes-and-sgd cells 20-21: mlp([64, 32, 10]), SGD momentum, one epoch")
def _lesson_one_epoch_sgd(ns, run):
    images, labels = dlcourse.data.load_digits()
    order = np.random.default_rng(1).permutation(len(images))
    batches = [(ns.tensor(images[i]), ns.tensor(labels[i])) for i in np.array_split(order[:1200], 1200 // 32)]
    model = run.same_weights(run.models.mlp([64, 32, 10]))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = ns.nn.CrossEntropyLoss()
    for inputs, targets in batches:                       # what fit() does for one epoch
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return params_of(model)


@idiom("lesson", "08-cnn/01-convolution-and-pooling cells 27-28: block(library), the same weights, the same numbers",
       np.float64)
def _lesson_conv_block(ns, run):
    nn = ns.nn
    block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 4, 3, stride=2, dilation=2))
    block = run.same_weights(block.double())
    images = ns.tensor(run.randn(2, 3, 16, 16, dtype=np.float64), requires_grad=True)
    output = block(images)
    backprop(ns, run, output)
    return {"output": output, "images.grad": images.grad, **grads_of(block)}


@idiom("lesson", "08-cnn/03-training-and-visualisation cells 6-7: LeNet-5, first_steps(model, library), 5 steps")
def _lesson_lenet(ns, run):
    x_train, y_train = run.randn(5 * 64, 1, 28, 28), run.integers(0, 10, 5 * 64)
    model = run.same_weights(run.models.lenet5())
    opt = ns.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    out = []
    for step in range(5):
        rows = slice(64 * step, 64 * (step + 1))
        opt.zero_grad()
        loss = ns.nn.CrossEntropyLoss()(model(ns.tensor(x_train[rows])), ns.tensor(y_train[rows]))
        loss.backward()
        opt.step()
        out.append(loss.item())
    return {"losses": out, **params_of(model)}


@idiom("lesson", "09-sequence-models/01-recurrent-networks cells 11-12: scalar_rnn_gradients(library)")
def _lesson_scalar_rnn(ns, run):
    inputs, target = [1.0, -1.0, 2.0], 1.0
    w_t = ns.tensor(0.5, requires_grad=True)
    u_t = ns.tensor(1.0, requires_grad=True)
    h = ns.tensor(0.0)
    for x_t in inputs:
        h = (w_t * h + u_t * x_t).tanh()
    (0.5 * (h - target) ** 2).backward()
    return {"dL/dw": w_t.grad.item(), "dL/du": u_t.grad.item()}


@idiom("lesson", "09-sequence-models/02-vanishing-gradients-and-gates cells 13-14: LSTMCell(3, 4), the same weights",
       np.float64)
def _lesson_lstm_cell(ns, run):
    cell = run.same_weights(ns.nn.LSTMCell(3, 4).double())
    x_t, h0, c0 = (run.randn(2, n, dtype=np.float64) for n in (3, 4, 4))
    h, c = cell(ns.tensor(x_t), (ns.tensor(h0), ns.tensor(c0)))
    return {"h": h, "c": c}


@idiom("lesson", "09-sequence-models/02-vanishing-gradients-and-gates cells 15-16: adding_model(library, 'LSTM'), Adam")
def _lesson_adding_task(ns, run):
    from dlcourse.data.synthetic import adding_task

    inputs_all, targets_all = adding_task(3 * 64, 30, np.random.default_rng(0))

    class Adder(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.recurrent = ns.nn.LSTM(2, 32, batch_first=True)
            self.readout = ns.nn.Linear(32, 1)

        def forward(self, x):
            return self.readout(self.recurrent(x)[0][:, -1]).reshape(-1)

    model = run.same_weights(Adder())
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = ns.nn.MSELoss()
    losses = []
    for rows in np.arange(3 * 64).reshape(3, 64):
        optimizer.zero_grad()
        loss = loss_fn(model(ns.tensor(inputs_all[rows])), ns.tensor(targets_all[rows]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


def causal_mask(size: int) -> np.ndarray:
    """True above the diagonal: position i may not attend to j > i (as dlcourse.nn.transformer.causal_mask)."""
    return np.triu(np.ones((size, size), dtype=bool), 1)


@idiom("lesson", "10-language-models/03-the-transformer cells 7-8: MultiheadAttention with a causal attn_mask")
def _lesson_multihead_attention(ns, run):
    attention = run.same_weights(ns.nn.MultiheadAttention(embed_dim=16, num_heads=4, batch_first=True))
    inputs = ns.tensor(run.randn(2, 6, 16))
    output, weights = attention(inputs, inputs, inputs, attn_mask=ns.tensor(causal_mask(6)))
    return {"output": output, "head-averaged weights": weights}


@idiom("lesson", "10-language-models/03-the-transformer cells 11-12: TransformerEncoderLayer, src_mask")
def _lesson_transformer_block(ns, run):
    block = run.same_weights(ns.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0,
                                                           batch_first=True, norm_first=True))
    return {"output": block(ns.tensor(run.randn(2, 6, 16)), src_mask=ns.tensor(causal_mask(6)))}


@idiom("lesson", "10-language-models/03-the-transformer cells 14-16: CharTransformer, change the imports, Adam steps",
       np.float64)
def _lesson_char_transformer(ns, run):
    nn, F = ns.nn, ns.nn.functional
    vocab_size, context = 12, 8

    class CharTransformer(nn.Module):
        def __init__(self, d_model=16, nhead=4, num_layers=2):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, d_model)
            self.position = nn.Embedding(context, d_model)
            self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0,
                                                                    batch_first=True, norm_first=True)
                                         for _ in range(num_layers)])
            self.norm = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab_size)

        def forward(self, ids):
            length = ids.shape[1]
            x = self.embed(ids) + self.position(ns.arange(length))
            for block in self.blocks:
                x = block(x, src_mask=ns.tensor(causal_mask(length)))
            return self.head(self.norm(x))

    model = run.same_weights(CharTransformer().double())   # float64: see ADAM_IN_FLOAT64
    optimizer = ns.optim.Adam(model.parameters(), lr=3e-3)
    tokens = run.integers(0, vocab_size, (3, 4, context + 1))
    losses = []
    for batch in tokens:
        x_batch, y_batch = ns.tensor(batch[:, :-1]), ns.tensor(batch[:, 1:])
        loss = F.cross_entropy(model(x_batch).reshape(-1, vocab_size), y_batch.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


@idiom("lesson", "11-graph-networks/03-gcn-node-classification cells 17-18: GCN and its plain-PyTorch twin, Adam")
def _lesson_gcn(ns, run):
    club = dlcourse.data.karate_club()
    train = np.flatnonzero(club.train_mask)

    class TwinGCNConv(ns.nn.Module):
        # the lesson's twin for PyTorch, which has no GCN layer of its own (dense A_hat here, sparse in the lesson)
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.weight = ns.nn.Parameter(ns.zeros(out_channels, in_channels))
            self.bias = ns.nn.Parameter(ns.zeros(out_channels))

        def forward(self, x, adjacency):
            a_hat = ns.tensor(dlcourse.nn.normalized_adjacency(adjacency).astype(np.float32))
            return a_hat @ (x @ self.weight.T) + self.bias

    layer = TwinGCNConv if run.is_torch else ns.nn.GCNConv

    class GCN(ns.nn.Module):
        def __init__(self, in_channels, hidden_channels, out_channels):
            super().__init__()
            self.conv1, self.conv2 = layer(in_channels, hidden_channels), layer(hidden_channels, out_channels)

        def forward(self, x, adjacency):
            return self.conv2(self.conv1(x, adjacency).relu(), adjacency)

    model = run.same_weights(GCN(club.num_nodes, 4, 2))
    optimizer = ns.optim.Adam([{"params": model.conv1.parameters(), "weight_decay": 5e-4},
                               {"params": model.conv2.parameters(), "weight_decay": 0.0}], lr=0.01)
    features, labels = ns.tensor(club.x), ns.tensor(club.y[train])
    losses = []
    for _ in range(10):
        optimizer.zero_grad()
        loss = ns.nn.functional.cross_entropy(model(features, club.adjacency)[train], labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


@idiom("lesson", "12-autoencoders/02-autoencoders cells 16-17: autoencoder_mlp(sizes, nn, models), Adam", np.float64)
def _lesson_autoencoder(ns, run):
    x_train = run.rng.uniform(0, 1, size=(3 * 100, 784))
    model = ns.nn.Sequential(run.models.mlp([784, 128, 2]), run.models.mlp([2, 128, 784]))
    model = run.same_weights(model.double())              # float64: see ADAM_IN_FLOAT64
    optimizer = ns.optim.Adam(model.parameters(), lr=3e-3)
    F = ns.nn.functional
    losses = []
    for rows in np.arange(300).reshape(3, 100):
        x = ns.tensor(x_train[rows])
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / len(x)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, **params_of(model)}


@idiom("lesson", "13-gans/01-the-adversarial-game cells 11-14: change the imports, the same generator gradients",
       np.float64)
def _lesson_generator_losses(ns, run):
    F = ns.nn.functional
    logits = ns.tensor(np.linspace(-7, 7, 141), requires_grad=True)
    saturating = (1 - F.sigmoid(logits)).log()
    saturating.sum().backward()
    grad_saturating = as_numpy(logits.grad).copy()
    logits.grad = None
    non_saturating = -F.sigmoid(logits).log()
    non_saturating.sum().backward()
    return {"saturating": saturating, "non-saturating": non_saturating, "saturating grad": grad_saturating,
            "non-saturating grad": logits.grad}


def gan_steps(ns, generator, discriminator, batches, lr, betas, dtype=np.float32) -> list:
    """The training step of lessons 13-gans/02 and 03, written once (as the lessons write it)."""
    functional = ns.nn.functional
    opt_g = ns.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_d = ns.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    batch_size = len(batches[0][0])
    ones, zeros = ns.tensor(np.ones((batch_size, 1), dtype)), ns.tensor(np.zeros((batch_size, 1), dtype))
    losses = []
    for real, noise in batches:
        real, fake = ns.tensor(real), generator(ns.tensor(noise))
        loss_d = (functional.binary_cross_entropy_with_logits(discriminator(real), ones)
                  + functional.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = functional.binary_cross_entropy_with_logits(discriminator(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses.append([loss_d.item(), loss_g.item()])
    return losses


@idiom("lesson", "13-gans/02-optimum-and-mode-collapse cells 13-14: first_steps(...) of the ring GAN, 5 steps")
def _lesson_ring_gan(ns, run):
    from dlcourse.data import ring_of_gaussians

    generator = run.same_weights(run.models.mlp([2, 64, 64, 2]))
    discriminator = run.same_weights(run.models.mlp([2, 64, 64, 1]))
    real = ring_of_gaussians(5 * 128, rng=np.random.default_rng(1))
    batches = [(real[i * 128:(i + 1) * 128], run.randn(128, 2)) for i in range(5)]
    losses = gan_steps(ns, generator, discriminator, batches, lr=1e-3, betas=(0.5, 0.999))
    return {"losses": losses, **params_of(generator), **{f"D.{k}": v for k, v in params_of(discriminator).items()}}


@idiom("lesson", "13-gans/03-dcgan-and-evaluation cells 6-7: train_dcgan(...), 2 steps", np.float64)
def _lesson_dcgan(ns, run):
    generator, discriminator = run.models.dcgan(16)
    run.same_weights(generator.double())                  # float64: see ADAM_IN_FLOAT64
    run.same_weights(discriminator.double())
    batches = [(np.tanh(run.randn(8, 1, 28, 28, dtype=np.float64)), run.randn(8, 16, dtype=np.float64))
               for _ in range(2)]
    losses = gan_steps(ns, generator, discriminator, batches, lr=2e-4, betas=(0.5, 0.999), dtype=np.float64)
    # the biases just before a BatchNorm have a true gradient of 0: Adam moves them by rounding noise over eps
    before_batch_norm = {"project.bias", "up1.bias", "D.conv2.bias"}
    params = {**params_of(generator), **{f"D.{k}": v for k, v in params_of(discriminator).items()}}
    return {"losses": losses, **{k: v for k, v in params.items() if k not in before_batch_norm}}


@idiom("lesson", "appendix-a-pytorch-on-a-gpu/01-the-same-model-three-ways cells 3-6: mlp, the same SGD loop")
def _lesson_three_ways(ns, run):
    x, y = run.rng.uniform(0, 1, size=(500, 784)).astype(np.float32), run.integers(0, 10, 500)
    model = run.same_weights(run.models.mlp([784, 64, 10]))
    first_outputs = model(ns.tensor(x[:5]))
    optimizer = ns.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = ns.nn.CrossEntropyLoss()
    losses = []
    for start in range(0, len(x), 100):
        inputs, targets = ns.tensor(x[start:start + 100]), ns.tensor(y[start:start + 100])
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"first outputs": first_outputs, "losses": losses, **params_of(model)}


# --- the idioms, run ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("snippet", "scalar_dtype"), IDIOMS)
def test_idiom_gives_torchs_numbers(snippet, scalar_dtype, tmp_path):
    torch_result, dl_result = run_both(snippet, tmp_path)
    compare(dl_result, torch_result, scalar_dtype=scalar_dtype)


# =============================================================================================================
# state dict: torch_model.load_state_dict(dl_model.state_dict()) and the reverse
# =============================================================================================================
def _mlp_with_dropout(ns):
    return ns.nn.Sequential(ns.nn.Linear(4, 8), ns.nn.ReLU(), ns.nn.Dropout(0.1), ns.nn.Linear(8, 3))


def _conv_batch_norm(ns):
    return ns.nn.Sequential(ns.nn.Conv2d(1, 3, 3), ns.nn.BatchNorm2d(3), ns.nn.ReLU(), ns.nn.Flatten(),
                            ns.nn.Linear(3 * 6 * 6, 2))


def _embedding_layer_norm(ns):
    return ns.nn.Sequential(ns.nn.Embedding(10, 6), ns.nn.LayerNorm(6), ns.nn.Linear(6, 2))


#: name: (build(ns), the input as NumPy, what of the output to compare)
STATE_DICT_MODELS = {
    "Sequential(Linear, ReLU, Dropout, Linear)": (_mlp_with_dropout, lambda rng: rng.standard_normal((3, 4)),
                                                  lambda out: out),
    "Sequential(Conv2d, BatchNorm2d, ReLU, Flatten, Linear)": (_conv_batch_norm,
                                                              lambda rng: rng.standard_normal((4, 1, 8, 8)),
                                                              lambda out: out),
    "Sequential(Embedding, LayerNorm, Linear)": (_embedding_layer_norm, lambda rng: rng.integers(0, 10, (2, 5)),
                                                 lambda out: out),
    "LSTM(3, 5, num_layers=2, batch_first=True)": (lambda ns: ns.nn.LSTM(3, 5, num_layers=2, batch_first=True),
                                                   lambda rng: rng.standard_normal((2, 4, 3)), lambda out: out[0]),
    "GRU(3, 5)": (lambda ns: ns.nn.GRU(3, 5), lambda rng: rng.standard_normal((4, 2, 3)), lambda out: out[0]),
    "TransformerEncoderLayer(8, 2, 16, batch_first=True)": (
        lambda ns: ns.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
        lambda rng: rng.standard_normal((2, 5, 8)), lambda out: out),
    "MultiheadAttention(8, 2)": (lambda ns: ns.nn.MultiheadAttention(8, 2),
                                 lambda rng: rng.standard_normal((5, 2, 8)), lambda out: out[0]),
}


def _state_dict_cases():
    for name in STATE_DICT_MODELS:
        for direction in ("torch_model.load_state_dict(dl_model.state_dict())",
                          "dl_model.load_state_dict(torch_model.state_dict())"):
            yield pytest.param(name, direction, id=f"state dict: {direction}: {name}")


@pytest.mark.parametrize(("name", "direction"), list(_state_dict_cases()))
def test_state_dict_moves_between_engines(name, direction):
    build, make_input, output_of = STATE_DICT_MODELS[name]
    array = make_input(np.random.default_rng(0))
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
    dl_model, torch_model = build(dlcourse), build(torch)

    def forward(ns, model):
        inputs = ns.tensor(array)
        out = model(inputs, inputs, inputs) if "MultiheadAttention" in name else model(inputs)
        return output_of(out)

    source_ns, source = (dlcourse, dl_model) if direction.startswith("torch_model") else (torch, torch_model)
    with source_ns.no_grad():
        forward(source_ns, source.train())               # one training-mode pass: running statistics move
    if direction.startswith("torch_model"):
        torch_model.load_state_dict(dl_model.state_dict())
    else:
        dl_model.load_state_dict(torch_model.state_dict())
    dl_model.eval()
    torch_model.eval()
    with torch.no_grad(), dlcourse.no_grad():
        compare(forward(dlcourse, dl_model), forward(torch, torch_model), "output after the transfer")


def test_the_suite_covers_every_idiom_the_issue_names():
    """Issue 28 counts 59 idioms; the suite has at least those, each run in both engines."""
    areas = [param.id.split(":")[0] for param in IDIOMS]
    assert len(IDIOMS) + len(list(_state_dict_cases())) >= 59
    assert {"autograd", "nn", "module", "training", "lesson"} <= set(areas)
    assert len({param.id for param in IDIOMS}) == len(IDIOMS), "two idioms share a name"
