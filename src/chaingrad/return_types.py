"""torch.return_types: the named tuples that ops with several results return (``values, indices = x.sort()``).

Each is a tuple (it unpacks and indexes as one) whose fields have torch's names, printed as torch prints them.
"""

from __future__ import annotations

import functools
from collections import namedtuple


def _make(name: str, fields: tuple[str, ...]) -> type:
    base = namedtuple(name, fields)  # type: ignore[misc]  # (made at run time: one per op, names as torch)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"chaingrad.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})
    cls.__qualname__ = name
    return cls


_VI = ("values", "indices")
sort = _make("sort", _VI)
topk = _make("topk", _VI)
kthvalue = _make("kthvalue", _VI)
median = _make("median", _VI)
nanmedian = _make("nanmedian", _VI)
mode = _make("mode", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
histogram = _make("histogram", ("hist", "bin_edges"))
aminmax = _make("aminmax", ("min", "max"))
frexp = _make("frexp", ("mantissa", "exponent"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
qr = _make("qr", ("Q", "R"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
svd = _make("svd", ("U", "S", "V"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_lu = _make("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _make("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
lu_unpack = _make("lu_unpack", ("P", "L", "U"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))


@functools.cache
def out_variant(cls: type) -> type:
    """The tuple an op returns when given ``out=`` (torch's ``max_out`` beside ``max``): the same fields."""
    made = _make(cls.__name__ + "_out", cls._fields)  # type: ignore[attr-defined]
    globals()[made.__name__] = made  # (chaingrad.return_types.max_out, as torch's)
    return made
