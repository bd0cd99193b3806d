"""``chaingrad.compile(fn, backend="numba")``: the replay's array arithmetic fused into numba-compiled functions.

From the same trace the default backend writes NumPy code from (after the same passes of optimize.py), this
writes a module with one ``@njit`` function per run of array lines (forward, backward, in-place updates: usually
one for the whole step) and a Python ``replay`` around it that does what only Python can: read the tensors'
arrays, call what the trace replays as calls (an optimizer's step, dropout's noise), set ``.grad`` and the
version counters, wrap the results. A line that touches a Python object ends a run, except the ones that can
wait for its end (setting a ``.grad`` or a version counter) and the reads of a tensor's array, which move
before it.

The kernels are compiled when the trace is made, for the types of the arrays it saw (about a second each). A
trace with an op or a line that numba_lines.py cannot translate, or that numba cannot compile, raises
``Untranslatable``: ``chaingrad.compile`` then replays the default NumPy code, with a warning (an error with
``fullgraph=True``). docs/compile.md says where the fused results can differ from eager's in their last bits.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings

import numpy as np

from ..autograd.node import Node
from ..explain.trace import name_formula
from .codegen import RUNTIME, choose_names, object_code
from .numba_lines import Lines, Untranslatable
from .tracer import Line, Trace

__all__ = ["Fused", "Untranslatable", "compile_kernels", "generate", "load_numba"]

#: the functions of numba_kernels.py the kernels may call
HELPERS = ("log_softmax", "log_softmax_backward", "nll_loss", "nll_loss_backward", "row_sums", "spread", "total")
_TOKEN = re.compile(r"@(\d+)@")
_WORD = re.compile(r"\b[A-Za-z_]\w*\b")
_OBJECT = re.compile(r"\$(\w+)\$")
_CTX = re.compile(r"^c\d+ = ctx\(")
_READ = re.compile(r"^@(\d+)@ = \$(\w+)\$(\._grad)?\._data$")
_ACCUMULATE = re.compile(r"^accumulate\(\$(\w+)\$, @(\d+)@, (True|False)\)$")
_SET_GRAD = re.compile(r"^\$(\w+)\$\._grad = wrap\((.*)\)$")
_NO_GRAD = re.compile(r"^\$(\w+)\$\.grad = None$")
_VERSION = re.compile(r"^\$(\w+)\$\._version\[0\] \+= \d+$")
_OP_CALL = re.compile(r"(\$?\w+\$?)\.(forward|backward)\((c\d+|UNRECORDED)\b|= grads_of_tensors\(c\d+, ")
_WRITES = re.compile(r"(?:^|; )@(\d+)@ [-+*/]= |\bout=@(\d+)@|(?:^|; )@(\d+)@\[")  # (arrays a line changes in place)
_NJIT = '@njit(cache=False, error_model="numpy")'
_SECTIONS = {"const": "constants (they depend on no input)", "forward": "forward",
             "backward": "backward: the chain rule, node by node, newest first", "update": "updates"}


def load_numba():
    """numba, or an ImportError saying how to install it."""
    try:
        import numba
    except ImportError as e:
        raise ImportError("chaingrad.compile(backend='numba') needs numba, an optional dependency: pip install "
                          f"'chaingrad[numba]' (or pip install numba). Importing it failed: {e}") from e
    return numba


class Fused:
    """What ``generate`` gives: the module's source and, per kernel, its own source (with its imports), example
    arguments to compile it for, and the dtype and rank of each result (checked against what numba compiles)."""

    def __init__(self, source: str, kernels: dict, samples: dict, results: dict) -> None:
        self.source, self.kernels, self.samples, self.results = source, kernels, samples, results


class _Run:
    """A run of array lines fused into one kernel: the reads of tensors' arrays before it, its lines, and the
    Python lines that wait for its end."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.lines: list[Line] = []
        self.after: list[str] = []
        self.waiting: dict[str, set] = {}  # tensor name -> the arrays its waiting lines read
        # filled in by the translation:
        self.name = ""
        self.body: list = []               # (Line, [(number defined or None, numba statement)])
        self.inputs: list[int] = []
        self.outputs: list[int] = []


