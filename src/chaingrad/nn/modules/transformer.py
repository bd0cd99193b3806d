"""``chaingrad.nn.modules.transformer``: torch.nn.modules.transformer's names, where chaingrad keeps them."""

from __future__ import annotations

from ..transformer import TransformerEncoder, TransformerEncoderLayer  # noqa: F401
from ..transformer_decoder import Transformer, TransformerDecoder, TransformerDecoderLayer  # noqa: F401
