"""chaingrad.vision.transforms follow torchvision's semantics: ToTensor's layout and scaling, Normalize's
per-channel formula and errors, Resize's output sizes and torch.nn.functional.interpolate's values on
tensors (Pillow's on PIL images), and the random transforms draw rand(1) / randint(0, n, (1,)) from
chaingrad's generator in torchvision's order, so a seed replays them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import chaingrad
from chaingrad.vision import transforms
from chaingrad.vision.transforms import InterpolationMode
from chaingrad.vision.transforms import functional as F

rng = np.random.default_rng(0)
GREY = rng.integers(0, 256, (7, 9), dtype=np.uint8)
RGB = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)


# -- ToTensor ----------------------------------------------------------------------------------------------
def test_to_tensor_makes_chw_floats_in_0_1_from_pil_images_and_arrays():
    for pic, hwc in ((Image.fromarray(GREY), GREY[:, :, None]), (Image.fromarray(RGB), RGB), (GREY, GREY[:, :, None]),
                     (RGB, RGB)):
        t = transforms.ToTensor()(pic)
        want = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).float().div(255)
        assert t.dtype == chaingrad.float32 and tuple(t.shape) == tuple(want.shape)
        np.testing.assert_array_equal(t.numpy(), want.numpy())
    floats = rng.standard_normal((4, 3, 2)).astype(np.float32)  # not uint8: values kept, as torchvision
    np.testing.assert_array_equal(F.to_tensor(floats).numpy(), floats.transpose(2, 0, 1))
    ints = Image.fromarray(np.array([[1, 70000]], dtype=np.int32))  # mode "I"
    assert F.to_tensor(ints).dtype == chaingrad.int32 and F.to_tensor(ints).tolist() == [[[1, 70000]]]
    bits = Image.fromarray(np.array([[True, False]]))  # mode "1": 0/1 scaled by 255, then to [0, 1]
    assert F.to_tensor(bits).tolist() == [[[1.0, 0.0]]]
    chaingrad.set_default_dtype(chaingrad.float64)
    try:
        assert F.to_tensor(GREY).dtype == chaingrad.float64
    finally:
        chaingrad.set_default_dtype(chaingrad.float32)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions"):
        F.to_tensor(np.zeros(3, dtype=np.uint8))


# -- Normalize ---------------------------------------------------------------------------------------------
def test_normalize_is_per_channel_and_refuses_what_torchvision_refuses():
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 1.5, 2.0)
    got = transforms.Normalize(mean, std)(chaingrad.tensor(x))
    want = (torch.tensor(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    t = chaingrad.tensor(x[0])
    out = transforms.Normalize(mean, std, inplace=True)(t)
    assert out is t and np.allclose(t.numpy(), want.numpy()[0], rtol=1e-6)
    assert repr(transforms.Normalize(mean, std)) == "Normalize(mean=(0.1, 0.2, 0.3), std=(0.5, 1.5, 2.0))"
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got chaingrad.uint8"):
        F.normalize(chaingrad.zeros(1, 2, 2, dtype=chaingrad.uint8), [0], [1])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(chaingrad.zeros(1, 2, 2), [0], [0])
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size"):
        F.normalize(chaingrad.zeros(2, 2), [0], [1])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(GREY, [0], [1])
    w = chaingrad.ones(1, 2, 2, requires_grad=True)  # differentiable, as torch's
    F.normalize(w, [0.5], [2.0]).sum().backward()
    assert w.grad.tolist() == [[[0.5, 0.5], [0.5, 0.5]]]


# -- Resize ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resizing_tensors_matches_torch_interpolate(mode, antialias):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 3, 11, 16)).astype(dtype)
        for size in ((5, 7), (24, 9), (11, 16), (3, 40)):
            got = F.resize(chaingrad.tensor(x), list(size), InterpolationMode(mode), antialias=antialias)
            aa = antialias and mode in ("bilinear", "bicubic")
            kw = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
            want = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, antialias=aa, **kw)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-5 if dtype == np.float32 else 1e-12)
            assert got.dtype == chaingrad.tensor(x).dtype


def test_resizing_integer_tensors_rounds_like_torchvision():
    x = rng.integers(0, 256, (1, 9, 13), dtype=np.uint8)
    for mode in ("bilinear", "bicubic"):
        got = F.resize(chaingrad.tensor(x), [20, 6], InterpolationMode(mode))
        work = torch.nn.functional.interpolate(torch.tensor(x, dtype=torch.float32)[None], size=(20, 6), mode=mode,
                                               antialias=True, align_corners=False)[0]
        if mode == "bicubic":
            work = work.clamp(0, 255)
        assert got.dtype == chaingrad.uint8
        np.testing.assert_array_equal(got.numpy(), work.round().to(torch.uint8).numpy())


def test_resize_sizes_follow_torchvision():
    def out(h, w, size, max_size=None):
        return tuple(F.resize(chaingrad.zeros(1, h, w), size, max_size=max_size).shape[1:])

    assert out(28, 28, 64) == (64, 64) and out(30, 20, 10) == (15, 10) and out(20, 30, 10) == (10, 15)
    assert out(20, 30, [10]) == (10, 15) and out(21, 10, 8) == (16, 8)  # int(8 * 21 / 10) = 16
    assert out(20, 100, 10, max_size=30) == (6, 30) and out(20, 30, (7, 3)) == (7, 3)
    x = chaingrad.ones(1, 5, 5)
    assert F.resize(x, 5) is x  # nothing to do
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        F.resize(x, 8, max_size=5)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        transforms.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        transforms.Resize(2.5)
    assert repr(transforms.Resize(32)) == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"


def test_resizing_pil_images_is_pillows_resampling_and_arrays_follow_tensors():
    img = Image.fromarray(RGB)
    for mode, pil in ((InterpolationMode.BILINEAR, Image.Resampling.BILINEAR),
                      (InterpolationMode.NEAREST, Image.Resampling.NEAREST),
                      (InterpolationMode.BICUBIC, Image.Resampling.BICUBIC)):
        got = transforms.Resize((13, 4), interpolation=mode)(img)
        assert isinstance(got, Image.Image)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(img.resize((4, 13), pil)))
    assert transforms.Resize(10, interpolation=Image.Resampling.BICUBIC).interpolation is InterpolationMode.BICUBIC
    as_array = F.resize(RGB, [13, 4])
    via_tensor = F.resize(chaingrad.tensor(RGB.transpose(2, 0, 1).copy()), [13, 4])
    assert as_array.shape == (13, 4, 3) and as_array.dtype == np.uint8
    np.testing.assert_array_equal(as_array, via_tensor.numpy().transpose(1, 2, 0))


# -- random transforms: torchvision's draws, from chaingrad's generator ------------------------------------
def test_random_horizontal_flip_draws_rand_1_per_call():
    x = chaingrad.arange(12.0).reshape(1, 3, 4)
    flips = transforms.RandomHorizontalFlip(p=0.5)
    chaingrad.manual_seed(3)
    draws = [chaingrad.rand(1).item() < 0.5 for _ in range(20)]
    chaingrad.manual_seed(3)
    for flipped in draws:
        out = flips(x)
        assert out.tolist() == (x.flip(-1).tolist() if flipped else x.tolist())
    assert any(draws) and not all(draws)
    assert np.array_equal(np.asarray(F.hflip(Image.fromarray(GREY))), GREY[:, ::-1])
    assert np.array_equal(F.hflip(RGB), RGB[:, ::-1])
    assert transforms.RandomHorizontalFlip(p=1.0)(GREY).tolist() == GREY[:, ::-1].tolist()
    assert repr(flips) == "RandomHorizontalFlip(p=0.5)"


def test_random_crop_draws_two_randints_in_torchvisions_order():
    x = chaingrad.tensor(rng.standard_normal((3, 10, 12)), dtype=chaingrad.float32)
    crop = transforms.RandomCrop((4, 5))
    chaingrad.manual_seed(9)
    expected = []
    for _ in range(6):
        i = int(chaingrad.randint(0, 10 - 4 + 1, size=(1,)).item())
        j = int(chaingrad.randint(0, 12 - 5 + 1, size=(1,)).item())
        expected.append((i, j))
    chaingrad.manual_seed(9)
    for i, j in expected:
        assert crop(x).tolist() == x[:, i:i + 4, j:j + 5].tolist()
    state = chaingrad.get_rng_state()
    assert transforms.RandomCrop((10, 12))(x) is not None  # the whole image: no draw
    assert chaingrad.get_rng_state().tolist() == state.tolist()
    with pytest.raises(ValueError, match=r"Required crop size \(11, 12\) is larger than input image size \(10, 12\)"):
        transforms.RandomCrop((11, 12))(x)
    pic = Image.fromarray(GREY)
    chaingrad.manual_seed(1)
    i, j = int(chaingrad.randint(0, 3, size=(1,))), int(chaingrad.randint(0, 4, size=(1,)))
    chaingrad.manual_seed(1)
    np.testing.assert_array_equal(np.asarray(transforms.RandomCrop((5, 6))(pic)), GREY[i:i + 5, j:j + 6])
    assert repr(crop) == "RandomCrop(size=(4, 5), padding=None)"


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_padding_matches_numpy_on_tensors_arrays_and_pil_images(mode):
    padding = [1, 2, 3, 0]  # left, top, right, bottom
    widths = ((2, 0), (1, 3))
    kw = {"constant_values": 7} if mode == "constant" else {}
    want = np.pad(GREY, widths, mode=mode, **kw)
    np.testing.assert_array_equal(F.pad(GREY, padding, fill=7, padding_mode=mode), want)
    np.testing.assert_array_equal(np.asarray(F.pad(Image.fromarray(GREY), padding, fill=7, padding_mode=mode)), want)
    t = F.pad(chaingrad.tensor(GREY[None].astype(np.float32)), padding, fill=7, padding_mode=mode)
    np.testing.assert_array_equal(t.numpy()[0], want)
    np.testing.assert_array_equal(F.pad(GREY, [2, 1], padding_mode=mode), np.pad(GREY, ((1, 1), (2, 2)), mode=mode))


def test_random_crop_with_padding_and_pad_if_needed():
    x = chaingrad.ones(1, 3, 4)
    out = transforms.RandomCrop(5, pad_if_needed=True)(x)
    assert out.shape == (1, 5, 5)
    padded = transforms.RandomCrop((7, 8), padding=2)(x)
    assert padded.shape == (1, 7, 8) and padded.sum().item() == 12.0
    assert F.crop(x, -1, -1, 3, 3).tolist() == [[[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]]


def test_compose_and_lambda_chain_and_print_as_torchvision():
    pipeline = transforms.Compose([transforms.RandomCrop(4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)])
    assert repr(pipeline) == ("Compose(\n    RandomCrop(size=(4, 4), padding=None)\n    RandomHorizontalFlip(p=0.5)\n"
                              "    ToTensor()\n    Lambda()\n)")
    chaingrad.manual_seed(0)
    i, j = int(chaingrad.randint(0, 4, size=(1,))), int(chaingrad.randint(0, 6, size=(1,)))
    flipped = bool(chaingrad.rand(1) < 0.5)
    chaingrad.manual_seed(0)
    out = pipeline(Image.fromarray(GREY))
    patch = GREY[i:i + 4, j:j + 4]
    patch = patch[:, ::-1] if flipped else patch
    np.testing.assert_allclose(out.numpy()[0], patch / 255 * 2, rtol=1e-6)
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)
