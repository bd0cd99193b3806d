"""The textbook-style programs in examples/ run to the end and reach their stated accuracy; a few also run
under real PyTorch with only the imports changed back, and both accuracies agree within 3 points."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# the test accuracy each example must reach on the 8x8 digits
TARGETS = {
    "softmax_regression_scratch": 0.90,
    "softmax_regression_concise": 0.90,
    "mlp_scratch": 0.93,
    "mlp_concise": 0.93,
    "dropout": 0.93,
    "lenet": 0.95,
    "rnn": 0.90,
}
COMPARED_WITH_TORCH = ["softmax_regression_concise", "mlp_concise", "lenet", "rnn"]

TORCH_IMPORTS = [
    ("import chaingrad as torch", "import torch"),
    ("from chaingrad import nn", "from torch import nn"),
    ("from chaingrad.utils import data", "from torch.utils import data"),
    ("import chaingrad.nn.functional as F", "import torch.nn.functional as F"),
]


def _run(path: Path, cwd: Path) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}  # two cores: no thread oversubscription
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def _accuracy(stdout: str) -> float:
    found = re.findall(r"^test accuracy: ([0-9.]+)$", stdout, flags=re.M)
    assert found, f"no 'test accuracy:' line in the output:\n{stdout[-1000:]}"
    return float(found[-1])


def _as_torch_program(source: str) -> str:
    """The same program with the four chaingrad imports changed back to torch's (the data source stays)."""
    lines = source.splitlines()
    for ours, theirs in TORCH_IMPORTS:
        lines = [theirs if line == ours else line for line in lines]
    converted = "\n".join(lines) + "\n"
    assert "import chaingrad as torch" not in converted and "from chaingrad import nn" not in converted
    return converted


@pytest.mark.parametrize("name", list(TARGETS))
def test_example_reaches_its_accuracy(name, tmp_path):
    accuracy = _accuracy(_run(EXAMPLES / f"{name}.py", tmp_path))
    assert accuracy >= TARGETS[name], f"{name}: test accuracy {accuracy:.3f} < {TARGETS[name]}"


def test_weight_decay_example_shrinks_the_overfit_test_loss(tmp_path):
    out = _run(EXAMPLES / "weight_decay.py", tmp_path)
    plain, decayed = map(float, re.search(r"without weight decay ([0-9.]+), with ([0-9.]+)", out).groups())
    assert decayed < 1.0 and plain > 10 * decayed


def test_seed_program_runs_unchanged(tmp_path):
    out = _run(EXAMPLES / "seed_linear_regression.py", tmp_path)
    assert "Final weight:" in out and (tmp_path / "seed_fit.png").is_file()


@pytest.mark.parametrize("name", COMPARED_WITH_TORCH)
def test_same_program_under_pytorch_reaches_the_same_accuracy_within_3_points(name, tmp_path):
    our_out = _run(EXAMPLES / f"{name}.py", tmp_path)
    torch_program = tmp_path / f"{name}_torch.py"
    torch_program.write_text(_as_torch_program((EXAMPLES / f"{name}.py").read_text()))
    # the textbook's helpers, converted the same way, next to the converted program
    (tmp_path / "d2l_digits.py").write_text(_as_torch_program((EXAMPLES / "d2l_digits.py").read_text()))
    their_out = _run(torch_program, tmp_path)
    ours, theirs = _accuracy(our_out), _accuracy(their_out)
    assert abs(ours - theirs) <= 0.03, f"{name}: chaingrad {ours:.3f}, PyTorch {theirs:.3f}"
    # the layer-by-layer shapes a textbook program prints are the same lines
    shapes = [line.replace("chaingrad.Size", "torch.Size") for line in our_out.splitlines() if "shape" in line]
    assert shapes == [line for line in their_out.splitlines() if "shape" in line]
