"""Memory formats against torch: the constants, clone's strides (preserve_format keeps the order of the
source's strides, contiguous_format and channels_last lay the copy out), contiguous(memory_format=),
is_contiguous(memory_format=), values and gradients unchanged by the layout, pickling, and torch's errors."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import chaingrad


def _views(lib):
    x = lib.arange(120.0).reshape(2, 3, 4, 5)
    return {"plain": x, "permuted": x.permute(0, 2, 3, 1), "sliced": x[:, :, ::2], "permuted_sliced":
            x.permute(0, 2, 3, 1)[:, ::2], "transposed": x[0, 0].t(), "channels_last_view": x.permute(0, 3, 1, 2)}


FORMATS = ["preserve_format", "contiguous_format", "channels_last", None]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view", ["plain", "permuted", "sliced", "permuted_sliced", "transposed",
                                  "channels_last_view"])
def test_clone_and_contiguous_lay_out_as_torch(view, fmt):
    results = []
    for lib in (torch, chaingrad):
        x = _views(lib)[view]
        kwargs = {} if fmt is None else {"memory_format": getattr(lib, fmt)}
        try:
            c = x.clone(**kwargs)
            got = [c.stride(), c.numpy().tolist(), c.is_contiguous()]
        except RuntimeError as e:
            got = [type(e).__name__]
        try:
            k = x.contiguous(**kwargs)
            got += [k.stride(), k is x, k.numpy().tolist()]
        except RuntimeError as e:
            got += [type(e).__name__, str(e).split(" (")[0]]
        for f in ("contiguous_format", "channels_last", "preserve_format"):
            got.append(x.is_contiguous(memory_format=getattr(lib, f)))
        results.append(got)
    assert results[1] == results[0]


def test_the_layout_changes_neither_values_nor_gradients():
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2))
    grads = []
    for lib in (torch, chaingrad):
        a = lib.tensor(x, requires_grad=True)
        b = a.clone(memory_format=lib.channels_last)
        w = lib.tensor(np.arange(24.0).reshape(2, 3, 2, 2))
        (b.contiguous() * w).sum().backward()
        assert b.grad_fn.name() == "CloneBackward0"
        grads.append(a.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_constants_print_pickle_and_refuse_other_arguments():
    assert repr(chaingrad.channels_last) == "chaingrad.channels_last"
    assert isinstance(chaingrad.preserve_format, chaingrad.memory_format)
    assert pickle.loads(pickle.dumps(chaingrad.channels_last)) is chaingrad.channels_last
    assert copy.deepcopy(chaingrad.contiguous_format) is chaingrad.contiguous_format
    for lib in (torch, chaingrad):
        with pytest.raises(TypeError, match="clone\\(\\): argument 'memory_format' must be"):
            lib.zeros(2).clone(memory_format="channels_last")
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
            lib.zeros(2, 3).clone(memory_format=lib.channels_last)
        with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
            lib.zeros(2, 3).contiguous(memory_format=lib.channels_last_3d)
        with pytest.raises(RuntimeError, match="preserve memory format is unsupported by the contiguous operator"):
            lib.zeros(3, 2).t().contiguous(memory_format=lib.preserve_format)  # (a copy needed)
        x = lib.zeros(1, 2, 3, 3, 3).clone(memory_format=lib.channels_last_3d)
        assert x.is_contiguous(memory_format=lib.channels_last_3d)


def test_reshape_of_a_permuted_tensor_still_copies_row_major():
    for lib in (torch, chaingrad):
        x = lib.arange(6.0, requires_grad=True).reshape(2, 3).t() * 1
        y = x.reshape(6)
        assert y.is_contiguous() and y.grad_fn.name() == "UnsafeViewBackward0"
        assert y.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
