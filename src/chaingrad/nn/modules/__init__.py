"""``chaingrad.nn.modules``: torch.nn.modules' layout, so that ``nn.modules.loss._Loss`` or
``from torch.nn.modules.utils import _pair`` find chaingrad's classes; the layers themselves live in
chaingrad.nn's own files. Each submodule names its classes once; this package holds the public ones of all of
them, as torch's does."""

from __future__ import annotations

from . import (
    activation,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    lazy,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
    utils,  # noqa: F401 - chaingrad.nn.modules.utils, torch.nn.modules.utils
)

for _part in (activation, batchnorm, channelshuffle, container, conv, distance, dropout, flatten, fold, instancenorm,
              lazy, linear, loss, module, normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer,
              upsampling):
    globals().update((name, value) for name, value in vars(_part).items()
                     if isinstance(value, type) and not name.startswith("_"))
del _part
