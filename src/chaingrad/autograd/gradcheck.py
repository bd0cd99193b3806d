"""Checking gradients against finite differences: ``gradcheck``/``gradgradcheck`` (torch's semantics) and
``check_hand_gradients`` for gradients a learner derived by hand (the seed's way of working).

Central differences: ``(f(x + eps) - f(x - eps)) / (2 eps)`` one element at a time, which is accurate to
about ``eps^2`` in float64. Analytical gradients come from the engine (``autograd.grad``), one row of the
Jacobian per output element.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..tensor import Tensor
from .engine import grad as autograd_grad
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(outputs: tuple) -> list[tuple[int, Tensor]]:
    return [(i, o) for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobians(func, inputs: tuple, eps: float) -> list[list[np.ndarray]]:
    """``J[i][j]`` of shape (output j numel, input i numel), by central differences."""
    with no_grad():
        outs = _as_tuple(func(*inputs))
    out_arrays = [o._data for o in outs if isinstance(o, Tensor)]
    jac = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            jac.append(None)
            continue
        original = t._data
        work = np.array(original, copy=True, order="C")
        t._data = work
        flat = work.reshape(-1)
        cols = [np.zeros((a.size, flat.size)) for a in out_arrays]
        try:
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                with no_grad():
                    plus = [o._data.astype(np.float64).reshape(-1) for o in _as_tuple(func(*inputs))
                            if isinstance(o, Tensor)]
                flat[k] = orig - eps
                with no_grad():
                    minus = [o._data.astype(np.float64).reshape(-1) for o in _as_tuple(func(*inputs))
                             if isinstance(o, Tensor)]
                flat[k] = orig
                for j, (p, m) in enumerate(zip(plus, minus)):
                    cols[j][:, k] = (p - m) / (2 * eps)
        finally:
            t._data = original
        jac.append(cols)
    return jac


def _analytical_jacobians(func, inputs: tuple, check_dtypes: bool = False) -> tuple[list, tuple]:
    """``J[i][j]`` from the engine: one backward pass per output element."""
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    with enable_grad():
        outs = _as_tuple(func(*inputs))
    jac = [[None] * len(outs) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]
    for j, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        n = o._data.size
        rows = {id(t): np.zeros((n, t._data.size)) for t in diff_inputs}
        if o.requires_grad:
            for r in range(n):
                seed = np.zeros(n, dtype=o._data.dtype)
                seed[r] = 1
                gs = autograd_grad(o, diff_inputs, Tensor._wrap(seed.reshape(o._data.shape)), retain_graph=True,
                                   allow_unused=True)
                for t, g in zip(diff_inputs, gs):
                    if g is not None:
                        if g._data.shape != t._data.shape:
                            raise GradcheckError(f"Gradient has incorrect shape for input of shape "
                                                 f"{list(t._data.shape)}: got {list(g._data.shape)}")
                        if check_dtypes and g._data.dtype != t._data.dtype:
                            raise GradcheckError(f"Gradient has dtype mismatch: the input is {t.dtype}, its "
                                                 f"gradient {g.dtype}")
                        rows[id(t)][r] = g._data.reshape(-1)
        for i, t in enumerate(inputs):
            if jac[i] is not None:
                jac[i][j] = rows[id(t)]  # (output numel, input numel), like the numerical ones
    return jac, outs


def _forward_jacobians(func, inputs: tuple) -> list:
    """``J[i][j]`` by forward mode (``chaingrad.func.jvp``): one Jacobian-vector product per input element."""
    from ..func import jvp

    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    primals = tuple(inputs[i].detach() for i in diff)

    def f(*xs):
        args = list(inputs)
        for i, x in zip(diff, xs):
            args[i] = x
        return tuple(o for o in _as_tuple(func(*args)) if isinstance(o, Tensor))

    jac: list = [None] * len(inputs)
    for pos, i in enumerate(diff):
        size = inputs[i]._data.size
        cols: list[np.ndarray] = []
        for k in range(size):
            tangents = tuple(Tensor._wrap(np.zeros(p._data.shape, p._data.dtype)) for p in primals)
            tangents[pos]._data.reshape(-1)[k] = 1
            _, columns = jvp(f, primals, tangents)
            if not cols:
                cols = [np.zeros((c._data.size, size)) for c in columns]
            for j, c in enumerate(columns):
                cols[j][:, k] = c._data.reshape(-1)
        jac[i] = cols
    return jac


def _unravel(k: int, shape: tuple) -> tuple:
    return tuple(int(v) for v in np.unravel_index(k, shape)) if shape else ()


def _refuse(option: str, value, why: str) -> None:
    raise NotImplementedError(f"gradcheck({option}={value}): {why}")


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences (torch's gradcheck).

    Inputs that require grad should be float64; each Jacobian element must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|``. On failure, raises ``GradcheckError`` naming
    the output, the input, the element, and both values (or returns False with ``raise_exception=False``).
    ``check_backward_ad`` checks the engine's backward pass, ``check_forward_ad`` forward mode (``func.jvp``),
    ``check_grad_dtypes`` that each gradient has its input's dtype. ``fast_mode`` runs the full check (which
    finds everything torch's faster random projection does); chaingrad's backward passes are deterministic, so
    ``nondet_tol`` has nothing to allow for, and an output that gets no gradient is always given zeros
    (what ``check_undefined_grad`` tests). There is no vmap or sparse/masked tensors: asking for the batched
    or masked checks raises NotImplementedError.
    """
    if check_batched_grad or check_batched_forward_grad:
        _refuse("check_batched_grad" if check_batched_grad else "check_batched_forward_grad", True,
                "chaingrad has no vmap to batch gradients with; leave it False")
    if masked:
        _refuse("masked", masked, "chaingrad has no sparse or masked tensors; leave it None")
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    tupled = _as_tuple(inputs)
    for i, t in enumerate(tupled):
        if isinstance(t, Tensor) and t.requires_grad and t._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point.", UserWarning, stacklevel=2)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in tupled):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")

    def fail(msg: str) -> bool:
        if raise_exception:
            raise GradcheckError(msg)
        return False

    try:
        analytical, outs = _analytical_jacobians(func, tupled, check_grad_dtypes)
    except GradcheckError as err:
        return fail(str(err))
    numerical = _numerical_jacobians(func, tupled, eps)
    out_tensors = [o for o in outs if isinstance(o, Tensor)]
    checks = [("Jacobian", analytical)] if check_backward_ad else []
    if check_forward_ad:
        checks.append(("Forward-mode Jacobian", _forward_jacobians(func, tupled)))
    for kind, computed in checks:
        for j, o in enumerate(out_tensors):
            for i, t in enumerate(tupled):
                if computed[i] is None:
                    continue
                a, n = computed[i][j], numerical[i][j]
                if a is None or n is None:
                    continue
                if not o.requires_grad:
                    if np.any(np.abs(n) > atol):
                        return fail(f"Numerical gradient for function expected to be zero: output {j} does not "
                                    f"require grad but changes with input {i}")
                    continue
                bad = np.abs(a - n) > atol + rtol * np.abs(n)
                if bad.any():
                    r, c = (int(v) for v in np.argwhere(bad)[0])
                    worst = np.unravel_index(int(np.argmax(np.abs(a - n))), a.shape)
                    return fail(
                        f"{kind} mismatch for output {j} with respect to input {i},\n"
                        f"first mismatch at output element {_unravel(r, o._data.shape)}, input element "
                        f"{_unravel(c, t._data.shape)}: analytical {a[r, c]:.10g} vs numerical {n[r, c]:.10g} "
                        f"(difference {a[r, c] - n[r, c]:.3g}, allowed {atol + rtol * abs(n[r, c]):.3g}); "
                        f"{int(bad.sum())} of {bad.size} elements differ, largest difference "
                        f"{abs(a[worst] - n[worst]):.3g}\n"
                        f"numerical:{_short(n)}\nanalytical:{_short(a)}\n")
    return True


