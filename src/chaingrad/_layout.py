"""Tensor layouts (``chaingrad.strided``, ``sparse_coo`` ...): the ``layout=`` argument of the creation functions
and ``Tensor.layout``.

chaingrad's tensors are dense arrays with strides, torch's ``strided`` layout. The sparse and other layouts
exist as names, so that a program naming them reads, but asking for one raises NotImplementedError instead of
quietly giving a dense tensor.
"""

from __future__ import annotations

from ._memory_format import NamedConstant


class layout(NamedConstant):  # noqa: N801 - the name torch users know
    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")
_mkldnn = layout("_mkldnn")


def check_layout(value, op: str) -> None:
    """Accept ``strided`` (and None, its default); a TypeError for what is not a layout, as torch's; a clear
    NotImplementedError for the layouts chaingrad does not have."""
    if value is None or value is strided:
        return
    if not isinstance(value, layout):
        raise TypeError(f"{op}(): argument 'layout' must be chaingrad.layout, not {type(value).__name__}")
    raise NotImplementedError(f"{op}(layout={value!r}): chaingrad's tensors are dense (chaingrad.strided); "
                              "leave layout out, or pass layout=chaingrad.strided")
