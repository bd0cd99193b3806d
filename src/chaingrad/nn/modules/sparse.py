"""``chaingrad.nn.modules.sparse``: torch.nn.modules.sparse's names, where chaingrad keeps them."""

from __future__ import annotations

from ..embedding_bag import EmbeddingBag  # noqa: F401
from ..sparse import Embedding  # noqa: F401
