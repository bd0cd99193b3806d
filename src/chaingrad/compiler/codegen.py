"""From a trace to Python source: one line per operation, named after the program's variables.

The source is a module: its imports, a comment listing the objects the caller provides (the tensors and
optimizers the function reached, bound by name), and ``def replay(...)`` taking the function's tensor
arguments. ``.code`` is this text, and the replay is this text compiled: what a reader sees is what runs.
"""

from __future__ import annotations

import builtins
import re

from ..explain.trace import name_formula
from ..tensor import Tensor
from .tracer import Trace

_BUILTINS = set(dir(builtins))
_TOKEN = re.compile(r"@(\d+)@|\$([A-Za-z_][A-Za-z0-9_]*)\$")
_SECTIONS = {"input": "", "const": "constants",
             "forward": "forward", "backward": "backward: the chain rule, node by node, newest first",
             "update": "updates"}


def choose_names(trace: Trace, reserved: set) -> dict[int, str]:
    """A variable name for every array: the program's own where known, dL_d<name> for a gradient, else the
    op that made it (``mul_3``)."""
    taken = set(reserved)
    names: dict[int, str] = {}

    def take(n: int, base: str) -> None:
        if n in names:
            return
        base = base or "t"
        if base in _BUILTINS:
            base += "_"
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        names[n] = name

    all_lines = trace.lines + (trace.backward or [])
    for n, name in trace.names.items():
        take(n, name)
    for line in all_lines:
        for n in line.defines:
            if n in names:
                continue
            if n in trace.grad_names:
                continue
            if line.section in ("forward", "update") and line.comment.isidentifier():
                take(n, line.comment.lower())
    for n in trace.backward_args:
        src, suffix = trace.grad_names[n]
        take(n, "dL_d" + names.get(src, "out"))
    for line in all_lines:  # gradients, named after what they are the gradient of
        for n in line.defines:
            if n not in names and n in trace.grad_names:
                src, suffix = trace.grad_names[n]
                take(n, "dL_d" + names.get(src, "x") + suffix)
    for n, (src, suffix) in trace.derived.items():  # copies, named after what they copy
        if src in names:
            take(n, names[src] + suffix)
    for line in all_lines:
        for n in line.defines:
            take(n, "t")
    for line in all_lines:  # numbers that no line defines (sums of gradients)
        for m in _TOKEN.finditer(line.text):
            if m.group(1) is not None:
                take(int(m.group(1)), "t")
    return names


_LOCAL = re.compile(r"@\d+@|(?<!\$)\bc\d+\b(?!\$)")


#: arrays (and ctxs holding arrays) of at least this many bytes are freed after their last use
FREE_BYTES = 1 << 16


def _last_uses(lines: list, output: str, big: set) -> dict:
    """For each line, the big arrays and ctxs it is the last to use, freed after it, as eager's walk frees saved
    values and gradients once consumed (except what the function returns).

    Speed: holding every activation and gradient of an MLP step to the end of the replay made it 1.5x slower
    than eager (memory the allocator must fault in again); small ones are not worth a line."""
    last: dict = {}
    for k, line in enumerate(lines):
        for m in _LOCAL.finditer(line.text):
            if m.group(0) in big:
                last[m.group(0)] = k
    keep = set(_LOCAL.findall(output))
    frees: dict = {}
    for token, k in last.items():
        if token not in keep:
            frees.setdefault(k, []).append(token)
    return frees


def _block(lines: list, indent: str, sub, keep_text: str, big: set, sections: bool = True) -> list:
    """The lines of one function body, with section headers, formula comments and the frees."""
    frees = _last_uses(lines, keep_text, big)
    body, section = [], None
    for k, line in enumerate(lines):
        if sections and line.section != section and line.section != "input":
            section = line.section
            body.append(f"{indent}# -- {_SECTIONS[section]}")
        text = indent + sub(line.text)
        if line.letters and line.comment:
            letters = {key: sub(v) for key, v in line.letters.items()}
            line.comment = name_formula(line.comment, letters)
            line.letters = None
        if line.comment and not (line.section == "forward" and line.text.endswith(f"{line.comment}.forward")):
            comment = sub(line.comment)
            text = text + " " * max(2, 60 - len(text)) + "# " + comment if line.section != "forward" else \
                text + "  # " + comment
        body.append(text)
        if frees.get(k):
            body.append(f"{indent}del " + ", ".join(sub(t) for t in frees[k]) + "  # (freed as the walk frees them)")
    return body


