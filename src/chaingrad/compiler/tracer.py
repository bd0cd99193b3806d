"""Tracing: run a function once, eagerly, and write down what a replay must do, line by line.

While ``Tracer.run`` calls the function, chaingrad works as usual, except that a few entry points also
write a line of the replay (``Line``) before they return:

- ``apply`` (every op's forward): ``out = Op.forward(ctx, a, b)``;
- the backward walk (``engine.run_backward``, watched through its observer): each node's backward, the
  un-broadcast sums, the sums of gradients that meet and the ``.grad`` of the leaves;
- in-place updates of tensors under ``no_grad`` (``w -= lr * w.grad``), ``Tensor.grad = ...``;
- calls replayed as they are (``opaque``): ``optimizer.step()``, ``zero_grad()``, a scheduler's ``step()``,
  gradient clipping, chaingrad's tensor factories (``randn`` draws from the generator as eager does), and the
  kernels marked in hooks.py (dropout's noise, BatchNorm's running statistics).

Arrays are followed by identity: an op's input is an array a line made, or the array of a tensor from
outside the function (an argument, or a tensor the function reaches: a parameter), read where it is used.
Anything else (a value read into Python, an array made by code that is not followed) is a graph break
(``GraphBreak``): tracing stops and the call finishes eagerly.
"""

from __future__ import annotations

import re
import sys
import types

import numpy as np

from ..autograd import engine
from ..autograd import node as node_mod
from ..autograd.grad_mode import state
from ..autograd.gradients import broadcast_axes
from ..ops.linalg import transposed
from ..tensor import Tensor
from . import hooks
from .breaks import CompileError, GraphBreak, user_line
from .inline import TABLE as INLINE

FREE_BYTES = 1 << 16  # (codegen.FREE_BYTES: arrays this big are freed after their last use)

_ndarray = np.ndarray

#: ops whose output's shape depends on the values of their input
VALUE_SHAPED = {"Nonzero", "MaskedSelect", "Unique", "Unique2", "UniqueConsecutive", "ArgWhere"}
#: functions (and Tensor methods) whose result's shape depends on the values
VALUE_SHAPED_FUNCTIONS = ("nonzero", "argwhere", "unique", "unique_consecutive", "masked_select")
#: Tensor methods that hand a tensor's value to Python
VALUE_METHODS = {"item": "Tensor.item()", "tolist": "Tensor.tolist()", "numpy": "Tensor.numpy()",
                 "__float__": "float() of a tensor", "__int__": "int() of a tensor",
                 "__bool__": "bool() of a tensor (an `if` on its value)", "__index__": "a tensor used as an index",
                 "__array__": "a tensor converted to a NumPy array", "__repr__": "printing a tensor",
                 "__str__": "printing a tensor", "__format__": "formatting a tensor's value",
                 "__complex__": "complex() of a tensor"}
#: inline ops whose line is plain arithmetic (optimize.py: a NumPy scalar operand gives the bits of a 0-d array)
SCALAR_OK = {"Add", "Sub", "Mul", "Div", "Neg", "Pow"}
SCALAR_OK_BACKWARD = SCALAR_OK | {"Exp", "Tanh"}  # (their backward is plain arithmetic on the output)
#: in-place methods with a one-line NumPy equivalent (the eager no_grad fast path, ops/inplace.py)
UFUNC_UPDATES = {"add_": ("+=", np.add), "sub_": ("-=", np.subtract), "mul_": ("*=", np.multiply),
                 "div_": ("/=", np.true_divide)}
#: Tensor methods ending in ``_`` that do not change the tensor's values
NOT_WRITING = {"requires_grad_", "share_memory_", "retain_grad_", "register_hook_"}


class Line:
    """One line of the replay: ``text`` with ``@n@`` for array n and ``$name$`` for an outside object."""

    __slots__ = ("section", "text", "comment", "defines", "letters", "scalar_ok")

    def __init__(self, section: str, text: str, comment: str = "", defines: tuple = (), letters=None) -> None:
        self.section, self.text, self.comment, self.defines = section, text, comment, defines
        self.letters = letters  # a formula's names -> codes, to write the program's names into the comment
        #: True when the line is plain + - * / (or a fill) on its arrays, for which a NumPy scalar operand gives
        #: the same bits as a 0-d array (see optimize.py)
        self.scalar_ok = False


