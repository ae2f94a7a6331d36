"""PyTorch as the oracle: run the same function in dlcourse and torch, compare values and gradients."""

import numpy as np

import dlcourse

RTOL, ATOL = 1e-7, 1e-12


def assert_close(actual, expected, rtol=RTOL, atol=ATOL, what="value"):
    actual = actual.data if isinstance(actual, dlcourse.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != torch's {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def check_against_torch(dl_fn, torch_fn, *arrays, rtol=RTOL, atol=ATOL, grad_mask=None, seed=0):
    """Evaluate both functions on float64 copies of ``arrays``; compare outputs and input gradients
    after back-propagating the same random upstream gradient."""
    import torch

    differentiable = grad_mask or [np.issubdtype(np.asarray(a).dtype, np.floating) for a in arrays]
    dl_inputs = [dlcourse.Tensor(np.array(a), requires_grad=d) for a, d in zip(arrays, differentiable)]
    torch_inputs = [torch.tensor(np.array(a), requires_grad=d) for a, d in zip(arrays, differentiable)]
    dl_out, torch_out = dl_fn(*dl_inputs), torch_fn(*torch_inputs)
    assert_close(dl_out, torch_out, rtol, atol, "forward")
    upstream = np.random.default_rng(seed).standard_normal(torch_out.shape)
    dl_out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(dl_inputs, torch_inputs)):
        if b.requires_grad:
            expected = b.grad if b.grad is not None else torch.zeros_like(b)
            assert a.grad is not None, f"input {i} got no gradient"
            assert_close(a.grad, expected, rtol, atol, f"gradient of input {i}")
    return dl_out


def check_module(dl_module, torch_module, *inputs, rtol=RTOL, atol=ATOL, output=lambda out: out):
    """Copy dlcourse's parameters into the torch module (by state_dict name, strictly), run both on
    float64 inputs and compare the output, the input gradients and every parameter gradient."""
    import torch

    dl_module.double()
    torch_module.double()
    torch_module.load_state_dict({k: torch.tensor(v.data) for k, v in dl_module.state_dict().items()}, strict=True)
    float_inputs = [np.issubdtype(np.asarray(x).dtype, np.floating) for x in inputs]
    dl_in = [dlcourse.Tensor(np.array(x), requires_grad=f) for x, f in zip(inputs, float_inputs)]
    t_in = [torch.tensor(np.array(x), requires_grad=f) for x, f in zip(inputs, float_inputs)]
    dl_out, t_out = output(dl_module(*dl_in)), output(torch_module(*t_in))
    assert_close(dl_out, t_out, rtol, atol, "forward")
    upstream = np.random.default_rng(0).standard_normal(t_out.shape)
    dl_out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(dl_in, t_in)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, rtol, atol, f"gradient of input {i}")
    torch_params = dict(torch_module.named_parameters())
    for name, p in dl_module.named_parameters():
        assert_close(p.grad, torch_params[name].grad, rtol, atol, f"gradient of {name}")
