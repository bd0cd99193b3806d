"""Read a pickle without running it: the allow-list behind ``chaingrad.load`` (the promise of torch's
``weights_only=True``).

A pickle is a little program for a stack machine; the standard unpickler executes it, and a crafted one
can call any function (``os.system``). This one interprets the opcodes itself, in three steps:

1. *parse*: each opcode is checked as it comes. Data opcodes build plain values (numbers, strings, tuples,
   lists, dicts); a ``GLOBAL`` must name an entry of the allow-list; ``REDUCE`` may call only the allowed
   builders (``OrderedDict``, ``torch._utils._rebuild_tensor_v2`` ...), and the tensor builders produce
   placeholders (``TensorRef``), not tensors; everything else (``INST``, ``OBJ``, ``NEWOBJ``, ``EXT*``,
   out-of-band buffers, ``BUILD`` on anything but an OrderedDict) is refused, naming the opcode, its byte
   position and the offending name;
2. *check*: the finished tree is walked once more (no bare classes or storages left as values, no
   tensor hooks or Python state, bounded depth);
3. *resolve*: only then does the caller read storages and turn placeholders into tensors.
So nothing is constructed from a file that fails any check.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

from .storage import STORAGE_TYPES, TORCH_DTYPES, UNSUPPORTED_DTYPES, UNSUPPORTED_STORAGES

MAX_DEPTH = 100  # nesting of containers in one file; state dicts and checkpoints use a handful
MAX_KEY_SIZE = 1000  # elements in one dict key or set item (bounds the cost of hashing it)


class UnsafeFileError(pickle.UnpicklingError, ValueError):
    """A file ``chaingrad.load`` refuses: something in it is not plain data, or the archive is crafted."""


# -- what the file may name ----------------------------------------------------------------------------
class Global:
    """A name from the allow-list, as the pickle mentions it (``torch._utils._rebuild_tensor_v2``)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return self.path


class StorageRef:
    """A persistent id ``('storage', torch.FloatStorage, key, location, numel[, view])``."""

    __slots__ = ("dtype", "key", "location", "numel", "view")

    def __init__(self, dtype, key: str, location: str, numel: int, view: tuple | None) -> None:
        self.dtype, self.key, self.location, self.numel, self.view = dtype, key, location, numel, view


class TensorRef:
    """A tensor to build once the storages are read: a window on ``storage``, maybe a Parameter."""

    __slots__ = ("storage", "offset", "shape", "strides", "requires_grad", "parameter", "dtype", "_pending")

    def __init__(self, storage: StorageRef, offset: int, shape: tuple, strides: tuple, requires_grad: bool,
                 dtype) -> None:
        self.storage, self.offset, self.shape, self.strides = storage, offset, shape, strides
        self.requires_grad, self.dtype = requires_grad, dtype
        self.parameter = False
        self._pending: list[tuple[str, Any]] = []  # containers that must still be empty when parsing ends


_TENSOR_BUILDERS = ("torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
                    "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
                    "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2")
_DATA_BUILDERS = ("collections.OrderedDict", "collections.Counter", "builtins.set", "builtins.frozenset",
                  "builtins.complex", "builtins.bytearray", "_codecs.encode", "torch.Size", "torch.device")
_TYPES = ("torch.Tensor", "torch.nn.parameter.Parameter", "torch.UntypedStorage")
ALLOWED = frozenset(_TENSOR_BUILDERS + _DATA_BUILDERS + _TYPES + tuple(f"torch.{n}" for n in STORAGE_TYPES)
                    + tuple(f"torch.{n}" for n in TORCH_DTYPES))
_UNSUPPORTED = {f"torch._utils.{name}": f"{kind} are not supported by chaingrad" for name, kind in (
    ("_rebuild_qtensor", "quantized tensors"), ("_rebuild_sparse_tensor", "sparse tensors"),
    ("_rebuild_nested_tensor", "nested tensors"), ("_rebuild_meta_tensor_no_storage", "meta tensors"),
    ("_rebuild_wrapper_subclass", "tensor subclasses"), ("_rebuild_device_tensor_from_numpy", "device tensors"),
    ("_rebuild_device_tensor_from_cpu_tensor", "device tensors"))}
