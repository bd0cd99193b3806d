"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d with torch's arguments, default
initialization and repr."""

from __future__ import annotations

from .._device import check_device
from ..ops.conv import _pair, conv_padding
from ..ops.creation import empty
from ..tensor import Size, Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None, *,
                 transposed: bool = False, output_padding=0) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        nd = self._dims
        tup = (lambda v: _pair(v)) if nd == 2 else (lambda v: (v[0] if isinstance(v, (tuple, list)) else v,))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = tup(kernel_size), tup(stride), tup(dilation)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: str | tuple[int, ...] = padding
        else:
            self.padding = tup(padding)
        self.output_padding = tup(output_padding)
        self.transposed = transposed
        self.groups = groups
        self.padding_mode = padding_mode
        # a transposed convolution maps out_channels back to in_channels: its weight is the adjoint's
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_linear_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        nd = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _padded(self, input: Tensor) -> tuple[Tensor, object]:
        """The input padded by padding_mode (non-zero modes), and the padding left for the conv."""
        if self.padding_mode == "zeros":
            return input, self.padding
        k = self.kernel_size if self._dims == 2 else (1, self.kernel_size[0])
        d = self.dilation if self._dims == 2 else (1, self.dilation[0])
        s = self.stride if self._dims == 2 else (1, self.stride[0])
        p = self.padding if isinstance(self.padding, str) or self._dims == 2 else (0, self.padding[0])
        top, bottom, left, right = conv_padding(p, k, d, s)
        pads = (left, right, top, bottom) if self._dims == 2 else (left, right)
        return F.pad(input, pads, mode=self.padding_mode), 0


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W): weight (out_channels, in_channels/groups, kH, kW)."""

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): weight (out_channels, in_channels/groups, k)."""

    _dims = 1

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of ints, not {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, transposed=True, output_padding=output_padding)

    def _output_padding(self, input: Tensor, output_size) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` (which may include the batch and channel dims)."""
        if output_size is None:
            return self.output_padding
        nd = self._dims
        size = output_size
        if len(size) == nd + 2 or len(size) == nd + 1 and input.dim() == nd + 1:
            size = size[-nd:]
        if len(size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must have {nd} or "
                             f"{nd + 2} elements (got {len(output_size)})")
        spatial = Size(input.shape[-nd:])
        result = []
        for i in range(nd):
            smallest = ((spatial[i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                mins = [((spatial[j] - 1) * self.stride[j] - 2 * self.padding[j]
                         + self.dilation[j] * (self.kernel_size[j] - 1) + 1) for j in range(nd)]
                maxs = [m + self.stride[j] - 1 for j, m in enumerate(mins)]
                raise ValueError(f"requested an output size of {size}, but valid sizes range from {mins} to {maxs} "
                                 f"(for an input of {spatial})")
            result.append(size[i] - smallest)
        return tuple(result)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C, H, W): weight (in_channels, out_channels/groups, kH, kW);
    ``forward(input, output_size=...)`` picks the output_padding that gives that size."""

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C, L): weight (in_channels, out_channels/groups, k)."""

    _dims = 1

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)
