"""chaingrad.save / chaingrad.load speak PyTorch's file format: what chaingrad saves, torch.load (with its
default weights_only=True) reads, and what torch.save writes, chaingrad loads; layers' and optimizers' state
dicts and whole checkpoints cross over and keep training identically; views keep sharing memory; saves are
atomic; map_location, mmap and weights_only behave as torch's; chaingrad 0.1's .npz files still load."""

from __future__ import annotations

import io
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest
import torch

import chaingrad
from chaingrad import optim
from chaingrad.optim import lr_scheduler
from chaingrad.serialization import UnsafeFileError

DATA = os.path.join(os.path.dirname(__file__), "data")


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


# -- chaingrad -> chaingrad ------------------------------------------------------------------------------
def test_tensor_round_trip_keeps_values_dtype_shape_strides_and_requires_grad(tmp_path):
    base = chaingrad.randn(4, 5)
    cases = [chaingrad.randn(3, 4), chaingrad.arange(6).reshape(2, 3), chaingrad.tensor(2.5, dtype=chaingrad.float64),
             chaingrad.tensor([True, False]), chaingrad.zeros(0, 3), base.t(), base[1:, ::2],
             chaingrad.tensor([1.5, -2.0], dtype=chaingrad.float16)]
    for d in (chaingrad.uint8, chaingrad.int8, chaingrad.int16, chaingrad.int32, chaingrad.int64):
        cases.append(chaingrad.tensor([0, 1, 2, 100], dtype=d))
    for t in cases:
        path = tmp_path / "t.pt"
        chaingrad.save(t, path)
        back = chaingrad.load(path)
        assert back.dtype == t.dtype and back.shape == t.shape and not back.requires_grad
        assert back.stride() == t.stride() or t.numel() == 0
        np.testing.assert_array_equal(back.numpy(), t.numpy())
    w = chaingrad.ones(2, requires_grad=True)
    chaingrad.save(w, tmp_path / "w.pt")
    assert chaingrad.load(tmp_path / "w.pt").requires_grad


def test_nested_structures_round_trip_exactly(tmp_path):
    shared = chaingrad.ones(3)
    obj = {
        "state_dict": OrderedDict([("0.weight", chaingrad.randn(2, 3)), ("0.bias", chaingrad.zeros(2))]),
        "epoch": 7, "lr": 0.125, "best": float("inf"), "nan": float("nan"), "name": "run-1", "note": None,
        "flags": [True, False], "betas": (0.9, 0.999), "milestones": Counter({3: 1, 5: 2}),
        "int_keys": {0: {"step": chaingrad.tensor(3.0)}, 1: {}}, "tuple_keys": {(1, 2): "a"},
        "array": np.arange(4, dtype=np.int16), "np_scalar": np.float32(1.5), "np_int": np.int64(-3),
        "dtype": chaingrad.float64, "size": chaingrad.ones(2, 3).shape, "same": [shared, shared], "empty": {},
        "empty_list": [], "big": 2 ** 62, "huge": -(2 ** 100), "set": {1, 2}, "bytes": b"\x00\xffab",
        "complex": 1 + 2j, "unicode": "wörter ☃", "long_list": list(range(2500)),
    }
    path = tmp_path / "nested.pt"
    chaingrad.save(obj, path)
    for back in (chaingrad.load(path), torch.load(path)):
        assert isinstance(back["state_dict"], OrderedDict) and list(back["state_dict"]) == ["0.weight", "0.bias"]
        np.testing.assert_array_equal(_np(back["state_dict"]["0.weight"]), obj["state_dict"]["0.weight"].numpy())
        assert back["epoch"] == 7 and back["lr"] == 0.125 and back["best"] == math.inf and math.isnan(back["nan"])
        assert back["name"] == "run-1" and back["note"] is None and back["flags"] == [True, False]
        assert back["betas"] == (0.9, 0.999) and isinstance(back["milestones"], Counter)
        assert back["milestones"][5] == 2
        assert back["int_keys"][0]["step"].item() == 3.0 and back["tuple_keys"] == {(1, 2): "a"}
        assert back["np_scalar"] == 1.5 and type(back["np_scalar"]) is float and back["np_int"] == -3
        assert back["same"][0] is back["same"][1]
        assert back["empty"] == {} and back["empty_list"] == [] and back["big"] == 2 ** 62
        assert back["huge"] == -(2 ** 100) and back["set"] == {1, 2} and back["bytes"] == b"\x00\xffab"
        assert back["complex"] == 1 + 2j and back["unicode"] == "wörter ☃" and back["long_list"] == obj["long_list"]
        assert list(back["size"]) == [2, 3]
    back = chaingrad.load(path)
    # a NumPy array is stored as a tensor (what torch.load can read) and comes back as one
    assert isinstance(back["array"], chaingrad.Tensor) and back["array"].dtype == chaingrad.int16
    assert back["dtype"] is chaingrad.float64 and back["size"] == chaingrad.Size([2, 3])
    assert torch.load(path)["dtype"] is torch.float64 and isinstance(torch.load(path)["size"], torch.Size)