_UNSUPPORTED["torch.serialization._get_layout"] = "sparse layouts are not supported by chaingrad"
_UNSUPPORTED.update({f"torch.{n}": f"chaingrad has no dtype to hold a {n}" for n in UNSUPPORTED_STORAGES})
_UNSUPPORTED.update({f"torch.{n}": f"chaingrad has no dtype torch.{n}" for n in UNSUPPORTED_DTYPES})

_REFUSED_OPCODES = {
    "INST": "creates an instance of a class", "OBJ": "creates an instance of a class",
    "NEWOBJ": "creates an instance of a class", "NEWOBJ_EX": "creates an instance of a class",
    "EXT1": "names a global through the extension registry", "EXT2": "names a global through the extension "
    "registry", "EXT4": "names a global through the extension registry",
    "PERSID": "names an object by a text persistent id (torch writes binary ones)",
    "NEXT_BUFFER": "passes an out-of-band buffer", "READONLY_BUFFER": "passes an out-of-band buffer",
}


def _normalize(module: str, name: str) -> str:
    if module == "__builtin__":  # how protocol 2 spells Python 3's builtins
        module = "builtins"
    return f"{module}.{name}"


# -- step 1: parse ---------------------------------------------------------------------------------------
class Parsed:
    """The result of parsing: the object tree (with placeholders) and every tensor placeholder in it."""

    def __init__(self, value: Any, tensors: list[TensorRef], storages: list[StorageRef], end: int) -> None:
        self.value, self.tensors, self.storages, self.end = value, tensors, storages, end


