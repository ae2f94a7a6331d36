"""Data: batching, synthetic sets, and the loaders' search order, checksums and error messages."""

import gzip
import hashlib
import os

import numpy as np
import pytest

import dlcourse
from dlcourse import data
from dlcourse.data import files

NAME = "mnist/t10k-labels-idx1-ubyte"


# --- Dataset and DataLoader --------------------------------------------------------------------
def test_dataloader_batches_cover_the_dataset_in_order_without_shuffle():
    ds = data.TensorDataset(np.arange(10, dtype=np.float32)[:, None], np.arange(10))
    batches = list(data.DataLoader(ds, batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert np.concatenate([y.data for _, y in batches]).tolist() == list(range(10))
    assert batches[0][0].shape == (4, 1)


def test_dataloader_drop_last_and_len():
    ds = data.TensorDataset(np.zeros((10, 2)))
    assert len(data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert len(list(data.DataLoader(ds, batch_size=4, drop_last=True))) == 2
    assert len(data.DataLoader(ds, batch_size=4)) == 3


def test_dataloader_shuffle_is_a_permutation_reproducible_by_manual_seed():
    ds = data.TensorDataset(np.arange(20))
    dlcourse.manual_seed(5)
    first = np.concatenate([b[0].data for b in data.DataLoader(ds, batch_size=6, shuffle=True)])
    dlcourse.manual_seed(5)
    second = np.concatenate([b[0].data for b in data.DataLoader(ds, batch_size=6, shuffle=True)])
    assert sorted(first) == list(range(20)) and first.tolist() != list(range(20))
    assert first.tolist() == second.tolist()


def test_dataloader_collates_a_custom_dataset():
    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i], dtype=np.float32), i * i

    x, y = next(iter(data.DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 1) and y.tolist() == [0, 1, 4]


def test_tensor_dataset_rejects_different_lengths():
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        data.TensorDataset(np.zeros(3), np.zeros(4))


# --- synthetic and built-in sets ------------------------------------------------------------------
@pytest.mark.parametrize("make", [data.make_xor, data.make_moons, data.make_spirals])
def test_synthetic_classification_sets_are_seeded_and_shaped(make):
    X, y = make(n_samples=90, seed=3)
    X2, y2 = make(n_samples=90, seed=3)
    assert X.shape == (90, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(n_samples=90, seed=4)[0])


def test_xor_labels_are_the_xor_of_the_nearest_corner():
    X, y = data.make_xor(n_samples=100, noise=0.0)
    assert np.array_equal(y, (X[:, 0].round().astype(int) ^ X[:, 1].round().astype(int)))


def test_load_digits_and_karate_club():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.max() == 1.0 and set(y) == set(range(10))
    club = data.karate_club()
    assert club.adjacency.shape == (34, 34) and club.adjacency.sum() == 2 * 78
    assert club.y[0] == 0 and club.y[33] == 1


# --- file search, checksums and errors (never touching the network) ----------------------------------
@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty cache folder and a download that fails like a machine without internet."""
    cache = tmp_path / "cache"
    monkeypatch.setattr(files, "cache_dir", lambda: cache)

    def no_network(url, folder, fname):
        raise ConnectionError("network disabled in tests")
    monkeypatch.setattr(files, "_download", no_network)
    return cache


def labels_file(count=3):
    """A tiny IDX label file and a SHA256SUMS entry for it."""
    content = b"\x00\x00\x08\x01" + count.to_bytes(4, "big") + bytes(range(count))
    return content, hashlib.sha256(content).hexdigest()


def test_missing_file_error_names_the_file_the_places_searched_and_the_fix(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "empty"))
    with pytest.raises(data.DataError) as error:
        data.load_mnist("test")
    message = str(error.value)
    assert "mnist/t10k-" in message and str(tmp_path / "empty") in message and str(offline) in message
    assert "DLCOURSE_DATA" in message and "network disabled" in message


def test_corrupt_file_error_names_the_file_and_both_checksums(offline, monkeypatch, tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01corrupted")
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path))
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte is corrupt.*SHA-256"):
        files.fetch(NAME)


def test_corrupt_gzip_is_reported_not_crashing(offline, monkeypatch, tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path))
    with pytest.raises(data.DataError, match="could not be read"):
        files.fetch(NAME)


def test_gzipped_file_in_the_data_folder_is_verified_on_its_content(offline, monkeypatch, tmp_path):
    content, digest = labels_file()
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path))
    monkeypatch.setattr(files, "checksums", lambda: {NAME: digest})
    assert files.fetch(NAME) == content


def test_cache_is_used_when_the_data_folder_is_unset(offline, monkeypatch):
    content, digest = labels_file()
    (offline / "mnist").mkdir(parents=True)
    (offline / "mnist" / "t10k-labels-idx1-ubyte").write_bytes(content)
    monkeypatch.delenv("DLCOURSE_DATA", raising=False)
    monkeypatch.setattr(files, "checksums", lambda: {NAME: digest})
    assert files.fetch(NAME) == content


def test_download_goes_to_the_cache_and_is_verified(offline, monkeypatch):
    content, digest = labels_file(5)
    calls = []

    def fake_download(url, folder, fname):
        calls.append(url)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / fname).write_bytes(gzip.compress(content))
        return folder / fname
    monkeypatch.delenv("DLCOURSE_DATA", raising=False)
    monkeypatch.setattr(files, "_download", fake_download)
    monkeypatch.setattr(files, "checksums", lambda: {NAME: digest})
    assert files.fetch(NAME) == content
    assert calls == ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz"]
    assert files.fetch(NAME) == content and len(calls) == 1  # second time from the cache


def test_shipped_checksums_cover_every_course_file():
    sums = files.checksums()
    assert len(sums) == 17 and all(len(h) == 64 for h in sums.values())
    assert {name.split("/")[0] for name in sums} == set(files.SOURCES)


# --- the real files (need DLCOURSE_DATA) ---------------------------------------------------------------
needs_data = pytest.mark.skipif(not os.environ.get("DLCOURSE_DATA"),
                                reason="DLCOURSE_DATA is not set: the course data folder is needed")


@needs_data
@pytest.mark.parametrize("loader", [data.load_mnist, data.load_fashion_mnist])
def test_real_idx_sets_have_the_documented_shapes(loader):
    images, labels = loader("test")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and set(np.unique(labels)) == set(range(10))


@needs_data
def test_real_tiny_shakespeare_and_cora():
    assert len(data.load_tiny_shakespeare()) == 1_115_394
    cora = data.load_cora()
    assert cora.x.shape == (2708, 1433) and cora.y.max() == 6
    assert cora.adjacency.sum() == 10_556
    assert (cora.train_mask.sum(), cora.val_mask.sum(), cora.test_mask.sum()) == (140, 500, 1000)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_mnist("validation")
