"""chaingrad.save / chaingrad.load: round trips of tensors and nested state, no code execution on load
(pickles refused), atomic writes that survive a killed process, and exact training resume."""

from __future__ import annotations

import io
import math
import os
import pickle
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
from chaingrad.utils import data


def test_tensor_round_trip_keeps_values_dtype_shape_and_requires_grad(tmp_path):
    for t in (chaingrad.randn(3, 4), chaingrad.arange(6).reshape(2, 3), chaingrad.tensor(2.5, dtype=chaingrad.float64),
              chaingrad.tensor([True, False]), chaingrad.zeros(0, 3), chaingrad.randn(4, 5).t()):
        path = tmp_path / "t.pt"
        chaingrad.save(t, path)
        back = chaingrad.load(path)
        assert back.dtype == t.dtype and back.shape == t.shape and not back.requires_grad
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
        "array": np.arange(4, dtype=np.int16), "np_scalar": np.float32(1.5), "dtype": chaingrad.float64,
        "same": [shared, shared], "empty": {}, "empty_list": [], "big": 2 ** 62,
    }
    path = tmp_path / "nested.pt"
    chaingrad.save(obj, path)
    back = chaingrad.load(path)
    assert isinstance(back["state_dict"], OrderedDict) and list(back["state_dict"]) == ["0.weight", "0.bias"]
    np.testing.assert_array_equal(back["state_dict"]["0.weight"].numpy(), obj["state_dict"]["0.weight"].numpy())
    assert back["epoch"] == 7 and back["lr"] == 0.125 and back["best"] == math.inf and math.isnan(back["nan"])
    assert back["name"] == "run-1" and back["note"] is None and back["flags"] == [True, False]
    assert back["betas"] == (0.9, 0.999) and isinstance(back["milestones"], Counter) and back["milestones"][5] == 2
    assert back["int_keys"][0]["step"].item() == 3.0 and back["tuple_keys"] == {(1, 2): "a"}
    assert back["array"].dtype == np.int16 and back["np_scalar"] == 1.5 and back["dtype"] is chaingrad.float64
    assert back["same"][0] is back["same"][1]
    assert back["empty"] == {} and back["empty_list"] == [] and back["big"] == 2 ** 62


def test_file_objects_work_too():
    buf = io.BytesIO()
    chaingrad.save({"x": chaingrad.arange(3)}, buf)
    buf.seek(0)
    assert chaingrad.load(buf)["x"].tolist() == [0, 1, 2]


def test_optimizer_and_scheduler_state_dicts_round_trip(tmp_path):
    p = chaingrad.randn(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4])
    for _ in range(3):
        (p ** 2).sum().backward()
        opt.step()
        sched.step()
    chaingrad.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt.pt")
    back = chaingrad.load(tmp_path / "ckpt.pt")
    q = chaingrad.tensor(p.detach().numpy(), requires_grad=True)
    opt2 = optim.Adam([q], lr=0.5)
    opt2.load_state_dict(back["opt"])
    sched2 = lr_scheduler.MultiStepLR(opt2, milestones=[9])
    sched2.load_state_dict(back["sched"])
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999) and sched2.milestones == Counter([2, 4])
    for a, b in ((opt, opt2),):
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"):
            np.testing.assert_array_equal(a.state[p][key].numpy(), b.state[q][key].numpy())


def test_unsupported_objects_are_refused_with_a_clear_error(tmp_path):
    with pytest.raises(TypeError, match="cannot save obj\\['f'\\] of type builtins.function"):
        chaingrad.save({"f": lambda: 0}, tmp_path / "x.pt")
    assert not os.path.exists(tmp_path / "x.pt") and os.listdir(tmp_path) == []


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_files_are_refused_and_never_executed(tmp_path):
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as f:
        pickle.dump(_Boom(), f)
    with pytest.raises(ValueError, match="is a pickle file.*never unpickles"):
        chaingrad.load(path)
    with open(path, "wb") as f:
        pickle.dump({"a": 1}, f, protocol=0)
    with pytest.raises(ValueError, match="pickle"):
        chaingrad.load(path)


def test_torch_save_files_are_refused_with_a_conversion_hint(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="PyTorch checkpoint.*weights_only=True"):
        chaingrad.load(path)


def test_npz_with_object_arrays_is_not_unpickled(tmp_path):
    """A crafted archive with our structure entry but a pickled object array: numpy refuses it."""
    good = io.BytesIO()
    chaingrad.save({"x": chaingrad.ones(2)}, good)
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            if name == "a0.npy":
                payload = io.BytesIO()
                np.save(payload, np.array([_Boom()], dtype=object), allow_pickle=True)
                dst.writestr(name, payload.getvalue())
            else:
                dst.writestr(name, src.read(name))
    with pytest.raises(ValueError, match="allow_pickle"):
        chaingrad.load(path)


def test_other_files_are_refused(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a chaingrad checkpoint"):
        chaingrad.load(tmp_path / "a.txt")
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="not a chaingrad checkpoint"):
        chaingrad.load(tmp_path / "plain.npz")
    good = io.BytesIO()
    chaingrad.save(chaingrad.ones(100), good)
    (tmp_path / "cut.pt").write_bytes(good.getvalue()[:200])
    with pytest.raises(ValueError, match="damaged or incomplete"):
        chaingrad.load(tmp_path / "cut.pt")


def test_save_replaces_the_file_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    chaingrad.save({"v": 1}, path)
    chaingrad.save({"v": 2}, path)
    assert chaingrad.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_a_process_killed_while_saving_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.pt"
    script = textwrap.dedent(f"""
        import sys, numpy as np, chaingrad
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
        back = chaingrad.load(path)
        assert back["step"] >= 0 and back["w"].shape == (1500, 1500)


def _train(steps: int, resume_at: int | None, tmp_path) -> np.ndarray:
    """A small regression trained with shuffled mini-batches, SGD momentum, StepLR and dropout-like noise;
    with ``resume_at`` everything is saved at that epoch, thrown away, and rebuilt from the file."""
    chaingrad.manual_seed(0)
    X = chaingrad.randn(64, 3)
    y = X @ chaingrad.tensor([[1.0], [-2.0], [0.5]]) + 0.1
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True)

    def build():
        w = chaingrad.zeros(3, 1, requires_grad=True)
        b = chaingrad.zeros(1, requires_grad=True)
        opt = optim.SGD([w, b], lr=0.05, momentum=0.9)
        return w, b, opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    w, b, opt, sched = build()
    for epoch in range(steps):
        if epoch == resume_at:
            chaingrad.save({"w": w, "b": b, "opt": opt.state_dict(), "sched": sched.state_dict(),
                            "rng": chaingrad.get_rng_state(), "epoch": epoch}, tmp_path / "resume.pt")
            chaingrad.manual_seed(123)  # a different process would have a different RNG state
            w, b, opt, sched = build()
            ckpt = chaingrad.load(tmp_path / "resume.pt")
            with chaingrad.no_grad():
                w.copy_(ckpt["w"])
                b.copy_(ckpt["b"])
            opt.load_state_dict(ckpt["opt"])
            sched.load_state_dict(ckpt["sched"])
            chaingrad.set_rng_state(ckpt["rng"])
        for xb, yb in loader:
            noise = chaingrad.rand(xb.shape[0], 1) * 0.01
            loss = ((xb @ w + b - yb + noise) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()])


def test_resuming_from_a_checkpoint_gives_exactly_the_uninterrupted_run(tmp_path):
    straight = _train(6, None, tmp_path)
    resumed = _train(6, 3, tmp_path)
    np.testing.assert_array_equal(straight, resumed)