class Trace:
    """What a trace hands to the code generator (see codegen.py)."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.objects: dict[str, object] = {}   # name in the generated code -> the object (a parameter, optimizer)
        self.args: list[str] = []               # the generated function's parameters (the tensor arguments)
        self.names: dict[int, str] = {}         # array number -> variable name (the program's, where known)
        self.output = ""                        # the expression the generated function returns
        self.grad_names: dict[int, tuple[int, str]] = {}  # gradient's array number -> (that of what it is
        #                                                   the gradient of, suffix): named dL_d<name><suffix>
        self.imports: dict[str, str] = {}       # name -> "module" (what the code imports)
        self.big: set[str] = set()              # the arrays and ctxs worth freeing after their last use
        self.backward: list | None = None       # a compiled backward's lines (a forward-only function)
        self.backward_args: list = []           # its parameters: the numbers of the outputs' gradients
        self.deliveries: list = []              # its results: (leaf, gradient's number), one per delivery
        self.grad_outputs: list = []            # the numbers of the outputs that get its node
        self.leaf_names: dict = {}              # id(leaf) -> its name
        self.derived: dict[int, tuple[int, str]] = {}  # array number -> (that of the array it is a copy of,
        #                                                 suffix): named <its name><suffix>
        self.layouts: list = []                 # (tensor, ".T" or "", transposed): guards on the layout of an
        #                                         outside tensor's array that an inline backward was chosen by


class Tracer:
    """One tracing session (see the module docstring)."""

    def __init__(self, label: str, fullgraph: bool) -> None:
        self.label, self.fullgraph = label, fullgraph
        self.trace = Trace()
        self.depth = 0          # > 0 inside an op, a walk or a call replayed as it is: nothing is written down
        self.broken: GraphBreak | None = None
        self._n = 0
        self._sym: dict[int, int] = {}          # id(array) -> its number
        self._keep: list = []                   # the objects the ids refer to (kept alive)
        self._arrays: dict[int, object] = {}    # array number -> the array (kept alive)
        self._obj_name: dict[int, str] = {}     # id(object) -> its name in the code
        self._bound: dict[int, object] = {}     # id(tensor) -> tensor, for tensors from outside
        self._named_arrays: dict[int, tuple] = {}  # id(array) -> (array, name): NumPy arrays reached by name
        self._bound_data: dict[int, Tensor] = {}  # id(t._data) -> t, for the tensors from outside
        self._grad_of: dict[int, Tensor] = {}   # id(p.grad) -> p, for the .grad of outside tensors
        self._ctx: dict = {}                    # node -> (its Line, its ctx name, op)
        self._pending: dict = {}                # node -> [array number per output], as the walk sums them
        self._leaf_lines: list = []             # (line, leaf, gradient array) of the walk's deliveries
        self._version_bumps: dict[str, int] = {}
        self._patches: list = []
        self.explained: set[int] = set()        # id of tensors whose changes a line accounts for
        self._made: set[str] = set()
        self._sink: list | None = None           # where lines go while probing a compiled backward
        self._leaf_slot: dict | None = None      # probing: id(leaf) -> position among the node's edges
        self._deliveries: list = []             # (line, gradient's number, not held by its node)
        self._walked = False
        self._def: dict[int, Line] = {}         # array number -> the line that defines it
        self._cn = 0                            # ctxs named so far (c1, c2, ...)

    # -- numbering arrays and naming objects ------------------------------------------------------------------
    def new(self, a) -> int:
        self._n += 1
        self._sym[id(a)] = self._n
        self._arrays[self._n] = a
        if getattr(a, "nbytes", 0) >= FREE_BYTES:
            self.trace.big.add(f"@{self._n}@")
        return self._n

    def known(self, a) -> int | None:
        return self._sym.get(id(a))

    def obj(self, o, hint: str) -> str:
        """The name by which the generated code refers to ``o`` (an object from outside)."""
        name = self._obj_name.get(id(o))
        if name is None:
            name = _identifier(hint) or "obj"
            base, k = name, 1
            while name in self.trace.objects or name in _RESERVED:
                k += 1
                name = f"{base}_{k}"
            self._obj_name[id(o)] = name
            self.trace.objects[name] = o
            self._keep.append(o)
        return name

    def emit(self, section: str, text: str, comment: str = "", defines: tuple = ()) -> Line:
        line = Line(section, text, comment, defines)
        for d in defines:
            self._def[d] = line
        (self.trace.lines if self._sink is None else self._sink).append(line)
        return line

    def class_code(self, op: type[node_mod.Node]) -> str:
        """An op class by name: imported where it is defined, or bound as an object (a class made by a factory)."""
        mod = sys.modules.get(op.__module__)
        if mod is not None and getattr(mod, op.op_name, None) is op:  # (the name the class was written with)
            return self.import_(op.op_name, op.__module__)
        return f"${self.obj(op, op.op_name)}$"

    def value_shaped(self, orig, name: str, args, kwargs):
        if not self.off:
            self.break_(f"{name}()", "its result's shape depends on the values in the tensor, which a replay cannot "
                        "know in advance", "Use masks of a fixed shape (torch.where) instead of selecting elements")
        return orig(*args, **kwargs)

    def import_(self, name: str, module: str) -> str:
        self.trace.imports[name] = module
        return name

    # -- graph breaks -----------------------------------------------------------------------------------------
    def break_(self, what: str, why: str, hint: str = "") -> None:
        """Stop writing the trace down (the call goes on eagerly); with fullgraph=True raise CompileError."""
        if self.broken is not None:
            return
        self.broken = GraphBreak(what, why, hint, where=user_line())
        if self.fullgraph:
            raise CompileError(f"chaingrad.compile(fullgraph=True) could not capture {self.label}: "
                               f"{self.broken.message()}")

    @property
    def off(self) -> bool:
        return self.depth > 0 or self.broken is not None

    # -- inputs of a line ---------------------------------------------------------------------------------------
    def array_of(self, t: Tensor) -> str | None:
        """The code for ``t``'s array at this point of the replay (None after a break)."""
        a = t._data
        n = self._sym.get(id(a))
        if n is not None:
            return f"@{n}@"
        where = self.tensor_ref(t)
        if where is None:
            return None
        n = self.new(a)
        self.emit("input", f"@{n}@ = {where}._data", defines=(n,))
        self.trace.names.setdefault(n, _plain(where).replace("._grad", "_grad"))
        return f"@{n}@"

    def tensor_ref(self, t: Tensor) -> str | None:
        """The code for a tensor from outside (bound by the guards), or None with a break."""
        if id(t) in self._bound:
            return f"${self._obj_name[id(t)]}$"
        owner = self._grad_of.get(id(t))
        if owner is not None and owner._grad is t:
            return f"{self.tensor_ref(owner)}._grad"
        self.break_("a tensor made outside what chaingrad.compile follows",
                    f"a tensor of shape {list(t._data.shape)} reached an operation, but the trace did not see it "
                    "being made (by code that works on NumPy arrays directly, or a factory function imported "
                    "under another name), so a replay could not make it again",
                    "Make it with chaingrad's operations inside the function, or pass it as an argument")
        return None

    def tensor_code(self, t: Tensor) -> str | None:
        """The code for a Tensor argument of an opaque call: an outside tensor itself, or a new wrapper."""
        if id(t) in self._bound:
            return f"${self._obj_name[id(t)]}$"
        n = self._sym.get(id(t._data))
        if n is not None:
            return f"wrap(@{n}@)"
        return self.tensor_ref(t)

    def bind(self, t: Tensor, name: str) -> None:
        """A tensor from outside the function: an argument or one it reaches (a parameter, a buffer)."""
        if id(t) in self._bound:
            return
        self._bound[id(t)] = t
        self._bound_data[id(t._data)] = t
        self.obj(t, name)
        g = t._grad
        if g is not None:
            self._grad_of[id(g)] = t
            self._keep.append(g)

    def value_code(self, v):
        """A Python value as code: the literal, or a name for an object; None (after a break) if it cannot."""
        if isinstance(v, Tensor):
            return self.tensor_code(v)
        if v is None or isinstance(v, (bool, int, float, str, complex)):
            return repr(v)
        if isinstance(v, (np.floating, np.integer, np.bool_)):
            return f"np.{type(v).__name__}({v.item()!r})"
        if isinstance(v, np.dtype):
            return f"np.dtype({v.str!r})"
        if isinstance(v, type) and issubclass(v, np.generic):
            return f"np.{v.__name__}"
        if isinstance(v, (tuple, list)):
            items = [self.value_code(x) for x in v]
            if any(x is None and y is not None for x, y in zip(items, v)):
                return None
            body = ", ".join(items)
            return f"({body}{',' if len(items) == 1 else ''})" if isinstance(v, tuple) else f"[{body}]"
        if isinstance(v, dict):
            items = {k: self.value_code(x) for k, x in v.items()}
            if any(x is None and v[k] is not None for k, x in items.items()):
                return None
            return "{" + ", ".join(f"{k!r}: {x}" for k, x in items.items()) + "}"
        if isinstance(v, slice):
            return f"slice({self.value_code(v.start)}, {self.value_code(v.stop)}, {self.value_code(v.step)})"
        if v is Ellipsis:
            return "..."
        if isinstance(v, _ndarray):
            n = self._sym.get(id(v))
            if n is not None:
                return f"@{n}@"
            owner = self._bound_data.get(id(v))
            if owner is not None and owner._data is v:  # the array of a tensor from outside (a target)
                return self.array_of(owner)
            named = self._named_arrays.get(id(v))
            if named is not None and named[0] is v:  # a NumPy array the function reaches by name: that array
                return f"${named[1]}$"
            self.break_("a NumPy array chaingrad.compile did not see being made",
                        "it reached an operation, and a replay would use its value from the first call (made by "
                        "NumPy code on a tensor's array?)", "Compute it with chaingrad's operations")
            return None
        # anything else (a chaingrad dtype, a generator, a function): that very object, by name
        hint = getattr(v, "__name__", None) or getattr(v, "name", None)
        return f"${self.obj(v, hint if isinstance(hint, str) else type(v).__name__.lower())}$"

    # -- the forward: one line per op -------------------------------------------------------------------------
    def apply(self, orig, op, inputs, params):
        if self.off:
            return orig(op, *inputs, **params)
        name = op.op_name
        if name in VALUE_SHAPED or _bool_index(params) or any(isinstance(x, Tensor) and x._data.dtype == bool
                                                                and "Index" in name for x in inputs[1:]):
            self.break_(f"{name} ({_op_label(op)})", "its result's shape depends on the values in the tensor, "
                        "which a replay cannot know in advance",
                        "Use masks of a fixed shape (torch.where) instead of selecting elements")
            return orig(op, *inputs, **params)
        codes = []
        for x in inputs:
            if isinstance(x, Tensor):
                codes.append(self.array_of(x))
            else:
                codes.append(self.value_code(x))
            if self.broken is not None:
                return orig(op, *inputs, **params)
        pcodes = {}
        for k, v in params.items():
            pcodes[k] = self.value_code(v)
            if self.broken is not None:
                return orig(op, *inputs, **params)
        self.depth += 1
        try:
            out = orig(op, *inputs, **params)
        finally:
            self.depth -= 1
        outs = out if type(out) is tuple else (out,)
        nums = []
        node = None
        for o in outs:
            if o is None:
                nums.append(None)
                continue
            nums.append(self.new(o._data))
            if o._grad_fn is not None and node is None:
                node = o._grad_fn
        entry = INLINE.get(name) if op.num_outputs == 1 and nums[0] is not None else None
        expr = entry.forward(codes, pcodes) if entry is not None else None
        if expr is not None and "{out}" in expr and outs[0]._data.ndim == 0:
            expr = None
        if expr is not None:
            ndims = tuple(x._data.shape if isinstance(x, Tensor) else () for x in inputs)
            flags = tuple(isinstance(x, Tensor) and transposed(x._data) for x in inputs)
            if "{out}" in expr:  # a statement (addmm's product, then the bias added into it)
                text = expr.replace("{out}", f"@{nums[0]}@")
            else:
                text = f"@{nums[0]}@ = " + (f"np.asarray({expr})" if outs[0]._data.ndim == 0 else expr)
            line = self.emit(self._section(), text, name, defines=(nums[0],))
            line.scalar_ok = name in SCALAR_OK and "**" not in text
            if node is not None:
                self._ctx[node] = ("inline", entry, codes, pcodes, ndims, line, flags, op, nums, node.needs_input_grad,
                                   node.input_meta)
            return out
        cls = self.class_code(op)
        call_args = ", ".join(codes + [f"{k}={v}" for k, v in pcodes.items()])
        targets = ", ".join("_" if n is None else f"@{n}@" for n in nums) + ("," if len(nums) == 1 and
                                                                            op.num_outputs > 1 else "")
        scalar_out = any(o is not None and o._data.ndim == 0 for o in outs)
        if node is not None:
            line = self.emit("forward", "", _forward_comment(op), defines=tuple(n for n in nums if n))
            self._ctx[node] = self._op_entry(line, op, cls, codes, pcodes, nums, node.needs_input_grad, node.input_meta)
            line.text = _forward_text(None, cls, call_args, targets, scalar_out, op)
        else:
            self.emit(self._section(), _forward_text(None, cls, call_args, targets, scalar_out, op),
                      _forward_comment(op), defines=tuple(n for n in nums if n))
        return out

    def _op_entry(self, line: Line, op, cls: str, codes, pcodes, nums, needs, meta) -> tuple:
        """What ``_observe`` needs to write the ctx and the backward of an op called through its own code."""
        self._cn += 1
        call_args = ", ".join(codes + [f"{k}={v}" for k, v in pcodes.items()])
        targets = ", ".join("_" if n is None else f"@{n}@" for n in nums) + ("," if len(nums) == 1 and
                                                                            op.num_outputs > 1 else "")
        scalar_out = any(n is not None and getattr(self._arrays[n], "ndim", 1) == 0 for n in nums)
        in_nums = [int(c[1:-1]) if c and c.startswith("@") and c.endswith("@") and c.count("@") == 2
                   else None for c in codes]
        return (line, f"c{self._cn}", op, cls, call_args, targets, scalar_out, needs, meta, in_nums)

    def _layout_guard(self, code: str, flag: bool) -> bool:
        """Guard the layout of the array ``code`` stands for (the array of a tensor the function reaches, or its
        ``.T``); False when it is neither, or an argument's (the caller then calls the op's own code, which looks
        at the layout itself on every call)."""
        m = re.fullmatch(r"@(\d+)@", code)
        line = self._def.get(int(m.group(1))) if m else None
        suffix = ""
        if line is not None and (t := re.fullmatch(r"@\d+@ = (@(\d+)@)\.T", line.text)):
            line, suffix = self._def.get(int(t.group(2))), ".T"
        src = re.fullmatch(r"@\d+@ = \$(\w+)\$\._data", line.text) if line is not None else None
        if src is None or src.group(1) in self.trace.args:  # (an argument: the next call may pass another one)
            return False
        self.trace.layouts.append((self.trace.objects[src.group(1)], suffix, flag))
        return True

    def _section(self) -> str:
        return "update" if self._walked and not state.enabled else "forward"

    # -- the backward walk, as its observer sees it --------------------------------------------------------------
    def run_backward(self, orig, outputs, grads, retain_graph=False, create_graph=False, inputs=None,
                     accumulate=True, allow_unused=True, observer=None):
        if self.off:
            return orig(outputs, grads, retain_graph, create_graph, inputs, accumulate, allow_unused, observer)
        if create_graph or inputs is not None or not accumulate or observer is not None:
            what = ("autograd.grad" if not accumulate else "backward(create_graph=True)" if create_graph
                    else "backward(inputs=...)" if inputs is not None else "an observed backward (explain)")
            self.break_(what, "only loss.backward() into .grad is captured")
            return orig(outputs, grads, retain_graph, create_graph, inputs, accumulate, allow_unused, observer)
        if state.anomaly:
            self.break_("backward in anomaly mode", "anomaly checks are not captured")
        roots = list(zip(outputs, grads))
        for t, g in roots:
            if self.broken is not None:
                break
            if t._grad_fn is None:
                self.break_("backward() of a leaf", "only a backward through recorded operations is captured")
                break
            gn = self._sym.get(id(g._data))
            if gn is None:
                if not np.all(g._data == 1):
                    self.break_("backward(gradient=...)", "the starting gradient was not made in the trace")
                    break
                gn = self.new(g._data)
                self.emit("backward", f"@{gn}@ = np.ones({g._data.shape!r}, np.{g._data.dtype.name})",
                          "dL/dL = 1", defines=(gn,))
                ln = self._sym.get(id(t._data))
                if ln is not None:
                    self.trace.grad_names[gn] = (ln, "")
            slot = self._pending.setdefault(t._grad_fn, [None] * t._grad_fn.num_outputs)
            slot[t._output_nr] = self._add(slot[t._output_nr], gn)
        if self.broken is None:
            for n in engine.graph_nodes([t._grad_fn for t, _ in roots]):
                if n._hooked or n._posthooks:
                    self.break_("a hook on the graph (register_hook, retain_grad)", "hooks run Python code "
                                "during the backward pass, which is not captured")
                    break
                for e in n.next_edges:
                    if e is not None and e[1] < 0 and e[0]._hooks:
                        self.break_("a tensor hook on a leaf", "hooks run Python code during the backward pass")
                        break
        if self.broken is not None:
            return orig(outputs, grads, retain_graph, create_graph, inputs, accumulate, allow_unused, observer)
        self._leaf_lines = []
        self._walked = True
        self.depth += 1
        try:
            result = orig(outputs, grads, retain_graph, False, None, True, True, self._observe)
        finally:
            self.depth -= 1
        for _, leaf, g in self._leaf_lines:  # .grad became g itself, or a copy (as in eager)
            self.explained.add(id(leaf))
            if self.broken is None and leaf._grad is not None and leaf._grad._data is not g:
                self._sym.pop(id(leaf._grad._data), None)  # a copy: read from .grad where it is used
        for leaf in {id(x[1]): x[1] for x in self._leaf_lines}.values():
            if leaf._grad is not None:
                self._grad_of[id(leaf._grad)] = leaf
                self._keep.append(leaf._grad)
        return result

    def _add(self, a: int | None, b: int) -> int:
        """Two gradients that meet, summed (``Arrays.add``)."""
        if a is None:
            return b
        n = self._n + 1
        self._n = n
        line = self.emit("backward", f"@{n}@ = np.asarray(@{a}@ + @{b}@)", "gradients that meet are summed", (n,))
        line.scalar_ok = True
        return n

    def _observe(self, node, grads_out, returned, fitted) -> None:
        if self.broken is not None:
            return
        entry = self._ctx.get(node)
        if entry is None:
            self.break_(f"backward through {node.name()}", "it was recorded before the compiled function ran "
                        "(a graph built outside it)", "Compute the loss inside the compiled function")
            return
        if entry[0] == "inline":
            return self._observe_inline(node, entry, grads_out, returned, fitted)
        line, cname, op, cls, call_args, targets, scalar_out, needs, meta, in_nums = entry
        line.text = _forward_text(cname, cls, call_args, targets, scalar_out, op)
        on_arrays = bool(node.backward_on_arrays)
        self.emit_ctx(line, cname, cls, needs, meta, on_arrays)
        slots = self._pending.pop(node, [None] * node.num_outputs)
        for i, g in enumerate(grads_out):
            if g is None:
                continue
            if slots[i] is None:  # zeros for an output that received no gradient (materialize_grads)
                n = self.new(g)
                self.emit("backward", f"@{n}@ = np.zeros({g.shape!r}, np.{g.dtype.name})",
                          "an output that received no gradient", (n,))
                slots[i] = n
            else:
                self._sym[id(g)] = slots[i]
                self._arrays.setdefault(slots[i], g)
        gcodes = ", ".join("None" if g is None else f"@{slots[i]}@" for i, g in enumerate(grads_out))
        edges = node.next_edges
        outs: list[int | None] = []
        for i, r in enumerate(returned[:len(edges)]):
            outs.append(None if r is None or edges[i] is None else self.new(r))
        targets = ", ".join("_" if n is None else f"@{n}@" for n in outs) + ("," if len(outs) == 1 else "")
        fn = "grads" if on_arrays else "grads_of_tensors"
        call = (f"grads({cls}.backward({cname}, {gcodes}), {len(edges)})" if fn == "grads"
                else f"grads_of_tensors({cname}, ({gcodes},), {len(edges)})")
        bl = self.emit("backward", f"{targets} = {call}", _formulas(op, node, outs),
                       defines=tuple(n for n in outs if n))
        bl.letters = _letters(node, [f"@{n}@" if n else "" for n in in_nums], line.defines[0] if line.defines else None)
        self._send(node, outs, returned, fitted, in_nums)

    def _observe_inline(self, node, entry, grads_out, returned, fitted) -> None:
        _, table, codes, pcodes, ndims, line, flags, op, nums, needs, meta = entry
        edges = node.next_edges
        exprs = {i: table.backward(codes, pcodes, i, "g", ndims, flags) for i, r in enumerate(returned[:len(edges)])
                 if r is not None and edges[i] is not None}
        if any(e is None for e in exprs.values()) or not all(
                self._layout_guard(codes[j], flags[j]) for i in exprs for j in table.layout(i, ndims)):
            # a case the inline form does not cover: the op's own forward and backward, called
            line.text = ""
            cls = self.class_code(op)
            self._ctx[node] = op_entry = self._op_entry(line, op, cls, codes, pcodes, nums, needs, meta)
            line.text = _forward_text(None, cls, op_entry[4], op_entry[5], op_entry[6], op)
            line.comment, line.scalar_ok = _forward_comment(op), False
            return self._observe(node, grads_out, returned, fitted)
        line_out = line.defines[0] if line.defines else None
        self._pending.setdefault(node, [None])
        slots = self._pending.pop(node)
        g = grads_out[0]
        self._sym[id(g)] = slots[0]
        self._arrays.setdefault(slots[0], g)
        gcode = f"@{slots[0]}@"
        edges = node.next_edges
        outs: list[int | None] = []
        for i, r in enumerate(returned[:len(edges)]):
            if r is None or edges[i] is None:
                outs.append(None)
                continue
            expr = table.backward(codes, pcodes, i, gcode, ndims, flags)
            if expr is not None and "{y}" in expr:  # the op's output (Exp, Tanh)
                expr = expr.replace("{y}", f"@{line_out}@") if line_out is not None else None
            if expr is None:
                self.break_(f"backward of {node.op_name}", "an inline case the generator does not cover")
                return
            if expr == "=g":
                if r is not g:
                    self.break_(f"backward of {node.op_name}", "it did not return its gradient as it is")
                    return
                outs.append(slots[0])
                continue
            n = self.new(r)
            if "{out}" in expr:  # a statement (Sum's fill), not an expression
                text = expr.replace("{out}", f"@{n}@")
            else:
                text = f"@{n}@ = " + (f"np.asarray({expr})" if r.ndim == 0 else expr)
            line = self.emit("backward", text, type(node).formula_for(i), (n,))
            line.scalar_ok = (node.op_name in SCALAR_OK_BACKWARD or "{out}" in expr) and "**" not in expr
            line.letters = _letters(node, codes, line_out)
            outs.append(n)
        in_nums = [int(c[1:-1]) if c.startswith("@") and c.count("@") == 2 else None for c in codes]
        self._send(node, outs, returned, fitted, in_nums)

    def _send(self, node, outs, returned, fitted, in_nums) -> None:
        """Each input's gradient un-broadcast and cast (as ``Arrays.fit``), then summed into the gradient pending
        for the node that made the input, or delivered to a leaf's .grad."""
        edges = node.next_edges
        for i, e in enumerate(edges):
            n = outs[i]
            if n is None:
                continue
            g, r = fitted[i], returned[i]
            if g is not r:  # un-broadcast, reshape and cast, as Arrays.fit
                shape, dtype = node.input_meta[i]
                code = f"@{n}@"
                comment = ""
                if r.shape != shape:
                    axes = broadcast_axes(r.shape, shape)
                    if axes and axes == tuple(range(len(r.shape) - len(shape))):
                        # unbroadcast() over the leading axes broadcasting added: the same sum, which drops
                        # them itself (keepdims only shapes the result; no reshape needed)
                        code = f"np.add.reduce({code}, axis={axes!r})"
                        comment = f"un-broadcast: sum over axes {axes} to shape {shape}"
                    elif axes:  # unbroadcast(), written out (the same two calls)
                        code = f"np.add.reduce({code}, axis={axes!r}, keepdims=True).reshape({shape!r})"
                        comment = f"un-broadcast: sum over axes {axes} to shape {shape}"
                    else:
                        code = f"{code}.reshape({shape!r})"
                if r.dtype != dtype:
                    code = f"{code}.astype(np.{np.dtype(dtype).name})"
                m = self.new(g)
                self.emit("backward", f"@{m}@ = {code}", comment, (m,))
                n = m
            else:
                self._sym[id(g)] = n
            if i < len(in_nums) and in_nums[i] is not None:
                self.trace.grad_names.setdefault(n, (in_nums[i], ""))
                self.trace.grad_names.setdefault(outs[i], (in_nums[i], "_full" if n != outs[i] else ""))
            target, nr = e
            if nr >= 0:
                slot = self._pending.setdefault(target, [None] * target.num_outputs)
                slot[nr] = self._add(slot[nr], n)
            elif self._leaf_slot is not None:  # probing: the gradient is returned, one edge per delivery
                if self.tensor_ref(target) is None:
                    return
                self.trace.deliveries.append((target, n))
            else:
                ref = self.tensor_ref(target)
                if ref is None:
                    return
                line = self.emit("backward", f"accumulate({ref}, @{n}@, OWNED)", f"{_plain(ref)}.grad += dL/d"
                                 f"{_plain(ref)}")
                self._leaf_lines.append((line, target, g))
                held = list(node.__dict__.values()) + list(node._saved or ())
                self._deliveries.append((line, n, not any(h is g for h in held)))

    def emit_ctx(self, fwd_line: Line, cname: str, cls: str, needs, meta, on_arrays: bool) -> None:
        """The ctx of a forward whose backward runs: made on the line before the forward."""
        if cname in self._made:
            return
        self._made.add(cname)
        text = f"{cname} = ctx({cls}, {needs!r}, {_meta_code(meta)}, {on_arrays})"
        if any(type(m) is tuple and np.prod(m[0]) * np.dtype(m[1]).itemsize >= FREE_BYTES for m in meta):
            self.trace.big.add(cname)
        i = self.trace.lines.index(fwd_line)
        self.trace.lines.insert(i, Line("forward", text, ""))

    # -- tensors changed in place ---------------------------------------------------------------------------------
    def inplace(self, orig, name: str, t: Tensor, args, kwargs):
        if self.off:
            return orig(t, *args, **kwargs)
        others = [a for a in args if isinstance(a, Tensor)]
        if state.enabled and (t.requires_grad or any(o.requires_grad for o in others)):
            self.break_(f"Tensor.{name} on a tensor that requires grad", "in-place operations that are recorded "
                        "in the graph are not captured", "Update parameters under `with chaingrad.no_grad():`")
            return orig(t, *args, **kwargs)
        update = UFUNC_UPDATES.get(name.replace("__i", "").replace("truediv__", "div_").replace("__", "_"))
        target = self.array_of(t)
        if target is None:
            return orig(t, *args, **kwargs)
        if update is not None and len(args) == 1 and not kwargs:
            from ..ops.inplace import _unrecorded_update

            other = args[0]
            code = self.array_of(other) if isinstance(other, Tensor) else self.value_code(other)
            if self.broken is not None:
                return orig(t, *args, **kwargs)
            if _unrecorded_update(t, other, update[1]):  # done, as eager's no_grad fast path does it
                self.emit("update", f"{target} {update[0]} {code}", f"in place: Tensor.{name}")
                self._bump(t)
                return t
        codes = [self.value_code(a) for a in args]
        kcodes = {k: self.value_code(v) for k, v in kwargs.items()}
        if self.broken is not None:
            return orig(t, *args, **kwargs)
        ref = self.tensor_code(t) if id(t) in self._bound else f"wrap({target})"
        self.depth += 1
        try:
            out = orig(t, *args, **kwargs)
        finally:
            self.depth -= 1
        if t._data is not self._arrays.get(int(target.strip("@"))):
            self.break_(f"Tensor.{name}", "it replaced the tensor's array instead of writing into it")
            return out
        all_args = ", ".join(codes + [f"{k}={v}" for k, v in kcodes.items()])
        self.emit("update", f"{ref}.{name}({all_args})", "in place")
        self.explained.add(id(t))  # (the method moves the version counter itself when replayed)
        return out

    def _bump(self, t: Tensor) -> None:
        self.explained.add(id(t))
        if id(t) in self._bound:
            name = self._obj_name[id(t)]
            self._version_bumps[name] = self._version_bumps.get(name, 0) + 1

    def set_grad(self, orig, t: Tensor, value) -> None:
        if self.off:
            return orig(t, value)
        ref = self.tensor_ref(t) if id(t) in self._bound else None
        if ref is None:
            self.break_("setting .grad of a tensor made inside the function", "not captured")
            return orig(t, value)
        code = "None" if value is None else self.tensor_code(value)
        if self.broken is not None:
            return orig(t, value)
        orig(t, value)
        self.emit("update", f"{ref}.grad = {code}")
        self.explained.add(id(t))
        if value is not None:
            self._grad_of[id(value)] = t
        return None

    # -- calls replayed as they are -------------------------------------------------------------------------------
    def opaque(self, orig, label: str, fn_code: str, args, kwargs, explains=()):
        """``fn(*args, **kwargs)`` replayed by calling it again (an optimizer's step, a random factory)."""
        if self.off:
            return orig(*args, **kwargs)
        args = tuple(list(a) if isinstance(a, types.GeneratorType) else a for a in args)
        codes = [self.value_code(a) for a in args]
        kcodes = {k: self.value_code(v) for k, v in kwargs.items()}
        if self.broken is not None:
            return orig(*args, **kwargs)
        self.depth += 1
        try:
            out = orig(*args, **kwargs)
        finally:
            self.depth -= 1
        for x in list(args) + list(kwargs.values()) + list(explains):
            for t in _tensors_in(x):
                self.explained.add(id(t))
        call = f"{fn_code}({', '.join(codes + [f'{k}={v}' for k, v in kcodes.items()])})"
        section = "update" if label in ("step", "zero_grad", "clip") else "forward"
        if out is None:
            self.emit(section, call)
        elif isinstance(out, Tensor):
            n = self.new(out._data)
            self.emit(section, f"@{n}@ = {call}._data", defines=(n,))
        elif isinstance(out, _ndarray):
            n = self.new(out)
            self.emit(section, f"@{n}@ = {call}", defines=(n,))
        else:
            self.break_(f"{label}()", f"it returned a {type(out).__name__}, which the replay cannot follow")
        return out

    def read_value(self, orig, what: str, t: Tensor, args, kwargs):
        if not self.off:
            self.break_(VALUE_METHODS[what], "a tensor's value goes into Python, so the function cannot be "
                        "replayed as NumPy code", "Return the tensor and read its value outside the compiled function")
        return orig(t, *args, **kwargs)

    # -- the session ------------------------------------------------------------------------------------------------
    def run(self, fn, args, kwargs, profile=None):
        """``fn(*args, **kwargs)`` with the entry points patched; ``profile`` (a ``sys.setprofile`` function) is
        set only while ``fn`` runs: installing the patches makes thousands of calls it need not see (a fifth of
        the MLP step's first call when it saw them)."""
        from . import patches

        # a profiler the program runs under (cProfile) is left in place, and the names go without it: a C
        # profiler cannot be put back through sys.setprofile
        mine = profile is not None and sys.getprofile() is None
        hooks.TRACER = self
        patches.install(self)
        try:
            if mine:
                sys.setprofile(profile)
            return fn(*args, **kwargs)
        finally:
            if mine:
                sys.setprofile(None)
            patches.uninstall(self)
            hooks.TRACER = None

    def probe_backward(self, outs: list) -> str | None:
        """For a function that returns tensors requiring grad without calling backward: run the backward once
        (retain_graph, into no .grad) to write the code of one compiled node for them. A reason if it cannot."""
        roots = [t._grad_fn for t in outs]
        nodes = engine.graph_nodes(roots)
        leaves: dict = {}
        for n in nodes:
            if n not in self._ctx:
                return "its outputs' graph reaches operations recorded before the call"
            if n._hooked or n._posthooks:
                return "a hook on its graph"
            for e in n.next_edges:
                if e is not None and e[1] < 0:
                    if e[0]._hooks:
                        return "a hook on a leaf"
                    if id(e[0]) not in self._bound:
                        return "a leaf tensor made inside the function requires grad"
                    leaves.setdefault(id(e[0]), e[0])
        if not leaves:
            return "no leaf to send gradients to"
        grads = []
        for t in outs:
            g = np.ones(t._data.shape, t._data.dtype)
            gn = self.new(g)
            self.trace.backward_args.append(gn)
            self.trace.grad_names[gn] = (self._sym[id(t._data)], "")
            slot = self._pending.setdefault(t._grad_fn, [None] * t._grad_fn.num_outputs)
            slot[t._output_nr] = self._add(slot[t._output_nr], gn)
            grads.append(Tensor._wrap(g))
        self._sink, self._leaf_slot = [], {}
        self.depth += 1
        try:
            engine.run_backward(outs, grads, True, False, list(leaves.values()), False, True, self._observe)
        finally:
            self.depth -= 1
            self.trace.backward, self._sink = self._sink, None
        if self.broken is not None:
            return self.broken.message()
        self.trace.grad_outputs = [self._sym[id(t._data)] for t in outs]
        self.trace.leaf_names = {key: self._obj_name[key] for key in leaves}
        return None

    def decide_ownership(self) -> None:
        """A gradient becomes ``.grad`` without a copy (as eager's walk does when nothing else holds it) when no
        other line of the replay uses it and its node does not keep it; ``accumulate`` still copies views and
        read-only arrays."""
        uses: dict[int, int] = {}
        for line in self.trace.lines:
            for m in re.finditer(r"@(\d+)@", line.text):
                uses[int(m.group(1))] = uses.get(int(m.group(1)), 0) + 1
        for line, n, free in self._deliveries:
            owned = free and uses.get(n, 0) == 2  # (where it is made, and here)
            line.text = line.text.replace("OWNED", "True" if owned else "False")

    def add_version_lines(self) -> None:
        for name, k in self._version_bumps.items():
            self.emit("update", f"${name}$._version[0] += {k}", "version counter, as eager's in-place updates")


