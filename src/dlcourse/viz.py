"""The book's plots (matplotlib): decision boundaries, loss curves, optimiser paths, computation
graphs, images and filters, graphs with node values; and the occlusion saliency map they show.

Every plotting function sets a title and axis labels and returns the ``Axes`` (or ``Figure`` for
grids) so a notebook can adjust it further.
"""

import matplotlib.pyplot as plt
import numpy as np

from .autograd.conv_ops import conv_output_size
from .autograd.function import no_grad
from .autograd.scalar import Value
from .autograd.tensor import Tensor
from .data.graphs import dense_adjacency


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
            return n.grad_fn.inputs if n.grad_fn is not None else ()
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
    op = f"{type(node.grad_fn).__name__}\n" if node.grad_fn is not None else ""
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


def draw_graph(adjacency, values=None, positions=None, ax=None, title="", labels=True, cmap="coolwarm",
               node_size=300, colorbar_label=None, seed=0, vmin=None, vmax=None):
    """Draw a graph: nodes coloured by ``values`` (one number per node), edges as grey lines.

    positions: an (N, 2) array or None for a seeded spring layout (networkx). vmin, vmax: the colour
    scale (default: symmetric about 0 for signed values, else 0 to the largest value). Returns
    (ax, positions), so that several drawings of one graph can share the layout.
    """
    import matplotlib.pyplot as plt

    a = dense_adjacency(adjacency)
    n = len(a)
    if positions is None:
        import networkx as nx

        graph = nx.from_numpy_array(a)
        layout = nx.spring_layout(graph, seed=seed)
        positions = np.array([layout[i] for i in range(n)])
    positions = np.asarray(positions, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    rows, cols = np.nonzero(np.triu(a + a.T, k=1))
    for i, j in zip(rows, cols):
        ax.plot(positions[[i, j], 0], positions[[i, j], 1], color="0.7", lw=1, zorder=1)
    if values is None:
        ax.scatter(positions[:, 0], positions[:, 1], s=node_size, color="C0", edgecolors="k", zorder=2)
    else:
        values = np.asarray(values, dtype=float)
        limit = np.abs(values).max() or 1.0
        points = ax.scatter(positions[:, 0], positions[:, 1], s=node_size, c=values, cmap=cmap,
                            vmin=(-limit if values.min() < 0 else 0) if vmin is None else vmin,
                            vmax=limit if vmax is None else vmax, edgecolors="k", zorder=2)
        if colorbar_label:
            ax.figure.colorbar(points, ax=ax, label=colorbar_label)
    if labels:
        for i, (x, y) in enumerate(positions):
            ax.text(x, y, str(i), ha="center", va="center", fontsize=7, zorder=3)
    ax.set_title(title)
    ax.set_xlabel("layout x")
    ax.set_ylabel("layout y")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax, positions



def occlusion_saliency(score, image, target: int, patch_size: int, stride: int, fill: float = 0.0,
                       batch_size: int = 64) -> np.ndarray:
    """Drop of a class score when a square patch of the image is hidden, for every patch position.

    Args:
        score: function mapping a batch (N, C, H, W) to scores (N, classes) as a NumPy array.
        image: one image (C, H, W).
        target: the class whose score is watched.
        patch_size, stride: the patch's side and the step between patch positions.
        fill: the value written into the hidden patch.
        batch_size: how many occluded copies are scored at once.
    Returns:
        an array (OH, OW) with OH = floor((H - patch_size) / stride) + 1 (likewise OW): entry (i, j) is
        ``score(image)[target] - score(occluded)[target]`` for the patch whose top-left corner is
        (i stride, j stride). Large values mark regions the decision depends on.
    """
    image = np.asarray(image)
    _, h, w = image.shape
    oh, ow = conv_output_size(h, patch_size, stride), conv_output_size(w, patch_size, stride)
    base = float(np.asarray(score(image[None]))[0, target])
    corners = [(i * stride, j * stride) for i in range(oh) for j in range(ow)]
    drops = []
    for first in range(0, len(corners), batch_size):
        batch = np.repeat(image[None], len(corners[first:first + batch_size]), axis=0)
        for k, (top, left) in enumerate(corners[first:first + batch_size]):
            batch[k, :, top:top + patch_size, left:left + patch_size] = fill
        drops.append(base - np.asarray(score(batch))[:, target])
    return np.concatenate(drops).reshape(oh, ow)

