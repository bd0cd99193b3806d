"""Guards: the conditions under which a trace may be replayed, written as one generated Python function.

``build(fn, args, kwargs)`` looks at everything a trace of ``fn`` depends on, as it is before the call,
and writes a function ``check(args, kwargs)`` that returns the call's tensor arguments when all of it is
still the same (else None):

- grad mode and anomaly mode;
- the arguments: their structure; for a tensor its shape, dtype, requires_grad, and whether it has a
  ``.grad`` and a ``grad_fn``; a Python number, string or None by value; any other object by identity;
- every object the function reaches by name (globals, closure cells, default arguments) by identity, or by
  value for numbers and strings, and the numbers held in a list or dict it reaches;
- for a module: every submodule's parameters, buffers and children (identity), training flag and plain
  attributes (a dropout's p, a momentum), and that it has no forward hooks; for every tensor reached, as for
  a tensor argument;
- an optimizer's parameters, group by group by identity (the replay knows which .grad its zero_grad() clears),
  each as a tensor reached; the numbers the function reads from its param_groups;
- for any other object reached (a config, argparse's Namespace), the Python numbers in its ``__dict__``.

Checking is a few attribute reads per condition: a replay of the seed's step spends a few microseconds here.
"""

from __future__ import annotations

import inspect
import types

import numpy as np

from ..autograd.grad_mode import state
from ..tensor import Tensor

_PLAIN = (bool, int, float, str, type(None))



def is_scheduler(v) -> bool:
    """Whether ``v`` looks like an LR scheduler (its ``optimizer`` and ``last_epoch``). Asking any object for
    attributes can fail in other ways than AttributeError (ctypes' library loaders open a library by the name
    asked for): such an object is not one."""
    try:
        return hasattr(v, "optimizer") and hasattr(v, "last_epoch")
    except Exception:  # noqa: BLE001 - see above
        return False

