"""``Module``, ``Parameter`` and the containers.

A module finds its parameters and sub-modules by walking its own attributes (in the order they
were assigned), so a layer only has to assign ``self.weight = Parameter(...)``. The containers
(:class:`Sequential`, :class:`ModuleList`, :class:`ModuleDict`, :class:`ParameterList`,
:class:`ParameterDict`) are modules whose entries are such attributes, named as in torch
(``"0"``, ``"1"``, ... or the dict's keys), so their state dicts have torch's keys.
"""

from __future__ import annotations

import operator
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as learnable (``requires_grad`` defaults to True)."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns, as torch names and prints it."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

_CPU_ONLY = ("the course's NumPy engine runs on the CPU only; use dlcourse.torch (PyTorch's twins of the "
             "course's models) to train on a GPU")


def _as_array(value) -> np.ndarray:
    """Accept a dlcourse tensor, a NumPy array or a torch tensor (anything with .detach().cpu().numpy())."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _torch_dtype_name(dtype) -> str | None:
    """'float64' for ``torch.float64`` (read from its name, so that torch need not be imported), else None."""
    text = str(dtype)
    return text[len("torch."):] if type(dtype).__name__ == "dtype" and text.startswith("torch.") else None


def _is_tensor(arg) -> bool:
    """A dlcourse or a torch tensor (whose dtype and device ``Module.to(tensor)`` takes)."""
    return isinstance(arg, Tensor) or (not isinstance(arg, type) and type(arg).__module__.split(".")[0] == "torch"
                                       and hasattr(arg, "dtype") and hasattr(arg, "device"))


def _is_device(arg) -> bool:
    """A device as torch accepts one: a string (``"cpu"``, ``"cuda:0"``), a ``torch.device`` or a GPU index."""
    return (isinstance(arg, str) or type(arg).__name__ == "device"
            or (isinstance(arg, int) and not isinstance(arg, bool)))


def _check_cpu(device) -> None:
    """Accept the CPU; any other device raises an error that names it."""
    name = f"cuda:{device}" if isinstance(device, int) else str(device)  # an index means a CUDA GPU, as in torch
    if name.split(":")[0] != "cpu":
        raise RuntimeError(f"cannot move a dlcourse module to device {name!r}: {_CPU_ONLY}")


def _as_float_dtype(dtype) -> np.dtype:
    """The NumPy dtype for a NumPy or torch floating dtype; torch's error for any other."""
    name = _torch_dtype_name(dtype)
    result = np.dtype(name if name is not None else dtype)
    if np.issubdtype(result, np.complexfloating):
        raise TypeError(f"nn.Module.to(dtype={result}): complex parameters are not part of the course's engine")
    if not np.issubdtype(result, np.floating):
        raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={result}")
    return result


