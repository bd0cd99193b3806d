# ruff: noqa: E731 - the fuzzer records each program step as a small lambda
"""Differential fuzzing: random programs run on chaingrad and on PyTorch must agree.

Each program is a random composition of chaingrad's ops (elementwise incl. broadcasting binaries,
reductions with dims/keepdim, matmul, shape ops, basic/fancy/boolean indexing, cat/stack/split,
softmax/log_softmax, losses, in-place ops on clones) on random shapes in float64. The generator runs
the program on chaingrad while it builds it (so each step can be chosen to fit the shapes it sees), and
records every step as a function of the library module, which is then replayed on torch. Outputs,
every leaf's gradient and second derivatives (``create_graph=True``) must agree.

``make test`` runs ``DEFAULT_PROGRAMS`` programs with a fixed seed; ``CHAINGRAD_FUZZ=5000`` runs 5000;
``CHAINGRAD_FUZZ_SEED`` changes the seed. A failure prints the program, step by step, and its seed.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import torch

import chaingrad

DEFAULT_PROGRAMS = 600
PROGRAMS = int(os.environ.get("CHAINGRAD_FUZZ", DEFAULT_PROGRAMS))
BASE_SEED = int(os.environ.get("CHAINGRAD_FUZZ_SEED", 20240611))
CHUNK = 50
RTOL, ATOL = 1e-6, 1e-8


# -- the program representation ---------------------------------------------------------------------------
class Program:
    """A list of steps; step = (fn(M, *inputs) -> list of outputs, input ids, text)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.steps: list = []
        self.values: list = []  # chaingrad values, by id
        self.leaves: list[int] = []
        self.consumed: set[int] = set()

    def add(self, fn, args: tuple[int, ...], text: str) -> list[int]:
        outs = fn(chaingrad, *[self.values[i] for i in args])
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        ids = []
        for o in outs:
            self.values.append(o)
            ids.append(len(self.values) - 1)
        self.steps.append((fn, args, text, len(ids)))
        self.consumed.update(args)
        return ids

    def leaf(self, shape: tuple[int, ...], requires_grad: bool = True) -> int:
        arr = self.rng.standard_normal(shape)
        (i,) = self.add(lambda M: M.tensor(arr, dtype=M.float64, requires_grad=requires_grad), (),
                        f"leaf {list(shape)}{' rg' if requires_grad else ''}")
        if requires_grad:
            self.leaves.append(i)
        return i

    def shape(self, i: int) -> tuple[int, ...]:
        return tuple(self.values[i].shape)

    def pick(self, cond=None) -> int | None:
        """A float value from the pool (recent ones more often)."""
        cands = [i for i, v in enumerate(self.values)
                 if isinstance(v, chaingrad.Tensor) and v.dtype == chaingrad.float64 and v.numel() > 0
                 and (cond is None or cond(tuple(v.shape)))]
        if not cands:
            return None
        w = np.arange(1, len(cands) + 1, dtype=float) ** 2
        return int(self.rng.choice(cands, p=w / w.sum()))

    def text(self) -> str:
        out, k = [], 0
        for _, args, text, n in self.steps:
            ids = list(range(k, k + n))
            k += n
            out.append(f"  v{ids if n > 1 else ids[0]} = {text}({', '.join(f'v{a}' for a in args)})")
        return "\n".join(out)

    def replay(self, M) -> list:
        vals: list = []
        for fn, args, _, _ in self.steps:
            outs = fn(M, *[vals[i] for i in args])
            vals.extend(outs if isinstance(outs, (list, tuple)) else [outs])
        return vals


def T(M, arr):
    """A constant tensor from a NumPy array in module M."""
    return M.tensor(arr)


def rand_shape(rng, min_nd=0, max_nd=4) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(min_nd, max_nd + 1))))


def broadcast_partner(rng, shape, grow: bool = True) -> tuple[int, ...]:
    """A shape broadcast-compatible with ``shape`` (dims dropped in front, some set to 1, new ones added)."""
    s = list(shape)
    if s and rng.random() < 0.4:
        s = s[int(rng.integers(0, len(s) + 1)):]
    s = [1 if rng.random() < 0.3 else d for d in s]
    if grow and len(s) < 4 and rng.random() < 0.2:
        s = [int(rng.integers(1, 4))] + s if not shape or len(s) >= len(shape) else s
    return tuple(s)


