"""Downloading as torchvision does: fetch a URL into a folder (skipped when a file with the right MD5 is
already there), check the MD5, and unpack ``.gz`` files next to the download."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.request

USER_AGENT = "chaingrad"
CHUNK = 1024 * 1024


def calculate_md5(fpath: str | os.PathLike, chunk_size: int = CHUNK) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str | os.PathLike, md5: str) -> bool:
    return md5 == calculate_md5(fpath)


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """The file exists (and has this MD5, when one is given)."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url: str, root: str | os.PathLike, filename: str | None = None, md5: str | None = None,
                 timeout: float = 30.0) -> None:
    """Download ``url`` to ``root/filename``; a present file with the right MD5 is kept. The data goes to a
    temporary name first, so an interrupted download never looks complete. Raises urllib's URLError when
    the server cannot be reached, RuntimeError when the file's MD5 is wrong."""
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        print(f"Using downloaded and verified file: {fpath}")
        return
    partial = fpath + ".partial"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out, CHUNK)
    os.replace(partial, fpath)
    if not check_integrity(fpath, md5):
        raise RuntimeError(f"File not found or corrupted: {fpath} downloaded from {url} has MD5 "
                           f"{calculate_md5(fpath)}, expected {md5}")


def extract_archive(from_path: str, to_path: str | None = None, remove_finished: bool = False) -> str:
    """Unpack a ``.gz`` file into ``to_path`` (its folder by default); returns the folder."""
    to_path = to_path or os.path.dirname(from_path)
    if not from_path.endswith(".gz"):
        raise RuntimeError(f"extract_archive: {from_path} is not a .gz file (the only kind these datasets use)")
    target = os.path.join(to_path, os.path.basename(from_path)[:-3])
    with gzip.open(from_path, "rb") as src, open(target + ".partial", "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)
    os.replace(target + ".partial", target)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str, extract_root: str | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root or download_root, remove_finished)