def test_file_objects_work_too():
    buf = io.BytesIO()
    chaingrad.save({"x": chaingrad.arange(3)}, buf)
    buf.seek(0)
    assert chaingrad.load(buf)["x"].tolist() == [0, 1, 2]
    buf.seek(0)
    assert torch.load(buf)["x"].tolist() == [0, 1, 2]

    class Stream(io.RawIOBase):  # not seekable: read once into memory
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self.data.readinto(b)

    assert chaingrad.load(Stream(buf.getvalue()))["x"].tolist() == [0, 1, 2]


def test_unsupported_objects_are_refused_with_a_clear_error_and_no_file(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save obj\['f'\] of type builtins.function"):
        chaingrad.save({"f": lambda: 0}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match=r"obj\[1\] of type numpy.ndarray with dtype object"):
        chaingrad.save([1, np.array([object()])], tmp_path / "x.pt")
    with pytest.raises(TypeError, match="frozenset"):
        chaingrad.save(frozenset([1]), tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="pickle protocol 2"):
        chaingrad.save(1, tmp_path / "x.pt", pickle_protocol=4)
    with pytest.raises(ValueError, match="pickle_module"):
        chaingrad.save(1, tmp_path / "x.pt", pickle_module=object())


def test_the_archive_has_torch_saves_layout(tmp_path):
    chaingrad.save({"a": chaingrad.ones(3), "b": chaingrad.zeros(2, dtype=chaingrad.int64)}, tmp_path / "model.pt")
    torch.save({"a": torch.ones(3), "b": torch.zeros(2, dtype=torch.int64)}, tmp_path / "reference.pt")
    ours, theirs = zipfile.ZipFile(tmp_path / "model.pt"), zipfile.ZipFile(tmp_path / "reference.pt")
    strip = [n.split("/", 1)[1] for n in theirs.namelist()]
    assert [n.split("/", 1)[1] for n in ours.namelist()] == strip
    assert ours.namelist()[0] == "model/data.pkl"  # the top folder is named after the file, as torch's
    for name in ("version", ".format_version", ".storage_alignment", "byteorder"):
        assert ours.read(f"model/{name}") == theirs.read(f"reference/{name}")
    with open(tmp_path / "model.pt", "rb") as f:
        for info in ours.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            f.seek(info.header_offset + 26)
            n, m = np.frombuffer(f.read(4), dtype="<u2")
            assert (info.header_offset + 30 + n + m) % 64 == 0  # data aligned as .storage_alignment says


# -- chaingrad <-> torch: tensors and views ----------------------------------------------------------------
def test_torch_reads_tensors_of_every_dtype_with_their_strides(tmp_path):
    base = chaingrad.arange(24.0).reshape(4, 6)
    obj = {"contiguous": base, "t": base.t(), "slice": base[1:3, ::2], "scalar": chaingrad.tensor(7.0),
           "empty": chaingrad.zeros(0, 5), "bool": chaingrad.tensor([True, False, True]),
           "half": chaingrad.tensor([0.5, 65504.0], dtype=chaingrad.float16),
           "i64": chaingrad.tensor([-(2 ** 62), 3]), "u8": chaingrad.tensor([0, 255], dtype=chaingrad.uint8),
           "i8": chaingrad.tensor([-128, 127], dtype=chaingrad.int8),
           "i16": chaingrad.tensor([-3, 300], dtype=chaingrad.int16),
           "i32": chaingrad.tensor([-3, 2 ** 30], dtype=chaingrad.int32),
           "f64": chaingrad.tensor([1 / 3], dtype=chaingrad.float64),
           "grad": chaingrad.ones(2, requires_grad=True), "param": chaingrad.nn.Parameter(chaingrad.ones(2))}
    chaingrad.save(obj, tmp_path / "x.pt")
    back = torch.load(tmp_path / "x.pt")  # weights_only=True by default
    for key, t in obj.items():
        b = back[key]
        assert str(b.dtype).split(".")[1] == str(t.dtype).split(".")[1], key
        assert tuple(b.shape) == tuple(t.shape) and (b.stride() == t.stride() or t.numel() == 0), key
        np.testing.assert_array_equal(b.detach().numpy(), t.detach().numpy())
        assert b.requires_grad == t.requires_grad
    assert isinstance(back["param"], torch.nn.Parameter) and not isinstance(back["grad"], torch.nn.Parameter)
    # the views are windows on one storage, in torch as in chaingrad
    ptr = back["contiguous"].untyped_storage().data_ptr()
    assert back["t"].untyped_storage().data_ptr() == ptr == back["slice"].untyped_storage().data_ptr()
    assert back["slice"].storage_offset() == 6
    back["contiguous"][1, 0] = -1.0
    assert back["t"][0, 1].item() == -1.0 and back["slice"][0, 0].item() == -1.0


def test_chaingrad_reads_torch_files_of_many_shapes_and_dtypes(tmp_path):
    g = torch.Generator().manual_seed(0)
    base = torch.randn(5, 6, generator=g)
    obj = {"contiguous": base, "t": base.t(), "offset": base[2:, 1::2], "expanded": torch.ones(3, 1).expand(3, 4),
           "permuted": torch.randn(2, 3, 4, generator=g).permute(2, 0, 1), "scalar": torch.tensor(-2.5),
           "empty": torch.zeros(0, 3), "empty_scalarless": torch.zeros(2, 0, 4), "bool": torch.tensor([True, False]),
           "i64": torch.tensor([-(2 ** 63), 2 ** 63 - 1]), "half": torch.tensor([1e-4, 6e4], dtype=torch.float16),
           "f64": torch.randn(3, dtype=torch.float64, generator=g), "u8": torch.tensor([0, 255], dtype=torch.uint8),
           "i8": torch.tensor([-128], dtype=torch.int8), "i16": torch.tensor([7], dtype=torch.int16),
           "i32": torch.arange(5, dtype=torch.int32)[::2], "grad": torch.ones(2, requires_grad=True),
           "param": torch.nn.Parameter(torch.zeros(3)),
           "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
           "big": torch.randn(300, 70, generator=g)}
    torch.save(obj, tmp_path / "t.pt")
    back = chaingrad.load(tmp_path / "t.pt")
    for key, t in obj.items():
        b = back[key]
        assert str(b.dtype).split(".")[1] == str(t.dtype).split(".")[1], key
        assert tuple(b.shape) == tuple(t.shape), key
        np.testing.assert_array_equal(b.detach().numpy(), t.detach().numpy(), err_msg=key)
        assert b.requires_grad == t.requires_grad, key
        if t.numel():
            assert b.stride() == t.stride(), key
    assert isinstance(back["param"], chaingrad.nn.Parameter) and isinstance(back["frozen"], chaingrad.nn.Parameter)
    assert np.shares_memory(back["contiguous"].numpy(), back["offset"].numpy())
    assert np.shares_memory(back["contiguous"].numpy(), back["t"].numpy())
    back["contiguous"][2, 1] = 100.0  # written through one view, seen through the others (one storage)
    assert back["offset"][0, 0].item() == 100.0 and back["t"][1, 2].item() == 100.0
    assert back["big"].numpy().flags.writeable


def test_shared_storages_survive_chaingrad_torch_chaingrad(tmp_path):
    a = chaingrad.arange(12.0).reshape(3, 4)
    chaingrad.save({"a": a, "row": a[1], "col": a[:, 2]}, tmp_path / "1.pt")
    mid = torch.load(tmp_path / "1.pt")
    torch.save(mid, tmp_path / "2.pt")
    with zipfile.ZipFile(tmp_path / "2.pt") as z:
        assert sum("/data/" in n for n in z.namelist()) == 1  # one storage for the three tensors
    back = chaingrad.load(tmp_path / "2.pt")
    back["a"][1, 2] = -7.0
    assert back["row"][2].item() == -7.0 and back["col"][1].item() == -7.0


# -- every layer, optimizers, checkpoints ----------------------------------------------------------------
LAYERS = {
    "Linear": lambda nn: nn.Linear(3, 4), "Bilinear": lambda nn: nn.Bilinear(2, 3, 4),
    "Conv1d": lambda nn: nn.Conv1d(2, 3, 3), "Conv2d": lambda nn: nn.Conv2d(2, 3, (3, 2), bias=False),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(3), "BatchNorm2d": lambda nn: nn.BatchNorm2d(3),
    "BatchNorm3d": lambda nn: nn.BatchNorm3d(2), "GroupNorm": lambda nn: nn.GroupNorm(2, 4),
    "LayerNorm": lambda nn: nn.LayerNorm([2, 3]), "Embedding": lambda nn: nn.Embedding(5, 3),
    "PReLU": lambda nn: nn.PReLU(3), "RNN": lambda nn: nn.RNN(3, 4, num_layers=2),
    "LSTM": lambda nn: nn.LSTM(3, 4, bidirectional=True), "GRU": lambda nn: nn.GRU(3, 4, bias=False),
    "RNNCell": lambda nn: nn.RNNCell(3, 4), "LSTMCell": lambda nn: nn.LSTMCell(3, 4),
    "GRUCell": lambda nn: nn.GRUCell(3, 4),
    "Sequential": lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                                           nn.Linear(8, 2)),
    "ModuleList": lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.LayerNorm(2)]),
    "ModuleDict": lambda nn: nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Embedding(3, 2)}),
    "ParameterList": lambda nn: nn.ParameterList([nn.Parameter(torch_or_cg(nn).ones(2))]),
    "ParameterDict": lambda nn: nn.ParameterDict({"w": nn.Parameter(torch_or_cg(nn).zeros(3))}),
    "Unflatten": lambda nn: nn.Unflatten(1, (2, 2)), "Threshold": lambda nn: nn.Threshold(0.1, 0.0),
    "GLU": lambda nn: nn.GLU(), "Softmax": lambda nn: nn.Softmax(dim=1), "Softmin": lambda nn: nn.Softmin(dim=1),
    "LogSoftmax": lambda nn: nn.LogSoftmax(dim=1), "AvgPool1d": lambda nn: nn.AvgPool1d(2),
    "AvgPool2d": lambda nn: nn.AvgPool2d(2), "MaxPool1d": lambda nn: nn.MaxPool1d(2),
    "MaxPool2d": lambda nn: nn.MaxPool2d(2), "AdaptiveAvgPool1d": lambda nn: nn.AdaptiveAvgPool1d(2),
    "AdaptiveAvgPool2d": lambda nn: nn.AdaptiveAvgPool2d(2),
    "CrossEntropyLoss": lambda nn: nn.CrossEntropyLoss(weight=torch_or_cg(nn).tensor([1.0, 2.0])),
    "NLLLoss": lambda nn: nn.NLLLoss(weight=torch_or_cg(nn).tensor([1.0, 0.5])),
    "AdaptiveMaxPool1d": lambda nn: nn.AdaptiveMaxPool1d(2), "AdaptiveMaxPool2d": lambda nn: nn.AdaptiveMaxPool2d(2),
    **{f"{kind}Pad{d}d": (lambda nn, kind=kind, d=d: getattr(nn, f"{kind}Pad{d}d")(1))
       for kind in ("Zero", "Reflection", "Replication", "Circular") for d in (1, 2, 3)},
    **{f"ConstantPad{d}d": (lambda nn, d=d: getattr(nn, f"ConstantPad{d}d")(1, 2.5)) for d in (1, 2, 3)},
    "RMSNorm": lambda nn: nn.RMSNorm([2, 3]),
    "LazyLinear": lambda nn: _dry_run(nn, nn.LazyLinear(4), (2, 3)),
    "LazyConv1d": lambda nn: _dry_run(nn, nn.LazyConv1d(3, 2), (1, 2, 5)),
    "LazyConv2d": lambda nn: _dry_run(nn, nn.LazyConv2d(3, 2, bias=False), (1, 2, 4, 4)),
    "LazyBatchNorm1d": lambda nn: _dry_run(nn, nn.LazyBatchNorm1d(), (4, 3)),
    "LazyBatchNorm2d": lambda nn: _dry_run(nn, nn.LazyBatchNorm2d(), (2, 3, 2, 2)),
    "ConvTranspose1d": lambda nn: nn.ConvTranspose1d(2, 3, 3),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(2, 4, (3, 2), groups=2),
    "Fold": lambda nn: nn.Fold((4, 5), 2), "Unfold": lambda nn: nn.Unfold(2),
    "InstanceNorm1d": lambda nn: nn.InstanceNorm1d(3, affine=True),
    "InstanceNorm2d": lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
    "TransformerEncoderLayer": lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8),
    "TransformerEncoder": lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=8), 2,
                                                           enable_nested_tensor=False),
    "PixelShuffle": lambda nn: nn.PixelShuffle(2), "PixelUnshuffle": lambda nn: nn.PixelUnshuffle(2),
    "TransformerDecoderLayer": lambda nn: nn.TransformerDecoderLayer(4, 2, dim_feedforward=8),
    "TransformerDecoder": lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, dim_feedforward=8), 2),
    "Transformer": lambda nn: nn.Transformer(4, 2, 1, 1, 8, batch_first=True),
    "ChannelShuffle": lambda nn: nn.ChannelShuffle(2), "LocalResponseNorm": lambda nn: nn.LocalResponseNorm(3),
    "LPPool1d": lambda nn: nn.LPPool1d(2, 3), "LPPool2d": lambda nn: nn.LPPool2d(1.5, 2),
    "MaxUnpool1d": lambda nn: nn.MaxUnpool1d(2), "MaxUnpool2d": lambda nn: nn.MaxUnpool2d(2, 1),
    "EmbeddingBag": lambda nn: nn.EmbeddingBag(5, 3, mode="sum"),
    "MultiLabelSoftMarginLoss": lambda nn: nn.MultiLabelSoftMarginLoss(weight=torch_or_cg(nn).tensor([1.0, 2.0])),
    "MultiMarginLoss": lambda nn: nn.MultiMarginLoss(weight=torch_or_cg(nn).tensor([0.5, 2.0])),
}
ABSTRACT = {"Module", "RNNBase", "RNNCellBase"}


