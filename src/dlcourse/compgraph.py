"""The lecture's explicit computation-graph framework, with the lecture's names (chapter 03).

It lives apart from :mod:`dlcourse.autograd` on purpose: its ``Parameter``, ``Add`` or ``ReLU`` are
graph nodes of this small framework, not the engine's ops or ``dlcourse.nn``'s layers, so a lesson
uses them qualified (``compgraph.Parameter``) and they never shadow the engine's names.

The graph is declared once, before training, from three kinds of node:

* ``Input`` holds data in ``.value`` and ignores gradients;
* ``Parameter`` holds a learnable ``.value`` and its ``.grad``, and appends itself to
  ``parameter_nodes`` when it is created;
* a compute node (a ``CompNode`` subclass) keeps its parents as attributes, and appends itself to
  ``compute_nodes`` when it is created (``register``). A node is created after the nodes it
  reads, so ``compute_nodes`` is already in topological order.

Training is three loops over those lists:

* ``forward_pass()`` calls every compute node's ``forward`` front to back (each sets ``.value``
  from its parents' values);
* ``backward_pass(loss)`` zeroes every gradient, seeds ``loss.grad`` with 1/N for the N entries of
  the loss (the loss is their mean), then calls every ``backward`` back to front; each sends its
  ``grad`` times its local derivative to its parents through ``add_grad``;
* ``update_parameters(learning_rate)`` moves every parameter against its gradient.

Nodes may hold whole batches (one row per example): ``Parameter.add_grad`` sums the leading batch
axis away, so a parameter receives the gradient summed over the examples.

This module is deliberately global and list-based to mirror the lecture; the Tensor engine keeps
its graph on the tensors instead. Call ``clear()`` to start a new graph.

Worked example (one neuron, squared error)::

    clear()
    w, b = Parameter(2.0), Parameter(1.0)
    x, y = Input(2.0), Input(2.0)
    loss = Square(Subtract(Add(Multiply(w, x), b), y))
    forward_pass()               # loss.value == 9
    backward_pass(loss)          # w.grad == 12, b.grad == 6
    update_parameters(0.1)       # w.value == 0.8, b.value == 0.4
"""

import numpy as np

from .autograd.ops import sigmoid

compute_nodes: list = []
parameter_nodes: list = []


def clear() -> None:
    """Forget every node (start a new graph)."""
    compute_nodes.clear()
    parameter_nodes.clear()


class Input:
    """Data fed into the graph (put it in ``.value``); it receives no gradient."""

    def __init__(self, value=None):
        self.value = value

    def add_grad(self, delta):
        """Nothing: data needs no gradient."""

    def __repr__(self):
        return f"Input(value={self.value})"


