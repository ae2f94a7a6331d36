"""``dlcourse.utils.data`` spells the data pipeline as ``torch.utils.data`` does, with the same classes as
``dlcourse.data`` (imported, not copied)."""

import numpy as np

import dlcourse
import dlcourse.data


def test_torch_spelling_gives_the_same_classes_as_dlcourse_data():
    from dlcourse.utils.data import DataLoader, Dataset, TensorDataset

    assert (DataLoader, Dataset, TensorDataset) == (dlcourse.data.DataLoader, dlcourse.data.Dataset,
                                                    dlcourse.data.TensorDataset)


def test_the_package_reaches_utils_data_as_torch_reaches_torch_utils_data():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    loader = dlcourse.utils.data.DataLoader(dlcourse.utils.data.TensorDataset(X, y), batch_size=2)
    batches = list(loader)
    assert len(batches) == 3 and batches[0][0].tolist() == [[0.0, 1.0], [2.0, 3.0]] and batches[-1][1].tolist() == [4]
