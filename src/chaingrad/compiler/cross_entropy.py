"""Cross-entropy (``log_softmax`` then ``nll_loss``) written out as the NumPy lines its two ops run.

Eager's cross-entropy is two ops, ``LogSoftmax`` and ``NllLoss`` (ops/nn_ops.py), each with a ctx and four to
nine NumPy calls. In a replay nobody sees what lies between them, so ``inline_cross_entropy`` writes the
forward and backward of the pair as the same NumPy calls, in the same order, on the same values, without the
ctxs and the calls whose results it already has:

- ``np.arange(N)`` (the rows) depends on no input: computed once, when the code is loaded;
- ``np.ones(N) * valid`` is ``valid.astype(dtype)``: the same 1s and 0s;
- ``np.sum(weights)``, which eager computes in the forward and again in the backward, is computed once: the
  same sum of the same array;
- the backward's ``picked * dL/dloss`` where dL/dloss is the ``np.ones(())`` that ``loss.backward()`` starts
  with: ``1 * x`` is ``x`` for every value arithmetic makes (as optimize.drop_unit_factors).

Speed: in the 784-512-512-10 MLP's step (one BLAS thread, 300 steps alternating with the ops' form) the pair
took about 200 µs as ops and 150 written out, of a 5.2 ms step; each small call right after a large matrix
product costs several µs (cold caches), so fewer calls is what pays.

Only the usual case is written out: a 2-D float input, softmax over its last axis, ``weight=None``,
``reduction='mean'``, and the backward started by ``loss.backward()``; anything else keeps the ops' own calls.
tests/test_compile.py compares the result with eager's bit for bit, ignored rows and all.
"""

from __future__ import annotations

import re

import numpy as np

from .tracer import Line, Trace

_CTX = re.compile(r"^(c\d+) = ctx\((LogSoftmax|NllLoss), ")
_LOG_SOFTMAX = re.compile(r"^@(\d+)@ = LogSoftmax\.forward\((c\d+), @(\d+)@, dim=(-?\d+)\)$")
_NLL = re.compile(r"^@(\d+)@ = (?:np\.asarray\()?NllLoss\.forward\((c\d+), @(\d+)@, target=(@\d+@), weight=None, "
                  r"ignore_index=(-?\d+), reduction='mean'\)\)?$")
_NLL_BACK = re.compile(r"^@(\d+)@, = grads\(NllLoss\.backward\((c\d+), @(\d+)@\), 1\)$")
_LS_BACK = re.compile(r"^@(\d+)@, = grads\(LogSoftmax\.backward\((c\d+), @(\d+)@\), 1\)$")
_ONE = re.compile(r"^@(\d+)@ = np\.ones\(\(\), np\.(float32|float64)\)$")
_TOKEN = re.compile(r"@(\d+)@")


def inline_cross_entropy(trace: Trace, arrays: dict, count: int) -> None:
    """Rewrite every ``LogSoftmax`` followed by ``NllLoss`` (forward and backward in this replay) as NumPy lines."""
    while _rewrite_one(trace, arrays, count):
        pass


def _rewrite_one(trace: Trace, arrays: dict, count: int) -> bool:
    lines = trace.lines
    for k, line in enumerate(lines):
        m = _NLL.match(line.text)
        if m is None:
            continue
        found = _match(trace, arrays, k, m)
        if found is not None:
            _rewrite(trace, arrays, count, found)
            return True
    return False


def _match(trace: Trace, arrays: dict, k: int, nll) -> dict | None:
    """The lines of one log_softmax + nll_loss pair around the nll_loss forward ``trace.lines[k]``, or None
    where they are not the case written out here."""
    lines = trace.lines
    loss, c_nll, logp, target, ignore = int(nll.group(1)), nll.group(2), int(nll.group(3)), nll.group(4), nll.group(5)
    found: dict = {"nll": lines[k], "loss": loss, "target": target, "ignore": ignore, "logp": logp, "c_nll": c_nll}
    for line in lines:
        if (m := _LOG_SOFTMAX.match(line.text)) and int(m.group(1)) == logp:
            found.update(ls=line, c_ls=m.group(2), x=int(m.group(3)), dim=int(m.group(4)))
        elif (m := _NLL_BACK.match(line.text)) and m.group(2) == c_nll:
            found.update(nll_back=line, g_logp=int(m.group(1)), g_loss=int(m.group(3)))
        elif (m := _CTX.match(line.text)) and m.group(1) == c_nll:
            found["ctx_nll"] = line
    if not {"ls", "nll_back", "ctx_nll"} <= set(found):
        return None
    for line in lines:
        if (m := _LS_BACK.match(line.text)) and m.group(2) == found["c_ls"] and int(m.group(3)) == found["g_logp"]:
            found.update(ls_back=line, g_x=int(m.group(1)))
        elif (m := _CTX.match(line.text)) and m.group(1) == found["c_ls"]:
            found["ctx_ls"] = line
        elif (m := _ONE.match(line.text)) and int(m.group(1)) == found["g_loss"]:
            found.update(one=line, g_dtype=m.group(2))
    if not {"ls_back", "ctx_ls", "one"} <= set(found):
        return None
    x, t = arrays.get(found["x"]), arrays.get(int(target[1:-1]))
    if type(x) is not np.ndarray or x.ndim != 2 or x.dtype not in (np.float32, np.float64) or \
            found["dim"] not in (1, -1) or found["g_dtype"] != x.dtype.name:
        return None
    if type(t) is not np.ndarray or t.shape != (x.shape[0],) or t.dtype.kind not in "iu":
        return None
    # the pair's ctxs and log-probabilities, and the gradient between the two backwards, are read by no other line
    mine = {id(found[key]) for key in ("ls", "nll", "nll_back", "ls_back", "ctx_ls", "ctx_nll")}
    others = [line.text for line in lines if id(line) not in mine]
    others += [line.text for line in trace.backward or ()] + [trace.output]
    private = [found["c_ls"], c_nll, f"@{logp}@", f"@{found['g_logp']}@"]
    if any(re.search(rf"(?<!\w){re.escape(p)}(?![\d@])", text) for p in private for text in others):
        return None
    return found


