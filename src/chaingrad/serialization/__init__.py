"""``chaingrad.save`` / ``chaingrad.load``: PyTorch's checkpoint files, both ways, without running code.

``save`` writes PyTorch's own format (the zip archive of ``torch.save``), so ``torch.load(path)`` reads
what chaingrad saved, and a ``.safetensors`` file when the name ends so. ``load`` reads files written by
``torch.save`` (zip or the pre-1.6 format), by ``chaingrad.save``, ``.safetensors`` files and chaingrad 0.1's
``.npz`` checkpoints. Pickles are read by chaingrad's own allow-list interpreter (``unpickler.py``): only
tensors, numbers, strings and containers of them, the promise of torch's ``weights_only=True``; anything
else is refused, naming it, before any object is built.

Saving to a path is atomic: the file is written next to the target under a temporary name, flushed,
fsynced and renamed over it, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from collections.abc import Callable
from typing import IO, Any

from . import npz, safetensors_io, torch_legacy, torch_zip
from .pickler import TorchPickler
from .rebuild import Restore
from .unpickler import UnsafeFileError

__all__ = ["UnsafeFileError", "load", "safetensors_metadata", "save"]

FileLike = str | os.PathLike | IO[bytes]


def save(obj: Any, f: FileLike, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False, *,
         metadata: dict[str, str] | None = None) -> None:
    """Save ``obj`` to the path or binary file ``f`` in PyTorch's format (``torch.load`` reads it).

    ``obj`` may be a tensor, a state dict, or nested dicts/lists/tuples/OrderedDicts/sets of tensors,
    NumPy arrays (stored as tensors), numbers, strings, bytes, None and dtypes. Tensors that share memory
    (views of one tensor) are stored once and share memory again when loaded; as with torch.save, a view
    stores its whole base tensor (``clone()`` a small slice of a big tensor first). A path ending in
    ``.safetensors`` gets a safetensors file instead (a flat dict of tensors, with optional ``metadata``).
    ``_use_new_zipfile_serialization=False`` writes torch's pre-1.6 format.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("chaingrad.save writes the pickle itself (only data, as torch.load(weights_only=True) "
                         "reads it); leave pickle_module unset")
    if pickle_protocol != 2:
        raise ValueError(f"chaingrad.save writes pickle protocol 2 (torch.save's default, the one "
                         f"torch.load(weights_only=True) reads); got pickle_protocol={pickle_protocol}")
    path = None if hasattr(f, "write") else os.fspath(f)
    if path is not None and path.endswith(".safetensors"):
        payload = safetensors_io.dumps(obj, metadata)
        _atomic_write(path, lambda out: out.write(payload))
        return
    if metadata is not None:
        raise ValueError("chaingrad.save: metadata is stored only in .safetensors files; put it in the saved "
                         "dict instead")

    if _use_new_zipfile_serialization:
        pickler = TorchPickler()
        data_pkl = pickler.dumps(obj)

        def write(out: IO[bytes]) -> None:
            torch_zip.write(out, _archive_name(path), data_pkl, pickler.storages, not _disable_byteorder_record)
    else:
        buffer = io.BytesIO()
        torch_legacy.write(obj, buffer)  # pickled up front: an unsavable object leaves no file behind

        def write(out: IO[bytes]) -> None:
            out.write(buffer.getbuffer())

    if path is None:
        write(f)  # type: ignore[arg-type]  # (a file object: hasattr(f, "write") above)
    else:
        _atomic_write(path, write)


def _archive_name(path: str | None) -> str:
    """torch.save names the archive's top folder after the file (``model.pt`` -> ``model/``)."""
    if path is None:
        return "archive"
    stem = os.path.splitext(os.path.basename(path))[0]
    return stem if stem and "/" not in stem and "\\" not in stem else "archive"


