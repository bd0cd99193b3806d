"""Data to learn on: scikit-learn's bundled 8x8 digits, MNIST/Fashion-MNIST IDX files from a local folder,
and the textbook's synthetic linear-regression data. Nothing is ever downloaded."""

from .digits import digits
from .idx import fashion_mnist, mnist, read_idx, write_idx
from .split import DatasetSplit
from .synthetic import synthetic_regression

__all__ = ["DatasetSplit", "digits", "fashion_mnist", "mnist", "read_idx", "synthetic_regression", "write_idx"]
