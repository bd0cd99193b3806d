"""F.interpolate (every mode, size or scale_factor, align_corners, recompute_scale_factor), F.unfold, F.fold and
nn.Upsample/Unfold/Fold equal PyTorch's: values, gradients, finite differences, second derivatives, node names
and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives

CASES = [
    ("nearest", 4, dict(scale_factor=2)),
    ("nearest", 4, dict(size=(3, 5))),
    ("nearest", 4, dict(scale_factor=1.3)),
    ("nearest", 4, dict(scale_factor=1.3, recompute_scale_factor=True)),
    ("nearest", 4, dict(scale_factor=(0.5, 1.7))),
    ("nearest", 3, dict(size=7)),
    ("nearest", 5, dict(size=(3, 2, 7))),
    ("nearest-exact", 4, dict(size=(3, 7))),
    ("nearest-exact", 3, dict(scale_factor=1.5)),
    ("linear", 3, dict(size=7)),
    ("linear", 3, dict(scale_factor=0.6, align_corners=True)),
    ("bilinear", 4, dict(scale_factor=2)),
    ("bilinear", 4, dict(size=(3, 5), align_corners=True)),
    ("bilinear", 4, dict(size=(7, 2), align_corners=False)),
    ("bilinear", 4, dict(scale_factor=0.5, recompute_scale_factor=True)),
    ("bilinear", 4, dict(scale_factor=(1.5, 0.7))),
    ("bilinear", 4, dict(size=(1, 1), align_corners=True)),
    ("bicubic", 4, dict(size=(6, 7))),
    ("bicubic", 4, dict(scale_factor=1.5, align_corners=True)),
    ("bicubic", 4, dict(size=(2, 3))),
    ("trilinear", 5, dict(size=(3, 5, 2))),
    ("trilinear", 5, dict(scale_factor=2, align_corners=True)),
    ("area", 4, dict(size=(3, 2))),
    ("area", 3, dict(size=3)),
    ("area", 5, dict(scale_factor=0.5)),
]

SHAPES = {3: (2, 3, 5), 4: (2, 3, 4, 5), 5: (1, 2, 3, 4, 5)}


def case_id(case):
    return f"{case[0]}-{case[1]}d-{'-'.join(f'{k}={v}' for k, v in case[2].items())}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_interpolate_matches_torch(case, dtype):
    mode, nd, kw = case
    x = rand_array(np.random.default_rng(0), SHAPES[nd])
    compare_with_torch(lambda m, t: m.nn.functional.interpolate(t, mode=mode, **kw), [x], dtype=dtype)


@pytest.mark.parametrize("case", CASES[::3], ids=case_id)
def test_interpolate_matches_finite_differences(case):
    mode, nd, kw = case
    x = rand_array(np.random.default_rng(1), SHAPES[nd])
    check_finite_differences(lambda m, t: m.nn.functional.interpolate(t, mode=mode, **kw), [x])


def test_interpolate_second_derivatives_match_torch():
    x = rand_array(np.random.default_rng(2), (1, 2, 3, 4))
    compare_second_derivatives(lambda m, t: m.nn.functional.interpolate(t * t, scale_factor=2, mode="bilinear") ** 2,
                               [x])


def test_upsample_layers_match_torch():
    x = rand_array(np.random.default_rng(3), (2, 3, 4, 5))
    for make in (lambda m: m.nn.Upsample(scale_factor=2, mode="bilinear"), lambda m: m.nn.Upsample(size=(3, 7)),
                 lambda m: m.nn.UpsamplingNearest2d(scale_factor=2), lambda m: m.nn.UpsamplingBilinear2d(size=6)):
        compare_with_torch(lambda m, t, make=make: make(m)(t), [x])
        assert repr(make(cg)) == repr(make(__import__("torch")))


@pytest.mark.parametrize("name", ["nearest", "bilinear", "bicubic", "nearest-exact", "area"])
def test_interpolate_names_its_node_as_torch(name):
    x = [rand_array(np.random.default_rng(4), (1, 1, 4, 4))]
    assert_same_grad_fn(lambda m, t: m.nn.functional.interpolate(t, size=(3, 5), mode=name), x)
    if name == "nearest":  # (torch computes 1-d area pooling as 2-d and squeezes)
        assert_same_grad_fn(lambda m, t: m.nn.functional.interpolate(t[0], size=5, mode=name), x)


def test_interpolate_errors_match_torch():
    x = np.ones((1, 1, 4, 4))
    def call(**kw):
        return lambda m, t: m.nn.functional.interpolate(t, **kw)

    assert_raises_like_torch(call(size=3, scale_factor=2), x, match="only one")
    assert_raises_like_torch(call(), x, match="either size or scale_factor")
    assert_raises_like_torch(call(size=(3,)), x, match="same number of spatial dimensions")
    assert_raises_like_torch(call(scale_factor=(2,)), x, match="scale_factor")
    assert_raises_like_torch(call(size=3, align_corners=True), x, match="align_corners")
    assert_raises_like_torch(call(size=3, mode="linear"), x, match="3D input")
    assert_raises_like_torch(call(size=3, mode="foo"), x, match="foo")
    assert_raises_like_torch(call(size=3, mode="bilinear"), x[0, 0], match="2D")
    assert_raises_like_torch(call(size=0), x, match="greater than 0")
    assert_raises_like_torch(call(size=3, mode="bilinear"), x.astype(np.int64), match="Long")
    with pytest.raises(NotImplementedError, match="antialias"):
        cg.nn.functional.interpolate(cg.ones(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)


UNFOLD = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), padding=1, stride=2, dilation=(1, 2)),
    dict(kernel_size=3, stride=(1, 2), padding=(0, 1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", UNFOLD, ids=str)
def test_unfold_and_fold_match_torch(kw, dtype):
    rng = np.random.default_rng(5)
    x = rand_array(rng, (2, 3, 5, 6))
    compare_with_torch(lambda m, t: m.nn.functional.unfold(t, **kw), [x], dtype=dtype)
    compare_with_torch(lambda m, t: m.nn.functional.unfold(t[0], **kw), [x], dtype=dtype)
    compare_with_torch(lambda m, t: m.nn.Unfold(**kw)(t), [x], dtype=dtype)
    cols = cg.nn.functional.unfold(cg.tensor(x), **kw)
    c = rand_array(rng, tuple(cols.shape))
    compare_with_torch(lambda m, t: m.nn.functional.fold(t, (5, 6), **kw), [c], dtype=dtype)
    compare_with_torch(lambda m, t: m.nn.Fold((5, 6), **kw)(t[0]), [c], dtype=dtype)


@pytest.mark.parametrize("kw", UNFOLD[:2], ids=str)
def test_unfold_fold_gradients_match_finite_differences_and_second_order(kw):
    x = rand_array(np.random.default_rng(6), (1, 2, 4, 5))
    check_finite_differences(lambda m, t: m.nn.functional.fold(m.nn.functional.unfold(t, **kw) * 2, (4, 5), **kw),
                             [x])
    compare_second_derivatives(lambda m, t: m.nn.functional.unfold(t * t, **kw) ** 2, [x])


def test_unfold_fold_nodes_and_errors_match_torch():
    x = np.ones((2, 3, 4, 5))
    assert_same_grad_fn(lambda m, t: m.nn.functional.unfold(t, 2), [x])
    assert_same_grad_fn(lambda m, t: m.nn.functional.fold(t, (3, 4), 2), [np.ones((2, 12, 6))])
    assert_raises_like_torch(lambda m, t: m.nn.functional.unfold(t, 7), x, match="sliding blocks")
    assert_raises_like_torch(lambda m, t: m.nn.functional.unfold(t.long(), 2), x, match="Long")
    c = np.ones((2, 12, 6))
    assert_raises_like_torch(lambda m, t: m.nn.functional.fold(t, (3, 5), 2), c, match="sliding blocks")
    assert_raises_like_torch(lambda m, t: m.nn.functional.fold(t, (4, 4), 3), c, match="divisible")
    assert_raises_like_torch(lambda m, t: m.nn.functional.fold(t[0, 0], (3, 4), 2), c, match="2D or 3D")
    for make in (lambda m: m.nn.Unfold(2), lambda m: m.nn.Fold((3, 4), 2, padding=1)):
        assert repr(make(cg)) == repr(make(__import__("torch")))
