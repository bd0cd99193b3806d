"""``chaingrad.backends.cudnn``: the flags tutorials set for reproducibility or speed. There is no cuDNN here;
the flags are kept (as torch keeps them without CUDA) and change nothing, since chaingrad's CPU results
are already deterministic."""

from __future__ import annotations

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