_RESERVED = {"np", "ctx", "grads", "grads_of_tensors", "accumulate", "unbroadcast", "wrap", "output", "replay"}


def _identifier(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text).strip("_")
    if out and out[0].isdigit():
        out = "_" + out
    return out


def _plain(ref: str) -> str:
    return ref.replace("$", "")


def _bool_index(params) -> bool:
    """A boolean mask among an op's parameters (``x[x > 0]``): a result of as many elements as are True."""
    stack = list(params.values())
    while stack:
        k = stack.pop()
        if isinstance(k, (tuple, list)):
            stack.extend(k)
        elif isinstance(k, Tensor):
            stack.append(k._data)
        elif isinstance(k, _ndarray) and k.dtype == bool and k.ndim > 0:
            return True
    return False


def _letters(node, codes, out) -> dict:
    names = type(node).input_names
    letters = {nm: c for nm, c in zip(names, codes) if c}
    if out is not None:
        letters["out"] = f"@{out}@"
    return letters


def _op_label(op) -> str:
    return op.op_name.lower()


def _forward_text(cname, cls, call_args, targets, scalar_out, op) -> str:
    ctx = cname or "UNRECORDED"
    call = f"{cls}.forward({ctx}, {call_args})"
    if scalar_out and op.num_outputs == 1:
        call = f"np.asarray({call})"
    if scalar_out and op.num_outputs > 1:
        return f"{targets} = tuple(None if o is None else np.asarray(o) for o in {call})"
    return f"{targets} = {call}"