class _Parser:
    def __init__(self, where: str, encoding: str, storage_fields: int) -> None:
        self.where = where
        self.encoding = encoding
        self.storage_fields = storage_fields  # 5 in the zip format, 6 (with view metadata) in the legacy one
        self.tensors: list[TensorRef] = []
        self.storages: list[StorageRef] = []
        self.pos = 0
        self.op = ""

    def refuse(self, what: str) -> UnsafeFileError:
        return UnsafeFileError(f"{self.where}: {what} (opcode {self.op} at byte {self.pos}). chaingrad.load reads "
                               "only tensors, numbers, strings, bytes, None and tuples/lists/dicts/OrderedDicts/"
                               "sets of them, and never runs code from a file; nothing was loaded.")

    def run(self, data: bytes, start: int) -> Parsed:
        stream = io.BytesIO(data)
        stream.seek(start)
        stack: list[Any] = []
        metastack: list[list[Any]] = []
        memo: dict[int, Any] = {}

        def pop_mark() -> list[Any]:
            nonlocal stack
            items = stack
            stack = metastack.pop()
            return items

        try:
            for opcode, argument, position in pickletools.genops(stream):
                arg: Any = argument
                pos = int(position or 0)
                self.op, self.pos = opcode.name, pos
                name = opcode.name
                if name == "STOP":
                    if metastack or len(stack) != 1:
                        raise self.refuse("the pickle ends with an unbalanced stack")
                    value = stack.pop()
                    self._check_tree(value)
                    return Parsed(value, self.tensors, self.storages, pos + 1)
                if name in _REFUSED_OPCODES:
                    raise self.refuse(f"{name} is not allowed: it {_REFUSED_OPCODES[name]}")
                if name == "PROTO":
                    if not 0 <= arg <= 5:
                        raise self.refuse(f"unknown pickle protocol {arg}")
                elif name == "FRAME":
                    pass
                elif name == "MARK":
                    metastack.append(stack)
                    stack = []
                elif name == "POP":
                    if stack:
                        stack.pop()
                    else:
                        pop_mark()
                elif name == "POP_MARK":
                    pop_mark()
                elif name == "DUP":
                    stack.append(stack[-1])
                elif name in ("NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT", "BININT1", "BININT2", "LONG",
                              "LONG1", "LONG4", "FLOAT", "BINFLOAT", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
                              "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"):
                    stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}.get(name, arg))
                elif name == "BYTEARRAY8":
                    stack.append(bytearray(arg))
                elif name in ("STRING", "BINSTRING", "SHORT_BINSTRING"):  # Python 2 str
                    raw = arg.encode("latin-1")
                    stack.append(raw if self.encoding == "bytes" else raw.decode(self.encoding))
                elif name == "EMPTY_TUPLE":
                    stack.append(())
                elif name == "TUPLE":
                    items = pop_mark()  # (pop_mark rebinds `stack`: take the items before appending)
                    stack.append(tuple(items))
                elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                    n = int(name[-1])
                    if len(stack) < n:
                        raise self.refuse("stack underflow")
                    packed = tuple(stack[-n:])
                    del stack[-n:]
                    stack.append(packed)
                elif name == "EMPTY_LIST":
                    stack.append([])
                elif name == "LIST":
                    items = pop_mark()
                    stack.append(items)
                elif name == "APPEND":
                    item = stack.pop()
                    self._target(stack, list).append(item)
                elif name == "APPENDS":
                    items = pop_mark()
                    self._target(stack, list).extend(items)
                elif name == "EMPTY_DICT":
                    stack.append({})
                elif name == "DICT":
                    items = pop_mark()
                    stack.append(self._fill({}, items))
                elif name == "SETITEM":
                    value = stack.pop()
                    key = stack.pop()
                    self._fill(self._target(stack, dict), [key, value])
                elif name == "SETITEMS":
                    items = pop_mark()
                    self._fill(self._target(stack, dict), items)
                elif name == "EMPTY_SET":
                    stack.append(set())
                elif name == "ADDITEMS":
                    items = pop_mark()
                    target = self._target(stack, set)
                    for item in items:
                        target.add(self._key(item, "set item"))
                elif name == "FROZENSET":
                    items = pop_mark()
                    stack.append(frozenset(self._key(item, "set item") for item in items))
                elif name in ("GET", "BINGET", "LONG_BINGET"):
                    if arg not in memo:
                        raise self.refuse(f"memo slot {arg} is read before it is written")
                    stack.append(memo[arg])
                elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = stack[-1]
                elif name == "MEMOIZE":
                    memo[len(memo)] = stack[-1]
                elif name == "GLOBAL":
                    module, _, attr = arg.partition(" ")
                    stack.append(self._global(module, attr))
                elif name == "STACK_GLOBAL":
                    attr, module = stack.pop(), stack.pop()
                    if type(module) is not str or type(attr) is not str:
                        raise self.refuse("STACK_GLOBAL needs two strings")
                    stack.append(self._global(module, attr))
                elif name == "REDUCE":
                    args = stack.pop()
                    func = stack.pop()
                    stack.append(self._reduce(func, args))
                elif name == "BUILD":
                    state = stack.pop()
                    self._build(stack[-1], state)
                elif name == "BINPERSID":
                    stack.append(self._persistent(stack.pop()))
                else:
                    raise self.refuse(f"{name} is not allowed")
        except UnsafeFileError:
            raise
        except IndexError:
            raise self.refuse("the pickle reads past the bottom of its stack") from None
        except (ValueError, TypeError, UnicodeDecodeError, OverflowError, MemoryError) as e:
            raise self.refuse(f"malformed pickle ({e})") from None
        raise self.refuse("the pickle has no STOP")

    # -- opcode helpers ----------------------------------------------------------------------------
    def _target(self, stack: list[Any], kind: type) -> Any:
        target = stack[-1]
        if kind is dict and type(target) in (dict, OrderedDict, Counter) or type(target) is kind:
            return target
        raise self.refuse(f"{self.op} on a {type(target).__name__} (only on a plain {kind.__name__})")

    def _fill(self, target: dict, items: list[Any]) -> dict:
        if len(items) % 2:
            raise self.refuse("an odd number of items for a dict")
        for i in range(0, len(items), 2):
            target[self._key(items[i], "dict key")] = items[i + 1]
        return target

    def _key(self, key: Any, what: str) -> Any:
        """Dict keys and set items must be small plain data, so hashing them cannot be made expensive."""
        budget = [MAX_KEY_SIZE]

        def ok(k: Any) -> bool:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if type(k) in (str, int, float, bool, bytes, complex) or k is None or _is_dtype(k):
                return True
            return type(k) in (tuple, frozenset) and all(ok(v) for v in k)

        if not ok(key):
            raise self.refuse(f"a {what} of type {type(key).__name__} (keys must be numbers, strings or small "
                              "tuples of them)")
        return key

    def _global(self, module: str, attr: str) -> Any:
        path = _normalize(module, attr)
        if path in _UNSUPPORTED:
            raise self.refuse(f"GLOBAL {path}: {_UNSUPPORTED[path]}")
        if path not in ALLOWED:
            raise self.refuse(f"GLOBAL {path} is not on chaingrad's allow-list")
        if attr in TORCH_DTYPES and module == "torch":
            from .._dtype import to_dtype

            return to_dtype(attr)  # a dtype is a value: chaingrad's own singleton
        return Global(path)

    def _build(self, inst: Any, state: Any) -> None:
        if type(inst) is not OrderedDict:
            raise self.refuse(f"BUILD on a {type(inst).__name__} (only an OrderedDict's attributes, such as a "
                              "state dict's _metadata, may be set)")
        if type(state) is not dict or not all(type(k) is str and k.isidentifier() and not k.startswith("__")
                                              for k in state):
            raise self.refuse("BUILD with a state that is not a dict of plain attribute names")
        inst.__dict__.update(state)

    def _persistent(self, pid: Any) -> StorageRef:
        if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
            kind = _brief(pid[0]) if type(pid) is tuple and pid else _brief(pid)
            raise self.refuse(f"a persistent id of kind {kind} (only torch storages are allowed)")
        if len(pid) != self.storage_fields:
            raise self.refuse(f"a storage id with {len(pid)} fields (expected {self.storage_fields})")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(storage_type, Global) or not (storage_type.path[6:] in STORAGE_TYPES
                                                        or storage_type.path == "torch.UntypedStorage"):
            raise self.refuse(f"a storage of type {_brief(storage_type)}")
        key, location = _ascii(key), _ascii(location)
        if type(key) is not str or not key.isalnum() or not key.isascii():
            raise self.refuse(f"a storage key {_brief(key)} (keys are letters and digits)")
        if type(location) is not str or type(numel) is not int or numel < 0:
            raise self.refuse("a storage id whose location or size is not a string and a count")
        view = pid[5] if self.storage_fields == 6 else None
        if view is not None:
            if (type(view) is not tuple or len(view) != 3 or type(_ascii(view[0])) is not str
                    or not all(type(v) is int and v >= 0 for v in view[1:])):
                raise self.refuse("a storage view that is not (key, offset, size)")
            view = (_ascii(view[0]), view[1], view[2])
        dtype = STORAGE_TYPES.get(storage_type.path[6:], "untyped")
        ref = StorageRef(dtype, key, location, numel, view)
        self.storages.append(ref)
        return ref

    # -- REDUCE: the allowed builders ----------------------------------------------------------------
    def _reduce(self, func: Any, args: Any) -> Any:
        if not isinstance(func, Global):
            raise self.refuse(f"REDUCE of {_brief(func)}, which is not an allowed function")
        if type(args) is not tuple:
            raise self.refuse(f"REDUCE of {func.path} with arguments that are not a tuple")
        path = func.path
        if path in _TENSOR_BUILDERS:
            return self._tensor(path, args)
        if path not in _DATA_BUILDERS:
            raise self.refuse(f"REDUCE of {path}, which is a type, not a builder")
        try:
            return self._data(path, args)
        except UnsafeFileError:
            raise
        except (TypeError, ValueError, LookupError) as e:
            raise self.refuse(f"{path}{_brief(args)} is malformed ({e})") from None

    def _data(self, path: str, args: tuple) -> Any:
        if path == "collections.OrderedDict":
            if args == ():
                return OrderedDict()
            (pairs,) = args
            if type(pairs) is not list or not all(type(p) in (list, tuple) and len(p) == 2 for p in pairs):
                raise ValueError("expected a list of pairs")
            return self._fill(OrderedDict(), [x for p in pairs for x in p])
        if path == "collections.Counter":
            if args == ():
                return Counter()
            (counts,) = args
            if type(counts) is not dict:
                raise ValueError("expected a dict")
            return self._fill(Counter(), [x for kv in counts.items() for x in kv])
        if path in ("builtins.set", "builtins.frozenset"):
            items = args[0] if args else []
            if len(args) > 1 or type(items) is not list:
                raise ValueError("expected a list")
            made = {self._key(item, "set item") for item in items}
            return made if path == "builtins.set" else frozenset(made)
        if path == "builtins.complex":
            if not all(type(a) in (int, float) for a in args) or len(args) > 2:
                raise ValueError("expected two numbers")
            return complex(*args)
        if path == "_codecs.encode":
            text, codec = args
            if type(text) is not str or codec not in ("latin1", "latin-1"):
                raise ValueError("expected (str, 'latin1')")
            return text.encode("latin-1")
        if path == "builtins.bytearray":
            if args == ():
                return bytearray()
            if len(args) == 1 and type(args[0]) is bytes:
                return bytearray(args[0])
            text, codec = args
            if type(text) is not str or codec not in ("latin1", "latin-1"):
                raise ValueError("expected (str, 'latin-1')")
            return bytearray(text.encode("latin-1"))
        if path == "torch.Size":
            from ..tensor import Size

            (dims,) = args
            if type(dims) is not tuple or not all(type(d) is int for d in dims):
                raise ValueError("expected a tuple of ints")
            return Size(dims)
        # torch.device: chaingrad names devices with strings ('cpu'), as Tensor.device returns them
        if not 1 <= len(args) <= 2 or type(args[0]) is not str or len(args) == 2 and type(args[1]) is not int:
            raise ValueError("expected (type, index)")
        return args[0] if len(args) == 1 else f"{args[0]}:{args[1]}"

    def _tensor(self, path: str, args: tuple) -> TensorRef:
        name = path.rpartition(".")[2]
        if name == "_rebuild_from_type_v2":  # a tensor whose type or Python attributes were saved too
            if len(args) != 4:
                raise self.refuse(f"{path} with {len(args)} arguments")
            func, new_type, inner_args, state = args
            if not isinstance(func, Global) or func.path not in _TENSOR_BUILDERS[:5]:
                raise self.refuse(f"{path} calling {_brief(func)}")
            if not isinstance(new_type, Global) or new_type.path not in _TYPES[:2]:
                raise self.refuse(f"{path} making a {_brief(new_type)} (only torch.Tensor and Parameter)")
            if type(inner_args) is not tuple:
                raise self.refuse(f"{path} with arguments that are not a tuple")
            ref = self._tensor(func.path, inner_args)
            if new_type.path.endswith("Parameter"):
                ref.parameter = True
            ref._pending.append(("Python attributes of a tensor", state))
            return ref
        if name in ("_rebuild_parameter", "_rebuild_parameter_with_state"):
            expected = 3 if name == "_rebuild_parameter" else 4
            if len(args) != expected or not isinstance(args[0], TensorRef) or type(args[1]) is not bool:
                raise self.refuse(f"{path} with arguments {_brief(args)}")
            inner: TensorRef = args[0]
            ref = TensorRef(inner.storage, inner.offset, inner.shape, inner.strides, args[1], inner.dtype)
            ref.parameter = True
            ref._pending = inner._pending + [("backward hooks", args[2])]
            if expected == 4:
                ref._pending.append(("Python attributes of a Parameter", args[3]))
            self.tensors.append(ref)
            return ref
        counts = {"_rebuild_tensor": (4,), "_rebuild_tensor_v2": (6, 7), "_rebuild_tensor_v3": (7, 8)}[name]
        if len(args) not in counts:
            raise self.refuse(f"{path} with {len(args)} arguments")
        storage, offset, shape, strides = args[:4]
        requires_grad = args[4] if len(args) > 4 else False
        if not isinstance(storage, StorageRef):
            raise self.refuse(f"{path} on {_brief(storage)} instead of a storage")
        if type(offset) is not int or not _ints(shape) or not _ints(strides) or type(requires_grad) is not bool:
            raise self.refuse(f"{path} with a malformed offset, size, stride or requires_grad")
        dtype = storage.dtype
        if name == "_rebuild_tensor_v3":
            if storage.dtype != "untyped" or not _is_dtype(args[6]):
                raise self.refuse(f"{path} needs an untyped storage and a dtype")
            dtype = args[6].np
        elif dtype == "untyped":
            raise self.refuse(f"{path} on an untyped storage")
        ref = TensorRef(storage, offset, tuple(shape), tuple(strides), requires_grad, dtype)
        if len(args) > 5:
            ref._pending.append(("backward hooks", args[5]))
        metadata = args[7] if name == "_rebuild_tensor_v3" and len(args) == 8 else (
            args[6] if name == "_rebuild_tensor_v2" and len(args) == 7 else None)
        ref._pending.append(("tensor metadata", metadata))
        self.tensors.append(ref)
        return ref

    # -- step 2: check the finished tree -------------------------------------------------------------
    def _check_tree(self, value: Any) -> None:
        for ref in self.tensors:
            for what, container in ref._pending:
                if not (container is None or type(container) in (dict, OrderedDict) and not container):
                    size = f"{len(container)} entries" if hasattr(container, "__len__") else _brief(container)
                    raise self.refuse(f"a tensor with {what} ({type(container).__name__} of {size}); chaingrad "
                                      "loads only the numbers")
            if ref.requires_grad and ref.dtype != "untyped" and ref.dtype.kind != "f":
                raise self.refuse(f"a tensor of dtype {ref.dtype} that requires grad (only floating-point "
                                  "tensors can)")
        seen: set[int] = set()
        todo: list[tuple[Any, int]] = [(value, 0)]
        while todo:
            item, depth = todo.pop()
            if depth > MAX_DEPTH:
                raise self.refuse(f"containers nested deeper than {MAX_DEPTH} levels")
            kind = type(item)
            if isinstance(item, Global):
                raise self.refuse(f"{item.path} left as a value (a class or function is not data)")
            if kind is StorageRef:
                raise self.refuse("a bare storage as a value (chaingrad has tensors only; save tensors)")
            if kind in (list, tuple, set, frozenset, dict, OrderedDict, Counter):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                children = list(item.keys()) + list(item.values()) if isinstance(item, dict) else list(item)
                children += list(getattr(item, "__dict__", {}).values())
                todo.extend((c, depth + 1) for c in children)