class Parameter:
    """A learnable value, moved by ``update``."""

    def __init__(self, value):
        self.value = np.array(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        parameter_nodes.append(self)

    def add_grad(self, delta):
        """grad += delta, summed over the leading (batch) axes that the parameter does not have."""
        delta = np.asarray(delta)
        self.grad = self.grad + delta.sum(axis=tuple(range(delta.ndim - self.value.ndim)))

    def update(self, learning_rate):
        """One gradient-descent step: value <- value - learning_rate * grad."""
        self.value = self.value - learning_rate * self.grad

    def __repr__(self):
        return f"Parameter(value={self.value}, grad={self.grad})"


class CompNode:
    """A computation node. Subclasses store their parents, call ``register()`` in ``__init__``, and
    define ``forward`` (set ``self.value`` from the parents' values) and ``backward`` (send
    ``self.grad`` times the local derivative to each parent's ``add_grad``)."""

    def register(self):
        """Append this node to ``compute_nodes`` (call it at the end of ``__init__``, once the parents are set)."""
        self.value = None
        compute_nodes.append(self)

    def add_grad(self, delta):
        """grad += delta: a child sends its share of dL/d(this node)."""
        self.grad = self.grad + delta

    def forward(self):
        """Set ``self.value`` from the parents' values; each node type defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self):
        """Send ``self.grad`` times the local derivative to each parent's ``add_grad``; each node type defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define backward()")

    def __repr__(self):
        return f"{type(self).__name__}(value={self.value}, grad={getattr(self, 'grad', None)})"


class Affine(CompNode):
    """value = x @ w + b for a batch x of shape (N, D), w (D,), b a number.
    dL/dw = sum_n g_n x_n,  dL/db = sum_n g_n,  dL/dx_n = g_n w."""

    def __init__(self, x, w, b):
        self.x, self.w, self.b = x, w, b
        self.register()

    def forward(self):
        """value = x @ w + b."""
        self.value = self.x.value @ self.w.value + self.b.value

    def backward(self):
        """w gets sum_n g_n x_n, b gets sum_n g_n, x gets g_n w."""
        self.w.add_grad(self.grad[:, None] * self.x.value)
        self.b.add_grad(self.grad)
        self.x.add_grad(self.grad[:, None] * self.w.value)


class Add(CompNode):
    """value = a + b.   d/da = 1,  d/db = 1."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.register()

    def forward(self):
        """value = a + b."""
        self.value = self.a.value + self.b.value

    def backward(self):
        """a and b each get g."""
        self.a.add_grad(self.grad)
        self.b.add_grad(self.grad)


class Subtract(CompNode):
    """value = a - b.   d/da = 1,  d/db = -1."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.register()

    def forward(self):
        """value = a - b."""
        self.value = self.a.value - self.b.value

    def backward(self):
        """a gets g, b gets -g."""
        self.a.add_grad(self.grad)
        self.b.add_grad(-self.grad)


class Multiply(CompNode):
    """value = a * b.   d/da = b,  d/db = a."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.register()

    def forward(self):
        """value = a * b."""
        self.value = self.a.value * self.b.value

    def backward(self):
        """a gets g b, b gets g a."""
        self.a.add_grad(self.grad * self.b.value)
        self.b.add_grad(self.grad * self.a.value)


class Square(CompNode):
    """value = z^2.   d/dz = 2z."""

    def __init__(self, z):
        self.z = z
        self.register()

    def forward(self):
        """value = z^2."""
        self.value = self.z.value ** 2

    def backward(self):
        """z gets 2 g z."""
        self.z.add_grad(self.grad * 2 * self.z.value)


class Sigmoid(CompNode):
    """value = 1 / (1 + e^-z).   d/dz = value (1 - value)."""

    def __init__(self, z):
        self.z = z
        self.register()

    def forward(self):
        """value = sigma(z), stable for every z."""
        self.value = sigmoid(np.asarray(self.z.value, dtype=np.float64))

    def backward(self):
        """z gets g value (1 - value)."""
        self.z.add_grad(self.grad * self.value * (1.0 - self.value))


class ReLU(CompNode):
    """value = max(z, 0).   d/dz = [z > 0]."""

    def __init__(self, z):
        self.z = z
        self.register()

    def forward(self):
        """value = max(z, 0)."""
        self.value = np.maximum(self.z.value, 0)

    def backward(self):
        """z gets g [z > 0]."""
        self.z.add_grad(self.grad * (self.z.value > 0))


class BinaryCrossEntropy(CompNode):
    """One loss per example: value = -y ln p - (1 - y) ln(1 - p).   d/dp = (p - y) / (p (1 - p))."""

    def __init__(self, p, y):
        self.p, self.y = p, y
        self.register()

    def forward(self):
        """value = -y ln p - (1 - y) ln(1 - p), one per example."""
        p, y = self.p.value, self.y.value
        self.value = -y * np.log(p) - (1 - y) * np.log(1 - p)

    def backward(self):
        """p gets g (p - y) / (p (1 - p)); y, the data, gets nothing."""
        p, y = self.p.value, self.y.value
        self.p.add_grad(self.grad * (p - y) / (p * (1 - p)))


def forward_pass():
    """Evaluate every compute node in creation (topological) order."""
    for node in compute_nodes:
        node.forward()


def backward_pass(loss):
    """Zero every gradient, seed d(mean loss)/d(loss entry) = 1/N, then visit the compute nodes in
    reverse order so that each sends its gradient to its parents."""
    for node in compute_nodes + parameter_nodes:
        node.grad = np.zeros_like(node.value, dtype=np.float64)
    loss.grad = np.full_like(loss.value, 1.0 / np.size(loss.value), dtype=np.float64)
    for node in reversed(compute_nodes):
        node.backward()


def update_parameters(learning_rate):
    """Gradient descent on every parameter: value <- value - learning_rate * grad."""
    for parameter in parameter_nodes:
        parameter.update(learning_rate)
