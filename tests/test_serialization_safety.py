"""chaingrad.load never runs code from a file: a catalog of crafted files, each written here by hand with
pickle opcodes or zip surgery, each refused with an error that names the offending item. The payloads are
live (the standard unpickler, run in a subprocess, creates their marker files), and after chaingrad.load
refuses them no marker file exists."""

from __future__ import annotations

import io
import pickle
import struct
import subprocess
import sys
import tarfile
import time
import warnings
import zipfile

import numpy as np
import pytest
import torch

import chaingrad
from chaingrad.serialization import UnsafeFileError

P = pickle  # opcode constants


# -- writing pickles by hand -----------------------------------------------------------------------------
def glob(module: str, name: str) -> bytes:
    return P.GLOBAL + f"{module}\n{name}\n".encode()


def text(s: str) -> bytes:
    b = s.encode()
    return P.BINUNICODE + struct.pack("<I", len(b)) + b


def ints(*values: int) -> bytes:
    return P.MARK + b"".join(P.BININT + struct.pack("<i", v) for v in values) + P.TUPLE


def call(module: str, name: str, *args: bytes) -> bytes:
    return glob(module, name) + P.MARK + b"".join(args) + P.TUPLE + P.REDUCE


def program(body: bytes, protocol: int = 2) -> bytes:
    return P.PROTO + bytes([protocol]) + body + P.STOP


def storage_id(key: str = "0", kind: str = "FloatStorage", numel: int = 4, location: str = "cpu") -> bytes:
    return P.MARK + text("storage") + glob("torch", kind) + text(key) + text(location) + \
        P.BININT + struct.pack("<i", numel) + P.TUPLE + P.BINPERSID


def tensor(key="0", numel=4, offset=0, size=(4,), stride=(1,), hooks=None, kind="FloatStorage") -> bytes:
    hooks = hooks if hooks is not None else call("collections", "OrderedDict")
    return call("torch._utils", "_rebuild_tensor_v2", storage_id(key, kind, numel),
                P.BININT + struct.pack("<i", offset), ints(*size), ints(*stride), P.NEWFALSE, hooks)


def torch_zip(data_pkl: bytes, storages: dict | None = None, prefix: str = "archive") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{prefix}/data.pkl", data_pkl)
        z.writestr(f"{prefix}/byteorder", "little")
        for key, data in (storages if storages is not None else {"0": np.zeros(4, np.float32).tobytes()}).items():
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", "3\n")
    return buf.getvalue()


def patched_zip(members: list[tuple[str, bytes]], patch) -> bytes:
    """A zip of ``members`` whose ZipInfo entries ``patch(infos)`` may change before the directory is written."""
    buf = io.BytesIO()
    z = zipfile.ZipFile(buf, "w")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": that is the point of one case
        for name, data in members:
            z.writestr(name, data)
    patch(z.filelist)
    z.close()
    return buf.getvalue()


def legacy(main_pickle: bytes, first: bytes | None = None) -> bytes:
    magic = first if first is not None else pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    return magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"little_endian": True}, protocol=2) + \
        main_pickle + pickle.dumps([], protocol=2)