def _atomic_write(path: str, write: Callable[[IO[bytes]], Any]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load a file written by ``torch.save``, ``chaingrad.save`` or safetensors; never runs code from it.

    - ``map_location``: as torch's: ``'cpu'``, a ``{saved: target}`` dict, or a function
      ``(storage, location)`` (it gets each storage as a flat NumPy array and returns it, or None). chaingrad
      computes on the CPU, so tensors saved on a GPU need ``map_location='cpu'``.
    - ``weights_only``: chaingrad reads only data whatever its value; ``False`` does not enable running
      code from the file (a file that needs it is refused, naming what it holds).
    - ``mmap=True``: map the storages from the file instead of reading them (copy-on-write, like torch's
      default ``MAP_PRIVATE``); needs a path to a zip-format or safetensors file.
    - ``encoding``: how Python 2 strings in old files decode (``'utf-8'`` by default, ``'latin1'``, or
      ``'bytes'`` to keep them as bytes).
    """
    if pickle_module is not None:
        raise RuntimeError("chaingrad.load never unpickles with a pickle module (that could run code from the "
                           "file); leave pickle_module unset")
    if weights_only not in (None, True, False):
        raise TypeError(f"chaingrad.load: weights_only should be True, False or None, got {weights_only!r}")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"chaingrad.load got unexpected keyword arguments {sorted(pickle_load_args)} (of the "
                        "pickle options only encoding applies)")
    restore = Restore(map_location)
    path = None if hasattr(f, "read") else os.fspath(f)
    where = repr(path) if path is not None else "the file object"
    if mmap and path is None:
        raise ValueError("f must be a file path in order to use the mmap argument")
    try:
        if path is not None:
            with open(path, "rb") as fh:
                return _load(fh, path, where, restore, bool(mmap), encoding)
        stream: Any = f
        if not (hasattr(stream, "seekable") and stream.seekable()):
            stream = io.BytesIO(stream.read())
        return _load(stream, None, where, restore, False, encoding)
    except UnsafeFileError as e:
        if weights_only is False:
            raise UnsafeFileError(f"{e} (weights_only=False does not change this: chaingrad has no loader that "
                                  "runs code)") from None
        raise


def _load(fh: IO[bytes], path: str | None, where: str, restore: Restore, mmap: bool, encoding: str) -> Any:
    start = fh.tell()
    head = fh.read(512)
    fh.seek(start)
    if path is not None and path.endswith(".safetensors") or safetensors_io.looks_like(head):
        return safetensors_io.load(fh, path, where, restore, mmap)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if _is_npz(fh):
            if mmap:
                raise ValueError(f"chaingrad.load: {where} is a chaingrad 0.1 (.npz) checkpoint, which cannot be "
                                 "memory-mapped; load it without mmap=True")
            return npz.load(fh.read(), where)
        return torch_zip.load(fh, where, restore, path if mmap else None, encoding)
    if mmap:
        raise RuntimeError(f"mmap can only be used with files saved with `torch.save({path}, "
                           "_use_new_zipfile_serialization=True)`, please torch.save your checkpoint with this "
                           "option in order to use mmap.")
    if head[257:262] == b"ustar":
        raise UnsafeFileError(f"{where} is in torch's old .tar format, which cannot be loaded safely (as "
                              "torch.load(weights_only=True) refuses it too); re-save it with a current PyTorch")
    if head[:6] == b"\x93NUMPY":
        raise ValueError(f"chaingrad.load: {where} is a single .npy array, not a checkpoint; read it with "
                         "numpy.load(path, allow_pickle=False) and chaingrad.from_numpy")
    if head[:1] == b"\x80" or head[:1] in (b"(", b"c", b"]", b"}", b"K", b"I", b"L"):
        return torch_legacy.load(fh.read(), where, restore, encoding)
    raise ValueError(f"chaingrad.load: {where} is not a checkpoint: chaingrad reads torch.save files (a zip "
                     "archive or the legacy pickle format), chaingrad.save files and .safetensors files")


def _is_npz(fh: IO[bytes]) -> bool:
    import zipfile

    start = fh.tell()
    try:
        with zipfile.ZipFile(fh) as z:
            return npz.is_npz(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        fh.seek(start)


def safetensors_metadata(f: FileLike) -> dict[str, str] | None:
    """The ``{str: str}`` metadata stored in a .safetensors file (None when it has none)."""
    if not isinstance(f, (str, os.PathLike)):
        return safetensors_io.metadata(f, "the file object")
    with open(os.fspath(f), "rb") as fh:
        return safetensors_io.metadata(fh, repr(os.fspath(f)))