def object_code(name: str, obj) -> str:
    return f"{name}_t" if isinstance(obj, Tensor) else name


#: the helpers of chaingrad.compiler.runtime the generated code may call (imported where it calls them)
RUNTIME = ("accumulate", "attach", "ctx", "grads", "grads_of_tensors", "output", "spread", "unbroadcast", "wrap")


def render(trace: Trace, title: str) -> str:
    """The module's source text."""
    objects = {name: object_code(name, o) for name, o in trace.objects.items()}
    reserved = set(objects.values()) | set(trace.imports) | set(RUNTIME) | {"np", "replay", "UNRECORDED", "outs",
                                                                             "backward"}
    names = choose_names(trace, reserved)

    def sub(text: str) -> str:
        return _TOKEN.sub(lambda m: names[int(m.group(1))] if m.group(1) is not None else objects[m.group(2)], text)

    out: list[str] = []
    provided = [f"{objects[n]} ({type(o).__name__})" for n, o in trace.objects.items() if n not in trace.args]
    out.append("")
    if provided:
        out.append("# provided by the caller: " + ", ".join(provided))
    params = ", ".join(objects[a] for a in trace.args)
    consts = [line for line in trace.lines if line.text and line.section == "const"]
    if consts:
        out.append("")
        out.append("# -- constants: the lines that depend on no input, computed once, when this code is loaded")
        out.extend(_block(consts, "", sub, "", set(), sections=False))
    out.append("")
    out.append(f"def replay({params}):")
    backward = [line for line in trace.backward or () if line.text]
    held = " ".join(line.text for line in backward) + " " + " ".join(f"@{n}@" for n in trace.grad_outputs)
    body = _block([line for line in trace.lines if line.text and line.section != "const"], "    ", sub,
                  trace.output + " " + held, trace.big)
    if trace.backward is not None:
        params = ", ".join(f"@{n}@" for n in trace.backward_args)
        body.append("    # -- backward, run by the outputs' grad_fn (the gradient of each delivery to a leaf)")
        body.append(sub(f"    def backward({params}):"))
        body.extend(_block(backward, "        ", sub, "", set(), sections=False))
        results = ", ".join(f"@{n}@" for _, n in trace.deliveries)
        body.append(sub(f"        return ({results}{',' if len(trace.deliveries) == 1 else ''})"))
        leaves = ", ".join(f"${trace.leaf_names[id(t)]}$" for t, _ in trace.deliveries)
        arrays = ", ".join(f"@{n}@" for n in trace.grad_outputs)
        body.append(sub(f"    outs = attach(backward, ({arrays},), ({leaves},))"))
    body.append(f"    return {sub(trace.output)}")
    out.extend(body)
    return "\n".join(_header(trace, title, "\n".join(out)) + out) + "\n"


def _header(trace: Trace, title: str, code: str) -> list[str]:
    """The docstring and the imports of what ``code`` uses."""
    used = set(re.findall(r"\b\w+\b", code))
    head = [f'"""{title}: the replay chaingrad.compile generated (forward, backward and updates)."""', "",
            "import numpy as np", ""]
    if "UNRECORDED" in used:
        head.append("from chaingrad.autograd.node import _UNRECORDED as UNRECORDED")
    helpers = [name for name in RUNTIME if name in used]
    if helpers:
        head.append(f"from chaingrad.compiler.runtime import {', '.join(helpers)}")
    by_module: dict[str, list] = {}
    for name, module in sorted(trace.imports.items()):
        by_module.setdefault(module, []).append(name)
    for module, items in sorted(by_module.items()):
        head.append(f"from {module} import {', '.join(sorted(items))}")
    return head