def _kind(text: str) -> str:
    """What a line of the trace is to the fused code: an array line ("array"), an op's ctx (nothing to do), a
    read of a tensor's array ("read"), a line that may wait for the end of a run ("after"), or Python."""
    if _CTX.match(text):
        return "ctx"
    if _READ.match(text):
        return "read"
    if _ACCUMULATE.match(text) or _SET_GRAD.match(text) or _NO_GRAD.match(text) or _VERSION.match(text):
        return "after"
    if _OP_CALL.search(text):
        return "array"  # (an op's own forward or backward: translated, or the op is named as untranslatable)
    if "$" in text:
        return "python"
    try:
        tree = ast.parse(_TOKEN.sub(r"_a\1", text))
    except SyntaxError:
        return "python"
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return "array" if all(re.fullmatch(r"_a\d+|np|spread", n) for n in names) else "python"


def _written(text: str) -> set[int]:
    return {int(n) for m in _WRITES.finditer(text) for n in m.groups() if n is not None}


def _tokens(text: str) -> set[int]:
    return {int(n) for n in _TOKEN.findall(text)}


def _split(lines: list[Line], names: dict, taken: set, top: int) -> list:
    """The lines in the order they run: ("py", text) and ("run", _Run). A run ends at a Python line, at a read of
    a ``.grad`` that one of its waiting lines sets, and at an update of an array that one of them reads."""
    items: list = []
    cur = _Run()

    def close() -> None:
        nonlocal cur
        if cur.lines:
            items.append(("run", cur))
        else:
            items.extend(("py", t) for t in cur.reads + cur.after)
        cur = _Run()

    for line in lines:
        text, kind = line.text, _kind(line.text)
        if kind == "ctx":
            continue
        if kind == "python":
            close()
            items.append(("py", text))
        elif kind == "read":
            m = _READ.match(text)
            if m is not None and m.group(3) and m.group(2) in cur.waiting:
                close()
            cur.reads.append(text)
        elif kind == "after":
            if not cur.lines:  # (nothing to wait for)
                close()
                items.append(("py", text))
                continue
            name = _OBJECT.findall(text)[0]  # (the tensor whose .grad or version it sets)
            m = _SET_GRAD.match(text)
            if m is not None and "$" not in m.group(2) and not re.fullmatch(r"@\d+@(\.copy\(\))?", m.group(2)):
                top += 1  # a sum of gradients: computed in the kernel, wrapped as .grad after it
                base, k = f"{name}_grad", 1
                names[top] = base
                while names[top] in taken:
                    k += 1
                    names[top] = f"{base}_{k}"
                taken.add(names[top])
                cur.lines.append(Line("backward", f"@{top}@ = {m.group(2)}", f"{name}.grad", (top,)))
                text = f"${name}$._grad = wrap(@{top}@)"
            cur.after.append(text)
            cur.waiting.setdefault(name, set()).update(_tokens(text))
        else:
            if any(n in s for n in _written(text) for s in cur.waiting.values()):
                close()
            cur.lines.append(line)
    close()
    return items


def _used(body: list, by_name: dict) -> set[int]:
    return {by_name[w] for _, stmts in body for _, code in stmts for w in _WORD.findall(code) if w in by_name}


def generate(trace: Trace, title: str, arrays: dict) -> Fused:
    """The fused module for ``trace`` (``arrays``: the tracer's array number -> what it held when traced)."""
    if trace.backward is not None:
        raise Untranslatable("it returns tensors that require grad without calling backward (a compiled forward, "
                             "whose backward runs later from loss.backward()), which the numba backend does not "
                             "fuse")
    objects = {name: object_code(name, o) for name, o in trace.objects.items()}
    reserved = (set(objects.values()) | set(trace.imports) | set(RUNTIME) | set(HELPERS)
                | {"fused"} | {f"fused_{k}" for k in range(1, 100)} | {"np", "njit", "replay", "UNRECORDED"})
    names = choose_names(trace, reserved)
    lines = [line for line in trace.lines if line.text]
    consts = [line for line in lines if line.section == "const"]

    def resolve(name: str, is_object: bool):
        """The op class a line calls by this name (bound as an object, or imported)."""
        if is_object:
            op = trace.objects.get(name)
        else:
            op = getattr(sys.modules.get(trace.imports.get(name, ""), None), name, None)
        return op if isinstance(op, type) and issubclass(op, Node) else None

    tr = Lines(names, arrays, resolve)
    reads = {int(m.group(1)) for line in lines if (m := _READ.match(line.text))}
    for line in lines:  # a 0-d tensor updated in place: the kernel gets a 1-element view of its array
        tr.boxed.update(n for n in _written(line.text) if n in reads and np.ndim(arrays[n]) == 0)
    top = max([0, *names, *arrays])
    items = _split([line for line in lines if line.section != "const"], names,
                   set(names.values()) | reserved, top)
    runs = [item for kind, item in items if kind == "run"]
    if not runs:
        raise Untranslatable("the step has no array arithmetic to fuse")
    by_name = {v: k for k, v in names.items()}

    # -- each run's statements, with the constants it reads (computed in it: numbers cost nothing to make) ------
    made_by = {}
    for line in consts:
        stmts = tr.translate(line.text)
        made_by.update({n: (line, stmts) for n, _ in stmts if n is not None})
    for i, run in enumerate(runs):
        run.name = "fused" if len(runs) == 1 else f"fused_{i + 1}"
        body = [(line, tr.translate(line.text)) for line in run.lines]
        todo, needed = list(_used(body, by_name)), []
        while todo:
            n = todo.pop()
            if n in made_by and made_by[n] not in needed:
                needed.append(made_by[n])
                todo.extend(_used([made_by[n]], by_name))
        needed.sort(key=lambda entry: consts.index(entry[0]))
        run.body = needed + body
    # -- what each run takes and returns: what it reads from before it, and what the lines after it read -------
    wanted = _tokens(trace.output)
    for kind, item in reversed(items):
        if kind == "py":
            wanted |= _tokens(item)
            continue
        for text in item.after:
            wanted |= _tokens(text)
        defined = {n for _, stmts in item.body for n, _ in stmts if n is not None}
        item.inputs = sorted(_used(item.body, by_name) - defined)
        item.outputs = sorted(defined & wanted)
        wanted = (wanted - defined) | set(item.inputs)
    return _render(trace, title, items, runs, tr, names, objects, arrays)


