"""``chaingrad.backends.mha``: torch's switch for its fused inference path of attention layers. chaingrad has
one path; the switch decides, as in torch, whether TransformerEncoder packs padded batches in inference
(which leaves zeros at the padded positions)."""

from __future__ import annotations

_fastpath = [True]


def get_fastpath_enabled() -> bool:
    return _fastpath[0]


def set_fastpath_enabled(value: bool) -> None:
    _fastpath[0] = bool(value)