def torch_or_cg(nn):
    return torch if nn is torch.nn else chaingrad


def _dry_run(nn, lazy_layer, shape):
    """A lazy layer after its first batch (which gives its weights their shapes)."""
    lazy_layer(torch_or_cg(nn).ones(*shape))
    return lazy_layer


def _layer_names():
    names = []
    for name, cls in vars(chaingrad.nn).items():
        if isinstance(cls, type) and issubclass(cls, chaingrad.nn.Module) and name not in ABSTRACT:
            names.append(name)
    return sorted(names)


def _make(name, nn):
    if name in LAYERS:
        return LAYERS[name](nn)
    return getattr(nn, name)()


@pytest.mark.parametrize("name", _layer_names())
def test_every_layers_state_dict_goes_to_torch_and_back(tmp_path, name):
    chaingrad.manual_seed(0)
    try:
        ours = _make(name, chaingrad.nn)
    except TypeError as e:
        pytest.fail(f"chaingrad.nn.{name} needs constructor arguments: add it to LAYERS in this file ({e})")
    theirs = _make(name, torch.nn)
    with chaingrad.no_grad():  # distinctive values, so a mix-up of entries shows
        for i, t in enumerate(ours.state_dict().values()):
            if t.is_floating_point():
                t.copy_(chaingrad.arange(t.numel(), dtype=t.dtype).reshape(t.shape) * 0.01 + i)
            else:
                t.fill_(i + 3)
    path = tmp_path / "layer.pt"
    chaingrad.save(ours.state_dict(), path)
    loaded = torch.load(path)
    assert list(loaded) == list(theirs.state_dict())
    theirs.load_state_dict(loaded)  # strict: every key and shape matches
    for key, t in theirs.state_dict().items():
        np.testing.assert_array_equal(t.numpy(), ours.state_dict()[key].numpy(), err_msg=key)
    # and back: torch's state dict (with its _metadata) into a fresh chaingrad layer
    with torch.no_grad():
        for t in theirs.state_dict().values():
            t.mul_(2) if t.is_floating_point() else t.add_(1)
    torch.save(theirs.state_dict(), path)
    fresh = _make(name, chaingrad.nn)
    fresh.load_state_dict(chaingrad.load(path))
    for key, t in theirs.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), t.numpy(), err_msg=key)


