"""The book's plots (matplotlib only). Every function sets a title and axis labels and returns the
``Axes`` (or ``Figure`` for grids) so a notebook can adjust it further."""

import matplotlib.pyplot as plt
import numpy as np

from .autograd.scalar import Value
from .autograd.function import no_grad
from .autograd.tensor import Tensor


def _axes(ax):
    return ax if ax is not None else plt.subplots(figsize=(5, 4))[1]


def _predict_classes(model, points):
    if hasattr(model, "forward"):  # a dlcourse Module: argmax of its outputs (or > 0 for one logit)
        with no_grad():
            out = model(Tensor(points.astype(np.float32))).data
        return (out[:, 0] > 0).astype(int) if out.ndim == 2 and out.shape[1] == 1 else out.argmax(1)
    out = np.asarray(model(points))
    return out.argmax(1) if out.ndim == 2 else out


def plot_decision_boundary(model, X, y, ax=None, resolution=200, padding=0.5, title="Decision boundary"):
    """Shade the plane by the class ``model`` predicts and scatter the points (X (N, 2), y (N,)).

    ``model``: a dlcourse Module (argmax of its outputs) or a function of an (M, 2) array that
    returns labels or class scores.
    """
    ax = _axes(ax)
    X, y = np.asarray(getattr(X, "data", X)), np.asarray(getattr(y, "data", y))
    lo, hi = X.min(0) - padding, X.max(0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    classes = _predict_classes(model, np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    ax.contourf(xx, yy, classes, alpha=0.3, cmap="coolwarm", levels=np.arange(classes.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=20)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax


def plot_loss_curves(curves, ax=None, log_scale=False, title="Loss during training", xlabel="epoch", ylabel="loss"):
    """Plot one or several loss curves: a list of numbers or a {label: list} dict."""
    ax = _axes(ax)
    curves = curves if isinstance(curves, dict) else {"loss": curves}
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax


def plot_optimizer_paths(loss_fn, paths, xlim=(-2, 2), ylim=(-2, 2), ax=None, levels=30,
                         title="Optimiser paths on the loss surface"):
    """Contours of a 2-D loss surface and the path of each optimiser on it.

    Args:
        loss_fn: function of two arrays (w1, w2) returning the loss, elementwise.
        paths: {label: array (T, 2)} of visited points.
    """
    ax = _axes(ax)
    w1, w2 = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    ax.contour(w1, w2, loss_fn(w1, w2), levels=levels, cmap="viridis", linewidths=0.7)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "o-", markersize=2, label=label)
    ax.set(title=title, xlabel="$w_1$", ylabel="$w_2$", xlim=xlim, ylim=ylim)
    ax.legend()
    return ax


def _graph_of(root):
    """Nodes and edges of a Tensor's or a Value's graph, each node with its depth from the root."""
    if isinstance(root, Tensor):
        def parents(n):
            return n._ctx.inputs if n._ctx is not None else ()
    else:
        def parents(n):
            return n._parents
    depth, edges, stack = {id(root): 0}, [], [root]
    nodes = {id(root): root}
    while stack:
        node = stack.pop()
        for parent in parents(node):
            edges.append((id(parent), id(node)))
            if depth.get(id(parent), -1) < depth[id(node)] + 1:
                depth[id(parent)] = depth[id(node)] + 1
                nodes[id(parent)] = parent
                stack.append(parent)
    return nodes, edges, depth


def _label(node, names):
    name = names.get(id(node), "")
    if isinstance(node, Value):
        op = f"{node._op}\n" if node._op else ""
        return f"{op}{name}{' = ' if name else ''}{node.data:.4g}\ngrad {node.grad:.4g}"
    op = f"{type(node._ctx).__name__}\n" if node._ctx is not None else ""
    return f"{op}{name}{' ' if name else ''}{node.shape}"


def draw_computation_graph(root, names=None, ax=None, title="Computation graph"):
    """Draw the graph behind a Tensor or a scalar Value: inputs on the left, the output on the right,
    each node labelled with its op and value (scalars) or shape (tensors).

    Args:
        names: optional {node: "w"} labels for the leaves.
    """
    ax = _axes(ax)
    names = {id(k): v for k, v in (names or {}).items()}
    nodes, edges, depth = _graph_of(root)
    max_depth = max(depth.values())
    columns: dict[int, list] = {}
    for key in nodes:
        columns.setdefault(max_depth - depth[key], []).append(key)
    position = {key: (col, row - (len(keys) - 1) / 2) for col, keys in columns.items() for row, key in enumerate(keys)}
    for src, dst in set(edges):
        ax.annotate("", xy=position[dst], xytext=position[src],
                    arrowprops=dict(arrowstyle="->", shrinkA=18, shrinkB=18, color="gray"))
    for key, (x, y) in position.items():
        ax.text(x, y, _label(nodes[key], names), ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="lightyellow" if depth[key] else "lightblue"))
    half_height = max(map(len, columns.values())) / 2 + 0.5
    ax.set(title=title, xlabel="computation order (inputs -> output)", ylabel="nodes",
           xlim=(-0.7, max_depth + 0.7), ylim=(-half_height, half_height))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def show_images(images, labels=None, ncols=8, title="Images", cmap="gray"):
    """A grid of images (N, H, W) or (N, C, H, W); optional labels under each. Returns the Figure."""
    images = np.asarray(getattr(images, "data", images))
    if images.ndim == 4:
        images = images.transpose(0, 2, 3, 1) if images.shape[1] in (3, 4) else images[:, 0]
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.3 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if labels is not None:
                ax.set_title(str(np.asarray(getattr(labels, "data", labels))[i]), fontsize=8)
    fig.suptitle(title)
    fig.supxlabel("image")
    fig.supylabel("row")
    return fig


def show_conv_filters(weight, title="Convolution filters"):
    """Each output channel's kernel (first input channel) of a conv weight (O, C, KH, KW), on a
    shared, zero-centred colour scale. Returns the Figure."""
    weight = np.asarray(getattr(weight, "data", weight))
    kernels = weight[:, 0]
    limit = np.abs(kernels).max() or 1.0
    ncols = min(8, len(kernels))
    fig = show_images(kernels, labels=[f"filter {i}" for i in range(len(kernels))], ncols=ncols, title=title,
                      cmap="RdBu")
    for ax in fig.axes:
        for image in ax.get_images():
            image.set_clim(-limit, limit)
    fig.supxlabel("kernel column")
    fig.supylabel("kernel row")
    return fig
