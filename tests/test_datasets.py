"""chaingrad.datasets: digits as tensors, IDX files (raw and gzip) written here and read back, a clear
error naming the files when MNIST is absent, and the textbook's synthetic regression data."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

import chaingrad
from chaingrad import datasets
from chaingrad.datasets import read_idx, write_idx


def test_digits_split_dtypes_shapes_and_range():
    train, test = datasets.digits()
    x, y = train.tensors
    xt, yt = test.tensors
    assert len(train) + len(test) == 1797 and abs(len(test) - 0.2 * 1797) < 10
    assert x.shape[1:] == (1, 8, 8) and x.dtype == chaingrad.float32 and y.dtype == chaingrad.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert set(np.unique(yt.numpy()).tolist()) == set(range(10))
    flat_train, _ = datasets.digits(flatten=True)
    assert flat_train.tensors[0].shape == (len(train), 64)
    np.testing.assert_array_equal(datasets.digits()[1].tensors[1].numpy(), yt.numpy())  # fixed split


def test_digits_test_size_is_checked():
    with pytest.raises(ValueError, match="test_size"):
        datasets.digits(test_size=1.5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else np.arange(24, dtype=dtype)
    path = tmp_path / ("a.idx" + (".gz" if gz else ""))
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_idx_header_is_the_standard_big_endian_one(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])


def test_corrupt_idx_files_raise_clear_errors(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(short)


def _write_mnist(folder, gz: bool, n_train=6, n_test=4):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, a in arrays.items():
        write_idx(os.path.join(folder, name + (".gz" if gz else "")), a)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files_from_a_folder(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz)
    train, test = datasets.mnist(tmp_path)
    x, y = train.tensors
    assert x.shape == (6, 1, 28, 28) and x.dtype == chaingrad.float32 and y.dtype == chaingrad.int64
    np.testing.assert_allclose(x.numpy()[:, 0], arrays["train-images-idx3-ubyte"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(test.tensors[1].numpy(), arrays["t10k-labels-idx1-ubyte"])


def test_fashion_mnist_in_torchvisions_layout(tmp_path):
    _write_mnist(tmp_path / "FashionMNIST" / "raw", gz=True)
    train, test = datasets.fashion_mnist(tmp_path)
    assert len(train) == 6 and len(test) == 4


def test_missing_files_name_the_files_and_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        datasets.mnist(tmp_path / "nowhere")
    message = str(info.value)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte", "nowhere", "does not download"):
        assert name in message


def test_gzip_is_decided_by_the_name(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.ones((2, 2), np.uint8))
    with gzip.open(path, "rb") as f:
        assert f.read(3) == bytes([0, 0, 8])


def test_synthetic_regression_is_the_textbooks_data():
    chaingrad.manual_seed(0)
    true_w, true_b = chaingrad.tensor([2.0, -3.4]), 4.2
    X, y = datasets.synthetic_regression(true_w, true_b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1) and X.dtype == y.dtype == chaingrad.float32
    residual = y.numpy()[:, 0] - (X.numpy() @ true_w.numpy() + true_b)
    assert abs(residual.std() - 0.01) < 0.002 and abs(X.numpy().std() - 1) < 0.1
    chaingrad.manual_seed(0)
    X2, _ = datasets.synthetic_regression([2, -3.4], 4.2, 1000)
    np.testing.assert_array_equal(X.numpy(), X2.numpy())
    w_fit, *_ = np.linalg.lstsq(np.c_[X.numpy(), np.ones(1000)], y.numpy()[:, 0], rcond=None)
    np.testing.assert_allclose(w_fit, [2.0, -3.4, 4.2], atol=0.01)
