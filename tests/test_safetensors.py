""".safetensors files: chaingrad.save/load choose the format by the file's suffix; files chaingrad writes are
read by safetensors.torch (and torch.load), files safetensors.torch writes load into chaingrad, metadata is
kept, every chaingrad dtype crosses over, and what the format cannot hold is refused clearly."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
import safetensors.torch
import torch
from safetensors import safe_open

import chaingrad
from chaingrad.serialization import safetensors_metadata

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _sample(dtype: str, shape=(2, 3)) -> np.ndarray:
    rng = np.random.default_rng(0)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def test_chaingrad_writes_safetensors_that_safetensors_torch_reads_with_metadata(tmp_path):
    state = {f"t_{d}": chaingrad.tensor(_sample(d), dtype=getattr(chaingrad, d if d != "bool" else "bool"))
             for d in DTYPES}
    state["scalar"] = chaingrad.tensor(3.5)
    state["empty"] = chaingrad.zeros(0, 4)
    state["view"] = chaingrad.arange(12.0).reshape(3, 4).t()  # non-contiguous: written in order
    path = tmp_path / "model.safetensors"
    chaingrad.save(state, path, metadata={"format": "pt", "epoch": "3"})
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        assert json.loads(f.read(n))["__metadata__"] == {"format": "pt", "epoch": "3"}
    theirs = safetensors.torch.load_file(str(path))
    assert set(theirs) == set(state)
    for name, t in state.items():
        assert str(theirs[name].dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(theirs[name].numpy(), t.numpy(), err_msg=name)
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata() == {"format": "pt", "epoch": "3"}
    assert safetensors_metadata(path) == {"format": "pt", "epoch": "3"}
    assert torch.load(path)["view"].tolist() == state["view"].tolist()  # torch.load reads it too, by suffix


@pytest.mark.parametrize("dtype", DTYPES)
def test_files_written_by_safetensors_torch_load_into_chaingrad(tmp_path, dtype):
    arr = _sample(dtype, (3, 2, 2))
    tensors = {"weight": torch.from_numpy(arr.copy()), "bias": torch.from_numpy(arr[0, 0].copy())}
    path = tmp_path / "w.safetensors"
    safetensors.torch.save_file(tensors, str(path), metadata={"who": "torch"})
    back = chaingrad.load(path)
    assert list(back) == sorted(tensors) or list(back) == list(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == getattr(chaingrad, dtype)
        np.testing.assert_array_equal(back[name].numpy(), t.numpy())
        assert back[name].numpy().flags.writeable
    assert safetensors_metadata(path) == {"who": "torch"}
    mapped = chaingrad.load(path, mmap=True)
    np.testing.assert_array_equal(mapped["weight"].numpy(), arr)


def test_a_state_dict_round_trips_and_loads_into_a_module(tmp_path):
    chaingrad.manual_seed(0)
    net = chaingrad.nn.Sequential(chaingrad.nn.Linear(3, 4), chaingrad.nn.BatchNorm1d(4))
    path = tmp_path / "net.safetensors"
    chaingrad.save(net.state_dict(), path)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    twin.load_state_dict(safetensors.torch.load_file(str(path)))
    fresh = chaingrad.nn.Sequential(chaingrad.nn.Linear(3, 4), chaingrad.nn.BatchNorm1d(4))
    fresh.load_state_dict(chaingrad.load(path))
    for (k, a), b in zip(net.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
        np.testing.assert_array_equal(a.numpy(), twin.state_dict()[k].numpy(), err_msg=k)


def test_what_safetensors_cannot_hold_is_refused_clearly(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="holds a dict of tensors"):
        chaingrad.save([chaingrad.ones(2)], path)
    with pytest.raises(TypeError, match="'epoch' is a int"):
        chaingrad.save({"w": chaingrad.ones(2), "epoch": 3}, path)
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        chaingrad.save({"w": chaingrad.ones(2)}, path, metadata={"epoch": 3})
    with pytest.raises(ValueError, match="only in .safetensors files"):
        chaingrad.save({"w": chaingrad.ones(2)}, tmp_path / "x.pt", metadata={"a": "b"})
    assert not path.exists()
    safetensors.torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(TypeError, match="'w'.*has dtype BF16, which chaingrad has no dtype for"):
        chaingrad.load(path)
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"w\": nonsense}")
    with pytest.raises(ValueError, match="not a .safetensors file"):
        chaingrad.load(path)
    safetensors.torch.save_file({"w": torch.ones(2)}, str(path))
    with pytest.raises(RuntimeError, match="dict or callable map_location"):
        chaingrad.load(path, map_location={"cpu": "cpu"})
    with pytest.raises(RuntimeError, match="CPU only"):
        chaingrad.load(path, map_location="cuda")
    assert chaingrad.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_a_safetensors_file_is_recognised_by_its_content_too(tmp_path):
    buf = io.BytesIO(safetensors.torch.save({"w": torch.arange(3.0)}))
    assert chaingrad.load(buf)["w"].tolist() == [0.0, 1.0, 2.0]
    (tmp_path / "weights.bin").write_bytes(buf.getvalue())
    assert chaingrad.load(tmp_path / "weights.bin")["w"].tolist() == [0.0, 1.0, 2.0]
