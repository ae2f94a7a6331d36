"""A scalar reverse-mode engine, small enough to read in one sitting (micrograd-size).

Each ``Value`` holds a number, its gradient, the values it was computed from (``_parents``) and a
function ``_backward`` that passes its gradient on to them: the chain rule for that one op. This is
the class chapter 03 builds step by step; from then on the lessons import it from here.
"""

import math
import numbers


class Value:
    """A scalar that records how it was computed, for reverse-mode automatic differentiation.

    Attributes:
        data: the number (a float).
        grad: dL/d(this value); 0.0 until a backward pass fills it in.
        _parents: the Values this one was computed from.
        _op: the operation that made it ("+", "*", "tanh", ...; "" for a leaf), for printing graphs.
        _backward: adds this node's contributions to its parents' ``.grad``, assuming ``self.grad``
            already holds the final dL/d(self).

    >>> w, x, b = Value(2.0), Value(2.0), Value(1.0)
    >>> loss = (w * x + b - 2.0) ** 2
    >>> loss.backward(); loss.data, w.grad, b.grad
    (9.0, 12.0, 6.0)

    ``==`` compares the numbers, as ``==`` of two one-element torch tensors does (``Value(1.0) ==
    Value(1.0)`` and ``Value(1.0) == 1.0`` are True; micrograd compares identity), and gives a Python
    bool, outside the graph. Hashing stays by identity, so two Values with the same number are
    still two nodes in a set or a dict, as the graph needs: ``w`` and ``x`` above are equal, yet
    ``len({w, x}) == 2``.
    """

    def __init__(self, data, _parents=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(_parents)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:g}, grad={self.grad:g})"

    def __eq__(self, other):
        """True if the numbers are equal (``other`` a Value or a number); not part of the graph."""
        if isinstance(other, Value):
            return self.data == other.data
        if isinstance(other, numbers.Real):
            return self.data == other
        return NotImplemented

    __hash__ = object.__hash__  # by identity: each Value is its own node in sets and dicts

    @staticmethod
    def _as_value(other):
        """A plain number becomes a constant leaf; a Value is used as it is."""
        return other if isinstance(other, Value) else Value(other)

    # --- the chain rule, written once for one-input and two-input operations ---------------------------
    def _unary(self, value, local_grad, op):
        """out = f(self) with df/d(self) = ``local_grad``: the pattern of every one-input operation."""
        out = Value(value, (self,), op)

        def _backward():
            self.grad += local_grad * out.grad

        out._backward = _backward
        return out

    def _binary(self, other, value, grad_self, grad_other, op):
        """out = f(self, other) with df/d(self) = ``grad_self`` and df/d(other) = ``grad_other``."""
        out = Value(value, (self, other), op)

        def _backward():
            self.grad += grad_self * out.grad
            other.grad += grad_other * out.grad

        out._backward = _backward
        return out

    # --- the operations: each gives its value and its local derivatives -------------------------------
    def __add__(self, other):
        """a + b.   d/da = 1,  d/db = 1."""
        other = Value._as_value(other)
        return self._binary(other, self.data + other.data, 1.0, 1.0, "+")

    def __mul__(self, other):
        """a * b.   d/da = b,  d/db = a."""
        other = Value._as_value(other)
        return self._binary(other, self.data * other.data, other.data, self.data, "*")

    def __pow__(self, exponent):
        """a ** k for a constant number k.   d/da = k a^(k-1)."""
        if not isinstance(exponent, int | float):
            raise TypeError(f"Value ** supports int/float exponents, got {type(exponent).__name__}")
        return self._unary(self.data ** exponent, exponent * self.data ** (exponent - 1), f"**{exponent}")

    def exp(self):
        """e^a.   d/da = e^a (the output itself)."""
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self):
        """ln a (a > 0).   d/da = 1/a."""
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def tanh(self):
        """tanh a.   d/da = 1 - tanh^2 a."""
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def relu(self):
        """max(a, 0).   d/da = 1 if a > 0 else 0."""
        return self._unary(max(self.data, 0.0), float(self.data > 0), "relu")

    def sigmoid(self):
        """1 / (1 + e^-a).   d/da = s (1 - s) = e^-|a| / (1 + e^-|a|)^2.

        Evaluated with e^-|a| only, which never overflows: for a < 0 as e^a / (1 + e^a), so that
        sigmoid(-50) is 1.93e-22 (not 1 - 1 = 0) and sigmoid(-1000) underflows to 0 without an error;
        the derivative in the same form stays accurate where s rounds to 1.
        """
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        return self._unary(s, e / (1.0 + e) ** 2, "sigmoid")

    # --- built from the operations above --------------------------------------------------------------
    def __neg__(self):
        """-a = a * (-1)."""
        return self * -1.0

    def __sub__(self, other):
        """a - b = a + (-b)."""
        return self + (-Value._as_value(other))

    def __truediv__(self, other):
        """a / b = a * b^-1."""
        return self * Value._as_value(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value._as_value(other) - self

    def __rtruediv__(self, other):
        return Value._as_value(other) / self

    def backward(self):
        """Set d(self)/d(v) in ``v.grad`` for every value v this one depends on.

        The graph is sorted iteratively (an explicit stack, not recursion), so chains of any depth
        work; every gradient is reset first, so calling ``backward`` twice gives the same result.
        """
        order, visited, stack = [], set(), [(self, False)]
        while stack:  # depth-first search: parents come before the values made from them
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents if id(parent) not in visited)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
