"""``chaingrad.device`` and the one rule about devices: chaingrad computes on the CPU.

Programs written for PyTorch pick their device with ``device = "cuda" if torch.cuda.is_available() else
"cpu"``; ``torch.cuda.is_available()`` is False here, so they run unchanged. Every ``device=`` argument
and every ``.to(...)`` goes through ``check_device``, which accepts the CPU and says clearly what to do
when a program asks for CUDA or another accelerator.
"""

from __future__ import annotations

# the device types torch's parser knows (in its order, for its error message)
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_COMPILED_BACKENDS = {"cuda": "CUDA", "hip": "CUDA", "xpu": "XPU"}  # torch: "Torch not compiled with CUDA enabled"


class device:  # noqa: N801 - torch's name
    """Where a tensor lives: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 1)``, ``device(other)``.

    Any of torch's device types can be named (so ``device("cuda")`` builds, as in torch), but tensors can only
    be made on the CPU.
    """

    __slots__ = ("_type", "_index")
    _type: str
    _index: int | None

    def __init__(self, type: str | device | bytes, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): argument 'type' (position 1) must be str, not chaingrad.device")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, bool) or not isinstance(type, (str, bytes, int)):
            raise TypeError(f"device() received an invalid combination of arguments - got ({_name(type)}), but "
                            "expected a device string such as 'cpu' or 'cuda:0', a device type and an index, or a "
                            "chaingrad.device")
        if isinstance(type, int):
            raise RuntimeError("Cannot access accelerator device when none is available. (A bare device index "
                               f"such as device({type}) means an accelerator; chaingrad computes on the CPU: use "
                               "'cpu'.)")
        text = type.decode() if isinstance(type, bytes) else type
        kind, parsed = _parse(text)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not {_name(index)}")
            if parsed is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{text}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
            parsed = index
        self._type, self._index = kind, parsed

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented  # as torch: device("cpu") == "cpu" is False
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self) -> device:
        """``with chaingrad.device("cpu"):`` makes this the default device inside the block."""
        check_device(self, "with device(...)")
        _default_stack.append(_default[0])
        return self

    def __exit__(self, *exc) -> None:
        _default[0] = _default_stack.pop()


def _name(value) -> str:
    return "chaingrad.device" if isinstance(value, device) else type(value).__name__


def _parse(text: str) -> tuple[str, int | None]:
    """'cuda:1' -> ('cuda', 1), with torch's errors for malformed strings."""
    kind, sep, idx = text.partition(":")
    if kind not in DEVICE_TYPES:
        if not kind or kind.strip() != kind or not kind.isalnum():
            raise RuntimeError(f"Invalid device string: '{text}'")
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                           f"{text}")
    if not sep:
        return kind, None
    if not idx.isdigit() or not idx.isascii() or (len(idx) > 1 and idx[0] == "0"):
        raise RuntimeError(f"Invalid device string: '{text}'")
    if len(idx) > 9:
        raise RuntimeError(f"Could not parse device index '{idx}' in device string '{text}'")
    return kind, int(idx)


CPU = device("cpu")
_default = [CPU]
_default_stack: list[device] = []


def no_device_message(what: str, requested: device, asked) -> str:
    """What to tell a program that asks for an accelerator."""
    kind = requested.type
    if kind == "mps":
        check = 'device = "mps" if torch.backends.mps.is_available() else "cpu"'
    else:
        check = 'device = "cuda" if torch.cuda.is_available() else "cpu"'
    return (f"{what}: chaingrad computes on the CPU only; there is no {kind!r} device here (got "
            f"device={asked!r}). Choose the device as portable PyTorch programs do, {check} (that check is False "
            f"in chaingrad, so the program runs on the CPU), or leave the device argument out.")


def check_device(requested, what: str, *, use: str = "factory") -> None:
    """Accept ``None``, ``"cpu"``, ``"cpu:0"`` or a CPU ``device``; anything else raises torch's error class for
    the ``use``: "factory" (making a tensor: AssertionError for CUDA, as torch "not compiled with CUDA enabled",
    NotImplementedError for other accelerators), "move" (``.to()``/``.cuda()``: AssertionError for CUDA,
    RuntimeError for others) or "legacy" (``FloatTensor(..., device=)``: RuntimeError)."""
    if requested is None or requested is CPU or requested == "cpu":
        return
    d = requested if isinstance(requested, device) else device(requested)
    if d._type == "cpu":
        return
    message = no_device_message(what, d, requested if not isinstance(requested, device) else str(requested))
    if use != "legacy" and d._type in _COMPILED_BACKENDS:
        raise AssertionError(message)
    raise NotImplementedError(message) if use == "factory" else RuntimeError(message)


def check_pin_memory(pin_memory: bool, what: str) -> None:
    """``pin_memory=True`` needs an accelerator, as in torch without one."""
    if pin_memory:
        raise RuntimeError(f"{what}: pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
                           "allocator is available (chaingrad computes on the CPU: leave pin_memory out)")


def get_default_device() -> device:
    """The device new tensors are made on: always the CPU."""
    return _default[0]


def set_default_device(requested) -> None:
    """Accepts the CPU (or None, meaning the CPU); asking for an accelerator raises the clear error at once."""
    check_device(requested, "set_default_device")
    _default[0] = CPU
