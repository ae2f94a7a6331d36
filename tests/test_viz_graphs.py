"""dlcourse.viz.draw_graph: a labelled drawing whose layout can be reused, with a chosen colour scale."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse

from dlcourse.viz import draw_graph

# The lecture's unweighted 5-node graph (nodes 1..5 there, 0..4 here)
A = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)


def test_draw_graph_keeps_its_layout_and_labels_its_axes():
    ax, positions = draw_graph(A, values=np.arange(5.0), title="five nodes", colorbar_label="value")
    assert positions.shape == (5, 2) and ax.get_title() == "five nodes" and ax.get_xlabel() and ax.get_ylabel()
    ax2, again = draw_graph(A, positions=positions)
    assert np.array_equal(again, positions)
    ax3, _ = draw_graph(A, values=np.full(5, 0.5), positions=positions, vmin=0, vmax=1)
    assert ax3.collections[-1].get_clim() == (0, 1)
    plt.close("all")


def test_draw_graph_draws_each_edge_once_and_a_seeded_layout():
    _, ax = plt.subplots()
    draw_graph(scipy.sparse.csr_matrix(np.triu(A)), ax=ax, labels=False)   # a directed listing: same six lines
    assert len(ax.lines) == 6 and not ax.texts
    _, first = draw_graph(A, seed=4)
    _, second = draw_graph(A, seed=4)
    assert np.allclose(first, second)
    _, ax = plt.subplots()
    draw_graph(A, values=np.array([-2.0, 0, 1, 0, 0]), ax=ax)                # signed: a scale symmetric about 0
    assert ax.collections[-1].get_clim() == (-2, 2) and len(ax.texts) == 5
    plt.close("all")
