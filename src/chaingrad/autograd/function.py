"""User-defined operations, as ``torch.autograd.function``: ``Function``, its ctx ``FunctionCtx``, and
``once_differentiable``. (The nodes of built-in ops and ``apply`` are in node.py, imported here too.)
"""

from __future__ import annotations

import warnings

from ..tensor import Tensor
from .grad_mode import no_grad, state
from .node import _IN, _OUT, Node, _edge, _refresh_view, _seq, apply, replay_view  # noqa: F401


class FunctionCtx(Node):
    """The ctx of a user ``Function``: forward and backward receive and return Tensors."""

    _fn_cls: type = None  # set per subclass

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors or None, got {type(t).__name__}")
        self._saved = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that get no gradient (indices, masks): they do not require grad."""
        self.__dict__.setdefault("_non_diff", set()).update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward modified in place; each must be returned as an output (torch's rules)."""
        self.__dict__["_dirty"] = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)

    def backward(self, *grads):
        return self._fn_cls.backward(self, *grads)

    @property
    def formulas(self) -> tuple[str, ...]:  # type: ignore[override]
        text = getattr(self._fn_cls, "formula", None) or f"user-defined {self._fn_cls.__name__}.backward"
        return (text,) * len(self.next_edges)

    def formula_for(self, i: int) -> str:  # type: ignore[override]
        return self.formulas[i] if self.formulas else ""


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        # torch's name for a Function's node: the Function's name + "Backward" (``LegendrePolynomial3Backward``)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,),
                                 {"_fn_cls": cls, "op_name": name, "torch_name": name + "Backward"})


class Function(metaclass=_FunctionMeta):
    """Define an operation by its forward and backward, as ``torch.autograd.Function``.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        """torch 2's other style: a Function that defines ``setup_context`` has a ``forward(*args)`` without ctx,
        and ``setup_context(ctx, inputs, output)`` saves what backward needs, after forward has run."""
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args, **kwargs):
        record = state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = object.__new__(cls._backward_cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx._saved = None
        ctx._arrays = False
        if record:  # the edges before forward runs: an input it modifies in place keeps the history it had
            ctx.next_edges = tuple(_edge(a) if isinstance(a, Tensor) else None for a in args)
            ctx.input_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args)
        with no_grad():
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args, **kwargs)
            else:  # forward without ctx, then setup_context with the inputs and the output
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args if not kwargs else args + tuple(kwargs.values()), out)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        dirty = ctx.__dict__.get("_dirty", ())
        _check_dirty(cls, dirty, args, outs, record)
        if not record:
            return out
        ctx._seq = next(_seq)
        if state.anomaly:
            from .anomaly import record_trace

            record_trace(ctx)
        non_diff = ctx.__dict__.get("_non_diff", ())
        wrapped = [_function_output(ctx, nr, o, non_diff, dirty) for nr, o in enumerate(outs)]
        ctx.__dict__["_output_meta"] = tuple(
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs)
        ctx.num_outputs = len(outs)
        if ctx._saved is not None:
            ctx._saved = tuple(_function_saved_ref(t, outs, wrapped) for t in ctx._saved)
        return wrapped[0] if single else tuple(wrapped)


def _check_dirty(cls, dirty, args, outs, record: bool) -> None:
    """``mark_dirty`` as torch checks it; each dirty tensor's version moves on (it was changed in place)."""
    for t in dirty:
        if not any(t is a for a in args):
            warnings.warn("Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not an input, "
                          "there is no need to pass it to mark_dirty().", stacklevel=3)
        if not any(t is o for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")
        leaf = t if t._base is None else t._base
        if record and leaf.requires_grad and leaf._grad_fn is None:
            raise RuntimeError(f"a leaf Variable that requires grad has been used in an in-place operation "
                               f"({cls.__name__}.forward marked it dirty); clone it before the call")
        if record and t._base is not None and len(outs) > 1:
            raise RuntimeError("If your Function modifies inplace an input that is a view of another Tensor, your "
                               "Function cannot return more than one Tensor. Clone the input before the call.")
        t._version[0] += 1


def _function_output(ctx: FunctionCtx, nr: int, o, non_diff, dirty):
    """Output ``nr`` of a recorded Function: a tensor whose grad_fn is ``ctx`` (unless non-differentiable)."""
    if not isinstance(o, Tensor):
        return o
    differentiable = id(o) not in non_diff and o._data.dtype.kind == "f"
    if any(o is t for t in dirty):  # the input itself now holds the result: its history continues here
        if o._base is not None:
            from ..ops.inplace import _rebase

            r = Tensor._wrap(o._data, True)
            r._grad_fn, r._output_nr, r._version = ctx, nr, o._version
            old = Tensor._wrap(o._data, o.requires_grad)  # (the view's node before: what ctx's edge may point at)
            old._grad_fn, old._output_nr = o._grad_fn, o._output_nr
            _rebase(o, o._base, old, r)
            o._view[1] = o._version[0]
            return o
        o._grad = None
        o.requires_grad, o._grad_fn, o._output_nr = differentiable, (ctx if differentiable else None), nr
        return o
    r = Tensor._wrap(o._data)
    r._version = o._version
    if differentiable:
        r.requires_grad, r._grad_fn, r._output_nr = True, ctx, nr
    return r


def _function_saved_ref(t, outs, wrapped):
    if t is None:
        return None
    for nr, o in enumerate(outs):
        if t is o:
            r = wrapped[nr]
            return (_OUT, r._data, r._version, r._version[0], nr)
    return (_IN, t, t._version[0])


class DelayedError(Node):
    """Stands after the gradients of a ``once_differentiable`` backward: differentiating them again fails."""

    formulas = ("not differentiable: the backward was marked @once_differentiable",)

    def forward(ctx, *arrays):
        return arrays if len(arrays) > 1 else arrays[0]

    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


_delayed_classes: dict[int, type] = {}


def once_differentiable(fn):
    """Mark a Function's backward as not differentiable itself (torch's decorator).

    The backward runs with recording off; with ``create_graph=True`` its results come out of a node whose
    backward raises, so asking for a higher derivative fails clearly instead of silently giving zeros.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            out = fn(ctx, *grads)
        if not (state.enabled and any(isinstance(g, Tensor) and g.requires_grad for g in grads)):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        present = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        if not present:
            return out
        n = len(present)
        cls = _delayed_classes.get(n)
        if cls is None:
            cls = _delayed_classes[n] = type("DelayedError", (DelayedError,), {"num_outputs": n})
        fakes = [outs[i].detach().requires_grad_(outs[i]._data.dtype.kind == "f") for i in present]
        errs = apply(cls, *fakes)
        errs = errs if isinstance(errs, tuple) else (errs,)
        result = list(outs)
        for i, e in zip(present, errs):
            result[i] = e
        return tuple(result) if isinstance(out, tuple) else result[0]

    return wrapper
