"""The engine's modules depend on each other one way: function <- ops, conv_ops <- tensor <- serialization."""

import ast
from pathlib import Path

import pytest

import dlcourse
import dlcourse.autograd

AUTOGRAD = Path(dlcourse.autograd.__file__).parent

# module -> the sibling modules it may import
ALLOWED = {
    "function": set(),
    "ops": {"function"},
    "conv_ops": {"function"},
    "tensor": {"function", "ops"},
    "serialization": {"tensor"},
    "scalar": set(),
}


def _sibling_imports(module: str) -> list[tuple[str, int, bool]]:
    """(sibling, line, at top level) for every ``from . import x`` / ``from .x import y`` in a module."""
    tree = ast.parse((AUTOGRAD / f"{module}.py").read_text())
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found += [(name.split(".")[0], node.lineno, id(node) in top_level) for name in names]
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_autograd_modules_import_only_the_ones_below_them(module):
    imports = _sibling_imports(module)
    assert {name for name, _, _ in imports} <= ALLOWED[module], f"{module}.py imports {imports}"
    late = [(name, line) for name, line, top in imports if not top]
    assert not late, f"{module}.py imports inside a function or block: {late}"


def test_tensor_imports_come_before_any_code():
    tree = ast.parse((AUTOGRAD / "tensor.py").read_text())
    first_code = next(i for i, node in enumerate(tree.body)
                      if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr))
    late = [node.lineno for node in tree.body[first_code:] if isinstance(node, ast.Import | ast.ImportFrom)]
    assert not late, f"tensor.py imports after its code starts, at lines {late}"


def test_the_public_names_still_import_from_where_they_did():
    from dlcourse import Function, Tensor, is_grad_enabled, no_grad
    from dlcourse.autograd import Function as AutogradFunction
    from dlcourse.autograd.function import IndexedGrad
    from dlcourse.autograd.tensor import Tensor as EngineTensor

    assert AutogradFunction is Function and EngineTensor is Tensor and IndexedGrad.__slots__
    assert Function.tensor_class is Tensor
    with no_grad():
        assert not is_grad_enabled()
    assert is_grad_enabled() and dlcourse.no_grad is no_grad


def test_a_function_defined_outside_the_package_records_the_graph():
    class Square(dlcourse.Function):
        """z = x^2.   dz/dx = 2x."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = dlcourse.tensor([1.0, -3.0], requires_grad=True)
    y = Square.apply(x)
    assert type(y) is dlcourse.Tensor and len(y.grad_fn.inputs) == 1 and y.grad_fn.inputs[0] is x
    y.sum().backward()
    assert x.grad.tolist() == [2.0, -6.0]