def _ints(values: Any) -> bool:
    """A size or stride: a tuple (or torch.Size) of ints."""
    return isinstance(values, tuple) and all(type(v) is int for v in values)


def _is_dtype(x: Any) -> bool:
    from .._dtype import dtype

    return isinstance(x, dtype)


def _ascii(x: Any) -> Any:
    return x.decode("ascii", "replace") if type(x) is bytes else x


def _brief(x: Any) -> str:
    """A short description of a value for an error message (never a huge repr)."""
    if isinstance(x, (Global, str, int, float, bool)) or x is None:
        text = repr(x)
        return text if len(text) <= 80 else text[:77] + "..."
    return f"a {type(x).__name__}"


def parse(data: bytes, where: str, *, start: int = 0, encoding: str = "utf-8", storage_fields: int = 5) -> Parsed:
    """Parse and check one pickle of ``data`` starting at ``start``; raises UnsafeFileError on anything not
    on the allow-list. ``Parsed.end`` is the offset just past its STOP."""
    return _Parser(where, encoding, storage_fields).run(data, start)


def resolve(value: Any, make_tensor: Callable[[TensorRef], Any]) -> Any:
    """Replace every TensorRef in the parsed tree by ``make_tensor(ref)`` (one tensor per ref), keeping
    shared containers shared."""
    made: dict[int, Any] = {}
    keep: list[Any] = []

    def sub(x: Any) -> Any:
        kind = type(x)
        if kind is TensorRef:
            if id(x) not in made:
                made[id(x)] = make_tensor(x)
                keep.append(x)
            return made[id(x)]
        if kind in (list, dict, OrderedDict, Counter, tuple, set, frozenset):
            if id(x) in made:
                return made[id(x)]
            if kind is list:
                made[id(x)] = x
                x[:] = [sub(v) for v in x]
            elif kind in (dict, OrderedDict, Counter):
                made[id(x)] = x
                items = list(x.items())
                x.clear()
                for k, v in items:
                    x[k] = sub(v)
                for k, v in list(getattr(x, "__dict__", {}).items()):
                    x.__dict__[k] = sub(v)
            else:
                new = kind(sub(v) for v in x)
                made[id(x)] = x if all(a is b for a, b in zip(new, x)) else new
                keep.append(x)
            return made[id(x)]
        return x

    return sub(value)
