"""Lazy layers: LazyLinear, LazyConv1d/2d and LazyBatchNorm1d/2d learn their input size from the first batch.

Until that first call their weights are ``UninitializedParameter`` objects (and a lazy batch norm's running
statistics ``UninitializedBuffer`` objects): they know their dtype and whether they require grad, but have no
shape and no values, and using them is an error. The first forward reads the input's feature or channel count,
gives each one its shape in place (``materialize``: the same object, so an optimizer built before holds it),
initializes it exactly as the ordinary layer would, and turns the module into that layer (``LazyLinear``
becomes ``Linear``). Loading a state dict into a lazy module gives its tensors the loaded shapes.
"""

# The mixins below use the Module and layer attributes of the classes they are mixed into, and their weight and
# bias are UninitializedParameter objects until the first batch:
# mypy: disable-error-code="attr-defined,misc"

from __future__ import annotations

from ..tensor import Tensor
from .conv import Conv1d, Conv2d
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import UninitializedBuffer, UninitializedParameter, is_lazy


class LazyModuleMixin:
    """Shared by the lazy layers: a forward pre-hook that shapes the tensors, then becomes ``cls_to_become``."""

    cls_to_become: type[Module] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module still has no shape."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    @staticmethod
    def _infer_parameters(module, args) -> None:
        from ..autograd.grad_mode import no_grad

        with no_grad():
            module.initialize_parameters(*args)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            loaded = state_dict.get(prefix + name)
            if is_lazy(t) and isinstance(loaded, Tensor) and not is_lazy(loaded):
                t.materialize(loaded.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _input_size(self, input: Tensor, dims: tuple[int, int]) -> int:
        """The channel count of an unbatched or batched input with ``dims`` dimensions."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor as input, got {type(input).__name__}")
        if input.dim() not in dims:
            raise RuntimeError(f"Expected {dims[0]}D (unbatched) or {dims[1]}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == dims[1] else input.shape[0]


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last dimension of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args) -> None:
        if self.has_uninitialized_params():
            if not isinstance(input, Tensor) or input.dim() == 0:
                raise RuntimeError(f"LazyLinear: expected an input with at least one dimension, got "
                                   f"{input.shape if isinstance(input, Tensor) else type(input).__name__}")
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class _LazyConv(LazyModuleMixin):
    _dims: int

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._input_size(input, (self._dims + 1, self._dims + 2))
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


class LazyConv1d(_LazyConv, Conv1d):
    """A Conv1d whose ``in_channels`` is read from its first input (N, C, L) or (C, L)."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A Conv2d whose ``in_channels`` is read from its first input (N, C, H, W) or (C, H, W)."""

    cls_to_become = Conv2d


class _LazyBatchNorm(LazyModuleMixin):

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            from ..ops.creation import tensor

            self.register_buffer("running_mean", UninitializedBuffer(dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args) -> None:
        if self.has_uninitialized_params():
            self._check_input_dim(input)
            self.num_features = input.shape[1]
            for t in (*self._parameters.values(), *self._buffers.values()):
                if is_lazy(t):
                    t.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is read from its first input (N, C) or (N, C, L)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is read from its first input (N, C, H, W)."""

    cls_to_become = BatchNorm2d
