"""Downloaded orders and bulk downloads read in place: a ``.zip`` file is a directory of the local tree.

CNSA's data release system delivers orders and ISRO's PRADAN bulk downloads as zip files, not crawlable
trees. A member of ``/data/order.zip`` is named ``/data/order.zip/CE3/…/X.2B`` — a path under the zip file
as if it were a directory — so ``url_join``, ``is_within`` and harvest keys work unchanged, and its bytes
are read through fsspec's zip filesystem without unpacking anything.

>>> split_zip_path("/data/order.zip/CE3/DATA/X.2B")      # doctest: +SKIP
('/data/order.zip', 'CE3/DATA/X.2B')
"""
from __future__ import annotations

import os
from typing import Any

ZIP_SUFFIX = ".zip"

__all__ = ["ZIP_SUFFIX", "is_zip_file", "split_zip_path", "zip_members", "zip_member_info", "open_zip_member"]


def is_zip_file(path: str) -> bool:
    """Whether ``path`` is a local ``.zip`` file (a downloaded order / bulk download)."""
    return path.lower().endswith(ZIP_SUFFIX) and os.path.isfile(path)


def split_zip_path(path: str) -> tuple[str, str] | None:
    """``(zip file, member)`` when ``path`` names a member of a local zip file, else None."""
    normalized = path.replace(os.sep, "/")
    lowered = normalized.lower()
    start = 0
    while True:
        at = lowered.find(ZIP_SUFFIX + "/", start)
        if at < 0:
            return None
        archive, member = normalized[:at + len(ZIP_SUFFIX)], normalized[at + len(ZIP_SUFFIX) + 1:]
        if os.path.isfile(archive):
            return archive, member.strip("/")
        start = at + 1


_OPEN: dict[tuple[str, int, int], Any] = {}
_KEEP = 8   # zip files kept open at once


def _filesystem(archive: str) -> Any:
    """fsspec's zip filesystem over ``archive``, opened once per version of the file (its central
    directory is read once; a rewritten order is opened afresh)."""
    import fsspec

    path = os.path.abspath(archive)
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    fs = _OPEN.get(key)
    if fs is None:
        fs = fsspec.filesystem("zip", fo=path, skip_instance_cache=True)
        if len(_OPEN) >= _KEEP:
            _OPEN.pop(next(iter(_OPEN)), None)
        _OPEN[key] = fs
    return fs


def zip_members(archive: str) -> list[str]:
    """The file members of a zip file, sorted (directories left out)."""
    fs = _filesystem(archive)
    return sorted(name.lstrip("/") for name, info in fs.find("", detail=True).items()
                  if info.get("type") != "directory")


def zip_member_info(archive: str, member: str) -> dict[str, Any]:
    """``size`` and an ``etag`` (CRC-32 and size of the member, plus the archive's modification time) of a
    member; raises FileNotFoundError when the zip holds no such file."""
    fs = _filesystem(archive)
    info = fs.info(member)
    if info.get("type") == "directory":
        raise IsADirectoryError(member)
    crc = int(info.get("CRC", 0) or 0)
    return {"size": int(info.get("size", 0) or 0), "etag": f'"zip-{crc:08x}-{int(info.get("size", 0)):x}"'}


def open_zip_member(archive: str, member: str) -> Any:
    """A binary stream of one member (read in place, nothing unpacked to disk)."""
    return _filesystem(archive).open(member, "rb")