def _twin_params(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
    return [chaingrad.tensor(a, requires_grad=True) for a in arrays], [torch.tensor(a, requires_grad=True)
                                                                       for a in arrays]


def _step(opt, params, lib, k):
    opt.zero_grad()
    loss = sum(((p * (i + 1 + 0.1 * k)) ** 2).sum() + p.sum() * k for i, p in enumerate(params))
    loss.backward()
    opt.step()


OPTIMIZERS = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
              ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.05, betas=(0.8, 0.9))),
              ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)), ("Adagrad", dict(lr=0.1, lr_decay=0.01))]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS)
def test_optimizer_state_dicts_cross_over_and_keep_training_identically(tmp_path, name, kwargs):
    cps, tps = _twin_params()
    copt = getattr(optim, name)(cps, **kwargs)
    for k in range(3):
        _step(copt, cps, chaingrad, k)
    path = tmp_path / "opt.pt"
    chaingrad.save(copt.state_dict(), path)
    saved = torch.load(path)
    assert sorted(saved) == ["param_groups", "state"] and list(saved["state"]) == [0, 1]
    with torch.no_grad():
        for t, c in zip(tps, cps):
            t.copy_(torch.from_numpy(c.detach().numpy().copy()))
    topt = getattr(torch.optim, name)(tps, **kwargs)
    topt.load_state_dict(saved)
    for k in range(3, 6):
        _step(copt, cps, chaingrad, k)
        _step(topt, tps, torch, k)
    for c, t in zip(cps, tps):
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    # torch -> chaingrad: a fresh chaingrad optimizer resumes from torch's file
    torch.save(topt.state_dict(), path)
    cps2 = [chaingrad.tensor(t.detach().numpy().copy(), requires_grad=True) for t in tps]
    copt2 = getattr(optim, name)(cps2, lr=1.0)
    copt2.load_state_dict(chaingrad.load(path))
    for k in range(6, 8):
        _step(copt2, cps2, chaingrad, k)
        _step(topt, tps, torch, k)
    for c, t in zip(cps2, tps):
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_checkpoint_dict_goes_through_torch_and_resumes_exactly(tmp_path):
    def make(seed):
        chaingrad.manual_seed(seed)
        model = chaingrad.nn.Sequential(chaingrad.nn.Linear(4, 8), chaingrad.nn.ReLU(), chaingrad.nn.Dropout(0.3),
                                        chaingrad.nn.Linear(8, 2))
        opt = optim.Adam(model.parameters(), lr=0.01)
        return model, opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    x = chaingrad.tensor(np.random.default_rng(1).standard_normal((16, 4)), dtype=chaingrad.float32)

    def epoch(model, opt, sched):
        opt.zero_grad()
        model(x).pow(2).mean().backward()  # dropout draws from the global generator
        opt.step()
        sched.step()

    model, opt, sched = make(0)
    for _ in range(6):
        epoch(model, opt, sched)
    want = [p.detach().numpy().copy() for p in model.parameters()]

    model, opt, sched = make(0)
    for _ in range(3):
        epoch(model, opt, sched)
    path = tmp_path / "ckpt.pt"
    chaingrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": 3, "rng": chaingrad.get_rng_state()}, path)
    in_torch = torch.load(path)  # PyTorch reads the whole checkpoint, RNG state as a uint8 tensor
    assert in_torch["epoch"] == 3 and in_torch["rng"].dtype == torch.uint8
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                 torch.nn.Linear(8, 2))
    tmodel.load_state_dict(in_torch["model"])
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01)
    topt.load_state_dict(in_torch["optimizer"])
    torch.save(in_torch, path)  # ... and a file PyTorch wrote resumes chaingrad's run exactly

    model, opt, sched = make(99)
    chaingrad.manual_seed(12345)
    ckpt = chaingrad.load(path)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    chaingrad.set_rng_state(ckpt["rng"])
    for _ in range(ckpt["epoch"], 6):
        epoch(model, opt, sched)
    for got, w in zip(model.parameters(), want):
        np.testing.assert_array_equal(got.detach().numpy(), w)