# -- the catalog -----------------------------------------------------------------------------------------
def catalog(marker: str) -> list[tuple[str, bytes, str, bool]]:
    """(name, file bytes, what the error must name, whether its pickle is a live payload)."""
    touch = f"touch {marker}"
    opener = call("builtins", "open", text(marker), text("w"))
    live = [
        ("os.system", program(call("os", "system", text(touch))), r"GLOBAL os\.system"),
        ("posix.system", program(call("posix", "system", text(touch))), r"GLOBAL posix\.system"),
        ("builtins.eval", program(call("builtins", "eval", text(f"open({marker!r}, 'w')"))), r"GLOBAL builtins\.eval"),
        ("builtins.exec", program(call("builtins", "exec", text(f"open({marker!r}, 'w')"))), r"GLOBAL builtins\.exec"),
        ("__builtin__.open (protocol 2 spelling)", program(call("__builtin__", "open", text(marker), text("w"))),
         r"GLOBAL builtins\.open"),
        ("subprocess.Popen", program(glob("subprocess", "Popen") + P.MARK + P.MARK + text("touch") + text(marker) +
                                     P.LIST + P.TUPLE + P.REDUCE), r"GLOBAL subprocess\.Popen"),
        ("os.popen", program(call("os", "popen", text(touch))), r"GLOBAL os\.popen"),
        ("STACK_GLOBAL os.system (protocol 4)",
         program(text("os") + P.MEMOIZE + text("system") + P.MEMOIZE + P.STACK_GLOBAL + text(touch) + P.TUPLE1 +
                 P.REDUCE, protocol=4), r"GLOBAL os\.system"),
        ("getattr(builtins module)", program(call("builtins", "getattr", call("builtins", "__import__", text("os")),
                                                  text("system")) + text(touch) + P.TUPLE1 + P.REDUCE),
         r"GLOBAL builtins\.getattr"),
        ("nested pickle via pickle.loads",
         program(glob("pickle", "loads") + P.SHORT_BINBYTES + bytes([len(pickle.dumps(0))]) + pickle.dumps(0) +
                 P.TUPLE1 + P.REDUCE + P.POP + opener), r"GLOBAL pickle\.loads"),
        ("INST os.system (protocol 0)", program(P.MARK + text(touch) + P.INST + b"os\nsystem\n", protocol=0),
         r"INST is not allowed"),
    ]
    structural = [  # dangerous too, but inert in a plain unpickler (they need torch's loader or a registry)
        ("importlib.import_module", program(call("importlib", "import_module", text("this"))),
         r"GLOBAL importlib\.import_module"),
        ("nested pickle via torch.load", program(call("torch", "load", text("/tmp/other.pt"))), r"GLOBAL torch\.load"),
        ("numpy object array (_reconstruct)", program(call("numpy.core.multiarray", "_reconstruct", text("x"))),
         r"GLOBAL numpy\.core\.multiarray\._reconstruct"),
        ("a tensor hook that calls open", program(tensor(hooks=call("collections", "OrderedDict") + P.MARK +
                                                         P.BININT1 + b"\x00" + opener + P.SETITEMS)),
         r"GLOBAL builtins\.open"),
        ("os.system inside a state dict", program(call("collections", "OrderedDict") + text("weight") + tensor() +
                                                  P.SETITEM + text("evil") + call("os", "system", text(touch)) +
                                                  P.SETITEM), r"GLOBAL os\.system"),
        ("EXT1 (extension registry)", program(P.EXT1 + b"\x01" + text(touch) + P.TUPLE1 + P.REDUCE),
         r"EXT1 is not allowed"),
        ("OBJ of an allowed class", program(P.MARK + glob("collections", "OrderedDict") + P.OBJ),
         "OBJ is not allowed"),
        ("NEWOBJ of an allowed class", program(glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.NEWOBJ),
         "NEWOBJ is not allowed"),
        ("NEWOBJ_EX", program(glob("collections", "Counter") + P.EMPTY_TUPLE + P.EMPTY_DICT + P.NEWOBJ_EX, 4),
         "NEWOBJ_EX is not allowed"),
        ("BUILD on a torch.Size", program(call("torch", "Size", P.EMPTY_TUPLE) + P.EMPTY_DICT + P.BUILD),
         "BUILD on a Size"),
        ("BUILD setting __class__ on an OrderedDict",
         program(call("collections", "OrderedDict") + P.EMPTY_DICT + text("__class__") + text("x") + P.SETITEM +
                 P.BUILD), "BUILD with a state that is not a dict of plain attribute names"),
        ("REDUCE of a storage type", program(call("torch", "FloatStorage", P.BININT1 + b"\x04")),
         "REDUCE of torch.FloatStorage, which is a type"),
        ("REDUCE of a number", program(P.BININT1 + b"\x01" + P.EMPTY_TUPLE + P.REDUCE), "REDUCE of 1"),
        ("tensor on a string instead of a storage",
         program(call("torch._utils", "_rebuild_tensor_v2", text("/etc/passwd"), P.BININT1 + b"\x00", ints(1),
                      ints(1), P.NEWFALSE, call("collections", "OrderedDict"))),
         "on '/etc/passwd' instead of a storage"),
        ("persistent id that is not a storage", program(P.MARK + text("module") + text("os") + P.TUPLE +
                                                        P.BINPERSID), "persistent id of kind 'module'"),
        ("text persistent id (PERSID)", program(P.PERSID + b"0\n"), "PERSID is not allowed"),
        ("storage key with path traversal", program(tensor(key="../../etc/passwd")), "storage key"),
        ("tensor window past its storage (out-of-bounds read)", program(tensor(offset=10 ** 6)),
         "past the end of its storage"),
        ("negative stride", program(tensor(size=(4,), stride=(-1,))), "negative offset, size or stride"),
        ("storage larger than its bytes", program(tensor(numel=1000, size=(1000,))), "should hold 1000 elements"),
        ("storage missing from the archive", program(tensor(key="7")), "missing from the file"),
        ("non-empty backward hooks", program(tensor(hooks=call("collections", "OrderedDict") + P.BININT1 + b"\x00" +
                                                    text("x") + P.SETITEM)), "backward hooks"),
        ("tensor with Python attributes", program(call("torch._tensor", "_rebuild_from_type_v2",
                                                       glob("torch._utils", "_rebuild_tensor_v2"),
                                                       glob("torch", "Tensor"),
                                                       tensor()[len(glob("torch._utils", "_rebuild_tensor_v2")):-2]
                                                       + P.TUPLE, P.EMPTY_DICT + text("owner") + text("x") +
                                                       P.SETITEM)), "Python attributes"),
        ("quantized tensor", program(call("torch._utils", "_rebuild_qtensor", P.NONE)), "quantized tensors"),
        ("bfloat16 storage", program(tensor(kind="BFloat16Storage")), "BFloat16Storage"),
        ("deeply nested lists", program(P.EMPTY_LIST * 300 + P.APPEND * 299), "nested deeper than"),
        ("hash bomb (exponentially shared tuple as a key)",
         program(P.EMPTY_DICT + P.EMPTY_TUPLE + b"".join(P.DUP + P.TUPLE2 for _ in range(60)) + P.NONE + P.SETITEM),
         "keys must be numbers, strings or small tuples"),
        ("memo read before write", program(P.BINGET + b"\x05"), "memo slot 5 is read before it is written"),
        ("out-of-band buffer (protocol 5)", program(P.NEXT_BUFFER, 5), "NEXT_BUFFER is not allowed"),
        ("truncated pickle", program(call("collections", "OrderedDict"))[:-1], "no STOP|malformed"),
        ("unknown opcode", P.PROTO + b"\x02\xff.", "malformed pickle"),
        ("a class left as a value", program(glob("collections", "OrderedDict")), "left as a value"),
        ("set a dict item on a tensor", program(tensor() + P.BININT1 + b"\x01" + P.BININT1 + b"\x02" + P.SETITEM),
         "SETITEM on a TensorRef"),
    ]
    files = [(name, torch_zip(pkl), match, True) for name, pkl, match in live]
    files += [(name, torch_zip(pkl), match, False) for name, pkl, match in structural]

    evil = program(call("os", "system", text(touch)))
    benign = program(tensor())
    files += [
        ("zip member with ..", patched_zip([("archive/../../evil/data.pkl", evil)], lambda infos: None),
         "not a plain relative path", False),
        ("absolute zip member", patched_zip([("archive/data.pkl", benign)],
                                            lambda infos: setattr(infos[0], "filename", "/etc/archive/data.pkl")),
         "not a plain relative path|different name", False),
        ("member outside the archive folder", patched_zip([("archive/data.pkl", benign), ("other/data.pkl", evil)],
                                                          lambda infos: None), "outside the archive's folder", False),
        ("duplicate data.pkl (benign first, evil second)",
         patched_zip([("archive/data.pkl", benign), ("archive/data.pkl", evil)], lambda infos: None),
         "appears twice", False),
        ("a member pointing at another's header", patched_zip(
            [("archive/data.pkl", benign), ("archive/data/0", b"\x00" * 16)],
            lambda infos: setattr(infos[1], "header_offset", infos[0].header_offset)), "different name", False),
        ("overlapping members (data running into the next header)", patched_zip(
            [("archive/data.pkl", benign), ("archive/data/0", b"\x00" * 16)],
            lambda infos: setattr(infos[0], "compress_size", infos[0].compress_size + 40)),
         "'archive/data.pkl' and 'archive/data/0' overlap", False),
        ("local header name differs", patched_zip([("archive/data.pkl", evil), ("archive/x", benign)],
                                                  lambda infos: setattr(infos[0], "filename", "archive/y.pkl")),
         "different name", False),
        ("encrypted member", patched_zip([("archive/data.pkl", evil)], lambda infos: setattr(
            infos[0], "flag_bits", infos[0].flag_bits | 1)), "encrypted", False),
        ("bzip2-compressed member", _bzip2_zip(evil), "compression method 12", False),
        ("TorchScript archive", patched_zip([("archive/data.pkl", benign), ("archive/code/__torch__.py", b"x")],
                                            lambda infos: None), "TorchScript", False),
        ("legacy format with os.system", legacy(evil), r"GLOBAL os\.system", True),
        ("plain pickle with os.system (no magic number)", evil, r"GLOBAL os\.system", True),
        ("legacy format with a wrong magic number", legacy(benign, first=pickle.dumps(1234, protocol=2)),
         "not one written by torch.save", False),
        ("legacy .tar format", _tar_file(evil), "old .tar format", False),
    ]
    return files


