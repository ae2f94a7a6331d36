"""End-to-end training with the dlcourse engine alone."""

import os
import time

import numpy as np
import pytest

import dlcourse
from dlcourse import data, models, nn, optim
from dlcourse.nn import functional as F


def accuracy(model, X, y, batch=2000):
    model.eval()
    with dlcourse.no_grad():
        predictions = np.concatenate([model(dlcourse.Tensor(X[i:i + batch])).data.argmax(1)
                                      for i in range(0, len(X), batch)])
    model.train()
    return (predictions == y).mean()


def test_mlp_learns_xor_with_sgd():
    X, y = data.make_xor(n_samples=200, noise=0.1, seed=0)
    model = models.mlp([2, 8, 2], activation=nn.Tanh)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(model(dlcourse.Tensor(X)), dlcourse.Tensor(y)).backward()
        opt.step()
    assert accuracy(model, X, y) == 1.0


def test_cnn_with_batch_norm_and_dropout_learns_sklearn_digits():
    X, y = data.load_digits()
    order = np.random.default_rng(0).permutation(len(X))  # the file's last writers are unlike the rest
    X, y = X[order].reshape(-1, 1, 8, 8), y[order]
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.1), nn.Linear(8 * 4 * 4, 10))
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = data.DataLoader(data.TensorDataset(X[:1500], y[:1500]), batch_size=64, shuffle=True)
    for _ in range(6):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    assert accuracy(model, X[1500:], y[1500:]) > 0.95


def test_gcn_classifies_the_karate_club_from_two_labelled_members():
    club = data.karate_club()
    layers = [nn.GCNConv(34, 8), nn.GCNConv(8, 2)]
    opt = optim.Adam([p for layer in layers for p in layer.parameters()], lr=0.05)
    x, target = dlcourse.Tensor(club.x), dlcourse.Tensor(club.y[club.train_mask])
    for _ in range(60):
        opt.zero_grad()
        logits = layers[1](layers[0](x, club.adjacency).tanh(), club.adjacency)
        F.cross_entropy(logits[club.train_mask], target).backward()
        opt.step()
    predictions = logits.data.argmax(1)
    assert (predictions[club.test_mask] == club.y[club.test_mask]).mean() > 0.8


def test_lstm_learns_to_remember_the_first_token():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (256, 6))
    embed, lstm, head = nn.Embedding(4, 8), nn.LSTM(8, 16, batch_first=True), nn.Linear(16, 4)
    params = list(embed.parameters()) + list(lstm.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=0.02)
    for _ in range(80):
        opt.zero_grad()
        out, _ = lstm(embed(dlcourse.Tensor(tokens)))
        loss = F.cross_entropy(head(out[:, -1]), dlcourse.Tensor(tokens[:, 0]))
        loss.backward()
        opt.step()
    assert loss.item() < 0.3


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DLCOURSE_DATA"), reason="DLCOURSE_DATA is not set: MNIST is needed")
def test_mlp_reaches_97_5_percent_on_mnist_in_3_epochs():
    (X, y), (X_test, y_test) = data.load_mnist("train"), data.load_mnist("test")
    scale = lambda images: ((images.reshape(len(images), -1) / 255.0 - 0.1307) / 0.3081).astype(np.float32)  # noqa: E731
    X, X_test = scale(X), scale(X_test)
    model = models.mlp([784, 256, 256, 10])
    opt = optim.Adam(model.parameters(), lr=2e-3)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=128, shuffle=True)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3 * len(loader))  # stepped every batch
    start = time.perf_counter()
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            schedule.step()
    test_accuracy = accuracy(model, X_test, y_test)
    print(f"MNIST test accuracy {test_accuracy:.4f} after 3 epochs in {time.perf_counter() - start:.1f} s")
    assert test_accuracy >= 0.975


def test_a_float32_training_step_never_upcasts_to_float64():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10))
    opt = optim.Adam(model.parameters())
    x, y = dlcourse.randn(8, 1, 8, 8), dlcourse.Tensor(np.arange(8) % 10)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert loss.dtype == np.float32
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert all(s["exp_avg"].dtype == np.float32 for s in opt.state.values())