# -- the other formats -------------------------------------------------------------------------------------
def test_torchs_legacy_format_both_ways(tmp_path):
    a = torch.arange(6.0).reshape(2, 3)
    torch.save({"a": a, "row": a[1], "i": torch.tensor([1, 2]), "p": torch.nn.Parameter(torch.ones(2))},
               tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    back = chaingrad.load(tmp_path / "old.pt")
    assert back["row"].tolist() == [3.0, 4.0, 5.0] and back["i"].dtype == chaingrad.int64
    assert np.shares_memory(back["a"].numpy(), back["row"].numpy())
    assert isinstance(back["p"], chaingrad.nn.Parameter)
    c = chaingrad.arange(4.0)
    chaingrad.save({"c": c, "tail": c[2:], "n": 3}, tmp_path / "ours-old.pt", _use_new_zipfile_serialization=False)
    theirs = torch.load(tmp_path / "ours-old.pt")
    assert theirs["tail"].tolist() == [2.0, 3.0] and theirs["n"] == 3
    assert theirs["tail"].untyped_storage().data_ptr() == theirs["c"].untyped_storage().data_ptr()
    assert chaingrad.load(tmp_path / "ours-old.pt")["tail"].tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
        chaingrad.load(tmp_path / "old.pt", mmap=True)


def test_chaingrad_0_1_npz_checkpoints_still_load():
    """tests/data/chaingrad-0.1.0-checkpoint.cg was written by chaingrad 0.1.0's chaingrad.save (npz + JSON)."""
    ckpt = chaingrad.load(os.path.join(DATA, "chaingrad-0.1.0-checkpoint.cg"))
    model = chaingrad.nn.Linear(3, 2)
    model.load_state_dict(ckpt["model"])
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.1231323853135109, 0.2649998068809509], rtol=1e-7)
    assert ckpt["epoch"] == 4 and ckpt["lr"] == 0.5 and ckpt["best"] == math.inf and ckpt["betas"] == (0.9, 0.999)
    assert ckpt["milestones"] == Counter({3: 1}) and ckpt["array"].dtype == np.int16
    assert ckpt["dtype"] is chaingrad.float64 and isinstance(ckpt["param"], chaingrad.nn.Parameter)
    assert ckpt["flags"] == [True, None] and ckpt["name"] == "run"


