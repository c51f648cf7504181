"""Fetching label bytes from archives without fetching the data they describe.

Detached labels and PDS4 XML are fetched whole (they are small; the transport caps sizes). A PDS3 label
attached to the start of an image is fetched by HTTP ``Range`` in growing pieces until its ``END`` line, so
harvesting a volume of 500 MB images moves kilobytes per product. Local mirror files are read the same way.
Conditional requests (``ETag``/``Last-Modified``; for local files size + mtime) let a rerun skip
unchanged labels.
"""
from __future__ import annotations

import os
import re
from typing import Any

from ..errors import FetchError

#: Extensions of files that may carry an attached PDS3 label before their data.
ATTACHED_SUFFIXES = (".img", ".dat", ".qub", ".cub", ".tab", ".bin", ".raw", ".sp", ".fit")
FIRST_PIECE = 64 * 1024
MAX_LABEL = 16 * 1024 * 1024
_END = re.compile(rb"(?:^|[\r\n])[ \t]*END[ \t]*(?:/\*[^\r\n]*)?(?:\r\n|\n|\r|$)")


def has_end(data: bytes) -> bool:
    return _END.search(data) is not None


#: Chang'e-1/2/3 products: PDS3 labels attached to files named by their level (``.2B``, ``.2C``, ``.01``)
_CHANGE_LEVEL = re.compile(r"/CE\d_[^/]*\.\d[0-9A-Z]$", re.IGNORECASE)


def may_be_attached(url: str) -> bool:
    path = url.split("?", 1)[0]
    return path.lower().endswith(ATTACHED_SUFFIXES) or bool(_CHANGE_LEVEL.search("/" + path.replace("\\", "/")))


def _conditional_headers(conditional: dict[str, Any] | None) -> dict[str, str]:
    headers = {}
    if conditional and conditional.get("etag"):
        headers["If-None-Match"] = str(conditional["etag"])
    if conditional and conditional.get("last_modified"):
        headers["If-Modified-Since"] = str(conditional["last_modified"])
    return headers


def fetch_label(transport: Any, url: str, *, conditional: dict[str, Any] | None = None) -> Any:
    """The label bytes at ``url`` as a transport ``Response`` (``.content``, ``.etag``,
    ``.last_modified``, ``.not_modified``, ``.attempts``)."""
    from ..transport import Response

    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("", "file"):
        return _fetch_local(url, conditional, Response)
    if scheme not in ("http", "https") or not may_be_attached(url):
        if scheme in ("http", "https"):   # capped at a label's size: a 300 MB "label" is not downloaded
            return transport.get(url, conditional=conditional, max_bytes=MAX_LABEL)
        return Response(url, 200, content=transport.fetch_bytes(url, max_bytes=MAX_LABEL))
    headers = _conditional_headers(conditional)
    piece = FIRST_PIECE
    response = transport.get_range(url, 0, piece, headers=headers)
    if response.not_modified:
        return response
    content = response.content
    while not has_end(content) and len(content) >= piece and piece < MAX_LABEL:
        piece = min(piece * 4, MAX_LABEL)
        more = transport.get_range(url, len(content), piece)
        if not more.content:
            break
        content += more.content
    response.content = content
    return response


def _fetch_local(url: str, conditional: dict[str, Any] | None, response_cls: Any) -> Any:
    path = url[len("file://"):] if url.startswith("file://") else url
    try:
        stat = os.stat(path)
        size, etag, inside = stat.st_size, f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"', None
    except OSError:
        from ..transport.zips import split_zip_path, zip_member_info

        inside = split_zip_path(path)      # a member of a downloaded order / bulk zip
        try:
            info = zip_member_info(*inside) if inside else None
        except (OSError, KeyError):
            info = None
        if info is None:
            raise FetchError("no such file", path=url) from None
        size, etag = info["size"], info["etag"]
    headers = {"ETag": etag}
    if conditional and conditional.get("etag") == etag:
        return response_cls(url, 304, headers, b"", attempts=1, not_modified=True)
    try:
        if inside is None:
            stream_cm = open(path, "rb")
        else:
            from ..transport.zips import open_zip_member

            stream_cm = open_zip_member(*inside)
        with stream_cm as stream:
            if not may_be_attached(path):
                if size > MAX_LABEL:
                    raise FetchError(f"label file larger than {MAX_LABEL} bytes", path=url)
                content = stream.read()
            else:
                content = stream.read(FIRST_PIECE)
                while not has_end(content) and len(content) < min(size, MAX_LABEL):
                    chunk = stream.read(len(content) * 3)
                    if not chunk:
                        break
                    content += chunk
    except OSError as exc:
        raise FetchError(f"cannot read: {exc.strerror or exc}", path=url) from None
    return response_cls(url, 200, headers, content, attempts=1)
