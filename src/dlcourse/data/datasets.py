"""Real datasets (MNIST, Fashion-MNIST, Tiny Shakespeare, Cora) and the small built-in ones."""

import io
import pickle
import warnings
from dataclasses import dataclass

import numpy as np

from .files import fetch

_SPLITS = {"train": "train", "test": "t10k"}


def _parse_idx(content: bytes) -> np.ndarray:
    """IDX format: 2 zero bytes, a type code (0x08 = uint8), the number of dims, big-endian sizes, data."""
    if content[:2] != b"\x00\x00" or content[2] != 0x08:
        raise ValueError("not an unsigned-byte IDX file")
    ndim = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _load_idx_pair(folder, split):
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = _SPLITS[split]
    images = _parse_idx(fetch(f"{folder}/{prefix}-images-idx3-ubyte"))
    labels = _parse_idx(fetch(f"{folder}/{prefix}-labels-idx1-ubyte")).astype(np.int64)
    return images, labels


def load_mnist(split="train"):
    """MNIST digits. Returns (images uint8 (N, 28, 28), labels int64 (N,)); N = 60,000 or 10,000."""
    return _load_idx_pair("mnist", split)


def load_fashion_mnist(split="train"):
    """Fashion-MNIST clothing images, same format as :func:`load_mnist`."""
    return _load_idx_pair("fashion-mnist", split)


def load_tiny_shakespeare() -> str:
    """The 1,115,394 characters of Tiny Shakespeare, as one string."""
    return fetch("tinyshakespeare/input.txt").decode("utf-8")


@dataclass
class GraphData:
    """A node-classification graph: features x (N, F), labels y (N,), a dense adjacency (N, N),
    the edge list edge_index (2, E) and boolean train/val/test masks."""

    x: np.ndarray
    y: np.ndarray
    adjacency: np.ndarray
    train_mask: np.ndarray
    val_mask: np.ndarray
    test_mask: np.ndarray

    @property
    def edge_index(self) -> np.ndarray:
        """The edges as a (2, E) array: the (row, column) indices of the adjacency's non-zero entries."""
        return np.array(np.nonzero(self.adjacency))

    @property
    def num_nodes(self) -> int:
        """N, the number of nodes."""
        return len(self.y)


def _mask(n, index):
    mask = np.zeros(n, dtype=bool)
    mask[index] = True
    return mask


def load_cora() -> GraphData:
    """Cora with the Planetoid split (Yang et al. 2016): 2,708 papers, 1,433 word features, 7 classes;
    140 training, 500 validation and 1,000 test nodes. The pickles are unpickled only after their
    SHA-256 matched."""
    parts = {}
    for name in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        with warnings.catch_warnings():  # the 2016 pickles name scipy's old module path
            warnings.simplefilter("ignore", DeprecationWarning)
            parts[name] = pickle.load(io.BytesIO(fetch(f"cora/ind.cora.{name}")), encoding="latin1")
    test_index = np.array(fetch("cora/ind.cora.test.index").decode().split(), dtype=np.int64)
    order = np.sort(test_index)
    features = np.vstack([parts["allx"].toarray(), parts["tx"].toarray()]).astype(np.float32)
    labels = np.vstack([parts["ally"], parts["ty"]])
    features[test_index] = features[order]  # the test rows are stored in sorted order
    labels[test_index] = labels[order]
    n = len(features)
    adjacency = np.zeros((n, n), dtype=np.float32)
    for node, neighbours in parts["graph"].items():
        adjacency[node, neighbours] = 1
    adjacency = np.maximum(adjacency, adjacency.T)
    np.fill_diagonal(adjacency, 0)
    return GraphData(features, labels.argmax(1).astype(np.int64), adjacency, _mask(n, np.arange(140)),
                     _mask(n, np.arange(140, 640)), _mask(n, order[:1000]))


def load_digits():
    """scikit-learn's 1,797 8x8 digits: (X float32 (1797, 64) scaled to [0, 1], y int64)."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return (digits.data / 16).astype(np.float32), digits.target.astype(np.int64)


def karate_club() -> GraphData:
    """Zachary's karate club (networkx): 34 members, 78 friendships; the label is the club each
    member joined after the split (0 = Mr. Hi, 1 = Officer). Features are one-hot node ids; one
    member of each club (the two leaders, nodes 0 and 33) is in the training mask."""
    import networkx as nx

    graph = nx.karate_club_graph()
    n = graph.number_of_nodes()
    adjacency = nx.to_numpy_array(graph, nodelist=range(n), weight=None).astype(np.float32)
    labels = np.array([graph.nodes[i]["club"] != "Mr. Hi" for i in range(n)], dtype=np.int64)
    train = _mask(n, [0, 33])
    return GraphData(np.eye(n, dtype=np.float32), labels, adjacency, train, ~train, ~train)