def dims_subset(rng, nd):
    if nd == 0:
        return None
    k = int(rng.integers(1, nd + 1))
    dims = sorted(rng.choice(nd, size=k, replace=False).tolist())
    return tuple(d - nd if rng.random() < 0.3 else d for d in dims)


# -- op generators: each picks operands from the program and adds one step (or returns False) ---------------
def bounded(p: Program, i: int) -> bool:
    return float(np.abs(p.values[i].detach().numpy()).max()) < 4.0


def g_unary(p: Program) -> bool:
    i = p.pick()
    rng = p.rng
    choices = ["neg", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "square", "exp", "log", "sqrt", "rsqrt",
               "log1p", "expm1", "clamp", "powc", "reciprocal", "scalar", "softmax", "log_softmax", "clip_t",
               "detach", "sign_mul", "where_t"]
    name = choices[int(rng.integers(len(choices)))]
    nd = len(p.shape(i))
    if name == "exp":
        if bounded(p, i):
            fn = lambda M, x: M.exp(x)  # noqa: E731
        else:
            fn = lambda M, x: M.exp(M.tanh(x) * 3)  # noqa: E731
    elif name == "log":
        fn = lambda M, x: M.log(x.abs() + 0.5)  # noqa: E731
    elif name == "sqrt":
        fn = lambda M, x: M.sqrt(x * x + 0.1)  # noqa: E731
    elif name == "rsqrt":
        fn = lambda M, x: M.rsqrt(x.abs() + 0.3)  # noqa: E731
    elif name == "log1p":
        fn = lambda M, x: M.log1p(x.abs())  # noqa: E731
    elif name == "expm1":
        fn = lambda M, x: M.expm1(M.tanh(x))  # noqa: E731
    elif name == "clamp":
        lo, hi = sorted(rng.normal(size=2).round(2).tolist())
        mode = int(rng.integers(3))
        lo_, hi_ = (lo, hi) if mode == 0 else ((lo, None) if mode == 1 else (None, hi))
        fn = lambda M, x: M.clamp(x, lo_, hi_)  # noqa: E731
        name = f"clamp[{lo_},{hi_}]"
    elif name == "clip_t":
        lo = rng.normal(size=p.shape(i)) - 0.5
        fn = lambda M, x: x.clamp(min=T(M, lo))  # noqa: E731
    elif name == "powc":
        c = float(rng.choice([2, 3, 0.5, -1.0, 1.5, -0.5, 0, 1]))
        if c in (2, 3, 0, 1):
            fn = lambda M, x: x ** c  # noqa: E731
        else:
            fn = lambda M, x: (x.abs() + 0.5) ** c  # noqa: E731
        name = f"pow{c}"
    elif name == "reciprocal":
        fn = lambda M, x: M.reciprocal(x.abs() + 0.5)  # noqa: E731
    elif name == "scalar":
        c = round(float(rng.normal()), 3)
        k = int(rng.integers(5))
        name = ["x+c", "c-x", "x*c", "c/(|x|+1)", "x/c"][k] + f"[{c}]"
        c = c if abs(c) > 0.1 else 0.7
        fn = [lambda M, x: x + c, lambda M, x: c - x, lambda M, x: x * c,
              lambda M, x: c / (x.abs() + 1), lambda M, x: x / c][k]
    elif name in ("softmax", "log_softmax"):
        if nd == 0:
            return False
        d = int(rng.integers(-nd, nd))
        fn = (lambda M, x: M.softmax(x, d)) if name == "softmax" else (lambda M, x: M.log_softmax(x, dim=d))
        name = f"{name}[{d}]"
    elif name == "detach":
        fn = lambda M, x: x.detach() * x  # noqa: E731
    elif name == "sign_mul":
        fn = lambda M, x: x * x.detach().sign()  # noqa: E731
    elif name == "where_t":
        mask = rng.random(p.shape(i)) < 0.5
        fn = lambda M, x: M.where(T(M, mask), x, x * 2)  # noqa: E731
    else:
        fn = (lambda n: lambda M, x: getattr(M, n)(x))(name)
    p.add(fn, (i,), name)
    return True