def _bzip2_zip(data_pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("archive/data.pkl", data_pkl)
    return buf.getvalue()


def _tar_file(pickled: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("pickle")
        info.size = len(pickled)
        tar.addfile(info, io.BytesIO(pickled))
    return buf.getvalue()


CASES = catalog("MARKER")


@pytest.mark.parametrize("name,_data,match,_live", CASES, ids=[c[0] for c in CASES])
def test_each_crafted_file_is_refused_naming_what_is_wrong(tmp_path, name, _data, match, _live):
    marker = tmp_path / "pwned"
    data = {c[0]: c[1] for c in catalog(str(marker))}[name]
    path = tmp_path / "crafted.pt"
    path.write_bytes(data)
    with pytest.raises((UnsafeFileError, RuntimeError), match=match):
        chaingrad.load(path)
    assert not marker.exists()


def test_the_catalog_is_large_and_its_payloads_are_live(tmp_path):
    """Proof that the payloads are real: the standard unpickler (in a subprocess) creates the markers that
    chaingrad.load never lets appear."""
    assert len(CASES) >= 30
    script = ["import pickle, sys, io, zipfile"]
    markers = []
    for i, (name, _, _, live) in enumerate(catalog("unused")):
        if not live:
            continue
        marker = tmp_path / f"marker{i}"
        data = {c[0]: c[1] for c in catalog(str(marker))}[name]
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                data = z.read(z.namelist()[0])
        elif data[:1] == b"\x80" and name.startswith("legacy"):
            f = io.BytesIO(data)
            for _ in range(3):
                pickle.load(f)
            data = f.read()
        (tmp_path / f"payload{i}.pkl").write_bytes(data)
        script.append(f"try:\n    pickle.loads(open({str(tmp_path / f'payload{i}.pkl')!r}, 'rb').read())\n"
                      "except Exception:\n    pass")
        markers.append((name, marker))
    subprocess.run([sys.executable, "-c", "\n".join(script)], cwd=tmp_path, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 5  # Popen and os.popen finish in their own processes
    while time.time() < deadline and not all(m.exists() for _, m in markers):
        time.sleep(0.05)
    assert [name for name, m in markers if not m.exists()] == []
    assert len(markers) >= 12


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_torch_refuses_the_same_files_chaingrad_refuses(tmp_path):
    """Our refusals match torch.load(weights_only=True)'s for the plainly malicious ones."""
    marker = tmp_path / "pwned"
    for name, data, _, live in catalog(str(marker)):
        if not live or name.startswith(("legacy", "plain")):
            continue
        path = tmp_path / "x.pt"
        path.write_bytes(data)
        with pytest.raises(Exception):  # noqa: B017 - torch's own classes vary per case
            torch.load(path)
    assert not marker.exists()
