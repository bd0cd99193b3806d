"""nn.Parameter: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _init


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` by default; assigning one to a Module registers it.

    ``Parameter(t)`` shares ``t``'s memory, as in torch.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = np.asarray(data)
        _init(self, array, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__



class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (``nn.Buffer``)."""

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        array = np.empty((0,), np.float32) if data is None else (
            data._data if isinstance(data, Tensor) else np.asarray(data))
        _init(self, array, False)
        self.persistent = persistent

    def __copy__(self) -> Buffer:
        b = super().__copy__()
        b.persistent = self.persistent
        return b

    def __deepcopy__(self, memo) -> Buffer:
        b = super().__deepcopy__(memo)
        b.persistent = self.persistent
        return b
