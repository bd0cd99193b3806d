"""``chaingrad.backends.cuda``: chaingrad is not built with CUDA; the matmul precision flags are kept."""

from __future__ import annotations


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: flags programs set; no CUDA matmul runs here."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False