def g_binary(p: Program) -> bool:
    rng = p.rng
    a = p.pick()
    sa = p.shape(a)
    b = p.pick(lambda s: _broadcastable(s, sa))
    if b is None or rng.random() < 0.4:
        b = p.leaf(broadcast_partner(rng, sa), requires_grad=rng.random() < 0.8)
    if rng.random() < 0.5:
        a, b = b, a
    k = int(rng.integers(9))
    names = ["add", "sub", "mul", "div", "maximum", "minimum", "where", "pow", "add_alpha"]
    if k == 6:
        mask = rng.random(np.broadcast_shapes(p.shape(a), p.shape(b))) < 0.5
        fn = lambda M, x, y: M.where(T(M, mask), x, y)  # noqa: E731
    else:
        fn = [lambda M, x, y: x + y, lambda M, x, y: x - y, lambda M, x, y: x * y,
              lambda M, x, y: x / (y * y + 0.5), lambda M, x, y: M.maximum(x, y), lambda M, x, y: M.minimum(x, y),
              None, lambda M, x, y: (x.abs() + 0.5) ** M.tanh(y), lambda M, x, y: M.sub(x, y, alpha=0.5)][k]
    p.add(fn, (a, b), names[k])
    return True


def _broadcastable(s1, s2) -> bool:
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


def g_reduce(p: Program) -> bool:
    rng = p.rng
    i = p.pick()
    s = p.shape(i)
    nd = len(s)
    keep = bool(rng.random() < 0.5)
    k = int(rng.integers(12))
    dims = dims_subset(rng, nd) if rng.random() < 0.8 else None
    one = int(rng.integers(-nd, nd)) if nd else None
    if k == 0:
        fn = (lambda M, x: x.sum()) if dims is None else (lambda M, x: x.sum(dims, keepdim=keep))
        name = f"sum[{dims},{keep}]"
    elif k == 1:
        fn = (lambda M, x: x.mean()) if dims is None else (lambda M, x: M.mean(x, dim=dims, keepdim=keep))
        name = f"mean[{dims},{keep}]"
    elif k == 2:
        if math.prod(s) > 24 or not bounded(p, i):
            return False
        fn = (lambda M, x: x.prod()) if one is None or rng.random() < 0.3 else (
            lambda M, x: x.prod(one, keepdim=keep))
        name = f"prod[{one},{keep}]"
    elif k in (3, 4):
        op = "amax" if k == 3 else "amin"
        fn = (lambda M, x: getattr(M, op)(x, dim=dims if dims is not None else tuple(range(nd)), keepdim=keep))
        name = f"{op}[{dims},{keep}]"
    elif k in (5, 6):
        if one is None:
            return False
        op = "max" if k == 5 else "min"
        fn = lambda M, x: getattr(x, op)(dim=one, keepdim=keep)[0]  # noqa: E731
        name = f"{op}_dim[{one},{keep}]"
    elif k == 7:
        n = math.prod(s) if dims is None else math.prod(s[d] for d in dims)
        corr = int(rng.integers(0, 2))
        if n - corr <= 0:
            return False
        if dims is None:
            fn = lambda M, x: x.var(correction=corr) if M is torch else x.var(correction=corr)  # noqa: E731
        else:
            fn = lambda M, x: x.var(dims, keepdim=keep, correction=corr)  # noqa: E731
        name = f"var[{dims},{keep},c={corr}]"
    elif k == 8:
        n = math.prod(s) if dims is None else math.prod(s[d] for d in dims)
        if n < 2:
            return False
        fn = (lambda M, x: x.std()) if dims is None else (lambda M, x: x.std(dims, keepdim=keep))
        name = f"std[{dims},{keep}]"
    elif k == 9:
        if dims is not None and len(dims) > 2:  # torch treats 3+ dims as a matrix norm
            dims = dims[:2]
        fn = (lambda M, x: x.norm()) if dims is None else (lambda M, x: x.norm(dim=dims, keepdim=keep))
        name = f"norm[{dims},{keep}]"
    elif k == 10:
        if dims is None:
            return False
        fn = lambda M, x: M.logsumexp(x, dim=dims, keepdim=keep)  # noqa: E731
        name = f"logsumexp[{dims},{keep}]"
    else:
        if one is None:
            return False
        fn = lambda M, x: x.cumsum(one)  # noqa: E731
        name = f"cumsum[{one}]"
    p.add(fn, (i,), name)
    return True


