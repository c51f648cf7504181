"""Walking an archive tree: HTML directory listings over HTTP(S), the filesystem for local mirrors, fsspec
``find`` for everything else. Links leaving the tree (``..``, other hosts, absolute paths, ``file://``)
are never followed."""
from __future__ import annotations

import html
import logging
import os
import re
from collections import deque
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from ..errors import FetchError
from ..transport import is_within, url_join
from ..transport.zips import is_zip_file, zip_members

log = logging.getLogger("archive_fed.sources")

_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
MAX_ENTRIES = 5_000_000


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def parse_listing(page: str, base: str) -> list[str]:
    """Absolute URLs of the entries an HTML directory listing links to, inside ``base`` only.

    Sort links (``?C=N;O=D``), fragments, the parent directory and anything outside ``base`` are dropped;
    directories keep their trailing ``/``.
    """
    entries: list[str] = []
    seen: set[str] = set()
    for match in _HREF.finditer(page):
        href = html.unescape(next(g for g in match.groups() if g is not None)).strip()
        if not href or href.startswith(("?", "#", "mailto:", "javascript:")):
            continue
        href = href.split("#", 1)[0].split("?", 1)[0]
        url = url_join(base, href)
        if url.rstrip("/") == base.rstrip("/") or not is_within(base, url) or url in seen:
            continue
        seen.add(url)
        entries.append(url)
    return entries


def walk(transport: Any, root: str, *, max_depth: int = 32, zips: bool = False) -> Iterator[str]:
    """Every file URL (or path) below ``root``, breadth first, in listing order.

    A local ``root`` that is a ``.zip`` file (a downloaded order, a bulk download) is walked as the
    directory of its members (``order.zip/CE3/…``, read in place); with ``zips=True`` the ``.zip`` files
    found in a local tree are walked so too."""
    scheme = _scheme(root)
    if scheme in ("", "file"):
        yield from _walk_local(root, zips)
        return
    if scheme not in ("http", "https"):
        yield from _walk_fsspec(root)
        return
    base = root if root.endswith("/") else root + "/"
    queue: deque[tuple[str, int]] = deque([(base, 0)])
    visited = {base}
    count = 0
    while queue:
        directory, depth = queue.popleft()
        response = transport.get(directory)
        for url in parse_listing(response.text, directory):
            if not is_within(base, url):
                continue
            count += 1
            if count > MAX_ENTRIES:
                raise FetchError(f"directory listing larger than {MAX_ENTRIES} entries", path=root)
            if url.endswith("/"):
                if depth + 1 <= max_depth and url not in visited:
                    visited.add(url)
                    queue.append((url, depth + 1))
            else:
                yield url


def list_directory(transport: Any, directory: str) -> list[str]:
    """The entries of one directory (HTML listing, local directory or fsspec ``ls``), sorted;
    sub-directories end with ``/``. Raises :class:`FetchError` when it is not a directory."""
    scheme = _scheme(directory)
    base = directory if directory.endswith("/") else directory + "/"
    if scheme in ("http", "https"):
        return parse_listing(transport.get(base).text, base)
    if scheme in ("", "file"):
        path = unquote(urlsplit(directory).path) if directory.startswith("file://") else directory
        if not os.path.isdir(path):
            raise FetchError("not a directory", path=directory)
        return [os.path.join(path, name) + ("/" if os.path.isdir(os.path.join(path, name)) else "")
                for name in sorted(os.listdir(path))]
    import fsspec

    fs, path = fsspec.core.url_to_fs(base)
    protocol = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    return [f"{protocol}://{e['name'].lstrip('/')}" + ("/" if e.get("type") == "directory" else "")
            for e in sorted(fs.ls(path, detail=True), key=lambda e: e["name"])]


def _walk_local(root: str, zips: bool = False) -> Iterator[str]:
    path = unquote(urlsplit(root).path) if root.startswith("file://") else root
    if is_zip_file(path.rstrip("/" + os.sep)):
        yield from _zip_members(path.rstrip("/" + os.sep))
        return
    if not os.path.isdir(path):
        raise FetchError("not a directory", path=root)
    for folder, folders, files in os.walk(path):
        folders.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            if zips and is_zip_file(full):
                yield from _zip_members(full)
            else:
                yield full


def _zip_members(archive: str) -> Iterator[str]:
    import zipfile

    try:
        members = zip_members(archive)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise FetchError(f"not a readable zip file ({type(exc).__name__})", path=archive) from None
    for member in members:
        if ".." in member.split("/"):
            continue                        # never a member outside the order
        yield f"{archive}/{member}"


def _walk_fsspec(root: str) -> Iterator[str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(root)
    protocol = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    for name in sorted(fs.find(path)):
        yield f"{protocol}://{name.lstrip('/')}" if protocol not in ("file", "local") else name
