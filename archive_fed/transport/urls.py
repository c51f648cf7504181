"""URL helpers shared by the transport and the sources: joining, containment, redaction.

Examples
--------
>>> url_join("https://host/VOL/INDEX/INDEX.LBL", "INDEX.TAB")
'https://host/VOL/INDEX/INDEX.TAB'
>>> is_within("https://host/VOL/", "https://host/VOL/../../etc/passwd")
False
>>> redact_url("https://me:pw@host/x?token=abc")
'https://host/x?token=***'
"""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

from ..errors import FetchError

__all__ = ["redact_url", "split_userinfo", "split_secrets", "redact_text", "url_scheme", "file_url_to_path", "url_join", "is_within",
           "hostname", "host_key", "with_params", "SECRET_PARAMS", "DEFAULT_PORTS"]

#: Query parameters whose values are masked in logs and error messages.
SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "password", "passwd", "secret",
                           "signature", "sig", "x-amz-signature", "x-amz-credential", "x-amz-security-token"})
DEFAULT_PORTS = {"http": 80, "https": 443}
_CHAINED = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)::")


def redact_url(url: str) -> str:
    """``url`` without ``user:password@`` and with secret-looking query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def split_secrets(url: str) -> tuple[str, list[tuple[str, str]]]:
    """``(url without secret-looking query parameters, those parameters)``.

    >>> split_secrets("https://h/VOL/?token=abc&q=1")
    ('https://h/VOL/?q=1', [('token', 'abc')])
    """
    parts = urlsplit(url)
    if not parts.query:
        return url, []
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secrets = [(k, v) for k, v in pairs if k.lower() in SECRET_PARAMS]
    if not secrets:
        return url, []
    kept = urlencode([(k, v) for k, v in pairs if k.lower() not in SECRET_PARAMS])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, kept, parts.fragment)), secrets


_SECRET_TEXT = re.compile(r"(?i)([?&;](?:%s)=)[^&#\s\"']*" % "|".join(re.escape(k) for k in sorted(SECRET_PARAMS)))


def redact_text(text: str) -> str:
    """``text`` (a log line, a request target) with the values of secret-looking query parameters masked.

    >>> redact_text('GET /x?a=1&token=abc HTTP/1.1')
    'GET /x?a=1&token=*** HTTP/1.1'
    """
    return _SECRET_TEXT.sub(r"\1***", text)


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``(url without userinfo, (user, password) or None)``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, (unquote(user), unquote(password))


def url_scheme(target: str) -> str:
    scheme = urlsplit(target).scheme.lower() if "://" in target or target.startswith("file:") else ""
    if len(scheme) == 1:  # a Windows drive letter, not a scheme
        return ""
    chained = _CHAINED.match(target)
    if not scheme and chained:  # fsspec chained URL, e.g. simplecache::s3://…
        return chained.group(1).lower()
    return scheme


def file_url_to_path(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError("file:// URL names a remote host", path=redact_url(url))
    return url2pathname(unquote(parts.path))


def url_join(base: str, relative: str) -> str:
    """Resolve ``relative`` against ``base`` like a browser resolves a link in a page at ``base``.

    Works for HTTP(S), ``file://``, other fsspec URLs (``s3://bucket/key``, whose schemes
    :func:`urllib.parse.urljoin` does not know) and plain local paths. A ``relative`` that is itself
    absolute is returned as is: check the result with :func:`is_within` before trusting it.

    >>> url_join("https://h/VOL/DATA/", "A/B.LBL")
    'https://h/VOL/DATA/A/B.LBL'
    >>> url_join("s3://bucket/VOL/INDEX/INDEX.LBL", "../DATA/X.IMG")
    's3://bucket/VOL/DATA/X.IMG'
    """
    if url_scheme(relative) or (not url_scheme(base) and os.path.isabs(relative)):
        return relative
    scheme = url_scheme(base)
    if scheme in ("http", "https", "file", "ftp"):
        return urljoin(base, relative)
    if not scheme:
        directory = base if base.endswith(("/", os.sep)) else os.path.dirname(base)
        return os.path.normpath(os.path.join(directory, relative))
    parts = urlsplit(base)
    if relative.startswith("/"):
        path = relative
    else:
        directory = parts.path if parts.path.endswith("/") else posixpath.dirname(parts.path)
        path = posixpath.normpath(posixpath.join(directory or "/", relative))
        if relative.endswith("/") and not path.endswith("/"):
            path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _segments(path: str) -> list[str]:
    return unquote(path).replace("\\", "/").split("/")


def is_within(root_url: str, url: str) -> bool:
    """Whether ``url`` lies inside the archive tree rooted at ``root_url``.

    Refuses (returns False) any ``..`` segment (also percent-encoded or with backslashes), another
    scheme (``file://`` or a bare path under an HTTP root), another host or port, and paths beside or
    above the root. ``file://`` URLs and plain paths are compared as the same local paths, lexically
    and then with symbolic links resolved on both sides: a link inside a local mirror that leads out of
    it is outside (the mirror itself may be reached through a link).

    >>> is_within("https://h/VOL/", "https://h/VOL/DATA/X.IMG")
    True
    >>> is_within("https://h/VOL/", "https://h/VOL2/X.IMG"), is_within("https://h/VOL/", "file:///etc/passwd")
    (False, False)
    """
    try:
        raw_path = urlsplit(url).path if url_scheme(url) else url
        if "\x00" in unquote(raw_path) or ".." in _segments(raw_path):
            return False
        root_kind, root_host, root_path = _locate(root_url)
        kind, host, path = _locate(url)
    except ValueError:
        return False
    if (kind, host) != (root_kind, root_host):
        return False
    if kind == "local" and not _inside(os.path.realpath(root_path).replace(os.sep, "/"),
                                       os.path.realpath(path).replace(os.sep, "/")):
        return False
    return _inside(root_path, path)


def _inside(root_path: str, path: str) -> bool:
    root_path = posixpath.normpath(root_path)
    path = posixpath.normpath(path)
    if root_path == "/":
        return path.startswith("/")
    return path == root_path or path.startswith(root_path + "/")


def _locate(target: str) -> tuple[str, str, str]:
    """``(kind, host, path)``: kind is a URL scheme, or ``"local"`` for paths and ``file://`` URLs."""
    scheme = url_scheme(target)
    if not scheme:
        return "local", "", os.path.abspath(target).replace(os.sep, "/")
    parts = urlsplit(target)
    if scheme == "file" and parts.netloc in ("", "localhost"):
        return "local", "", os.path.abspath(url2pathname(unquote(parts.path))).replace(os.sep, "/")
    if scheme == "file":
        return "file", parts.netloc.lower(), unquote(parts.path) or "/"
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(scheme)  # raises ValueError for a bad port
    path = unquote(parts.path).replace("\\", "/") or "/"
    return scheme, f"{host}:{port}" if port else host, path if path.startswith("/") else "/" + path


def hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or DEFAULT_PORTS.get(parts.scheme, 0)}"


def with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return f"{url}{'&' if '?' in url else '?'}{query}"


