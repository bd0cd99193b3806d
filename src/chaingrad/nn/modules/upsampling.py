"""``chaingrad.nn.modules.upsampling``: torch.nn.modules.upsampling's names, where chaingrad keeps them."""

from __future__ import annotations

from ..resample import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