def g_matmul(p: Program) -> bool:
    rng = p.rng
    a = p.pick(lambda s: len(s) >= 1)
    if a is None:
        return False
    sa = p.shape(a)
    k = sa[-1]
    form = int(rng.integers(4))
    if form == 0 or len(sa) == 1:  # (..., k) @ (k,) or (k, m)
        sb = (k,) if rng.random() < 0.3 else (k, int(rng.integers(1, 5)))
    elif form == 1:  # batched, maybe broadcast batch dims
        sb = broadcast_partner(rng, sa[:-2]) + (k, int(rng.integers(1, 5))) if len(sa) >= 2 else (k, 2)
    else:
        sb = (k, int(rng.integers(1, 5)))
    b = p.pick(lambda s: s == sb)
    if b is None:
        b = p.leaf(sb, requires_grad=rng.random() < 0.85)
    if rng.random() < 0.2 and len(sa) == 1:
        p.add(lambda M, x, y: y.mT @ x if y.ndim >= 2 else y @ x, (a, b), "matmul_r")
    else:
        p.add(lambda M, x, y: M.matmul(x, y), (a, b), "matmul")
    return True


def g_shape(p: Program) -> bool:
    rng = p.rng
    i = p.pick()
    s = p.shape(i)
    nd = len(s)
    k = int(rng.integers(14))
    if k == 0:
        new = _factor(rng, math.prod(s))
        if rng.random() < 0.3 and new:
            new = list(new)
            new[int(rng.integers(len(new)))] = -1
            new = tuple(new)
        fn, name = (lambda M, x: x.reshape(new)), f"reshape{list(new)}"
    elif k == 1:
        if nd < 1:
            return False
        perm = tuple(rng.permutation(nd).tolist())
        fn, name = (lambda M, x: x.permute(*perm)), f"permute{perm}"
    elif k == 2:
        if nd < 2:
            return False
        d0, d1 = (int(v) for v in rng.choice(nd, 2, replace=False))
        fn, name = (lambda M, x: x.transpose(d0, d1)), f"transpose[{d0},{d1}]"
    elif k == 3:
        new = tuple(int(rng.integers(2, 4)) if d == 1 and rng.random() < 0.7 else (d if rng.random() < 0.5 else -1)
                    for d in s)
        if nd < 4 and rng.random() < 0.4:
            new = (int(rng.integers(1, 4)),) + new
        if not new:
            return False
        fn, name = (lambda M, x: x.expand(*new)), f"expand{list(new)}"
    elif k == 4:
        if rng.random() < 0.5 or nd == 0:
            fn, name = (lambda M, x: x.squeeze()), "squeeze"
        else:
            d = int(rng.integers(-nd, nd))
            fn, name = (lambda M, x: x.squeeze(d)), f"squeeze[{d}]"
    elif k == 5:
        if nd >= 4:
            return False
        d = int(rng.integers(-nd - 1, nd + 1))
        fn, name = (lambda M, x: x.unsqueeze(d)), f"unsqueeze[{d}]"
    elif k == 6:
        if nd == 0:
            return False
        dims = dims_subset(rng, nd)
        fn, name = (lambda M, x: x.flip(dims)), f"flip{dims}"
    elif k == 7:
        if math.prod(s) > 30:
            return False
        reps = tuple(int(r) for r in rng.integers(1, 3, size=nd + int(rng.integers(0, 2))))
        fn, name = (lambda M, x: x.repeat(*reps) if reps else x.repeat(())), f"repeat{reps}"
        if not reps:
            return False
    elif k == 8:
        if nd == 0:
            return False
        a, b = sorted(int(v) for v in rng.integers(0, nd, size=2))
        fn, name = (lambda M, x: x.flatten(a, b)), f"flatten[{a},{b}]"
    elif k == 9:
        if nd < 2:
            return False
        src, dst = (int(v) for v in rng.choice(nd, 2, replace=False))
        fn, name = (lambda M, x: M.movedim(x, src, dst)), f"movedim[{src},{dst}]"
    elif k == 10:
        if nd == 0:
            return False
        d = int(rng.integers(nd))
        st = int(rng.integers(0, s[d]))
        ln = int(rng.integers(1, s[d] - st + 1))
        fn, name = (lambda M, x: x.narrow(d, st, ln)), f"narrow[{d},{st},{ln}]"
    elif k == 11:
        if nd == 0:
            return False
        d = int(rng.integers(-nd, nd))
        size = int(rng.integers(1, s[d] + 1))
        if rng.random() < 0.5:
            p.add(lambda M, x: list(x.split(size, d)), (i,), f"split[{size},{d}]")
        else:
            p.add(lambda M, x: list(x.unbind(d)), (i,), f"unbind[{d}]")
        return True
    elif k == 12:
        if nd == 0:
            return False
        d = int(rng.integers(-nd, nd))
        c = int(rng.integers(1, 4))
        p.add(lambda M, x: list(x.chunk(c, d)), (i,), f"chunk[{c},{d}]")
        return True
    else:
        if nd != 2:
            return False
        fn, name = ((lambda M, x: x.t()), "t") if rng.random() < 0.5 else ((lambda M, x: x.mT), "mT")
    p.add(fn, (i,), name)
    return True


