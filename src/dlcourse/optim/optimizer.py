"""The ``Optimizer`` base class: parameter groups, per-parameter state, zero_grad, state_dict."""

import copy

import numpy as np


class Optimizer:
    """Holds ``param_groups`` (dicts with 'params' and hyper-parameters) and ``state[param]``.

    Subclasses implement ``_update(p, grad, group, state)`` for one parameter; ``step`` calls it for
    every parameter that has a gradient. Updates are in place on float arrays (no copies of weights).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict] = []
        self.state: dict = {}
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (the defaults fill the rest), e.g. a
        smaller lr for a pretrained backbone. Every parameter must require grad.
        """
        group = {**self.defaults, **group, "params": list(group["params"])}
        for p in group["params"]:
            if not getattr(p, "requires_grad", False):
                raise ValueError(f"optimizer can only optimize tensors that require grad, got {type(p).__name__} "
                                 f"of shape {getattr(p, 'shape', '?')}")
        group.setdefault("initial_lr", group["lr"])
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None, or zeros in place when ``set_to_none`` is False."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self) -> None:
        """Update, in place, every parameter that has a gradient, by the rule in the class docstring."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p.data, p.grad.data, group, self.state.setdefault(p, {}))

    def _update(self, param: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as in PyTorch."""
        index, groups, counter = {}, [], 0
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[p] = counter
                ids.append(counter)
                counter += 1
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[p]: copy.deepcopy(s) for p, s in self.state.items() if p in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyper-parameters saved by :meth:`state_dict` (the groups must match in size)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError("load_state_dict: the saved parameter groups do not match this optimizer's")
        params = [p for group in self.param_groups for p in group["params"]]
        self.state = {params[i]: copy.deepcopy(s) for i, s in state_dict["state"].items()}
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self):
        hyper = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({hyper})"
