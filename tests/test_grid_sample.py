"""nn.functional.affine_grid and grid_sample (the spatial transformer's two steps) give torch's values and
gradients for the input, the grid and theta, in every mode and padding mode, match finite differences in
float64, and refuse what torch refuses (and what chaingrad does not implement, by name)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import chaingrad

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 5, 6))
GRID = rng.uniform(-1.3, 1.3, (2, 4, 7, 2))  # some points outside the image, for the paddings
THETA = rng.standard_normal((2, 2, 3))


def _sample(lib, mode: str, padding_mode: str, align_corners: bool, dtype) -> list[np.ndarray]:
    x = lib.tensor(X.astype(dtype), requires_grad=True)
    grid = lib.tensor(GRID.astype(dtype), requires_grad=True)
    out = lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    weights = lib.tensor((np.arange(out.numel()).reshape(out.shape) % 7 - 3).astype(dtype))
    (out * weights).sum().backward()
    return [out.detach().numpy(), x.grad.numpy(), grid.grad.numpy()]


@pytest.mark.parametrize("mode,padding_mode,align_corners", list(itertools.product(
    ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])))
def test_grid_sample_matches_torch_values_and_gradients(mode, padding_mode, align_corners):
    for dtype, tol in [(np.float64, 1e-12), (np.float32, 1e-5)]:
        ours = _sample(chaingrad, mode, padding_mode, align_corners, dtype)
        theirs = _sample(torch, mode, padding_mode, align_corners, dtype)
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch_and_its_gradient_reaches_theta(align_corners):
    results = []
    for lib in (chaingrad, torch):
        theta = lib.tensor(THETA, requires_grad=True)
        grid = lib.nn.functional.affine_grid(theta, [2, 3, 4, 5], align_corners=align_corners)
        (grid ** 2).sum().backward()
        results.append([grid.detach().numpy(), theta.grad.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    identity = chaingrad.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    x = chaingrad.arange(12.0).reshape(1, 1, 3, 4)
    grid = chaingrad.nn.functional.affine_grid(identity, list(x.shape), align_corners=align_corners)
    same = chaingrad.nn.functional.grid_sample(x, grid, align_corners=align_corners)
    np.testing.assert_allclose(same.numpy(), x.numpy(), atol=1e-6)  # the identity transform samples pixel centres


def test_grid_sample_matches_finite_differences_in_float64():
    x = chaingrad.tensor(X[:1, :2, :4, :4], requires_grad=True)
    grid = chaingrad.tensor(GRID[:1, :3, :3], requires_grad=True)
    for padding_mode in ("zeros", "border", "reflection"):
        assert chaingrad.autograd.gradcheck(
            lambda a, g, p=padding_mode: chaingrad.nn.functional.grid_sample(a, g, padding_mode=p,
                                                                              align_corners=False), (x, grid))


def test_default_align_corners_warns_as_torch_and_means_false():
    x = chaingrad.tensor(X.astype(np.float32))
    grid = chaingrad.tensor(GRID.astype(np.float32))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        out = chaingrad.nn.functional.grid_sample(x, grid)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explicit = chaingrad.nn.functional.grid_sample(x, grid, align_corners=False)
    assert np.array_equal(out.numpy(), explicit.numpy())
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        chaingrad.nn.functional.affine_grid(chaingrad.zeros(1, 2, 3), [1, 1, 2, 2])


@pytest.mark.parametrize("lib", [chaingrad, torch], ids=["chaingrad", "torch"])
def test_bad_arguments_raise_torch_errors(lib):
    F = lib.nn.functional
    x, grid = lib.zeros(1, 1, 2, 2), lib.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match="expected mode"):
        F.grid_sample(x, grid, mode="cubic", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(ValueError, match="floating point"):
        F.affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), [1, 1, 2, 2], align_corners=False)
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(lib.zeros(1, 3, 3), [1, 1, 2, 2], align_corners=False)
    with pytest.raises(RuntimeError):
        F.grid_sample(x, lib.zeros(1, 2, 2, 3), align_corners=False)


def test_what_chaingrad_does_not_implement_is_named():
    F = chaingrad.nn.functional
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(chaingrad.zeros(1, 1, 2, 2), chaingrad.zeros(1, 2, 2, 2), mode="bicubic", align_corners=False)
    with pytest.raises(NotImplementedError, match="5-D"):
        F.affine_grid(chaingrad.zeros(1, 3, 4), [1, 1, 2, 2, 2], align_corners=False)
