"""chaingrad.vision.datasets: torchvision's MNIST / FashionMNIST / KMNIST with its signature, folder layout and
download (mirrors in order, MD5 checks, unpacking), exercised against an HTTP server on 127.0.0.1 that
serves small generated IDX files; no test reaches the internet. Also the old processed/*.pt layout, images
without Pillow, DataLoaders over the datasets and a d2l-style load_data_fashion_mnist."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest
import torch
from PIL import Image

import chaingrad
from chaingrad import vision as torchvision
from chaingrad.datasets import write_idx
from chaingrad.utils import data
from chaingrad.vision import transforms
from chaingrad.vision.datasets import mnist as mnist_module

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _make_idx(folder, n_train=12, n_test=5, seed=0, compress=True):
    """Small MNIST-format files; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}
    os.makedirs(folder, exist_ok=True)
    for name, array in arrays.items():
        write_idx(os.path.join(folder, name + (".gz" if compress else "")), array)
    return arrays


class _Server:
    """A static file server on 127.0.0.1 that counts requests (stopped at the end of the test)."""

    def __init__(self, folder):
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """FashionMNIST's mirrors and MD5s pointed at a local server holding generated files."""
    served = tmp_path / "served" / "fashion"
    arrays = _make_idx(served)
    server = _Server(tmp_path / "served")
    resources = [(name + ".gz", hashlib.md5((served / (name + ".gz")).read_bytes()).hexdigest()) for name in FILES]
    mirrors = [server.url + "missing/", server.url + "fashion/"]
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", mirrors)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", resources)
    yield server, arrays
    server.stop()


def test_download_tries_the_mirrors_in_order_checks_md5_and_unpacks(tmp_path, mirror, capsys):
    server, arrays = mirror
    root = tmp_path / "data"
    train = torchvision.datasets.FashionMNIST(root=str(root), train=True, download=True)
    out = capsys.readouterr().out
    assert f"Downloading {server.url}missing/train-images-idx3-ubyte.gz" in out
    assert "Failed to download (trying next):" in out and "404" in out
    assert f"Downloading {server.url}fashion/train-images-idx3-ubyte.gz" in out
    raw = root / "FashionMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted([*FILES, *(f + ".gz" for f in FILES)])  # as torchvision leaves it
    assert server.requests == [p for name in FILES for p in (f"/missing/{name}.gz", f"/fashion/{name}.gz")]
    assert len(train) == 12 and train.data.dtype == chaingrad.uint8 and train.data.shape == (12, 28, 28)
    assert train.targets.dtype == chaingrad.int64 and train.targets.tolist() == arrays[FILES[1]].tolist()
    np.testing.assert_array_equal(train.data.numpy(), arrays[FILES[0]])
    img, target = train[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), arrays[FILES[0]][3])
    assert type(target) is int and target == int(arrays[FILES[1]][3])
    assert train.classes[0] == "T-shirt/top" and train.class_to_idx["Ankle boot"] == 9
    test = torchvision.datasets.FashionMNIST(root=str(root), train=False, download=True)  # no new download
    assert len(test) == 5 and len(server.requests) == 8
    assert repr(test).splitlines()[:4] == ["Dataset FashionMNIST", "    Number of datapoints: 5",
                                           f"    Root location: {root}", "    Split: Test"]


def test_a_file_with_the_wrong_md5_is_refused(tmp_path, mirror, monkeypatch):
    resources = list(torchvision.datasets.FashionMNIST.resources)
    resources[2] = (resources[2][0], "0" * 32)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", resources)
    with pytest.raises(RuntimeError, match="t10k-images-idx3-ubyte.gz.*has MD5 .* expected 0{32}"):
        torchvision.datasets.FashionMNIST(root=str(tmp_path / "data"), download=True)


def test_without_a_network_the_error_names_the_urls_and_the_folder(tmp_path, monkeypatch):
    server = _Server(tmp_path)
    dead = server.url  # a port on 127.0.0.1 where nothing listens once the server is stopped
    server.stop()
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [dead + "a/", dead + "b/"])
    root = tmp_path / "data"
    with pytest.raises(RuntimeError) as info:
        torchvision.datasets.KMNIST(root=str(root), download=True)
    message = str(info.value)
    assert f"{dead}a/train-images-idx3-ubyte.gz" in message and f"{dead}b/train-images-idx3-ubyte.gz" in message
    assert str(root / "KMNIST" / "raw") in message and "by hand" in message
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True.*KMNIST/raw"):
        torchvision.datasets.KMNIST(root=str(root))


