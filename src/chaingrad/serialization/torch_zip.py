"""PyTorch's file format (``torch.save`` since 1.6): an uncompressed zip archive ``<name>/`` holding

    data.pkl                 the object, pickled (protocol 2); tensors refer to storages by key
    .format_version          "1"
    .storage_alignment       "64": each storage's bytes start at a multiple of 64 in the file
    byteorder                "little" or "big"
    data/0, data/1, ...      the raw bytes of each storage
    version                  "3"
    .data/serialization_id   an id for the file

Reading checks the archive before trusting it: one top folder, no absolute or ``..`` names, no duplicate
or overlapping members, no encryption, storages of exactly the declared size.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import typing
import zipfile
from typing import IO, Any

import numpy as np

from .pickler import Storage
from .rebuild import Restore, StoragePlan, build, plan
from .unpickler import UnsafeFileError, parse

ALIGNMENT = 64
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature ... file name length, extra field length


# -- writing ---------------------------------------------------------------------------------------------
def write(out: IO[bytes], archive: str, data_pkl: bytes, storages: list[Storage], byteorder: bool = True) -> None:
    """Write the archive to the binary file ``out``, records in the order torch.save writes them
    (``byteorder=False``: without the byte-order record, as torch's ``_disable_byteorder_record``)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        _record(z, f"{archive}/data.pkl", data_pkl)
        _record(z, f"{archive}/.format_version", b"1")
        _record(z, f"{archive}/.storage_alignment", str(ALIGNMENT).encode())
        if byteorder:
            _record(z, f"{archive}/byteorder", sys.byteorder.encode())
        for s in storages:
            _record(z, f"{archive}/data/{s.key}", np.ascontiguousarray(s.block).view(np.uint8).data)
        _record(z, f"{archive}/version", b"3\n")
        _record(z, f"{archive}/.data/serialization_id", str(int.from_bytes(os.urandom(16), "big")).zfill(40).encode())


def _record(z: zipfile.ZipFile, name: str, data: bytes | memoryview) -> None:
    """One stored member whose data starts on an ALIGNMENT boundary (padding in an extra field, as torch)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(data)
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # the rule zipfile uses to add its zip64 field
    header = _LOCAL_HEADER.size + len(name.encode()) + 4 + (20 if zip64 else 0)
    pad = -(z.start_dir + header) % ALIGNMENT
    info.extra = struct.pack("<2sH", b"FB", pad) + b"Z" * pad
    with z.open(info, "w", force_zip64=zip64) as dest:
        dest.write(data)


# -- reading ---------------------------------------------------------------------------------------------
def load(f: IO[bytes], where: str, restore: Restore, mmap_path: str | None, encoding: str) -> Any:
    """Read a torch.save zip archive from the seekable binary file ``f``."""
    try:
        z = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsafeFileError(f"{where} is damaged or incomplete: {e}") from None
    with z:
        members, prefix = check_archive(z, f, where)
        if f"{prefix}/constants.pkl" in members or any(n.startswith(f"{prefix}/code/") for n in members):
            raise UnsafeFileError(f"{where} is a TorchScript archive (torch.jit.save): it holds code, which "
                                  "chaingrad never runs. Load it in PyTorch with torch.jit.load and save its "
                                  "state_dict() with torch.save.")
        if f"{prefix}/data.pkl" not in members:
            raise UnsafeFileError(f"{where} is a zip archive without {prefix}/data.pkl: not a torch.save file")
        data_pkl = _read(z, members[f"{prefix}/data.pkl"], where)
        byteorder: str = sys.byteorder
        if f"{prefix}/byteorder" in members:
            byteorder = _read(z, members[f"{prefix}/byteorder"], where).decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise UnsafeFileError(f"{where}: unknown byte order {byteorder!r}")
        else:
            byteorder = "little"  # files from before the record existed were written on little-endian machines
        parsed = parse(data_pkl, f"{where} (data.pkl)", encoding=encoding)

        def available(key: str) -> int | None:
            info = members.get(f"{prefix}/data/{key}")
            return None if info is None else info.file_size

        plans = plan(parsed, where, available, restore)

        def read(p: StoragePlan) -> np.ndarray:
            info = members[f"{prefix}/data/{p.ref.key}"]
            if mmap_path is not None:
                return _mapped(mmap_path, info, f, where)
            buffer = np.empty(info.file_size, dtype=np.uint8)
            with z.open(info) as src:
                view, done, reader = buffer.data, 0, typing.cast(io.BufferedIOBase, src)
                while done < info.file_size:
                    n = reader.readinto(view[done:])
                    if not n:
                        raise UnsafeFileError(f"{where}: {info.filename} is truncated")
                    done += n
            return buffer

        try:
            return build(parsed, plans, read, restore, byteorder)
        except zipfile.BadZipFile as e:
            raise UnsafeFileError(f"{where} is damaged: {e}") from None


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    try:
        return z.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise UnsafeFileError(f"{where} is damaged or incomplete: {e}") from None


def _mapped(path: str, info: zipfile.ZipInfo, f: IO[bytes], where: str) -> np.ndarray:
    """The member's bytes mapped from the file, copy-on-write (torch's default MAP_PRIVATE)."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"chaingrad.load: mmap=True needs uncompressed members, but {info.filename} in {where} is "
                         "compressed")
    if info.file_size == 0:
        return np.empty(0, dtype=np.uint8)
    start = _data_start(f, info)
    return np.memmap(path, dtype=np.uint8, mode="c", offset=start, shape=(info.file_size,)).view(np.ndarray)


