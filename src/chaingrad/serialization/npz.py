"""Files written by chaingrad 0.1's ``chaingrad.save``: a NumPy ``.npz`` archive with one ``.npy`` entry
per array and ``__chaingrad__``, a UTF-8 JSON description of the object. Read only (chaingrad now writes
PyTorch's format); NumPy reads the arrays with ``allow_pickle=False``, so no code can run."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

FORMAT = "chaingrad-save"
VERSION = 1
STRUCTURE = "__chaingrad__"


def is_npz(names: list[str]) -> bool:
    return STRUCTURE + ".npy" in names


def load(raw: bytes, where: str) -> Any:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            header = json.loads(bytes(archive[STRUCTURE]).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError(f"chaingrad.load: {where} is not a chaingrad checkpoint")
            if header.get("version", 0) > VERSION:
                raise ValueError(f"chaingrad.load: {where} was written by a newer chaingrad (format version "
                                 f"{header['version']}); upgrade chaingrad to read it")
            arrays = {key: archive[key] for key in archive.files if key != STRUCTURE}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"chaingrad.load: {where} is damaged or incomplete ({e})") from None
    return _Decoder(arrays).decode(header.get("object"))


class _Decoder:
    """The JSON tree back to objects: ``{"$": kind, ...}`` nodes for tensors, tuples, dicts and the rest."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self._made: dict[str, Any] = {}

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("$")
        if kind == "float":
            return float(node["value"])
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind in ("dict", "OrderedDict", "Counter"):
            cls = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}[kind]
            return cls({_key(self.decode(k)): self.decode(v) for k, v in node["items"]})
        if kind == "ndarray":
            return self._array(node["key"]).copy()
        if kind == "tensor":
            return self._tensor(node)
        if kind == "dtype":
            from .._dtype import to_dtype

            return to_dtype(node["name"])
        raise ValueError(f"chaingrad.load: unknown entry {kind!r} in the file's structure")

    def _array(self, key: str) -> np.ndarray:
        if key not in self.arrays:
            raise ValueError(f"chaingrad.load: the file's structure names array {key!r}, which it does not hold")
        return self.arrays[key]

    def _tensor(self, node: dict) -> Any:
        from ..tensor import Tensor

        key = node["key"]
        if key not in self._made:
            array = np.array(self._array(key))
            requires_grad = bool(node.get("requires_grad", False))
            if node.get("parameter"):
                from ..nn.parameter import Parameter

                self._made[key] = Parameter(Tensor._wrap(array), requires_grad=requires_grad)
            else:
                self._made[key] = Tensor._wrap(array, requires_grad)
        return self._made[key]


def _key(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
