"""``chaingrad.nn.modules.channelshuffle``: torch.nn.modules.channelshuffle's names, where chaingrad keeps them."""

from __future__ import annotations

from ..channel import ChannelShuffle  # noqa: F401