def _forward_comment(op) -> str:
    return op.op_name


def _formulas(op, node, outs) -> str:
    parts = [op.formula_for(i) for i, n in enumerate(outs) if n is not None]
    return "; ".join(p for p in parts if p)


def _meta_code(meta) -> str:
    items = []
    for m in meta:
        if type(m) is tuple:
            items.append(f"({m[0]!r}, np.dtype({np.dtype(m[1]).str!r}))")
        else:
            items.append(repr(m))
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _tensors_in(x, depth: int = 0):
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer

    if isinstance(x, Tensor):
        yield x
        if x._grad is not None:
            yield x._grad
    elif isinstance(x, (list, tuple)) and depth < 3:
        for v in x:
            yield from _tensors_in(v, depth + 1)
    elif isinstance(x, dict) and depth < 3:
        for v in x.values():
            yield from _tensors_in(v, depth + 1)
    elif isinstance(x, Optimizer):
        for group in x.param_groups:
            yield from _tensors_in(group["params"], 1)
        for s in x.state.values():
            yield from _tensors_in(s, 1)
    elif isinstance(x, Module):
        yield from _tensors_in(list(x.parameters()) + list(x.buffers()), 1)
    elif hasattr(x, "optimizer"):
        yield from _tensors_in(x.optimizer, depth + 1)


_ = (sys, node_mod)
