"""``chaingrad.nn.modules.dropout``: torch.nn.modules.dropout's names, where chaingrad keeps them."""

from __future__ import annotations

from ..dropout import (  # noqa: F401
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
    _DropoutNd,
)
