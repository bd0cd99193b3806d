"""Tensor: a NumPy array plus what backprop needs (requires_grad, grad, and the node that made it).

Operators and methods (``+``, ``@``, ``.sum()``, ``.reshape()`` ...) are attached by the op modules in
``chaingrad.ops``, each next to its forward and backward rule, and ``.backward()`` by the engine
(``chaingrad.autograd.engine``); this file holds what a tensor *is*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype
from ._device import CPU
from ._device import device as Device
from ._dtype import dtype as DType
from ._dtype import from_numpy_dtype


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``chaingrad.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"chaingrad.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # slices, sums and repeats of a Size are Sizes, as in torch
    def __getitem__(self, index):  # type: ignore[override]
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):  # type: ignore[override]
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to chaingrad.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):  # type: ignore[override]
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """An n-dimensional array that can record the operations applied to it."""

    __slots__ = ("_data", "requires_grad", "_grad", "_grad_fn", "_output_nr", "_version",
                 "_base", "_view", "_retains_grad", "_name", "_hooks", "__weakref__")

    if TYPE_CHECKING:  # what chaingrad.ops attaches at import time (each op file's _attach), for type checkers
        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __ipow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """torch's legacy constructor: ``Tensor(2, 3)`` is uninitialized of that shape, ``Tensor([1, 2])`` holds
        float data (``chaingrad.tensor`` is the constructor to use)."""
        from .ops.legacy import legacy_array

        _init(self, legacy_array(args, kwargs, None, "Tensor"), False)

    # -- wrapping arrays (the hot path of every op) ---------------------------------------------
    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A tensor around ``array`` (no copy, no checks): what every op returns."""
        t = object.__new__(cls)
        t._data = array
        t.requires_grad = requires_grad
        t._grad = None
        t._grad_fn = None
        t._output_nr = 0
        t._version = [0]
        t._base = None
        t._retains_grad = False
        t._name = None
        t._hooks = None
        return t

    # -- metadata ---------------------------------------------------------------------------------
    @property
    def dtype(self) -> DType:
        return from_numpy_dtype(self._data.dtype)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_check_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> Device:
        """Where the data lives: always ``device(type='cpu')``."""
        return CPU

    @property
    def layout(self):
        """How the elements are stored: always ``chaingrad.strided`` (a dense array with strides)."""
        from ._layout import strided

        return strided

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        """Row-major strides (or those of ``memory_format``: ``chaingrad.channels_last`` ...)."""
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from ._memory_format import check_memory_format, is_in_format

        return is_in_format(self._data, check_memory_format(memory_format, "is_contiguous"))

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_check_dim(dim, self._data.ndim, "stride")]

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf). A view whose base changed in place since gets its
        node made again first, as torch does when grad_fn is read (the engine reads ``_grad_fn`` itself)."""
        if self._base is not None and self._view[1] != self._version[0]:
            from .autograd.node import _refresh_view

            _refresh_view(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node) -> None:
        self._grad_fn = node

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def name(self) -> str | None:
        """A name for explain/draw; set it with ``t.name = "w"``."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        if self._grad_fn is not None:  # a node has no dict of output names until one is set
            self._grad_fn.__dict__.setdefault("_output_names", {})[self._output_nr] = value

    # -- gradients --------------------------------------------------------------------------------
    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: the tensor has shape {list(self._data.shape)}, "
                    f"the grad has shape {list(value._data.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: the tensor is {self.dtype}, "
                                   f"the grad is {value.dtype}")
        self._grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf tensor; returns self."""
        if not requires_grad and self._grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if requires_grad:
            _check_can_require_grad(self._data.dtype)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self._grad_fn._retain(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # backward() is defined with the walk it starts, in autograd/engine.py (which imports this module)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut off from the graph (never requires grad)."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph in place; it becomes a leaf that does not require grad."""
        self._grad_fn = None
        self.requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """The same values as a tensor outside the graph; changing it is not seen by autograd."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # -- conversion to Python and NumPy -------------------------------------------------------------
    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                "item() needs exactly one element (reduce first, e.g. with .sum() or .mean())")
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying NumPy array (shared memory). Detach first if the tensor requires grad."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = self._data
        return a if dtype is None else a.astype(dtype, copy=False)

    def _one_element(self, what: str):
        if self._data.size != 1:
            raise ValueError(
                f"{what}: a Tensor with {self._data.size} elements cannot be converted to a Python scalar; "
                "only one-element tensors can (use .any()/.all() or reduce first)")
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._one_element("float()"))

    def __int__(self) -> int:
        return int(self._one_element("int()"))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (it has {self._data.size} "
                "elements); use .any() or .all()")
        return bool(self._data.reshape(()).item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("chaingrad tensors are not pickled; save them with chaingrad.save (no code runs on load)")

    def __copy__(self):
        """``copy.copy``: a new leaf sharing this tensor's memory, with its requires_grad and no grad (as torch)."""
        return type(self)._wrap(self._data, self.requires_grad)

    def __deepcopy__(self, memo):
        """``copy.deepcopy``: new memory (tensors that were views of one array stay views of one copy), the
        requires_grad flag and a copy of ``.grad``; only leaves can be copied, as in torch."""
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment; use .detach().clone()")
        t = type(self)._wrap(_deepcopy_array(self._data, memo), self.requires_grad)
        if self._grad is not None:
            t._grad = Tensor._wrap(_deepcopy_array(self._grad._data, memo))
        memo[id(self)] = t
        return t


def _init(t: Tensor, array: np.ndarray, requires_grad: bool) -> None:
    """Fill in a new tensor (``Tensor(...)``, ``Parameter(...)``): the fields ``_wrap`` gives, once it is
    checked that it can require grad."""
    if requires_grad:
        _check_can_require_grad(array.dtype)
    fresh = Tensor._wrap(array, bool(requires_grad))
    for name in _FIELDS:
        setattr(t, name, getattr(fresh, name))


_FIELDS = tuple(name for name in Tensor.__slots__ if not name.startswith("__")  # the fields _wrap sets
                if hasattr(Tensor._wrap(np.empty(0)), name))


def _deepcopy_array(a: np.ndarray, memo: dict) -> np.ndarray:
    """A copy of ``a``; if ``a`` is a view of an array copied earlier in this deepcopy, the same view of that copy."""
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root is a or root.base is not None:  # owns its memory, or views memory NumPy does not own
        return a.copy()
    key = ("chaingrad-array", id(root))
    if key not in memo:
        memo[key] = root.copy()
        memo.setdefault(id(memo), []).append(root)  # keep root alive while its id is a memo key (as copy does)
    copied = memo[key]
    offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(a.shape, a.dtype, buffer=copied.data, offset=offset, strides=a.strides) if a.size else a.copy()


def _check_can_require_grad(np_dtype) -> None:
    if np_dtype.kind != "f":
        raise RuntimeError(
            f"only Tensors of floating point dtype can require gradients (got {from_numpy_dtype(np_dtype)}); "
            "convert with .float() first")


def _check_dim(dim: int, ndim: int, op: str) -> int:
    """Normalize a possibly negative dim; IndexError as torch when out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim + ndim if dim < 0 and ndim else (0 if dim < 0 else dim)


class _HookHandle:
    """What ``register_hook`` returns; ``.remove()`` takes the hook off again."""

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


_ = _dtype  # dtypes module re-exported through chaingrad
