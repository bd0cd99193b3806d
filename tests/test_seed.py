"""The seed program (examples/seed_linear_regression.py, the blog's PyTorch code with only the import changed)
prints what it prints under PyTorch 2.13 (tests/data/seed_expected_output.txt) byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPECTED = REPO / "tests" / "data" / "seed_expected_output.txt"
EXAMPLE = REPO / "examples" / "seed_linear_regression.py"


def test_seed_example_prints_the_expected_output_byte_for_byte(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == EXPECTED.read_bytes()
    assert (tmp_path / "seed_fit.png").is_file()
