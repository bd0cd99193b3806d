"""chaingrad.jit: script and trace return what they are given, TorchScript archives raise a NotImplementedError
that says what to do instead, and the markers that eager code calls answer as eager torch does."""

from __future__ import annotations

import pytest
import torch

import chaingrad


def test_script_and_trace_return_what_they_are_given_and_archives_say_what_to_use():
    net = chaingrad.nn.Sequential(chaingrad.nn.Linear(4, 2), chaingrad.nn.ReLU())
    assert chaingrad.jit.script(net) is net and chaingrad.jit.trace(net, chaingrad.ones(1, 4)) is net
    for call in (lambda: chaingrad.jit.save(net, "net.pt"), lambda: chaingrad.jit.load("net.pt")):
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
