"""``chaingrad.nn.modules.distance``: torch.nn.modules.distance's names, where chaingrad keeps them."""

from __future__ import annotations

from ..distance import CosineSimilarity, PairwiseDistance  # noqa: F401
