"""SciPy's LAPACK and BLAS wrappers, imported on first use: ``import scipy.linalg`` takes longer than importing
chaingrad itself, and only a few linear-algebra ops (lu, cholesky, triangular solves, lstsq) need it."""

from __future__ import annotations


def scipy_lapack():
    from scipy.linalg import lapack

    return lapack


def scipy_blas():
    from scipy.linalg import blas

    return blas
