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


def _like_views(lib):
    """Inputs of the ``*_like`` functions: dense permutations, views with gaps and expanded dims (where torch
    infers the dense order, a zero stride keeping the dims' order)."""
    x = lib.arange(120.0).reshape(4, 5, 6)
    return {**_views(lib), "expanded_row": x[:1].expand(4, 5, 6), "expanded_permuted": x[:, :1].expand(4, 5, 6)
            .permute(2, 1, 0), "expanded_transposed": x[..., :1].expand(4, 5, 6).transpose(0, 1),
            "permuted_gaps": x.permute(2, 0, 1)[:, 1:3, ::2], "expanded_gaps": x[:1, :1].expand(3, 5, 6)[:, ::2]
            .transpose(1, 2)}


LIKE_VIEWS = list(_like_views(torch))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view", LIKE_VIEWS)
def test_like_functions_lay_out_and_fill_as_torch(view, fmt):
    results = []
    for lib in (torch, chaingrad):
        x = _like_views(lib)[view]
        kw = {} if fmt is None else {"memory_format": getattr(lib, fmt)}
        if fmt == "channels_last" and x.ndim != 4:
            with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
                lib.zeros_like(x, **kw)
            continue
        lib.manual_seed(7)
        made = [lib.zeros_like(x, **kw), lib.ones_like(x, **kw), lib.empty_like(x, **kw), lib.full_like(x, 2.5, **kw),
                lib.rand_like(x, **kw), lib.randn_like(x, **kw), lib.randint_like(x, 0, 100, **kw)]
        results.append([(t.stride(), t.numpy().copy() if i != 2 else None) for i, t in enumerate(made)])
    for (stride_t, values_t), (stride_c, values_c) in zip(*results):
        assert stride_c == stride_t
        if values_t is not None:
            np.testing.assert_array_equal(values_c, values_t)  # (the random ones: drawn in the new memory order)


@pytest.mark.parametrize("fmt", FORMATS)
def test_to_float_and_cpu_lay_out_as_torch(fmt):
    results = []
    for lib in (torch, chaingrad):
        x = lib.arange(120.0, requires_grad=True)
        y = x.reshape(2, 3, 4, 5).permute(0, 2, 3, 1)
        kw = {} if fmt is None else {"memory_format": getattr(lib, fmt)}
        made = [y.to(**kw), y.to(lib.float64, **kw), y.float(**kw), y.double(**kw), y.cpu(**kw)]
        sum(t.sum() for t in made).backward()
        names = [t.grad_fn.name() if hasattr(t.grad_fn, "name") else type(t.grad_fn).__name__ for t in made]
        results.append(([t.stride() for t in made], [t is y for t in made], names, x.grad.numpy().copy()))
    assert results[0][:3] == results[1][:3]
    np.testing.assert_array_equal(results[0][3], results[1][3])
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        chaingrad.zeros(3).to(memory_format=chaingrad.channels_last)