def _factor(rng, n: int) -> tuple[int, ...]:
    """A random shape with ``n`` elements (at most 4 dims)."""
    dims = []
    while n > 1 and len(dims) < 3:
        divs = [d for d in range(2, n + 1) if n % d == 0]
        d = int(rng.choice(divs))
        dims.append(d)
        n //= d
    if n > 1:
        dims.append(n)
    while len(dims) < 4 and rng.random() < 0.3:
        dims.insert(int(rng.integers(len(dims) + 1)), 1)
    return tuple(dims)


def g_join(p: Program) -> bool:
    rng = p.rng
    a = p.pick(lambda s: len(s) >= 1)
    if a is None:
        return False
    s = p.shape(a)
    nd = len(s)
    d = int(rng.integers(-nd, nd))
    n = int(rng.integers(1, 3))
    ids = [a]
    if rng.random() < 0.5:  # stack: equal shapes
        for _ in range(n):
            b = p.pick(lambda t: t == s)
            ids.append(b if b is not None and rng.random() < 0.5 else p.leaf(s, rng.random() < 0.8))
        d = int(rng.integers(-nd - 1, nd + 1))
        p.add(lambda M, *xs: M.stack(list(xs), dim=d), tuple(ids), f"stack[{d}]")
        return True
    for _ in range(n):
        t = list(s)
        t[d] = int(rng.integers(1, 4))
        t = tuple(t)
        b = p.pick(lambda u: len(u) == nd and all(x == y for j, (x, y) in enumerate(zip(u, s)) if j != d % nd))
        ids.append(b if b is not None and rng.random() < 0.6 else p.leaf(t, rng.random() < 0.8))
    rng.shuffle(ids)
    p.add(lambda M, *xs: M.cat(list(xs), d), tuple(ids), f"cat[{d}]")
    return True


def g_index(p: Program) -> bool:
    rng = p.rng
    i = p.pick(lambda s: len(s) >= 1)
    if i is None:
        return False
    s = p.shape(i)
    nd = len(s)
    k = int(rng.integers(9))
    if k == 0:  # basic: slices with steps, ints, None, Ellipsis
        key = []
        for d in range(int(rng.integers(1, nd + 1))):
            r = rng.random()
            if r < 0.25:
                key.append(int(rng.integers(-s[d], s[d])))
            elif r < 0.35:
                key.append(None)
                key.append(slice(None))
            else:
                st = int(rng.integers(0, s[d]))
                key.append(slice(st, int(rng.integers(st + 1, s[d] + 1)), int(rng.integers(1, 3))))
        if rng.random() < 0.2:
            key.insert(int(rng.integers(len(key) + 1)), Ellipsis)
            if sum(1 for x in key if x is not None and x is not Ellipsis) > nd:
                key = [x for x in key if x is not Ellipsis]
        key = tuple(key)
        fn, name = (lambda M, x: x[key]), f"index{key}"
    elif k == 1:  # integer array along dim 0, with repeats
        idx = rng.integers(-s[0], s[0], size=int(rng.integers(1, 6)))
        fn, name = (lambda M, x: x[T(M, idx)]), f"index[{idx.tolist()}]"
    elif k == 2:  # two integer arrays (broadcast), maybe a slice between
        if nd < 2:
            return False
        i0 = rng.integers(0, s[0], size=(2, 1))
        i1 = rng.integers(0, s[1], size=(3,))
        fn, name = (lambda M, x: x[T(M, i0), T(M, i1)]), f"index[{i0.tolist()},{i1.tolist()}]"
    elif k == 3:  # integer array in a middle dim
        if nd < 2:
            return False
        idx = rng.integers(0, s[1], size=int(rng.integers(1, 5)))
        fn, name = (lambda M, x: x[:, T(M, idx)]), f"index[:,{idx.tolist()}]"
    elif k == 4:  # boolean mask over the leading dims
        m = int(rng.integers(1, nd + 1))
        mask = rng.random(s[:m]) < 0.6
        fn, name = (lambda M, x: x[T(M, mask)]), f"mask{list(mask.shape)}"
    elif k == 5:
        d = int(rng.integers(-nd, nd))
        idx = rng.integers(0, s[d], size=int(rng.integers(1, 5)))
        fn, name = (lambda M, x: x.index_select(d, T(M, idx))), f"index_select[{d},{idx.tolist()}]"
    elif k == 6:
        d = int(rng.integers(-nd, nd))
        shp = tuple(int(rng.integers(1, v + 1)) for v in s)
        shp = tuple(int(rng.integers(1, 4)) if j == d % nd else v for j, v in enumerate(shp))
        idx = rng.integers(0, s[d], size=shp)
        fn, name = (lambda M, x: M.gather(x, d, T(M, idx))), f"gather[{d},{list(shp)}]"
    elif k == 7:
        mask = rng.random(s) < 0.4
        v = round(float(rng.normal()), 2)
        fn, name = (lambda M, x: x.masked_fill(T(M, mask), v)), "masked_fill"
    else:
        mask = rng.random(s[int(rng.integers(0, nd)):]) < 0.5
        fn, name = (lambda M, x: M.masked_select(x, T(M, mask))), "masked_select"
    p.add(fn, (i,), name)
    return True