def _render(trace: Trace, title: str, items: list, runs: list, tr: Lines, names: dict, objects: dict,
            arrays: dict) -> Fused:
    def sub(text: str) -> str:
        return re.sub(r"@(\d+)@|\$(\w+)\$", lambda m: names[int(m.group(1))] if m.group(1) else objects[m.group(2)],
                      text)

    kernels: list[str] = []
    sources: dict[str, str] = {}
    samples: dict[str, list] = {}
    results: dict[str, list] = {}
    for run in runs:
        start = len(kernels) + 2
        kernels += ["", "", _NJIT, f"def {run.name}({', '.join(names[n] for n in run.inputs)}):"]
        section = None
        for line, stmts in run.body:
            if line.section not in (section, "input"):
                section = line.section
                kernels.append(f"    # -- {_SECTIONS.get(section, section)}")
            comments = _comments(line, sub, len(stmts))
            for (_, code), comment in zip(stmts, comments):
                text = "    " + code
                if comment and line.section == "forward":
                    text = f"{text}  # {comment}"
                elif comment:
                    text = text + " " * max(2, 60 - len(text)) + "# " + comment
                kernels.append(text)
        if run.outputs:
            kernels.append(f"    return {', '.join(tr.vals[n].code for n in run.outputs)}")
        sources[run.name] = "\n".join(kernels[start:])
        samples[run.name] = [_sample(arrays.get(n), n in tr.boxed, names[n]) for n in run.inputs]
        results[run.name] = [(names[n], tr.vals[n].dtype, len(tr.vals[n].shape)) for n in run.outputs]

    body: list[str] = []
    for kind, item in items:
        if kind == "py":
            body.append("    " + sub(item))
            continue
        body += ["    " + sub(t) for t in item.reads]
        call = f"{item.name}({', '.join(_argument(names[n], arrays.get(n), n in tr.boxed) for n in item.inputs)})"
        body.append(f"    {', '.join(names[n] for n in item.outputs)} = {call}" if item.outputs else f"    {call}")
        for n in item.outputs:
            if not tr.vals[n].shape:
                body.append(f"    {names[n]} = np.asarray({names[n]}, np.{tr.vals[n].dtype.name})"
                            "  # (numba returns a number)")
        body += ["    " + sub(t) for t in item.after]
    body.append(f"    return {sub(trace.output)}")

    python_text, kernel_text = "\n".join(body), "\n".join(kernels)
    out = [f'"""{title}: the replay chaingrad.compile(backend="numba") generated.', "",
           "The array arithmetic (forward, backward, updates) runs in the numba functions, the rest (reading the "
           "tensors,", 'setting .grad, the calls it replays) in replay()."""', "", "import numpy as np",
           "from numba import njit", ""]
    helpers = [h for h in HELPERS if re.search(rf"\b{h}\(", kernel_text)]
    kernel_imports = "import numpy as np\nfrom numba import njit\n"
    if helpers:
        out.append(f"from chaingrad.compiler.numba_kernels import {', '.join(helpers)}")
        kernel_imports += out[-1] + "\n"
    words = set(_WORD.findall(python_text))
    runtime = [name for name in RUNTIME if name in words]
    if runtime:
        out.append(f"from chaingrad.compiler.runtime import {', '.join(runtime)}")
    by_module: dict[str, list] = {}
    for name, module in sorted(trace.imports.items()):
        if name in words:
            by_module.setdefault(module, []).append(name)
    for module, imported in sorted(by_module.items()):
        out.append(f"from {module} import {', '.join(sorted(imported))}")
    provided = [f"{objects[n]} ({type(o).__name__})" for n, o in trace.objects.items()
                if n not in trace.args and objects[n] in words]
    if provided:
        out += ["", "# provided by the caller: " + ", ".join(provided)]
    out += ["", "", "# numba compiles these when the trace is made, for the arrays' types then. cache=False: no cache",
            '# file is written; error_model="numpy": a division by zero gives inf or nan, as in NumPy.']
    out += kernels[2:]
    out += ["", "", f"def replay({', '.join(objects[a] for a in trace.args)}):", python_text]
    return Fused("\n".join(out) + "\n", {k: kernel_imports + "\n\n" + v + "\n" for k, v in sources.items()}, samples,
                 results)