def _short(m: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=60, edgeitems=3, linewidth=100):
        return "\n" + str(m) if m.ndim == 2 and m.shape[0] > 1 else str(m)


def _non_contiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a strided view (every other element of a larger array)."""
    wide = np.zeros(a.shape + (2,), a.dtype)
    wide[..., 0] = a
    return wide[..., 0]


def gradgradcheck(func: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, grad_outputs) -> d(func)/d(inputs) . grad_outputs``.

    ``grad_outputs`` defaults to random float64 tensors (fixed seed) that require grad, as in torch
    (non-contiguous ones with ``gen_non_contig_grad_outputs``); ``check_rev_over_rev`` and ``check_fwd_over_rev``
    are gradcheck's backward and forward checks of that function; the other options as in ``gradcheck``.
    """
    tupled = _as_tuple(inputs)
    with enable_grad():
        outs = [o for o in _as_tuple(func(*tupled)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        made = [rng.standard_normal(o._data.shape).astype(o._data.dtype) for o in outs]
        if gen_non_contig_grad_outputs:
            made = [_non_contiguous(g) for g in made]
        grad_outputs = tuple(Tensor._wrap(g, True) for g in made)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(tupled)
    diff_idx = [i for i, t in enumerate(tupled) if isinstance(t, Tensor) and t.requires_grad]

    def first_derivative(*args):
        xs, gos = args[:n_in], args[n_in:]
        with enable_grad():
            ys = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
            gs = autograd_grad(ys, [xs[i] for i in diff_idx], list(gos), create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._wrap(np.zeros(xs[i]._data.shape)) for g, i in zip(gs, diff_idx))

    return gradcheck(first_derivative, tupled + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)


# -- hand-derived gradients ----------------------------------------------------------------------------
@dataclass
class HandGradRow:
    """The comparison for one tensor: the learner's gradient, autodiff's, and finite differences'."""

    name: str
    shape: tuple
    hand: np.ndarray
    autodiff: np.ndarray | None
    numerical: np.ndarray | None
    ok: bool
    worst_index: tuple
    worst_error: float
    message: str


class HandGradReport:
    """What ``check_hand_gradients`` returns: ``rows``, ``ok``, and a table as ``str()``."""

    def __init__(self, rows: list[HandGradRow]) -> None:
        self.rows = rows

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __getitem__(self, name: str) -> HandGradRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        from ..explain._graph import fmt_array

        head = ("tensor", "hand-derived", "autodiff", "finite diff.", "verdict")
        rows = [(f"dL/d{r.name}", fmt_array(r.hand), "-" if r.autodiff is None else fmt_array(r.autodiff),
                 "-" if r.numerical is None else fmt_array(r.numerical), r.message) for r in self.rows]
        widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(head)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        lines.append("All hand-derived gradients agree." if self.ok else "Some hand-derived gradients disagree.")
        return "\n".join(lines)

    __repr__ = __str__


def _name_of(t: Tensor, names: dict, frame) -> str:
    if t._name:
        return t._name
    if id(t) in names:
        return names[id(t)]
    return f"tensor{list(t._data.shape)}"


def check_hand_gradients(loss, hand_grads, *, eps: float | None = None, atol: float | None = None,
                         rtol: float | None = None, raise_exception: bool = False) -> HandGradReport:
    """Compare gradients you derived by hand with autodiff's and with finite differences.

    ``loss`` is either a zero-argument function that recomputes the scalar loss from the *current* values of
    the tensors (then finite differences are checked too), or an already computed scalar loss tensor (then
    only autodiff is compared). ``hand_grads`` maps each tensor to your gradient for it (tensor, array or
    number), e.g. ``{w: dL_dw, b: dL_db}``. The tensors need not require grad: they are switched on for the
    check and restored after; no ``.grad`` changes.

    Each tensor passes when ``|hand - autodiff| <= atol + rtol * |autodiff|`` everywhere (and autodiff agrees
    with finite differences). Defaults: float64 ``eps=1e-6, atol=1e-5, rtol=1e-3``; float32/16 ``eps=1e-3,
    atol=1e-3, rtol=1e-2``. Returns a report (``.ok``, ``.rows``, a table as ``str()``); with
    ``raise_exception=True`` a disagreement raises ``GradcheckError`` carrying that table.
    """
    from ..explain._graph import caller_frame, names_from_frames

    pairs = list(hand_grads.items()) if isinstance(hand_grads, dict) else list(hand_grads)
    tensors = [t for t, _ in pairs]
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"check_hand_gradients: the keys of hand_grads must be tensors, got {type(t).__name__}")
        if t._grad_fn is not None and callable(loss) and not isinstance(loss, Tensor):
            raise ValueError("check_hand_gradients: with a loss function, the tensors must be leaves (their values "
                             "are nudged for finite differences)")
    frame = caller_frame()
    leaf_names, _ = names_from_frames(frame)
    is_fn = callable(loss) and not isinstance(loss, Tensor)

    saved_flags = [(t, t.requires_grad) for t in tensors if t._grad_fn is None]
    for t, _ in saved_flags:
        t.requires_grad = True
    try:
        with enable_grad():
            out = loss() if is_fn else loss
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise ValueError("check_hand_gradients: the loss must be a one-element tensor")
        auto = autograd_grad(out, tensors, retain_graph=not is_fn, allow_unused=True)
    finally:
        for t, flag in saved_flags:
            t.requires_grad = flag
    numerical = [None] * len(tensors)
    if is_fn:
        numerical = []
        for t in tensors:
            step = eps if eps is not None else (1e-6 if t._data.dtype == np.float64 else 1e-3)
            original = t._data
            work = np.array(original, copy=True, order="C")
            t._data = work
            flat = work.reshape(-1)
            num = np.zeros(flat.size)
            try:
                for k in range(flat.size):
                    v = flat[k]
                    flat[k] = v + step
                    with no_grad():
                        up = float(loss().item())
                    flat[k] = v - step
                    with no_grad():
                        down = float(loss().item())
                    flat[k] = v
                    num[k] = (up - down) / (2 * step)
            finally:
                t._data = original
            numerical.append(num.reshape(t._data.shape))

    rows = []
    for (t, h), a, n in zip(pairs, auto, numerical):
        name = _name_of(t, leaf_names, frame)
        double = t._data.dtype == np.float64
        at = atol if atol is not None else (1e-5 if double else 1e-3)
        rt = rtol if rtol is not None else (1e-3 if double else 1e-2)
        hand = np.asarray(h._data if isinstance(h, Tensor) else h, dtype=np.float64)
        auto_a = np.zeros(t._data.shape) if a is None else a._data.astype(np.float64)
        if hand.size == auto_a.size and hand.shape != auto_a.shape:
            hand = hand.reshape(auto_a.shape)
        if hand.shape != auto_a.shape:
            rows.append(HandGradRow(name, t._data.shape, hand, auto_a, n, False, (), float("inf"),
                                    f"wrong shape: yours is {list(hand.shape)}, {name} is {list(t._data.shape)}"))
            continue
        err = np.abs(hand - auto_a)
        bad = err > at + rt * np.abs(auto_a)
        worst = _unravel(int(np.argmax(err)), err.shape) if err.size else ()
        worst_err = float(err.max()) if err.size else 0.0
        auto_ok = True
        if n is not None:
            auto_ok = bool(np.all(np.abs(auto_a - n) <= at + rt * np.abs(n)))
        if bad.any():
            idx = _unravel(int(np.argwhere(bad.reshape(-1))[0][0]), err.shape)
            msg = (f"MISMATCH at {name}{list(idx)}: yours {hand[idx]:.6g}, autodiff {auto_a[idx]:.6g}"
                   + (f", finite diff. {n[idx]:.6g}" if n is not None else "")
                   + f" (off by {hand[idx] - auto_a[idx]:.3g}; {int(bad.sum())} of {bad.size} elements differ)")
        elif not auto_ok:
            msg = "autodiff and finite differences disagree (is the loss function the same computation?)"
        else:
            msg = f"ok (max difference {worst_err:.2g})"
        rows.append(HandGradRow(name, t._data.shape, hand, auto_a, n, not bad.any() and auto_ok, worst, worst_err, msg))
    report = HandGradReport(rows)
    if raise_exception and not report.ok:
        raise GradcheckError(str(report))
    return report
