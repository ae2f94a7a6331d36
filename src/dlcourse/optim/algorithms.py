"""Optimisers with PyTorch's constructors, update rules and state names.

In every rule g is the gradient plus ``weight_decay`` * theta (L2), except AdamW which decays the
weights directly. Every constructor takes ``params`` first: an iterable of parameters, or of dicts
(parameter groups, each with its own hyper-parameters); ``lr`` is eta.
"""

import math

import numpy as np

from .optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum and Nesterov momentum.

    .. math::
        b_t = \mu b_{t-1} + (1 - \tau) g_t \quad (b_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \eta \, (g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        momentum, dampening: mu and tau above.
        weight_decay: the L2 coefficient added to g.
        nesterov: step along g + mu b (look-ahead) instead of b.
    State: ``momentum_buffer``.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD needs lr, momentum, weight_decay >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, param, grad, group, state):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad


class Adagrad(Optimizer):
    r"""AdaGrad: per-coordinate steps shrink with the accumulated squared gradients.

    .. math::
        s_t = s_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{1 + (t-1)\,\text{lr\_decay}} \frac{g_t}{\sqrt{s_t} + \epsilon}

    Args:
        lr_decay: shrinks eta as above.
        initial_accumulator_value: s_0.
        eps: epsilon; weight_decay: the L2 coefficient.
    State: ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= lr * grad / (np.sqrt(state["sum"]) + group["eps"])


class RMSprop(Optimizer):
    r"""RMSProp: divide by a running root-mean-square of the gradients.

    .. math::
        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta \frac{g_t}{\sqrt{v_t} + \epsilon}

    Args:
        alpha, eps: alpha and epsilon above; weight_decay: the L2 coefficient.
        momentum: step by eta b_t, with b_t = momentum b_{t-1} + g_t / (sqrt(v_t) + eps).
        centered: divide by sqrt(v_t - (running mean of g)^2) instead, an estimate of the variance.
    State: ``step``, ``square_avg`` (and ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        alpha, square_avg = group["alpha"], state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * grad / avg


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, with bias correction.

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\eta}{1 - \beta_1^t} \, \frac{m_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}

    Args:
        betas: (beta_1, beta_2); eps: epsilon; weight_decay: the L2 coefficient.
        amsgrad: divide by the largest v so far instead of v_t (Reddi et al., 2018).
    State: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v), and ``max_exp_avg_sq`` with amsgrad.
    """

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam betas must be in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        lr, (beta1, beta2), t = group["lr"], group["betas"], state["step"]
        if group["weight_decay"]:
            if self.decoupled:
                param *= 1 - lr * group["weight_decay"]
            else:
                grad = grad + group["weight_decay"] * param
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v)
        denom /= math.sqrt(1 - beta2 ** t)
        denom += group["eps"]
        param -= (lr / (1 - beta1 ** t)) * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019):
    :math:`\theta \leftarrow \theta (1 - \eta \lambda)` before the Adam step, instead of adding
    :math:`\lambda \theta` to the gradient. Args as :class:`Adam`, with ``weight_decay`` lambda (default 0.01)."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
