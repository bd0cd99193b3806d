"""`chaingrad train {linreg,softmax,mlp,lenet}`: per-epoch lines, a curves PNG, weights saved with
chaingrad.save that load back into the model, and the accuracy targets with the default options."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import chaingrad
from chaingrad.cli import main
from chaingrad.train import build_model, evaluate, load_data


def _accuracy(model: str, weights: str) -> float:
    net = build_model(model)
    result = net.load_state_dict(chaingrad.load(weights))
    assert not result.missing_keys and not result.unexpected_keys
    _, test_iter = load_data(model, 64)
    return evaluate(net, test_iter, chaingrad.nn.CrossEntropyLoss(), True)[1]


@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_default_options_reach_95_percent_on_digits(model, tmp_path, capsys):
    assert main(["train", model, "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 20 and "train loss" in epoch_lines[0] and "test acc" in epoch_lines[0]
    final = float(out.split("final test accuracy ")[1].split("%")[0])
    assert final >= 95.0
    png, weights = tmp_path / f"{model}.png", tmp_path / f"{model}.pt"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert abs(100 * _accuracy(model, str(weights)) - final) < 0.05  # the saved weights are the final ones


def test_linreg_recovers_the_true_weights(tmp_path, capsys):
    assert main(["train", "linreg", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "learned w" in out and "test loss" in out
    state = chaingrad.load(tmp_path / "linreg.pt")
    np.testing.assert_allclose(state["0.weight"].numpy(), [[2.0, -3.4]], atol=0.01)
    np.testing.assert_allclose(state["0.bias"].numpy(), [4.2], atol=0.01)


def test_options_are_used_and_runs_repeat_under_a_seed(tmp_path, capsys):
    args = ["train", "softmax", "--epochs", "2", "--lr", "0.2", "--batch-size", "100", "--seed", "3",
            "--no-progress"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "epochs 2, lr 0.2, batch size 100, seed 3" in out and "epoch 2/2" in out and "epoch 3/" not in out
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    a, b = chaingrad.load(tmp_path / "a" / "softmax.pt"), chaingrad.load(tmp_path / "b" / "softmax.pt")
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())


def test_bad_options_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "resnet"])
    assert main(["train", "mlp", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_the_installed_command_shows_a_progress_bar(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "chaingrad.cli", "train", "mlp", "--epochs", "2", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1/2:" in proc.stderr and "/45 [" in proc.stderr and "batch/s" in proc.stderr  # tqdm, stderr
    assert "epoch 2/2  train loss" in proc.stdout