def _check_name(module: Module, name, kind: str, fits: Callable[[Any], bool]) -> None:
    """torch's checks on a new parameter / module / buffer name; ``fits(current value)`` says whether the
    attribute already there may be replaced (it is one of that kind)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and not fits(getattr(module, name)):
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class of every layer and model: subclasses assign parameters/modules and define forward."""

    def __init__(self):
        self.training = True
        self._buffer_names: list[str] = []
        self._non_persistent_buffer_names: set[str] = set()

    def forward(self, *args, **kwargs):
        """The module's computation; every subclass defines it. ``module(x)`` calls it (there are no hooks)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- registering parameters, buffers and sub-modules -----------------------------------------
    def _check_initialised(self, kind: str) -> None:
        if "_buffer_names" not in vars(self):
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor saved in ``state_dict`` but not trained (e.g. BatchNorm's running mean).

        Args:
            name: the attribute it is reachable as. tensor: the buffer, or None (then it is skipped
                by ``state_dict``, as in torch). persistent: False keeps it out of ``state_dict``.
        """
        self._check_initialised("buffer")
        _check_name(self, name, "buffer", lambda value: name in self._buffer_names)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            f"(dlcourse Tensor or None required)")
        setattr(self, name, tensor)
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        if persistent:
            self._non_persistent_buffers().discard(name)
        else:
            self._non_persistent_buffers().add(name)

    def _non_persistent_buffers(self) -> set:
        return vars(self).setdefault("_non_persistent_buffer_names", set())

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` as this module's parameter ``name`` (``self.name = param`` does the same);
        None declares the name without a parameter (skipped by ``parameters()`` and ``state_dict``).
        """
        self._check_initialised("parameter")
        _check_name(self, name, "parameter", lambda value: value is None or isinstance(value, Parameter))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            f"(dlcourse.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             f"the value in the forward() method.")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` as the sub-module ``name`` (``self.name = module`` does the same)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module", lambda value: value is None or isinstance(value, Module))
        setattr(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

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

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        """(dotted name, tensor) for every buffer registered with :meth:`register_buffer` (None skipped)."""
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name in getattr(module, "_buffer_names", []):
                value = getattr(module, name, None)
                if value is not None:
                    yield (f"{module_name}.{name}" if module_name else name), value

    def buffers(self, recurse: bool = True):
        """Every registered buffer."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first, recursively) and then on this module; returns
        self. The usual use is initialisation: ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

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

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` of every parameter (``False`` freezes the module, as in fine-tuning);
        returns self. An optimiser skips the frozen parameters: they get no ``.grad``."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Convert floating parameters, their gradients and buffers in place; returns self.

        As torch: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (its dtype) and the
        keywords ``device``, ``dtype``, ``non_blocking``. A dtype is a NumPy one (``np.float64``,
        ``dlcourse.float64``) or torch's. The device must be the CPU (``"cpu"``, ``torch.device("cpu")``):
        the course's engine is NumPy, and ``"cuda"`` or ``"mps"`` raise an error naming the device.
        Integer buffers (``num_batches_tracked``) keep their dtype.
        """
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs.pop("memory_format", None) is not None:
            raise NotImplementedError("Module.to(memory_format=...) is not part of the course's engine "
                                      "(NumPy arrays have no channels-last layout)")
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
        for arg in args:
            if isinstance(arg, bool):
                continue  # non_blocking, given by position
            if _is_tensor(arg):
                dtype, device = arg.dtype, getattr(arg, "device", None)
            elif _is_device(arg):
                device = arg
            else:
                dtype = arg
        if device is not None:
            _check_cpu(device)
        if dtype is None:
            return self
        dtype = _as_float_dtype(dtype)
        for t in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(t.dtype, np.floating):
                t.data = t.data.astype(dtype, copy=False)
                if t.grad is not None:
                    t.grad.data = t.grad.data.astype(dtype, copy=False)
        return self

    def cpu(self) -> Module:
        """Nothing to move: the engine runs on the CPU. Returns self (as ``to("cpu")``)."""
        return self

    def cuda(self, device=None) -> Module:
        """Raises: the course's NumPy engine has no GPU (``dlcourse.torch`` does)."""
        _check_cpu("cuda" if device is None else device)
        return self

    def double(self):
        """Convert floating parameters and buffers to float64 in place; returns self."""
        return self.to(np.float64)

    def float(self):
        """Convert floating parameters and buffers to float32 in place; returns self."""
        return self.to(np.float32)

    # --- saving and loading ---------------------------------------------------------------------------
    def _own_state(self) -> Iterator[tuple[str, Tensor]]:
        """This module's own parameters, then its persistent buffers (None skipped), as torch orders them."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value
        for name in getattr(self, "_buffer_names", []):
            value = getattr(self, name, None)
            if value is not None and name not in getattr(self, "_non_persistent_buffer_names", ()):
                yield name, value

    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(key, tensor) for every entry of the state dict, in torch's order: a module's own entries, then
        each child's. Like torch, a module or parameter reachable by two names appears under both."""
        for name, value in self._own_state():
            yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_state(f"{prefix}{name}.")

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and buffers by dotted name, in torch's order and with its keys (BatchNorm's
        ``running_mean``, ``running_var``, ``num_batches_tracked`` included).

        The values share memory with the model (as torch's do); ``keep_vars=True`` gives the parameters
        themselves instead of detached tensors. Loads into the torch twin with torch's own
        ``load_state_dict`` (see ``Tensor.__torch_function__``).
        """
        destination = OrderedDict() if destination is None else destination
        for name, value in self._named_state(prefix):
            destination[name] = value if keep_vars else Tensor(value.data)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy the values of ``state_dict`` into the parameters and buffers, in place, as torch does.

        Args:
            state_dict: key -> value, where a value is a dlcourse tensor, a NumPy array or a torch tensor
                (anything with ``.detach().cpu().numpy()``), e.g. ``torch_model.state_dict()``.
            strict: raise if a key of the model is missing from ``state_dict`` or ``state_dict`` has a key
                the model lacks; with False such keys are only reported.
            assign: replace each parameter's array by the loaded one (its dtype included) instead of
                copying into it.

        Every value keeps the parameter's dtype (a float64 torch model loads into a float32 one, and
        back). A shape that differs from the model's raises a ``RuntimeError`` naming the key and both
        shapes, whatever ``strict`` says; nothing is copied then.

        Returns:
            ``(missing_keys, unexpected_keys)``, named as in torch.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = list(self._named_state())
        own_keys = {key for key, _ in own}
        missing = [key for key, _ in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own_keys]
        errors, loads = [], []
        for key, target in own:
            if key not in state_dict:
                continue
            value = _as_array(state_dict[key])
            if value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                              f"the shape in current model is {target.shape}.")
            else:
                loads.append((target, value))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for target, value in loads:
            if assign:
                target.data = value
            else:
                target.data[...] = value
        return _IncompatibleKeys(missing, unexpected)

    # --- printing -------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown inside the module's ``repr``; empty unless a subclass says more."""
        return ""

    def __repr__(self):
        kids = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(kids) + "\n)" if kids else ")")