class _Writer:
    def __init__(self) -> None:
        self.conds: list[str] = []
        self.ns: dict = {"state": state, "Tensor": Tensor, "type": type, "len": len}
        self._n = 0
        self._seen: set = set()
        self.tensors: list[tuple[str, tuple]] = []  # (the check's code for a tensor argument, its path in the args)
        self.groups: list[tuple[object, int, dict]] = []  # _param_groups: (optimizer, group index, numbers)

    def const(self, value, hint: str = "k") -> str:
        self._n += 1
        name = f"_{hint}{self._n}"
        self.ns[name] = value
        return name

    def equals(self, code: str, v) -> str:
        """The condition that ``code`` equals the plain value ``v``: a NaN is still NaN, an infinity is named (its
        repr is no Python)."""
        if type(v) is float and v != v:
            return f"({code}) != ({code})"
        if type(v) is float and v in (float("inf"), float("-inf")):
            return f"{code} == {self.const(v, 'c')}"
        return f"{code} == {v!r}"

    def value(self, code: str, v, depth: int = 0) -> None:
        """Conditions that ``code`` (evaluated at call time) still is what ``v`` is now."""
        if isinstance(v, Tensor):
            self.tensor(code, v, identity=True)
        elif type(v) in _PLAIN:
            self.conds.append(f"type({code}) is {self.const(type(v), 't')} and {self.equals(code, v)}"
                              if v is not None else f"{code} is None")
        else:
            self.conds.append(f"{code} is {self.const(v, 'o')}")
            self.reached(code, v, depth)

    def tensor(self, code: str, t: Tensor, identity: bool) -> None:
        a = t._data
        if identity:
            name = self.const(t, 'T')
            self.conds.append(f"{code} is {name}")
            code = name  # Speed: once it is the same tensor, the conditions below read it by name (one load)
        else:
            self.conds.append(f"isinstance({code}, Tensor)")
        # Speed: the same array (the replay writes into it in place) has the same shape and dtype
        self.conds.append(f"{code}._data is {self.const(a, 'A')} or ({code}._data.shape == {a.shape!r} and "
                          f"{code}._data.dtype == {self.const(a.dtype, 'd')})")
        is_ = {True: "is", False: "is not"}
        self.conds.append(f"{code}.requires_grad is {t.requires_grad} and {code}._grad {is_[t._grad is None]} None "
                          f"and {code}._grad_fn {is_[t._grad_fn is None]} None")

    def reached(self, code: str, v, depth: int) -> None:
        from ..nn.module import Module
        from ..optim.optimizer import Optimizer

        if id(v) in self._seen:
            return
        self._seen.add(id(v))
        if isinstance(v, Module):
            for m in v.modules():
                self.module(self.const(m, "m"), m)
        elif isinstance(v, Optimizer):  # the same parameters, group by group (the replay updates those)
            self.conds.append(f"len({code}.param_groups) == {len(v.param_groups)}")
            for i, group in enumerate(v.param_groups):
                params = f"{code}.param_groups[{i}]['params']"
                self.conds.append(f"len({params}) == {len(group['params'])}")
                for j, p in enumerate(group["params"]):
                    self.tensor(f"{params}[{j}]", p, identity=True)
        elif isinstance(v, (list, tuple, dict)) and depth < 2 and len(v) <= 256:
            items = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
            self.conds.append(f"len({code}) == {len(items)}")
            for k, x in items:
                self.value(f"{code}[{k!r}]", x, depth + 1)
        elif is_scheduler(v):  # an LR scheduler: its optimizer
            self.conds.append(f"{code}.optimizer is {self.const(v.optimizer, 'o')}")
            self.reached(f"{code}.optimizer", v.optimizer, depth + 1)
        elif isinstance(getattr(v, "__dict__", None), dict) and not isinstance(v, (type, types.FunctionType,
                                                                                   types.MethodType)):
            d = vars(v)  # any other object (a config, argparse's Namespace): the numbers it holds
            dn = self.const(d, "D")
            for k, x in d.items():
                if type(x) in _PLAIN and not k.startswith("__"):  # (not a module's __doc__, __file__ ...)
                    self.conds.append(self.equals(f"{dn}.get({k!r})", x))

    def module(self, name: str, m) -> None:
        d = m.__dict__
        dn = self.const(d, "D")
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store) or {}
            self.conds.append(f"len({dn}[{store!r}]) == {len(s)}")
            for k, x in s.items():
                self.conds.append(f"{dn}[{store!r}].get({k!r}) is {self.const(x, 'o')}")
                if isinstance(x, Tensor):
                    self.tensor(f"{dn}[{store!r}][{k!r}]", x, identity=False)
        for k, x in d.items():
            if type(x) in _PLAIN and not k.startswith("__"):
                self.conds.append(self.equals(f"{dn}.get({k!r})", x))
        self.conds.append(f"not {dn}.get('_forward_hooks') and not {dn}.get('_forward_pre_hooks')"
                          if not (d.get("_forward_hooks") or d.get("_forward_pre_hooks")) else "False")


def roots(fn) -> list:
    """``(name, code, value)`` for the objects ``fn`` reaches by name; the code reads the value at call time."""
    from ..nn.module import Module

    out: list[tuple[str, str, object]] = []
    if isinstance(fn, Module):
        out.append(("self", "SELF", fn))
        fn = type(fn).forward
    elif isinstance(fn, types.MethodType):
        out.append(("self", "SELF", fn.__self__))
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is None:
        return out
    g = fn.__globals__
    for name in dict.fromkeys(_code_names(code)):
        if name in g and not isinstance(g[name], types.ModuleType):  # (a function too: by identity)
            out.append((name, f"G[{name!r}]", g[name]))
    try:
        for name, p in inspect.signature(fn).parameters.items():
            if p.default is not inspect.Parameter.empty:
                out.append((name, f"DEFAULTS[{name!r}]", p.default))  # (a default argument not given in the call)
    except (TypeError, ValueError):
        pass
    for i, (name, cell) in enumerate(zip(code.co_freevars, fn.__closure__ or ())):
        try:
            out.append((name, f"CELLS[{i}].cell_contents", cell.cell_contents))
        except ValueError:  # an empty cell
            pass
    return out