def g_loss(p: Program) -> bool:
    rng = p.rng
    k = int(rng.integers(6))
    if k in (0, 1, 2):  # cross_entropy on (N, C) logits
        i = p.pick(lambda s: len(s) == 2)
        if i is None:
            i = p.leaf((int(rng.integers(1, 5)), int(rng.integers(2, 5))))
        n, c = p.shape(i)
        tgt = rng.integers(0, c, size=n)
        red = str(rng.choice(["mean", "sum", "none"]))
        kw: dict = {"reduction": red}
        if k == 1:
            if rng.random() < 0.5:
                kw["label_smoothing"] = 0.1
            if rng.random() < 0.5:
                w = rng.random(c) + 0.5
                kw["weight"] = w
            if rng.random() < 0.5 and n > 1:
                tgt[0] = -100
        if k == 2:
            probs = rng.random((n, c))
            probs /= probs.sum(1, keepdims=True)
            tgt = probs

        def fn(M, x, tgt=tgt, kw=kw):
            kw2 = dict(kw)
            if "weight" in kw2:
                kw2["weight"] = T(M, kw2["weight"])
            return M.nn.functional.cross_entropy(x, T(M, tgt), **kw2)

        p.add(fn, (i,), f"cross_entropy[{kw}, target={tgt.tolist()}]")
    elif k == 3:  # nll_loss on log_softmax of (N, C) or (N, C, d)
        i = p.pick(lambda s: len(s) in (2, 3))
        if i is None:
            i = p.leaf((3, 4))
        s = p.shape(i)
        tgt = rng.integers(0, s[1], size=(s[0],) + s[2:])
        red = str(rng.choice(["mean", "sum", "none"]))
        fn = lambda M, x: M.nn.functional.nll_loss(M.log_softmax(x, 1), T(M, tgt), reduction=red)  # noqa: E731
        p.add(fn, (i,), f"nll_loss[{red}]")
    else:  # mse
        i = p.pick()
        s = p.shape(i)
        j = p.pick(lambda t: t == s)
        if j is None or j == i:
            j = p.leaf(s, rng.random() < 0.7)
        red = str(rng.choice(["mean", "sum", "none"]))
        p.add(lambda M, x, y: M.nn.functional.mse_loss(x, y, reduction=red), (i, j), f"mse_loss[{red}]")
    return True


