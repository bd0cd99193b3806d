"""chaingrad.nn.modules mirrors torch.nn.modules' layout: each class chaingrad.nn has is found in the
submodule where torch keeps it, and torch's size helpers give torch's answers."""

from __future__ import annotations

import importlib

import pytest
import torch
import torch.nn.modules.utils as torch_utils

import chaingrad as cg
import chaingrad.nn.modules.utils as cg_utils

SUBMODULES = ["activation", "batchnorm", "channelshuffle", "container", "conv", "distance", "dropout", "flatten",
              "fold", "instancenorm", "lazy", "linear", "loss", "module", "normalization", "padding",
              "pixelshuffle", "pooling", "rnn", "sparse", "transformer", "upsampling"]


@pytest.mark.parametrize("name", SUBMODULES)
def test_each_class_is_where_torch_keeps_it(name):
    theirs = importlib.import_module(f"torch.nn.modules.{name}")
    ours = importlib.import_module(f"chaingrad.nn.modules.{name}")
    public = [k for k, v in vars(theirs).items()
              if isinstance(v, type) and v.__module__ == theirs.__name__ and not k.startswith("_")]
    found = [k for k in public if hasattr(cg.nn, k) or hasattr(ours, k)]
    assert found, name
    for k in found:
        cls = getattr(ours, k)
        assert isinstance(cls, type) and (issubclass(cls, cg.nn.Module) or k == "LazyModuleMixin"), k
        if hasattr(cg.nn, k):
            assert getattr(ours, k) is getattr(cg.nn, k), k
            assert getattr(cg.nn.modules, k) is getattr(cg.nn, k), k


def test_private_bases_that_programs_subclass():
    from chaingrad.nn.modules.batchnorm import _BatchNorm
    from chaingrad.nn.modules.conv import _ConvNd
    from chaingrad.nn.modules.dropout import _DropoutNd
    from chaingrad.nn.modules.loss import _Loss, _WeightedLoss
    assert issubclass(cg.nn.MSELoss, _Loss) and issubclass(cg.nn.CrossEntropyLoss, _WeightedLoss)
    assert issubclass(cg.nn.BatchNorm2d, _BatchNorm) and issubclass(cg.nn.Conv2d, _ConvNd)
    assert issubclass(cg.nn.Dropout, _DropoutNd)
    out = []
    for lib in (cg, torch):
        class Squared(lib.nn.modules.loss._Loss):
            def forward(self, a, b):
                d = (a - b) ** 2
                return d.mean() if self.reduction == "mean" else d.sum()

        out.append([Squared().reduction, Squared(reduction="sum")(lib.ones(3), lib.zeros(3)).item()])
    assert out[0] == out[1]


def test_size_helpers_are_torchs():
    for value in (3, (2, 5), [1, 2, 3]):
        for helper in ("_single", "_pair", "_triple", "_quadruple"):
            assert getattr(cg_utils, helper)(value) == getattr(torch_utils, helper)(value)
    assert cg_utils._reverse_repeat_tuple((1, 2, 3), 2) == torch_utils._reverse_repeat_tuple((1, 2, 3), 2)
    assert cg_utils._list_with_default([None, 3], [1, 4, 5]) == torch_utils._list_with_default([None, 3], [1, 4, 5])
    assert cg_utils._list_with_default(7, [1, 4]) == torch_utils._list_with_default(7, [1, 4])
    for lib_utils in (cg_utils, torch_utils):
        with pytest.raises(ValueError, match="Input dimension should be at least 3"):
            lib_utils._list_with_default([None, 2], [4, 5])