# --- containers -------------------------------------------------------------------------------------
def _index(idx, size: int) -> int:
    """``idx`` as a position in 0..size-1 (negative counts from the end); IndexError outside."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size


class _IndexedModules(Module):
    """What :class:`Sequential` and :class:`ModuleList` share: sub-modules named ``"0"``, ``"1"``, ..."""

    def _renumber(self, modules: list[Module]) -> None:
        """Make ``modules`` the sub-modules, named 0, 1, ... in that order."""
        for name, _ in list(self.named_children()):
            delattr(self, name)
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def __len__(self):
        return len(list(self.children()))

    def __iter__(self):
        return iter(list(self.children()))

    def __setitem__(self, idx: int, module: Module) -> None:
        names = [name for name, _ in self.named_children()]
        self.add_module(names[_index(idx, len(names))], module)

    def __delitem__(self, idx: int | slice) -> None:
        modules = list(self.children())
        del modules[idx if isinstance(idx, slice) else _index(idx, len(modules))]
        self._renumber(modules)

    def append(self, module: Module):
        """Add ``module`` at the end, registered under the next index; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        """Append each of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``; the ones after it move up by one."""
        modules = list(self.children())
        if not -len(modules) <= index <= len(modules):
            raise IndexError(f"Index out of range: {index}")
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, idx: int = -1) -> Module:
        """Remove the module at ``idx`` (the last by default) and return it; the rest are renumbered."""
        module = self[idx]
        del self[idx]
        return module