def g_inplace(p: Program) -> bool:
    """In-place ops on a fresh clone (torch allows those; the clone is part of the graph)."""
    rng = p.rng
    i = p.pick(lambda s: len(s) >= 1)
    if i is None:
        return False
    s = p.shape(i)
    k = int(rng.integers(10))
    if k >= 6:
        return g_inplace_view(p, i, k - 6)
    if k == 0:
        b = p.leaf(broadcast_partner(rng, s, grow=False), rng.random() < 0.8)

        def fn(M, x, y):
            z = x.clone()
            z.mul_(y)
            return z

        p.add(fn, (i, b), "clone.mul_")
    elif k == 1:
        b = p.leaf(broadcast_partner(rng, s, grow=False), rng.random() < 0.8)

        def fn(M, x, y):
            z = x * 1.0
            z += y
            return z

        p.add(fn, (i, b), "(x*1)+=")
    elif k == 2:  # z[idx] = y
        st = int(rng.integers(0, s[0]))
        b = p.leaf(s[1:], rng.random() < 0.8)

        def fn(M, x, y):
            z = x.clone()
            z[st] = y
            return z

        p.add(fn, (i, b), f"setitem[{st}]")
    elif k == 3:
        idx = rng.integers(0, s[0], size=2)
        if idx[0] == idx[1]:
            idx = idx[:1]
        b = p.leaf((len(idx),) + s[1:], rng.random() < 0.8)

        def fn(M, x, y):
            z = x.clone()
            z[T(M, idx)] = y
            return z

        p.add(fn, (i, b), f"setitem[{idx.tolist()}]")
    elif k == 4:
        mask = rng.random(s) < 0.5

        def fn(M, x):
            z = x.clone()
            z.masked_fill_(T(M, mask), 0.5)
            return z.tanh_()

        p.add(fn, (i,), "masked_fill_.tanh_")
    else:
        def fn(M, x):
            z = x.clone()
            z.mul_(2).sub_(1)
            return z.sigmoid_()

        p.add(fn, (i,), "mul_.sub_.sigmoid_")
    return True


def g_inplace_view(p: Program, i: int, k: int) -> bool:
    """In-place ops through views of a graph tensor, and views used after their base changed."""
    rng = p.rng
    s = p.shape(i)
    if k == 0:  # z[j].mul_(y): a view of the clone, modified in place
        j = int(rng.integers(0, s[0]))
        b = p.leaf(broadcast_partner(rng, s[1:], grow=False), rng.random() < 0.8)

        def fn(M, x, y):
            z = x.clone()
            z[j].mul_(y)
            return z

        p.add(fn, (i, b), f"z[{j}].mul_")
    elif k == 1:  # out[j][...] = y on a tensor that does not require grad (the learner's pattern)
        j = int(rng.integers(0, s[0]))

        def fn(M, x):
            z = M.zeros(s, dtype=M.float64)
            row = z[j]
            row[...] = x[j] * 2
            return z

        p.add(fn, (i,), f"zeros[{j}][...]=x[{j}]*2")
    elif k == 2:  # a view used after the base was modified in place
        j = int(rng.integers(0, s[0]))

        def fn(M, x):
            z = x * 1.0
            v = z[j:]
            z.mul_(3)
            w = z.t() if z.ndim == 2 else z.unsqueeze(0)
            w.add_(1)
            return [v * 1.0, z]

        p.add(fn, (i,), f"view[{j}:] then base.mul_, .t().add_")
    else:  # overlapping sibling views
        j = int(rng.integers(0, s[0]))

        def fn(M, x):
            z = x.clone()
            a, c = z[: j + 1], z[j:]
            c.sub_(0.5).mul_(c.detach() + 1)
            return [a * 1.0, c * 1.0, z]

        p.add(fn, (i,), f"siblings z[:{j + 1}], z[{j}:]")
    return True


GENERATORS = [(g_unary, 5), (g_binary, 5), (g_reduce, 3), (g_matmul, 2), (g_shape, 4), (g_join, 1.5),
              (g_index, 3), (g_loss, 1), (g_inplace, 1)]


def make_program(seed: int) -> Program:
    rng = np.random.default_rng(seed)
    p = Program(rng)
    for _ in range(int(rng.integers(1, 3))):
        p.leaf(rand_shape(rng, 0, 4))
    gens = [g for g, _ in GENERATORS]
    w = np.array([w for _, w in GENERATORS], dtype=float)
    steps = int(rng.integers(1, 9))
    tries = 0
    while len(p.steps) - len(p.leaves) < steps and tries < 40:
        tries += 1
        g = gens[int(rng.choice(len(gens), p=w / w.sum()))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g(p)
    return p


# -- running and comparing ---------------------------------------------------------------------------------
def _np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():  # torch's efficient zeros (from create_graph) crash .numpy()
            return np.zeros(tuple(t.shape))
        return t.detach().numpy()
    return np.asarray(t.detach().numpy())


def _loss(M, vals, weights):
    """A scalar combining every float value that is not a leaf, so all branches get gradients."""
    total = None
    for v, w in zip(vals, weights):
        if w is None:
            continue
        term = (v * T(M, w)).sum()
        total = term if total is None else total + term
    return total


def _close(a: np.ndarray, b: np.ndarray, torch_nan_ok: bool = False) -> bool:
    if a.shape != b.shape:
        return False
    if torch_nan_ok:  # a singular point (norm of 0): torch's second derivative is nan, chaingrad's finite
        a = np.where(np.isnan(b), b, a)
    scale = max(1.0, float(np.abs(b[np.isfinite(b)]).max()) if np.isfinite(b).any() else 1.0)
    return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL * scale, equal_nan=True))


