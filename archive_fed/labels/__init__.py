"""Label readers (PDS3 ODL, PDS4 XML) and the normalizer into product records.

:func:`read_label` sniffs the format from the first bytes, so ``.lbl``, ``.img`` with an attached label,
``.xml`` and Chang'e ``.2BL``/``.2CL`` labels all go through one call.
"""
from __future__ import annotations

import io
import os
from typing import IO, Any

from ..errors import LabelError
from .base import Block, Label, UnitValue
from .normalize import normalize
from .pds4 import PDS4Label, looks_like_xml, parse_pds4

__all__ = ["read_label", "parse_label", "normalize", "Label", "Block", "UnitValue", "PDS4Label"]

MAX_LABEL_BYTES = 16 * 1024 * 1024
_SNIFF = 4096


def parse_label(data: bytes, *, path: str | None = None, lenient: bool = False) -> Label:
    """Parse label bytes already in memory (PDS4 XML or PDS3 ODL, sniffed)."""
    from .pds3 import parse_pds3

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_label takes bytes; use read_label for paths and URLs")
    data = bytes(data)
    if not data.strip():
        raise LabelError("empty file: no label", path=path)
    if looks_like_xml(data[:_SNIFF]):
        return parse_pds4(data, path=path)
    return parse_pds3(data, path=path, lenient=lenient)


def _is_url(target: str) -> bool:
    return "://" in target and not target.startswith("file://")


def read_label(path_or_url: Any, *, lenient: bool = False, transport: Any = None) -> Label:
    """Read and parse a label from a path, a ``file://`` or fsspec URL, or an open binary file.

    PDS3 labels attached to the start of a data file are read up to ``END`` only: the data that follow
    are never read.

    Parameters
    ----------
    path_or_url : str or os.PathLike or binary file
    lenient : bool
        Read mildly broken PDS3 labels with :class:`~archive_fed.errors.LabelWarning` instead of failing.
    transport : archive_fed.transport.Transport, optional
        Used for http(s) URLs (retries, rate limits, credentials); a default one otherwise.

    Raises
    ------
    LabelError
        Naming the file and the line (PDS3) or line/element (PDS4) of the defect.

    Examples
    --------
    >>> import archive_fed as af                                        # doctest: +SKIP
    >>> label = af.read_label("TC1S2B0_01_06691S820E0465.lbl")          # doctest: +SKIP
    >>> label.format, label["MISSION_NAME"]                              # doctest: +SKIP
    ('PDS3', 'SELENE')
    """
    if hasattr(path_or_url, "read"):
        return _read_stream(path_or_url, path=getattr(path_or_url, "name", None), lenient=lenient)
    target = os.fspath(path_or_url)
    if _is_url(target):
        return _read_url(target, lenient=lenient, transport=transport)
    local = target[len("file://"):] if target.startswith("file://") else target
    try:
        with open(local, "rb") as stream:
            return _read_stream(stream, path=os.path.abspath(local), lenient=lenient)
    except FileNotFoundError:
        raise LabelError("no such file", path=target) from None
    except IsADirectoryError:
        raise LabelError("is a directory, not a label", path=target) from None
    except PermissionError:
        raise LabelError("permission denied", path=target) from None
    except OSError as exc:
        raise LabelError(f"cannot read: {exc.strerror or exc}", path=target) from None


def _read_stream(stream: IO[bytes], *, path: str | None, lenient: bool) -> Label:
    head = stream.read(_SNIFF)
    if not head.strip():
        raise LabelError("empty file: no label", path=path)
    if looks_like_xml(head):
        rest = stream.read(MAX_LABEL_BYTES + 1 - len(head))
        data = head + rest
        if len(data) > MAX_LABEL_BYTES:
            raise LabelError(f"XML label larger than {MAX_LABEL_BYTES} bytes", path=path)
        return parse_pds4(data, path=path)
    from .pds3 import read_pds3

    label = read_pds3(_Prefixed(head, stream, name=path), lenient=lenient)
    label.path = path
    return label


def _read_url(url: str, *, lenient: bool, transport: Any) -> Label:
    from ..transport import Transport
    from .remote import fetch_label

    response = fetch_label(transport or Transport(), url)
    return parse_label(response.content, path=url, lenient=lenient)


class _Prefixed(io.RawIOBase):
    """A binary stream that yields ``head`` then the rest of ``stream`` (so sniffing costs no seek)."""

    def __init__(self, head: bytes, stream: IO[bytes], name: str | None = None) -> None:
        self._head = head
        self._stream = stream
        self.name = name or getattr(stream, "name", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._stream.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
