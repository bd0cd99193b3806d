"""torchvision.transforms: ToTensor, Normalize, Compose, Resize, RandomCrop, RandomHorizontalFlip, Lambda,
and ``functional`` with the operations behind them."""

from . import functional
from .functional import InterpolationMode
from .transforms import Compose, Lambda, Normalize, RandomCrop, RandomHorizontalFlip, Resize, ToTensor

__all__ = ["Compose", "InterpolationMode", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip", "Resize",
           "ToTensor", "functional"]
