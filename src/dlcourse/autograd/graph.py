"""The lecture's explicit computation-graph style.

Every node is appended to one of three module-level lists when it is created: ``inputs`` (data),
``parameters`` (what we learn) and ``compnodes`` (computations). Because a node is created after
the nodes it reads, ``compnodes`` is already in topological order, so

* ``forward()`` evaluates ``compnodes`` front to back,
* ``backward()`` walks them back to front, each node adding its share to its inputs' ``grad``,
* ``update(lr)`` moves every parameter against its gradient.

This module is deliberately global and list-based to mirror the lecture; the Tensor engine keeps
its graph on the tensors instead. Call ``clear()`` to start a new graph.

Worked example (one neuron, squared error)::

    clear()
    w, b = Parameter(2.0), Parameter(1.0)
    x, y = Input(2.0), Input(2.0)
    loss = Square(Subtract(Add(Multiply(w, x), b), y))
    forward(); backward()      # loss.value == 9, w.grad == 12, b.grad == 6
    update(0.1)                # w.value == 0.8, b.value == 0.4
"""

import numpy as np

inputs: list = []
parameters: list = []
compnodes: list = []


def clear() -> None:
    """Forget every node (start a new graph)."""
    inputs.clear()
    parameters.clear()
    compnodes.clear()


class Node:
    """A value and the gradient of the final output with respect to it."""

    def __init__(self, value=0.0):
        self.value = np.asarray(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)

    def __repr__(self):
        return f"{type(self).__name__}(value={self.value}, grad={self.grad})"


class Input(Node):
    """Data fed into the graph; it has a gradient but is never updated."""

    def __init__(self, value=0.0):
        super().__init__(value)
        inputs.append(self)


class Parameter(Node):
    """A learnable value, moved by ``update``."""

    def __init__(self, value=0.0):
        super().__init__(value)
        parameters.append(self)


class CompNode(Node):
    """A computation node: ``forward`` sets ``value`` from its inputs' values, ``backward``
    adds ``grad`` times the local derivative into each input's ``grad``."""

    def __init__(self, *operands):
        self.operands = operands
        super().__init__()
        compnodes.append(self)
        self.forward()

    def forward(self):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError


class Add(CompNode):
    """a + b: passes the gradient unchanged to both."""

    def forward(self):
        a, b = self.operands
        self.value = a.value + b.value

    def backward(self):
        a, b = self.operands
        a.grad = a.grad + self.grad
        b.grad = b.grad + self.grad


class Subtract(CompNode):
    """a - b."""

    def forward(self):
        a, b = self.operands
        self.value = a.value - b.value

    def backward(self):
        a, b = self.operands
        a.grad = a.grad + self.grad
        b.grad = b.grad - self.grad


class Multiply(CompNode):
    """a * b: d/da = b, d/db = a."""

    def forward(self):
        a, b = self.operands
        self.value = a.value * b.value

    def backward(self):
        a, b = self.operands
        a.grad = a.grad + self.grad * b.value
        b.grad = b.grad + self.grad * a.value


class Square(CompNode):
    """a^2: d/da = 2a."""

    def forward(self):
        (a,) = self.operands
        self.value = a.value ** 2

    def backward(self):
        (a,) = self.operands
        a.grad = a.grad + self.grad * 2 * a.value


class Sigmoid(CompNode):
    """1 / (1 + e^-a): d/da = s (1 - s)."""

    def forward(self):
        (a,) = self.operands
        self.value = 1 / (1 + np.exp(-a.value))

    def backward(self):
        (a,) = self.operands
        a.grad = a.grad + self.grad * self.value * (1 - self.value)


class ReLU(CompNode):
    """max(a, 0): d/da = [a > 0]."""

    def forward(self):
        (a,) = self.operands
        self.value = np.maximum(a.value, 0)

    def backward(self):
        (a,) = self.operands
        a.grad = a.grad + self.grad * (a.value > 0)


def forward():
    """Evaluate every computation node in creation (topological) order; return the last value."""
    for node in compnodes:
        node.forward()
    return compnodes[-1].value if compnodes else None


def backward(output: Node | None = None):
    """Back-propagate from ``output`` (default: the last node created): zero all gradients, set
    d output / d output = 1, then visit the computation nodes in reverse order."""
    for node in inputs + parameters + compnodes:
        node.grad = np.zeros_like(node.value)
    output = output or compnodes[-1]
    output.grad = np.ones_like(output.value)
    for node in reversed(compnodes):
        node.backward()


def update(learning_rate: float):
    """Gradient descent on every parameter: value <- value - learning_rate * grad."""
    for p in parameters:
        p.value = p.value - learning_rate * p.grad