def test_files_put_there_by_hand_load_raw_or_gzipped(tmp_path):
    arrays = _make_idx(tmp_path / "MNIST" / "raw", compress=False)
    ds = torchvision.datasets.MNIST(str(tmp_path), train=False)
    assert len(ds) == 5 and ds.targets.tolist() == arrays[FILES[3]].tolist()
    arrays = _make_idx(tmp_path / "KMNIST" / "raw", seed=1)
    ds = torchvision.datasets.KMNIST(tmp_path, train=True, target_transform=lambda t: t + 100)
    assert ds[0][1] == int(arrays[FILES[1]][0]) + 100 and ds.classes[1] == "ki"


def test_the_old_processed_layout_loads_through_the_safe_loader(tmp_path):
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    torch.save((images, torch.tensor([1, 2, 3])), processed / "training.pt")
    torch.save((images[:1], torch.tensor([9])), processed / "test.pt")
    ds = torchvision.datasets.MNIST(tmp_path)
    assert len(ds) == 3 and ds.targets.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(np.asarray(ds[2][0]), images[2].numpy())
    assert torchvision.datasets.MNIST(tmp_path, train=False).targets.tolist() == [9]


def test_without_pillow_images_are_uint8_arrays(tmp_path, monkeypatch):
    arrays = _make_idx(tmp_path / "FashionMNIST" / "raw")
    monkeypatch.setattr(mnist_module, "_pil_image", lambda: None)
    ds = torchvision.datasets.FashionMNIST(tmp_path, transform=transforms.Compose([transforms.Resize(14),
                                                                                   transforms.ToTensor()]))
    raw_ds = torchvision.datasets.FashionMNIST(tmp_path)
    img, _ = raw_ds[1]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    np.testing.assert_array_equal(img, arrays[FILES[0]][1])
    x, _ = ds[1]
    assert x.shape == (1, 14, 14) and x.dtype == chaingrad.float32
    want = torch.nn.functional.interpolate(torch.tensor(img, dtype=torch.float32)[None, None], size=(14, 14),
                                           mode="bilinear", antialias=True, align_corners=False)
    np.testing.assert_allclose(x.numpy()[0], np.round(want.numpy()[0, 0]) / 255, atol=1e-6)


def test_dataloaders_over_a_dataset_with_and_without_workers(tmp_path):
    _make_idx(tmp_path / "FashionMNIST" / "raw", n_train=20)
    ds = torchvision.datasets.FashionMNIST(tmp_path, transform=transforms.ToTensor())
    batches = {}
    for workers in (0, 2):
        g = chaingrad.Generator().manual_seed(0)
        loader = data.DataLoader(ds, batch_size=6, shuffle=True, num_workers=workers, generator=g)
        batches[workers] = [(X.numpy(), y.tolist()) for X, y in loader]
    assert [y for _, y in batches[0]] == [y for _, y in batches[2]]
    for (a, _), (b, _) in zip(batches[0], batches[2]):
        np.testing.assert_array_equal(a, b)
    X, y = batches[0][0]
    assert X.shape == (6, 1, 28, 28) and X.dtype == np.float32 and 0.0 <= X.min() and X.max() <= 1.0


# -- the textbook's loader, written as d2l writes it, with the import swapped -----------------------------
def get_dataloader_workers():
    return 4


def load_data_fashion_mnist(batch_size, resize=None, root="../data"):
    """Download Fashion-MNIST and load it into memory (d2l's helper, against chaingrad.vision)."""
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(root=root, train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(root=root, train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=get_dataloader_workers()))


def test_d2l_load_data_fashion_mnist_runs_with_the_files_in_place(tmp_path):
    arrays = _make_idx(tmp_path / "FashionMNIST" / "raw", n_train=10, n_test=6)
    train_iter, test_iter = load_data_fashion_mnist(4, resize=64, root=str(tmp_path))
    for X, y in train_iter:
        assert X.shape == (4, 1, 64, 64) and X.dtype == chaingrad.float32 and y.dtype == chaingrad.int64
        break
    X, y = next(iter(test_iter))
    assert y.tolist() == arrays[FILES[3]][:4].tolist()
    # Resize on a PIL image is Pillow's bilinear resampling, as in torchvision
    want = np.asarray(Image.fromarray(arrays[FILES[2]][0]).resize((64, 64), Image.Resampling.BILINEAR))
    np.testing.assert_allclose(X[0, 0].numpy(), want / 255, atol=1e-7)
    assert sum(len(y) for _, y in train_iter) == 10
    with gzip.open(tmp_path / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte.gz") as f:
        assert f.read(4) == b"\x00\x00\x08\x01"
