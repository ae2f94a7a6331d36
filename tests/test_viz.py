"""Plots: each returns its Axes/Figure with a title and axis labels, for Tensors and Values."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import dlcourse
from dlcourse import nn, viz
from dlcourse.autograd.scalar import Value


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_labelled(ax):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_decision_boundary_of_a_module_and_of_a_function():
    X, y = dlcourse.data.make_moons(n_samples=50)
    assert_labelled(viz.plot_decision_boundary(nn.Linear(2, 2), X, y, resolution=30))
    ax = viz.plot_decision_boundary(lambda p: (p[:, 0] > 0).astype(int), X, y, resolution=30)
    assert_labelled(ax)
    assert len(ax.collections) >= 2  # the shaded regions and the points


def test_loss_curves_plot_one_line_per_curve():
    ax = viz.plot_loss_curves({"train": [3, 2, 1], "test": [3, 2.5, 2]}, log_scale=True)
    assert_labelled(ax) and len(ax.lines) == 2 and ax.get_yscale() == "log"


def test_optimizer_paths_draw_each_path():
    path = np.array([[1.5, 1.5], [1.0, 0.5], [0.1, 0.1]])
    ax = viz.plot_optimizer_paths(lambda a, b: a ** 2 + 10 * b ** 2, {"SGD": path, "Adam": path * 0.5})
    assert_labelled(ax) and len(ax.lines) == 2


def test_computation_graph_of_values_shows_every_node():
    w, x, b = Value(2.0), Value(2.0), Value(1.0)
    loss = (w * x + b - 2.0) ** 2
    loss.backward()
    ax = viz.draw_computation_graph(loss, names={w: "w", b: "b"})
    assert_labelled(ax)
    texts = [t.get_text() for t in ax.texts]
    assert any("w = 2" in t and "grad 12" in t for t in texts) and any("**2" in t for t in texts)


def test_computation_graph_of_tensors_names_the_ops():
    x = dlcourse.randn(3, 2, requires_grad=True)
    ax = viz.draw_computation_graph((x @ dlcourse.randn(2, 1)).relu().sum())
    assert {"MatMul", "ReLU", "Sum"} <= {t.get_text().split("\n")[0] for t in ax.texts}


def test_image_grid_and_conv_filters_return_titled_figures():
    fig = viz.show_images(np.random.default_rng(0).random((10, 8, 8)), labels=list(range(10)), ncols=5)
    assert fig._suptitle.get_text() == "Images" and len(fig.axes) == 10
    fig = viz.show_conv_filters(nn.Conv2d(1, 4, 3).weight)
    assert fig._suptitle.get_text() and fig._supxlabel.get_text() and len(fig.axes) == 4
