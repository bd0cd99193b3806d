"""nn.Parameter: a tensor that a Module registers as one of its learnable weights; nn.Buffer; and the
uninitialized parameters and buffers of the lazy layers (nn/lazy.py), which have no shape until a first batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._device import check_device
from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ..tensor import Size, Tensor, _deepcopy_array, _init


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

    def __deepcopy__(self, memo) -> Tensor:
        """A new parameter with a copy of the values and the same requires_grad, but no ``.grad``: torch's
        Parameter copies drop the gradient (a plain tensor's deepcopy keeps it)."""
        copy = type(self)._wrap(_deepcopy_array(self._data, memo), self.requires_grad)
        memo[id(self)] = copy
        return copy


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


_UNSET = ("Attempted to use an uninitialized parameter. This error happens when you are using a `LazyModule` or "
          "explicitly manipulating `chaingrad.nn.parameter.UninitializedParameter` objects. When using "
          "LazyModules call `forward` with a dummy batch to initialize the parameters before using them")
_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
             "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
             "`forward` to initialize the parameters before accessing their attributes.")

_slot = Tensor.__dict__["_data"]  # the storage field itself, under the property below that guards it


class _Uninitialized:
    """What the two uninitialized kinds share: no shape, no values, one ``materialize``."""

    __slots__ = ()
    cls_to_become: type[Tensor] = Tensor

    @property
    def _data(self) -> np.ndarray:
        raise ValueError(_UNSET)

    @_data.setter
    def _data(self, array: np.ndarray) -> None:  # dtype conversions (module.double()) before the first batch
        _slot.__set__(self, array)

    @property
    def shape(self) -> Size:
        raise RuntimeError(_NO_SHAPE)

    def size(self, dim: int | None = None):
        raise RuntimeError(_NO_SHAPE)

    @property
    def dtype(self):
        return from_numpy_dtype(_slot.__get__(self).dtype)

    def _placeholder(self) -> np.ndarray:
        """The empty array that carries the dtype until the shape is known."""
        return _slot.__get__(self)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this tensor its shape (uninitialized values) in place; it becomes an ordinary one."""
        check_device(device, "materialize")
        dt = _slot.__get__(self).dtype if dtype is None else to_dtype(dtype).np
        _slot.__set__(self, np.empty(tuple(shape), dtype=dt))
        self.__class__ = self.cls_to_become  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        copy = type(self)(requires_grad=self.requires_grad, dtype=self.dtype)
        memo[id(self)] = copy
        return copy


def is_lazy(t: Any) -> bool:
    """True for a parameter or buffer that has no shape yet."""
    return isinstance(t, _Uninitialized)


def data_of(t: Tensor) -> np.ndarray:
    """A tensor's array, or an uninitialized one's empty placeholder (what dtype conversions act on)."""
    return t._placeholder() if isinstance(t, _Uninitialized) else t._data


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape a lazy module fills in on its first forward; it then becomes a Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        check_device(device, "UninitializedParameter")
        _init(self, np.empty((0,), to_dtype(dtype or get_default_dtype()).np), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer (a lazy batch norm's running statistics) whose shape the first forward fills in."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        check_device(device, "UninitializedBuffer")
        _init(self, np.empty((0,), to_dtype(dtype or get_default_dtype()).np), requires_grad)