def _rewrite(trace: Trace, arrays: dict, count: int, f: dict) -> None:
    top = max([count] + [int(n) for line in trace.lines for n in _TOKEN.findall(line.text)] + list(arrays))
    rows, valid, target, weights, total = range(top + 1, top + 6)
    x = arrays[f["x"]]
    n, dtype = x.shape[0], x.dtype.name
    t_arr = arrays[int(f["target"][1:-1])]
    v_arr = t_arr != int(f["ignore"])
    arrays.update({rows: np.arange(n), valid: v_arr, target: np.where(v_arr, t_arr, 0),
                   weights: v_arr.astype(x.dtype)})
    arrays[total] = np.sum(arrays[weights])
    names = {rows: "rows", valid: "valid", target: "target", weights: "weights", total: "weight_sum"}
    names[f["logp"]] = "logsoftmax"  # (its forward line's comment named it)
    trace.names.update({k: v for k, v in names.items() if k not in trace.names})
    d, lp, x_, t_ = f["dim"], f"@{f['logp']}@", f"@{f['x']}@", f["target"]
    ls, nll, nll_back, ls_back = f["ls"], f["nll"], f["nll_back"], f["ls_back"]
    ls.text = f"{lp} = {x_} - np.amax({x_}, axis={d}, keepdims=True)"
    ls.comment = "LogSoftmax: x - max(x), then minus log(sum(exp(...))) (its forward, written out)"
    ls.defines = (f["logp"],)
    ls_log = Line("forward", f"{lp} -= np.log(np.sum(np.exp({lp}), axis={d}, keepdims=True))", "", ())
    prep = [
        Line("forward", f"check_targets({t_}, {x.shape[1]}, {f['ignore']})",
             "NllLoss: every target is a class index or ignore_index (else IndexError)", ()),
        Line("forward", f"@{valid}@ = {t_} != {f['ignore']}", "NllLoss: the rows whose target is not ignore_index",
             (valid,)),
        Line("forward", f"@{target}@ = np.where(@{valid}@, {t_}, 0)", "(an ignored row picks class 0, with weight 0)",
             (target,)),
        Line("forward", f"@{weights}@ = @{valid}@.astype(np.{dtype})", "np.ones(N) * valid: the same 1s and 0s",
             (weights,)),
        Line("forward", f"@{total}@ = np.sum(@{weights}@)", "(the forward's and the backward's sum of the weights)",
             (total,)),
    ]
    nll.text = (f"with np.errstate(invalid='ignore', divide='ignore'): @{f['loss']}@ = np.asarray("
                f"np.sum(-{lp}[@{rows}@, @{target}@] * @{weights}@) / @{total}@, np.{dtype})")
    nll.comment = "NllLoss: the mean of -logp[i, t_i] over the rows not ignored (nan if all are)"
    nll_back.text = (f"@{f['g_logp']}@ = np.zeros({x.shape!r}, np.{f['g_dtype']}); "
                     f"@{f['g_logp']}@[@{rows}@, @{target}@] = -@{weights}@; @{f['g_logp']}@ /= @{total}@")
    nll_back.comment += " (times dL/dloss = 1: the array itself)"
    ls_back.text = (f"@{f['g_x']}@ = @{f['g_logp']}@ - np.exp({lp}) * "
                    f"np.add.reduce(@{f['g_logp']}@, axis=({d % 2},), keepdims=True)")
    const = Line("const", f"@{rows}@ = np.arange({n})", "the rows of the cross-entropy's input", (rows,))
    drop = {id(f["ctx_ls"]), id(f["ctx_nll"])}
    out: list[Line] = [const]
    for line in trace.lines:
        if id(line) in drop:
            continue
        out.extend([ls, ls_log] if line is ls else prep + [nll] if line is nll else [line])
    trace.lines[:] = out
    trace.big -= {f["c_ls"], f["c_nll"]}
    texts = " ".join(line.text for line in out + list(trace.backward or ()))
    trace.imports["check_targets"] = "chaingrad.ops.nn_ops"
    for op in ("LogSoftmax", "NllLoss"):  # (imported for the ops' own calls: none left)
        if not re.search(rf"\b{op}\b", texts):
            trace.imports.pop(op, None)
