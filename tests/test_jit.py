"""chaingrad.jit: TorchScript's entry points raise a NotImplementedError that says what to do instead, and the
markers that eager code calls answer as eager torch does."""

from __future__ import annotations

import pytest
import torch

import chaingrad


def test_script_and_trace_say_there_is_no_torchscript_and_what_to_use():
    net = chaingrad.nn.Sequential(chaingrad.nn.Linear(4, 2), chaingrad.nn.ReLU())
    for call in (lambda: chaingrad.jit.script(net), lambda: chaingrad.jit.trace(net, chaingrad.ones(1, 4)),
                 lambda: chaingrad.jit.save(net, "net.pt"), lambda: chaingrad.jit.load("net.pt")):
        with pytest.raises(NotImplementedError, match="no TorchScript.*chaingrad.compile"):
            call()


def test_eager_markers_answer_as_in_eager_torch():
    for lib in (chaingrad, torch):
        assert lib.jit.is_scripting() is False and lib.jit.is_tracing() is False

        @lib.jit.ignore
        def twice(x):
            return 2 * x

        @lib.jit.unused
        def thrice(x):
            return 3 * x

        class Net(lib.nn.Module):
            @lib.jit.export
            def helper(self, x):
                return x + 1

        assert twice(2) == 4 and thrice(2) == 6 and Net().helper(1) == 2
