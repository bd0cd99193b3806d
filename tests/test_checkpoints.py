"""Checkpoints: loading never runs code from a file, saving is atomic, and resuming training is exact.

- a crafted pickle (whose unpickling would run code) is refused with a clear error naming the function it
  would call, and nothing in it runs (tests/test_serialization_safety.py has the full catalog);
- a process killed (SIGKILL) at a random moment while it saves leaves the previous checkpoint intact;
- model + optimizer + scheduler + RNG state saved mid-training and resumed give exactly the parameters of an
  uninterrupted run.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chaingrad


class _Exploit:
    """Unpickling this would create a marker file: proof that code from the file ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_crafted_pickle_is_refused_and_never_unpickled(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"weight": _Exploit(str(marker))}, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL io.open is not on chaingrad's allow-list") as info:
        chaingrad.load(path)
    assert "never runs code" in str(info.value)
    assert not marker.exists()


def test_torch_zip_checkpoint_with_a_crafted_pickle_is_refused(tmp_path):
    import zipfile

    marker = tmp_path / "pwned"
    path = tmp_path / "model.pth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL io.open is not on chaingrad's allow-list"):
        chaingrad.load(path)
    assert not marker.exists()


def test_npz_with_object_arrays_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, __chaingrad__=np.frombuffer(b'{"format": "chaingrad-save", "version": 1, "object": null}',
                                               dtype=np.uint8), x=np.array([_Exploit("nowhere")], dtype=object))
    with pytest.raises(ValueError):  # an object (pickled) array inside a chaingrad archive is refused ...
        chaingrad.load(path)
    path2 = tmp_path / "obj2.npz"
    np.savez(path2, x=np.array([_Exploit("nowhere")], dtype=object))
    with pytest.raises(ValueError):  # ... and a plain npz (possibly with pickled objects) is refused
        chaingrad.load(path2)


SAVER = r"""
import sys, chaingrad, numpy as np
path = sys.argv[1]
big = {f"layer{i}.weight": chaingrad.tensor(np.full((256, 256), float(i))) for i in range(24)}
print("ready", flush=True)
k = 0
while True:
    k += 1
    big["step"] = k
    chaingrad.save(big, path)
"""


def test_killing_a_process_while_it_saves_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.cg"
    good = {"weight": chaingrad.arange(10.0), "step": 0}
    chaingrad.save(good, path)
    rng = np.random.default_rng(0)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 0.6)))  # a random moment, most likely in the middle of a save
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        loaded = chaingrad.load(path)  # never a torn file: the old checkpoint or a complete new one
        if loaded["step"] == 0:
            assert chaingrad.equal(loaded["weight"], good["weight"])
        else:
            assert set(loaded) == {f"layer{i}.weight" for i in range(24)} | {"step"}
            for i in range(24):
                assert float(loaded[f"layer{i}.weight"][0, 0]) == float(i)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ckpt.cg"]
    assert all(name.endswith(".tmp") for name in leftovers)  # only a killed save's temporary file remains


def _make(seed=0):
    chaingrad.manual_seed(seed)
    model = chaingrad.nn.Sequential(chaingrad.nn.Linear(5, 16), chaingrad.nn.ReLU(), chaingrad.nn.Dropout(0.2),
                                    chaingrad.nn.Linear(16, 3))
    opt = chaingrad.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-3)
    sched = chaingrad.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
    return model, opt, sched


def _data():
    rng = np.random.default_rng(42)
    return chaingrad.tensor(rng.standard_normal((64, 5)), dtype=chaingrad.float32), \
        chaingrad.tensor(rng.integers(0, 3, 64))


def _epoch(model, opt, sched, x, y):
    for _ in range(4):
        idx = chaingrad.randperm(64)[:16]  # uses the global RNG, as dropout does
        opt.zero_grad()
        loss = chaingrad.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()


def test_resume_from_checkpoint_gives_exactly_the_uninterrupted_result(tmp_path):
    x, y = _data()
    model, opt, sched = _make()
    for _ in range(10):
        _epoch(model, opt, sched, x, y)
    want = [p.detach().numpy().copy() for p in model.parameters()]

    model, opt, sched = _make()
    for _ in range(5):
        _epoch(model, opt, sched, x, y)
    path = tmp_path / "resume.cg"
    chaingrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "rng": chaingrad.get_rng_state(), "epoch": 5}, path)
    del model, opt, sched
    chaingrad.manual_seed(12345)  # the resumed process starts from a different RNG state

    model, opt, sched = _make(seed=999)  # different initial weights: all must come from the checkpoint
    ckpt = chaingrad.load(path)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    chaingrad.set_rng_state(ckpt["rng"])
    for _ in range(ckpt["epoch"], 10):
        _epoch(model, opt, sched, x, y)
    got = [p.detach().numpy() for p in model.parameters()]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.02 * 0.5 ** (40 // 7))