def _data_start(f: IO[bytes], info: zipfile.ZipInfo) -> int:
    f.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
    return info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]


def check_archive(z: zipfile.ZipFile, f: IO[bytes], where: str) -> tuple[dict[str, zipfile.ZipInfo], str]:
    """The members by name and the archive's top folder, after refusing a crafted archive."""
    infos = z.infolist()
    if not infos:
        raise UnsafeFileError(f"{where} is an empty zip archive")
    if "/" not in infos[0].filename:
        raise UnsafeFileError(f"{where} is a zip archive but not a torch.save file (torch.save puts data.pkl and "
                              "the storages in one folder)")
    prefix = infos[0].filename.split("/", 1)[0]
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        parts = name.split("/")
        if (name.startswith("/") or "\\" in name or ":" in parts[0] or any(p in ("", ".", "..") for p in parts)
                or any(ord(c) < 32 for c in name)):
            raise UnsafeFileError(f"{where}: member name {name!r} is not a plain relative path (an absolute path, "
                                  "'..' or a drive); refused")
        if parts[0] != prefix or len(parts) < 2:
            raise UnsafeFileError(f"{where}: member {name!r} is outside the archive's folder {prefix!r}; refused")
        if name in members:
            raise UnsafeFileError(f"{where}: member {name!r} appears twice; refused")
        if info.flag_bits & 0x1:
            raise UnsafeFileError(f"{where}: member {name!r} is encrypted; refused")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeFileError(f"{where}: member {name!r} uses compression method {info.compress_type} "
                                  "(torch writes uncompressed members); refused")
        members[name] = info
    _check_no_overlap(infos, f, z.start_dir, where)
    return members, prefix


def _check_no_overlap(infos: list[zipfile.ZipInfo], f: IO[bytes], central_directory: int, where: str) -> None:
    """Each member's header and data must lie apart from every other's and before the central directory
    (overlapping members are how zip bombs and disguised contents are made)."""
    spans = []
    for info in infos:
        f.seek(info.header_offset)
        raw = f.read(_LOCAL_HEADER.size)
        if len(raw) < _LOCAL_HEADER.size or raw[:4] != b"PK\x03\x04":
            raise UnsafeFileError(f"{where}: member {info.filename!r} has no local header at offset "
                                  f"{info.header_offset}; the archive is damaged or crafted")
        fields = _LOCAL_HEADER.unpack(raw)
        raw_name = f.read(fields[-2])
        if raw_name.decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace") != info.filename:
            raise UnsafeFileError(f"{where}: member {info.filename!r} has a different name in its local header; "
                                  "refused")
        end = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1] + info.compress_size
        spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (_, end, name), (start, _, other) in zip(spans, spans[1:]):
        if start < end:
            raise UnsafeFileError(f"{where}: members {name!r} and {other!r} overlap in the file; refused")
    if spans and spans[-1][1] > central_directory:
        raise UnsafeFileError(f"{where}: member {spans[-1][2]!r} overlaps the archive's directory; refused")