# -- torch.load's options --------------------------------------------------------------------------------
def _with_location(torch_file, out, location: str):
    """A copy of a torch.save file whose storages claim to live on ``location`` (e.g. a GPU)."""
    with zipfile.ZipFile(torch_file) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("data.pkl"):
                new = location.encode()
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X" + len(new).to_bytes(4, "little") + new)
            dst.writestr(name, data)


def test_map_location_as_torch_reads_it(tmp_path):
    torch.save({"w": torch.arange(3.0)}, tmp_path / "cpu.pt")
    _with_location(tmp_path / "cpu.pt", tmp_path / "gpu.pt", "cuda:0")
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'.*map_location='cpu'"):
        chaingrad.load(tmp_path / "gpu.pt")
    for location in ("cpu", b"cpu", torch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage,
                     lambda storage, loc: None if loc == "cpu" else storage):
        assert chaingrad.load(tmp_path / "gpu.pt" if location != b"cpu" else tmp_path / "cpu.pt",
                              map_location=location)["w"].tolist() == [0.0, 1.0, 2.0]
    seen = []
    chaingrad.load(tmp_path / "gpu.pt", map_location=lambda s, loc: seen.append((s.dtype, s.shape, loc)) or s)
    assert seen == [(np.float32, (3,), "cuda:0")]
    with pytest.raises(RuntimeError, match="CPU only"):
        chaingrad.load(tmp_path / "cpu.pt", map_location="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        chaingrad.load(tmp_path / "gpu.pt", map_location={"cuda:0": "cuda:1"})
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'"):
        chaingrad.load(tmp_path / "gpu.pt", map_location=lambda s, loc: None)
    with pytest.raises(TypeError, match="must return it"):
        chaingrad.load(tmp_path / "cpu.pt", map_location=lambda s, loc: "elsewhere")


def test_mmap_maps_storages_copy_on_write(tmp_path):
    path = tmp_path / "m.pt"
    w = torch.arange(10.0)
    torch.save({"w": w, "v": w[3:6], "e": torch.zeros(0)}, path)
    back = chaingrad.load(path, mmap=True)
    assert isinstance(back["w"].numpy().base, np.memmap) or isinstance(back["w"].numpy().base.base, np.memmap)
    assert back["v"].tolist() == [3.0, 4.0, 5.0] and back["e"].shape == (0,)
    back["w"][4] = 99.0  # private mapping: visible through the views, never written to the file
    assert back["v"][1].item() == 99.0
    assert chaingrad.load(path)["w"][4].item() == 4.0
    with pytest.raises(ValueError, match="file path in order to use the mmap"):
        with open(path, "rb") as f:
            chaingrad.load(f, mmap=True)
    assert chaingrad.load(path, mmap=False)["w"].tolist() == list(map(float, range(10)))


def test_weights_only_pickle_module_and_encoding_arguments(tmp_path):
    path = tmp_path / "x.pt"
    chaingrad.save({"x": 1}, path)
    for weights_only in (None, True, False):
        assert chaingrad.load(path, weights_only=weights_only) == {"x": 1}
    with pytest.raises(RuntimeError, match="pickle_module"):
        chaingrad.load(path, pickle_module=__import__("pickle"))
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['fix_imports'\\]"):
        chaingrad.load(path, fix_imports=True)
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("bad/data.pkl", b"\x80\x02cos\nsystem\n.")
    with pytest.raises(UnsafeFileError, match="weights_only=False does not change this"):
        chaingrad.load(bad, weights_only=False)
    # Python 2 strings in old pickles decode with `encoding`, as in torch.load
    legacy = tmp_path / "py2.pt"
    torch.save({"s": "x"}, legacy, _use_new_zipfile_serialization=False)
    raw = legacy.read_bytes().replace(b"X\x01\x00\x00\x00s", b"U\x01s").replace(b"X\x01\x00\x00\x00x", b"U\x01\xe9")
    legacy.write_bytes(raw)
    assert chaingrad.load(legacy, encoding="latin1") == {"s": "é"}
    assert chaingrad.load(legacy, encoding="bytes") == {b"s": b"\xe9"}


def test_other_files_are_refused_with_an_explanation(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a checkpoint"):
        chaingrad.load(tmp_path / "a.txt")
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="not a torch.save file"):
        chaingrad.load(tmp_path / "plain.npz")
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        chaingrad.load(tmp_path / "one.npy")
    good = io.BytesIO()
    chaingrad.save(chaingrad.ones(100), good)
    (tmp_path / "cut.pt").write_bytes(good.getvalue()[:200])
    with pytest.raises(ValueError, match="damaged or incomplete"):
        chaingrad.load(tmp_path / "cut.pt")
    scripted = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), scripted)
    with pytest.raises(UnsafeFileError, match="TorchScript archive"):
        chaingrad.load(scripted)


# -- atomic saves ----------------------------------------------------------------------------------------
def test_save_replaces_the_file_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    chaingrad.save({"v": 1}, path)
    chaingrad.save({"v": 2}, path)
    assert chaingrad.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_a_process_killed_while_saving_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.pt"
    script = textwrap.dedent(f"""
        import numpy as np, chaingrad
        big = chaingrad.tensor(np.random.default_rng(0).standard_normal((1500, 1500)))
        chaingrad.save({{"step": 0, "w": big}}, {str(path)!r})
        print("ready", flush=True)
        step = 0
        while True:
            step += 1
            chaingrad.save({{"step": step, "w": big}}, {str(path)!r})
    """)
    for delay in (0.05, 0.23, 0.41):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        back = chaingrad.load(path)
        assert back["step"] >= 0 and back["w"].shape == (1500, 1500)
        assert torch.load(path)["w"].shape == (1500, 1500)