class Sequential(_IndexedModules):
    """Modules applied one after the other: ``Sequential(Linear(2, 4), ReLU(), Linear(4, 1))``, or, with
    names, ``Sequential(OrderedDict([("hidden", Linear(2, 4)), ("act", ReLU()), ("out", Linear(4, 1))]))``
    (then ``model.hidden`` is the first layer and its weight is ``hidden.weight`` in the state dict).
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def __getitem__(self, idx):
        children = list(self.named_children())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(children[idx]))  # keeps the names, as torch does
        return children[_index(idx, len(children))][1]

    def forward(self, x):
        """Apply each module to the output of the one before."""
        for module in self.children():
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (named ``0``, ``1``, ...)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        modules = list(self.children())
        return ModuleList(modules[idx]) if isinstance(idx, slice) else modules[_index(idx, len(modules))]

    def __iadd__(self, modules: Iterable[Module]):
        return self.extend(modules)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys:
    ``ModuleDict({"encoder": Linear(4, 2), "decoder": Linear(2, 4)})``, keys kept in insertion order.
    A key may not be the name of a ``Module`` attribute (``"training"``, ``"forward"``), as in torch.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        value = vars(self).get(key)
        if not isinstance(value, Module):
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # a KeyError for a missing key
        delattr(self, key)

    def __len__(self):
        return len(self.keys())

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return [name for name, _ in self.named_children()]

    def items(self) -> list[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return list(self.named_children())

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return list(self.children())

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in self.keys():
            del self[key]

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) the modules of a mapping or of an iterable of (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping | ModuleDict) else modules
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is required")
            self[pair[0]] = pair[1]


class ParameterList(Module):
    """A list of parameters, registered under ``0``, ``1``, ... (a tensor added to it becomes a
    ``Parameter``, as in torch): ``ParameterList([Parameter(randn(3)) for _ in range(4)])``.
    """

    def __init__(self, values: Iterable[Any] | None = None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(self[i] for i in range(*idx.indices(len(self))))
        return getattr(self, str(_index(idx, len(self))))

    def __setitem__(self, idx: int, param) -> None:
        name = str(_index(idx, len(self)))
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, name, param)

    def append(self, value) -> ParameterList:
        """Add ``value`` at the end (a tensor as a ``Parameter``); returns self."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values``; returns self."""
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values: Iterable[Any]):
        return self.extend(values)

    def extra_repr(self) -> str:
        """One line per entry: its kind, dtype and size."""
        return "\n".join(f"  ({i}): " + (f"{'Parameter' if isinstance(p, Parameter) else 'Tensor'} containing: "
                                         f"[{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                                         if isinstance(p, Tensor) else f"Object of type: {type(p).__name__}")
                         for i, p in enumerate(self))

    def __repr__(self):
        body = self.extra_repr()
        return f"{type(self).__name__}(\n{body}\n)" if body else f"{type(self).__name__}()"


class ParameterDict(Module):
    """A dict of parameters registered under their keys (a tensor added to it becomes a ``Parameter``):
    ``ParameterDict({"scale": Parameter(ones(3)), "shift": Parameter(zeros(3))})``.
    """

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None):
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        if key not in self._keys:
            _check_name(self, key, "parameter", lambda current: False)
        self._keys[key] = None
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        self[key]  # a KeyError for a missing key
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return list(self._keys)

    def items(self) -> list[tuple[str, Any]]:
        """(key, parameter) pairs, in insertion order."""
        return [(key, self[key]) for key in self._keys]

    def values(self) -> list[Any]:
        """The parameters, in insertion order."""
        return [self[key] for key in self._keys]

    def get(self, key: str, default=None):
        """The parameter under ``key``, or ``default``."""
        return self[key] if key in self._keys else default

    def pop(self, key: str):
        """Remove the parameter under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every parameter."""
        for key in self.keys():
            del self[key]

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add (or replace) the entries of a mapping or of an iterable of (key, value) pairs."""
        pairs = parameters.items() if isinstance(parameters, Mapping | ParameterDict) else parameters
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} has length {len(pair)}; 2 is required")
            self[pair[0]] = pair[1]
