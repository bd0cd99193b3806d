"""torchvision.datasets' MNIST family: images as PIL images (NumPy uint8 arrays without Pillow)."""

from .mnist import KMNIST, MNIST, FashionMNIST
from .utils import check_integrity, download_and_extract_archive, download_url
from .vision import VisionDataset

__all__ = ["KMNIST", "MNIST", "FashionMNIST", "VisionDataset", "check_integrity", "download_and_extract_archive",
           "download_url"]