def _comments(line: Line, sub, count: int) -> list[str]:
    """The comment of each statement a line became: its formula (one per gradient where it gives several)."""
    comment = line.comment
    if line.letters and comment:
        comment = name_formula(comment, {key: sub(v) for key, v in line.letters.items()})
    comment = sub(comment) if comment else ""
    parts = comment.split("; ")
    return parts if count > 1 and len(parts) == count else [comment] + [""] * (count - 1)


def _sample(a, boxed: bool, name: str):
    """An example argument of the kernel's type for this value (a number for a 0-d one)."""
    if a is None or not hasattr(a, "dtype"):
        raise Untranslatable(f"the kernel's argument {name}, whose type the trace did not record")
    if boxed:
        return np.asarray(a).reshape(1)
    return np.asarray(a)[()] if np.ndim(a) == 0 else a


def _argument(name: str, a, boxed: bool) -> str:
    if boxed:
        return f"{name}.reshape(1)"  # (a view: the kernel updates the 0-d array through it)
    return f"{name}[()]" if np.ndim(a) == 0 else name


#: compiled kernels by (source, argument types): the variants of a step (traced again once its .grad exist, say)
#: often fuse the same code, which then is compiled once. Each was made from its own source alone, so it holds no
#: reference to the program's objects.
_COMPILED: dict = {}
CACHE_SIZE = 64


def compile_kernels(namespace: dict, fused: Fused) -> None:
    """Compile each kernel for its example arguments' types and put it in ``namespace``; ``Untranslatable`` if
    numba cannot, or if a result's dtype or rank is not eager's (a check on the translation)."""
    numba = load_numba()
    from numba.np.numpy_support import as_dtype

    for kname, sample in fused.samples.items():
        types = tuple(numba.typeof(s) for s in sample)
        key = (fused.kernels[kname], types)
        if key in _COMPILED:
            namespace[kname] = _COMPILED[key]
            continue
        scope: dict = {}
        exec(builtins_compile(fused.kernels[kname], f"<chaingrad.compile numba {kname}>", "exec"), scope)
        dispatcher = scope[kname]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", numba.NumbaPerformanceWarning)
                dispatcher.compile(types)
        except Exception as e:  # (numba's typing and lowering errors: the first line says what)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise Untranslatable(f"numba could not compile the fused code ({type(e).__name__}: {first})") from None
        expected = fused.results[kname]
        rt = dispatcher.nopython_signatures[-1].return_type
        got = list(rt.types) if len(expected) > 1 else [rt] * len(expected)
        for (name, dtype, ndim), t in zip(expected, got):
            have = (as_dtype(t.dtype), t.ndim) if isinstance(t, numba.types.Array) else (as_dtype(t), 0)
            if have != (np.dtype(dtype), ndim):
                raise Untranslatable(f"numba computes {name} as {have[0]} of rank {have[1]} where eager gives "
                                     f"{np.dtype(dtype)} of rank {ndim}")
        if len(_COMPILED) >= CACHE_SIZE:
            del _COMPILED[next(iter(_COMPILED))]
        _COMPILED[key] = namespace[kname] = dispatcher


builtins_compile = compile  # (the builtin; chaingrad.compile is another function)
