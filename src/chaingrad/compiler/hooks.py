"""Where eager chaingrad meets the compiler: the active tracer and the marks on opaque kernels.

Nothing here runs while no function is being traced. ``TRACER`` is the tracing session or None; the
``kernel`` decorator only registers a function (it returns it unchanged), and a trace replaces the
registered functions wherever chaingrad's modules refer to them, so that each call becomes one line of
the generated code (``conv_forward(x, w, ...)``, ``bernoulli_scalar(generator, n, p)``) instead of the
stride tricks, work arrays or random words inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracer import Tracer

#: the tracing session (``chaingrad.compiler.tracer.Tracer``) while a compiled function is traced, else None
TRACER: Tracer | None = None


class KernelSpec:
    """What the compiler needs to know about an opaque kernel: whether it changes state outside its result
    (a random draw advances its generator: it must never be folded or dropped)."""

    __slots__ = ("fn", "effects")

    def __init__(self, fn: Callable, effects: bool) -> None:
        self.fn, self.effects = fn, effects


KERNELS: dict[int, KernelSpec] = {}  # id(function) -> spec


def kernel(fn: Callable | None = None, *, effects: bool = False):
    """Mark ``fn`` (arrays and numbers in, arrays out) as one opaque call for ``chaingrad.compile``.

    ``effects=True``: the call changes state outside its result (a generator's), so it is kept and never
    reordered. The function itself is returned unchanged: eager calls cost nothing extra.
    """
    def mark(f: Callable) -> Callable:
        KERNELS[id(f)] = KernelSpec(f, effects)
        return f

    return mark if fn is None else mark(fn)


def is_tracing() -> bool:
    """True while a function is being traced by ``chaingrad.compile`` (torch.compiler.is_compiling)."""
    return TRACER is not None