def _code_names(code) -> list:
    names = list(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.extend(_code_names(c))
    return names


def build(fn, args: tuple, kwargs: dict):
    """The guards of a call, written before it runs; ``finish`` makes them a function ``check(args, kwargs)``
    that gives the call's tensor arguments (in the replay's order), or None when a guard fails."""
    w = _Writer()
    w.conds.append(f"state.enabled is {state.enabled} and state.anomaly is {state.anomaly}")
    tensors: list[tuple[str, tuple]] = []
    seen_args: dict = {}

    def arg(code: str, v, path: tuple) -> None:
        if type(v) in (tuple, list):
            w.conds.append(f"type({code}) is {type(v).__name__} and len({code}) == {len(v)}")
            for i, x in enumerate(v):
                arg(f"{code}[{i}]", x, path + (i,))
        elif type(v) is dict:
            w.conds.append(f"type({code}) is dict and list({code}) == {list(v)!r}")
            for k, x in v.items():
                arg(f"{code}[{k!r}]", x, path + (k,))
        elif isinstance(v, Tensor):
            for other, _ in tensors:
                if seen_args[other] is v:  # the same tensor twice: the replay takes it once
                    w.conds.append(f"{code} is {other}")
                    return
            w.tensor(code, v, identity=False)
            tensors.append((code, path))
            seen_args[code] = v
        else:
            w.value(code, v)

    w.conds.append(f"len(args) == {len(args)} and " + (f"list(kwargs) == {list(kwargs)!r}" if kwargs else "not kwargs"))
    for i, x in enumerate(args):  # (args is the call's own tuple)
        arg(f"args[{i}]", x, ("args", i))
    for k, x in kwargs.items():
        arg(f"kwargs[{k!r}]", x, ("kwargs", k))
    target = fn
    from ..nn.module import Module

    plain = type(fn).forward if isinstance(fn, Module) else getattr(fn, "__func__", fn)
    w.ns["G"] = getattr(plain, "__globals__", {})
    w.ns["CELLS"] = getattr(plain, "__closure__", None) or ()
    try:
        w.ns["DEFAULTS"] = {n: p.default for n, p in inspect.signature(plain).parameters.items()
                            if p.default is not inspect.Parameter.empty}
    except (TypeError, ValueError):
        w.ns["DEFAULTS"] = {}
    w.ns["SELF"] = fn if isinstance(fn, Module) else getattr(target, "__self__", None)
    for _, code, value in roots(fn):
        if code.startswith("G["):
            name = code[3:-2]
            w.conds.append(f"{name!r} in G")
        w.value(code, value)
    w.tensors = tensors
    w.groups = _param_groups(fn)
    return w


def _param_groups(fn) -> list:
    """``(optimizer, group index, a copy of the group's numbers)`` for the optimizers the function reaches, as
    they are before the call: the numbers the function itself reads from them are guarded (``finish``)."""
    from ..optim.optimizer import Optimizer

    out = []
    for _, _, value in roots(fn):
        for opt in (value, value.optimizer if is_scheduler(value) else None):
            if isinstance(opt, Optimizer):
                for i, g in enumerate(opt.param_groups):
                    out.append((opt, i, {k: v for k, v in g.items() if type(v) in _PLAIN or type(v) is tuple}))
    return out


def finish(w: _Writer, group_reads: set, layouts: list | None = None):
    """The check function of ``build``'s conditions, plus: each number the traced function read from an
    optimizer's param_groups (``group_reads``: (id(optimizer), group index, key)) is still what it was; each
    array whose layout chose a product in the generated backward (``layouts``: (tensor, ".T" or "", whether it
    was transposed), see inline.py) still has that layout."""
    if layouts:
        from ..ops.linalg import transposed

        w.ns["transposed"] = transposed
    seen = set()
    for t, suffix, flag in layouts or ():
        if (id(t), suffix) not in seen:
            seen.add((id(t), suffix))
            w.conds.append(f"transposed({w.const(t, 'T')}._data{suffix}) is {flag}")
    for opt, i, numbers in w.groups:
        for key, v in numbers.items():
            if (id(opt), i, key) in group_reads:
                w.conds.append(w.equals(f"{w.const(opt, 'o')}.param_groups[{i}].get({key!r})", v))
    body = "\n        and ".join(f"({c})" for c in w.conds) or "True"
    ret = "(" + ", ".join(c for c, _ in w.tensors) + ("," if len(w.tensors) == 1 else "") + ")"
    source = f"def check(args, kwargs):\n    if ({body}):\n        return {ret}\n    return None\n"
    exec(compile(source, "<chaingrad.compile guards>", "exec"), w.ns)
    check = w.ns["check"]
    check.source = source
    return check


_ = np