def run_program(seed: int) -> None:
    p = make_program(seed)
    cg_vals = p.values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        th_vals = p.replay(torch)
    rng = np.random.default_rng(seed + 1)
    leaf_ids = set(p.leaves)
    weights = []
    for i, v in enumerate(cg_vals):
        ok = (i not in leaf_ids and v.dtype == chaingrad.float64 and v.requires_grad)
        weights.append(rng.standard_normal(tuple(v.shape)) if ok else None)

    def fail(msg):
        pytest.fail(f"fuzz program seed={seed}: {msg}\n{p.text()}", pytrace=False)

    for i, (a, b) in enumerate(zip(cg_vals, th_vals)):
        if tuple(a.shape) != tuple(b.shape):
            fail(f"v{i}: shape {list(a.shape)} vs torch {list(b.shape)}")
        if a.requires_grad != b.requires_grad:
            fail(f"v{i}: requires_grad {a.requires_grad} vs torch {b.requires_grad}")
        if not _close(_np(a), _np(b)):
            fail(f"v{i}: values differ\nchaingrad {_np(a)}\ntorch {_np(b)}")
    if all(w is None for w in weights):
        return
    cg_leaves = [cg_vals[i] for i in p.leaves]
    th_leaves = [th_vals[i] for i in p.leaves]
    lc = _loss(chaingrad, cg_vals, weights)
    lt = _loss(torch, th_vals, weights)
    gc = chaingrad.autograd.grad(lc, cg_leaves, create_graph=True, allow_unused=True)
    gt = torch.autograd.grad(lt, th_leaves, create_graph=True, allow_unused=True)
    for k, (a, b) in enumerate(zip(gc, gt)):
        na = np.zeros(p.shape(p.leaves[k])) if a is None else _np(a)
        nb = np.zeros(p.shape(p.leaves[k])) if b is None else _np(b)
        if not _close(na, nb):
            fail(f"gradient of leaf v{p.leaves[k]} differs\nchaingrad {na}\ntorch {nb}")
    # second derivatives: d/dleaf of sum(grad * u)
    us = [rng.standard_normal(p.shape(i)) for i in p.leaves]
    sc = [(g * T(chaingrad, u)).sum() for g, u in zip(gc, us) if g is not None and g.requires_grad]
    st = [(g * T(torch, u)).sum() for g, u in zip(gt, us) if g is not None and g.requires_grad]
    h_c = chaingrad.autograd.grad(sum(sc[1:], sc[0]), cg_leaves, allow_unused=True) if sc else [None] * len(us)
    h_t = torch.autograd.grad(sum(st[1:], st[0]), th_leaves, allow_unused=True) if st else [None] * len(us)
    for k, (a, b) in enumerate(zip(h_c, h_t)):
        na = np.zeros(p.shape(p.leaves[k])) if a is None else _np(a)
        nb = np.zeros(p.shape(p.leaves[k])) if b is None else _np(b)
        if not _close(na, nb, torch_nan_ok=True):
            fail(f"second derivative (create_graph) of leaf v{p.leaves[k]} differs\nchaingrad {na}\ntorch {nb}")
    # the same first-order gradients through .backward() accumulating into .grad
    vals2 = p.replay(chaingrad)
    _loss(chaingrad, vals2, weights).backward()
    for k, i in enumerate(p.leaves):
        g = vals2[i].grad
        na = np.zeros(p.shape(i)) if g is None else _np(g)
        nb = np.zeros(p.shape(i)) if gt[k] is None else _np(gt[k])
        if not _close(na, nb):
            fail(f".grad of leaf v{i} after backward() differs\nchaingrad {na}\ntorch {nb}")


@pytest.mark.parametrize("chunk", range(math.ceil(PROGRAMS / CHUNK)))
def test_random_programs_match_torch(chunk: int) -> None:
    """Every program's outputs, leaf gradients and second derivatives equal PyTorch's (float64)."""
    for k in range(chunk * CHUNK, min(PROGRAMS, (chunk + 1) * CHUNK)):
        run_program(BASE_SEED + 7919 * k)
