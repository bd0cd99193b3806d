"""pytest set-up: the helpers module next to this file is importable, torch (the oracle) runs on one thread, and
chaingrad's global state is reset between tests (default dtype, print options, grad mode)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

import chaingrad  # noqa: E402

# one thread for the oracle: with pytest-xdist workers on few cores, torch's thread pool waits for busy cores
# (a tiny layer_norm took 15 ms instead of 15 us)
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _reset_chaingrad_state():
    yield
    chaingrad.set_default_dtype(chaingrad.float32)
    chaingrad.set_printoptions(profile="default")
    chaingrad.set_grad_enabled(True)
