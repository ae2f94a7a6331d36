"""``Module``, ``Parameter`` and the containers.

A module finds its parameters and sub-modules by walking its own attributes (in the order they
were assigned), so a layer only has to assign ``self.weight = Parameter(...)``.
"""

from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as learnable (``requires_grad`` defaults to True)."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _as_array(value):
    """Accept a dlcourse tensor, a NumPy array or a torch tensor (anything with .numpy())."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Module:
    """Base class of every layer and model: subclasses assign parameters/modules and define forward."""

    def __init__(self):
        self.training = True
        self._buffer_names: list[str] = []

    def forward(self, *args, **kwargs):
        """The module's computation; every subclass defines it. ``module(x)`` calls it (there are no hooks)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def register_buffer(self, name: str, tensor) -> None:
        """A tensor saved in ``state_dict`` but not trained (e.g. BatchNorm's running mean)."""
        if "_buffer_names" not in vars(self):
            raise RuntimeError(f"call super().__init__() in {type(self).__name__}.__init__ before registering buffers")
        setattr(self, name, tensor)
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    # --- walking the tree ------------------------------------------------------------------------
    def named_children(self):
        """(name, module) for each direct sub-module, in the order they were assigned."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        """The direct sub-modules."""
        return (module for _, module in self.named_children())

    def named_modules(self, prefix: str = ""):
        """This module and every sub-module, depth first (iterative), with dotted names."""
        stack, seen = [(prefix, self)], set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self):
        """This module and every sub-module (see :meth:`named_modules`)."""
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, parameter) for every parameter, each once even if shared; with
        ``recurse=False`` only this module's own.
        """
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def parameters(self, recurse: bool = True):
        """Every parameter (see :meth:`named_parameters`): what an optimiser is given."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = ""):
        """(dotted name, tensor) for every buffer registered with :meth:`register_buffer`."""
        for module_name, module in self.named_modules(prefix):
            for name in getattr(module, "_buffer_names", []):
                yield (f"{module_name}.{name}" if module_name else name), getattr(module, name)

    def buffers(self):
        """Every registered buffer."""
        return (b for _, b in self.named_buffers())

    # --- training state -----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None, or zeros in place when ``set_to_none`` is False."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def train(self, mode: bool = True):
        """Set training mode (``mode=False``: evaluation) here and in every sub-module; returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode (``train(False)``): dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def to(self, dtype):
        """Convert floating parameters and buffers to ``dtype`` in place (e.g. np.float64)."""
        for t in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(t.dtype, np.floating):
                t.data = t.data.astype(dtype)
                t.grad = None
        return self

    def double(self):
        """Convert floating parameters and buffers to float64 in place; returns self."""
        return self.to(np.float64)

    def float(self):
        """Convert floating parameters and buffers to float32 in place; returns self."""
        return self.to(np.float32)

    # --- saving and loading ---------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, Tensor]":
        """Parameters and buffers by dotted name (the same names as the PyTorch model)."""
        state = OrderedDict((name, Tensor(p.data)) for name, p in self.named_parameters())
        state.update((name, Tensor(b.data)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values in place. Accepts dlcourse tensors, NumPy arrays or torch tensors."""
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = _as_array(state_dict[name])
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: {name} has shape {target.shape} in the model "
                                 f"but {value.shape} in the state dict")
            target.data[...] = value
        return missing, unexpected

    # --- printing -------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown inside the module's ``repr``; empty unless a subclass says more."""
        return ""

    def __repr__(self):
        kids = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(kids) + "\n)" if kids else ")")


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 4), ReLU(), Linear(4, 1))``."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def __getitem__(self, i):
        modules = list(self.children())[i]
        return Sequential(*modules) if isinstance(i, slice) else modules

    def __len__(self):
        return len(list(self.children()))

    def __iter__(self):
        return iter(list(self.children()))

    def forward(self, x):
        """Apply each module to the output of the one before."""
        for module in self.children():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters are registered (named ``0``, ``1``, ...)."""

    def __init__(self, modules: Iterable[Module] = ()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        """Add ``module`` at the end, registered under the next index; returns self."""
        setattr(self, str(len(self)), module)
        return self

    def __getitem__(self, i):
        return list(self.children())[i]

    def __len__(self):
        return len(list(self.children()))

    def __iter__(self):
        return iter(list(self.children()))
