"""``autograd.Variable``: torch's deprecated wrapper from before tensors recorded gradients themselves.

``Variable(t, requires_grad=True)`` returns a tensor sharing ``t``'s memory, cut off from any graph, that
requires grad as asked; every tensor is an instance of ``Variable``. New code uses tensors directly.
"""

from __future__ import annotations

import warnings

from ..tensor import Tensor, _check_can_require_grad


class _VariableMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data: Tensor | None = None, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with chaingrad.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            return Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__} (wrap it with "
                            "chaingrad.tensor(...) first, or just use the tensor: Variable is no longer needed)")
        if requires_grad:
            _check_can_require_grad(data._data.dtype)
        return Tensor._wrap(data._data, bool(requires_grad))


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: returns a tensor (see the module docstring)."""
