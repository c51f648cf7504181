"""The HTTP client: the one place where archive_fed talks to the network.

Every source fetches bytes through a :class:`Transport`, so the HTTP discipline lives here once
(astroquery's ``BaseQuery`` idea): timeouts, retries with exponential backoff and jitter that honour
``Retry-After``, a concurrency limit and an optional rate limit per host, a response size cap, a
redirect policy, credentials that only ever go to their own host, and one error type,
:class:`~archive_fed.errors.FetchError`, carrying the URL (credentials stripped), the HTTP status and
the number of attempts.

Examples
--------
>>> t = Transport(retries=3, max_per_host=2)
>>> t.get("https://pds.nasa.gov/api/search/1/products").status      # doctest: +SKIP
200
"""
from __future__ import annotations

import functools
import html
import http.client
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, formatdate
from fnmatch import fnmatch
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import fsspec
import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from ..errors import FetchError
from .credentials import NO_AUTH, BasicAuth, Credential, Credentials
from .limits import HostLimiter
from .urls import (file_url_to_path, host_key, hostname, redact_text, redact_url, split_userinfo,
                   url_scheme, with_params)
from .zips import open_zip_member, split_zip_path, zip_member_info

__all__ = ["Transport", "Response", "BodySink", "MiB", "REDIRECT_STATUSES", "GONE_STATUSES", "RETRY_STATUSES",
           "MAX_REDIRECTS", "CHUNK_SIZE"]

log = logging.getLogger("archive_fed.transport")

MiB = 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Never retried: the product is not there, retrying cannot help.
GONE_STATUSES = frozenset({404, 410})
RETRY_STATUSES = frozenset({408, 425, 429} | set(range(500, 600))) - {501, 505}
MAX_REDIRECTS = 10
#: Bytes per socket read. 64 KiB reads cost a Python iteration (and a bytearray regrowth) per 64 KiB;
#: at 1 MiB the per-read overhead is lost in the copy (benchmarks/download.py).
CHUNK_SIZE = 1024 * 1024


@functools.lru_cache(maxsize=1)
def _package_version() -> str:
    """archive_fed's version, for the User-Agent (looked up once: a metadata read costs milliseconds)."""
    try:
        from importlib.metadata import version
        return version("archive_fed")
    except Exception:  # not installed (running from a checkout)
        return "0.1.0"





@dataclass
class Response:
    """A fetched HTTP answer with its body already read (and checked against the size cap)."""

    url: str  #: the final URL, after redirects, without ``user:password@``
    status: int
    headers: CaseInsensitiveDict[str] = field(default_factory=CaseInsensitiveDict)
    content: bytes = b""
    attempts: int = 1
    not_modified: bool = False

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")

    @property
    def text(self) -> str:
        encoding = requests.utils.get_encoding_from_headers(self.headers) or "utf-8"
        return self.content.decode(encoding, errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)




class BodySink(Protocol):
    """Where :meth:`Transport.get_into` streams a body instead of holding it in memory.

    ``begin(status, headers)`` is called before each attempt's body (an attempt after a truncated body
    must rewind what the failed one wrote); ``write(data)`` for each piece of it, in order.
    """

    def begin(self, status: int, headers: CaseInsensitiveDict[str]) -> None: ...

    def write(self, data: bytes) -> None: ...


# --------------------------------------------------------------------------- retries

class _Backoff(Retry):
    """urllib3's retry policy, backing off from the first retry on (urllib3 retries once at once)."""

    def get_backoff_time(self) -> float:
        errors = len(self.history)
        if errors == 0:
            return 0.0
        value = self.backoff_factor * 2 ** (errors - 1) + random.random() * self.backoff_jitter
        return float(max(0.0, min(self.backoff_max, value)))


class _Transient(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(self, reason: str, *, error: Exception | None = None, raw: Any = None,
                 status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.error, self.raw, self.status = reason, error, raw, status


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 20:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        linked = (getattr(e, "reason", None), e.__cause__, e.__context__)
        todo += [c for c in linked if isinstance(c, BaseException)]


def _describe(exc: BaseException) -> str:
    """A short reason that names the failure but never quotes a URL (which may carry secrets)."""
    kinds = [(ConnectionRefusedError, "connection refused"),
             (u3.NameResolutionError, "host name not resolved"),
             (ConnectionResetError, "connection reset"), (BrokenPipeError, "broken pipe"),
             (http.client.RemoteDisconnected, "server closed the connection"),
             (http.client.IncompleteRead, "body truncated"), (u3.IncompleteRead, "body truncated"),
             (ReadTimeoutError, "read timed out"), (requests.ReadTimeout, "read timed out"),
             (requests.ConnectTimeout, "connect timed out"), (ConnectTimeoutError, "connect timed out")]
    chain = list(_causes(exc))
    for kind, text in kinds:
        if any(isinstance(e, kind) for e in chain):
            return text
    return f"connection failed ({type(chain[-1]).__name__})"


def _as_urllib3_error(exc: Exception) -> Exception:
    if any(isinstance(e, (requests.ConnectTimeout, ConnectTimeoutError)) for e in _causes(exc)):
        return ConnectTimeoutError(_describe(exc))
    if isinstance(exc, requests.ReadTimeout):
        return ReadTimeoutError(None, "", _describe(exc))  # type: ignore[arg-type]
    return ProtocolError(_describe(exc))


def _fail(message: str, url: str, *, status: int | None = None, attempts: int = 0) -> FetchError:
    error = FetchError(message, path=redact_url(url), status=status)
    error.attempts = attempts  # type: ignore[attr-defined]
    error.url = error.path  # type: ignore[attr-defined]
    return error


#: bytes of a 4xx answer read for its message, and characters of the message kept
ERROR_BODY_BYTES, ERROR_MESSAGE_CHARS = 4096, 300
_SECRET_TEXT = re.compile(r"(?i)((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+|"
                          r"((?:token|access_token|api_key|apikey|password|passwd|secret)[\"']?\s*[=:]\s*[\"']?)"
                          r"[^\s&\"'<>,;]+")


def _first_bytes(answer: requests.Response) -> bytes:
    try:
        return next(answer.iter_content(ERROR_BODY_BYTES), b"")[:ERROR_BODY_BYTES]
    except (requests.RequestException, u3.HTTPError, OSError):
        return b""


def _secrets(auth: AuthBase | None) -> list[str]:
    found = [getattr(auth, "_token", None), getattr(auth, "password", None)]
    return [str(s) for s in found if s and len(str(s)) >= 4]


def error_detail(body: bytes, content_type: str = "", *, secrets: list[str] | tuple[str, ...] = (),
                 url: str = "") -> str:
    """The message a service put in an error answer (TAP and the PDS API explain a 400 in the body):
    JSON ``message``/``error``, a VOTable ``QUERY_STATUS`` INFO, or the text without markup — one line,
    at most :data:`ERROR_MESSAGE_CHARS` characters, with credentials and secret-looking values masked.

    >>> error_detail(b'{"message": "bad q near token=abc"}', "application/json")
    'bad q near token=***'
    """
    text = body[:ERROR_BODY_BYTES].decode("utf-8", errors="replace")
    message = ""
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            nested = data.get("ODEResults")
            inner: dict[str, Any] = nested if isinstance(nested, dict) else data
            message = next((str(inner[k]) for k in ("message", "Message", "error", "Error", "detail")
                            if inner.get(k)), "")
    if not message:
        info = re.search(r"<INFO[^>]*QUERY_STATUS[^>]*>(.*?)</INFO>", text, re.DOTALL | re.IGNORECASE)
        message = info.group(1) if info else re.sub(r"<[^>]+>", " ", text)
    message = " ".join(html.unescape(message).split())
    for secret in secrets:
        message = message.replace(secret, "***")
    if url:
        message = message.replace(url, redact_url(url))
    message = _SECRET_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "***", message)
    return message if len(message) <= ERROR_MESSAGE_CHARS else message[:ERROR_MESSAGE_CHARS - 1] + "…"


# --------------------------------------------------------------------------- the transport

class Transport:
    """HTTP(S) and fsspec access with timeouts, retries, limits per host, a size cap and credentials.

    Thread-safe: one ``Transport`` serves every worker of a harvest. Each thread gets its own
    :class:`requests.Session`; all of them share one pooled adapter.

    Parameters
    ----------
    timeout : (connect, read) seconds, or one number for both.
    retries : retries after the first attempt (so at most ``retries + 1`` attempts) on connect
        errors, read timeouts, resets, truncated bodies, 429 and 5xx. 404/410 are never retried.
    backoff, backoff_max : exponential backoff ``backoff * 2**(n-1)`` plus jitter, capped at
        ``backoff_max``; a ``Retry-After`` header (seconds or HTTP date) replaces it, also capped.
    max_per_host : requests in flight at once per host.
    rate_per_host : requests per second per host (token bucket), or None for no limit.
    max_bytes : largest body accepted; larger answers abort with :class:`FetchError`.
    allow_redirect_hosts : other hosts (names or ``fnmatch`` patterns) redirects may lead to.
    credentials : None reads ``ARCHIVE_FED_TOKEN_<HOST>`` / ``ARCHIVE_FED_USER_<HOST>`` +
        ``ARCHIVE_FED_PASSWORD_<HOST>`` then netrc (``$NETRC`` or ``~/.netrc``); a mapping
        ``{host: token or (user, password)}`` gives them explicitly; False sends none.

    Examples
    --------
    >>> with Transport(timeout=(3, 10), retries=2, rate_per_host=5) as t:   # doctest: +SKIP
    ...     index = t.get("https://host/VOL/INDEX/INDEX.TAB").content
    """

    def __init__(self, *, timeout: float | tuple[float, float] = (5, 30), retries: int = 5,
                 backoff: float = 0.5, backoff_max: float = 30, max_per_host: int = 4,
                 rate_per_host: float | None = None, user_agent: str | None = None,
                 verify: bool | str = True, max_bytes: int = 256 * MiB,
                 allow_redirect_hosts: tuple[str, ...] | list[str] = (),
                 credentials: Mapping[str, Credential] | bool | None = None) -> None:
        if max_per_host < 1 or retries < 0 or max_bytes < 0:
            raise ValueError("max_per_host must be >= 1, retries and max_bytes >= 0")
        self.timeout = timeout
        self.retries = retries
        self.backoff, self.backoff_max = backoff, backoff_max
        self.max_per_host, self.rate_per_host = max_per_host, rate_per_host
        self.user_agent = user_agent or f"archive_fed/{_package_version()} (+lunar data federation)"
        self.verify = verify
        self.max_bytes = max_bytes
        self.allow_redirect_hosts = tuple(h.lower() for h in allow_redirect_hosts)
        self._credentials = Credentials(credentials)
        # what it takes to rebuild this transport in another process (dask workers): settings only
        self._settings = dict(timeout=timeout, retries=retries, backoff=backoff, backoff_max=backoff_max,
                              max_per_host=max_per_host, rate_per_host=rate_per_host,
                              user_agent=user_agent, verify=verify, max_bytes=max_bytes,
                              allow_redirect_hosts=tuple(allow_redirect_hosts), credentials=credentials)
        self._limiter = HostLimiter(max_per_host, rate_per_host)
        self._policy = _Backoff(
            total=retries, connect=None, read=None, status=None, other=None,
            allowed_methods=frozenset({"GET", "HEAD"}), status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff, backoff_max=backoff_max, backoff_jitter=backoff / 2,
            retry_after_max=backoff_max,  # type: ignore[arg-type]  # urllib3 says int; a float cap compares the same
            raise_on_status=False, respect_retry_after_header=True)
        self._adapter = HTTPAdapter(pool_connections=32, pool_maxsize=max(10, max_per_host), max_retries=0)
        self._local = threading.local()
        self._count_lock = threading.Lock()
        #: HTTP requests sent so far (every attempt and redirect hop), for harvest reports.
        self.request_count = 0

    def __repr__(self) -> str:
        return (f"Transport(timeout={self.timeout!r}, retries={self.retries}, "
                f"max_per_host={self.max_per_host}, "
                f"rate_per_host={self.rate_per_host!r}, max_bytes={self.max_bytes}, "
                f"credentials={self._credentials!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its settings: sessions, pools and locks are rebuilt where it is unpickled."""
        return (_rebuild_transport, (self._settings, dict(self._credentials.added),
                                     dict(self._credentials.params)))

    def add_credentials(self, host: str, credential: Credential) -> None:
        """Send ``credential`` (a bearer token, or ``(user, password)``) to ``host`` and to no other,
        in preference to the environment and netrc. Sources call this for ``user:password@`` in their
        URL, so the URL they keep, log and store carries no secret."""
        self._credentials.add(host, credential)

    def add_query_credentials(self, host: str, params: list[tuple[str, str]]) -> None:
        """Add the query parameters ``params`` (``[("token", "…")]``) to every request to ``host`` and to
        no other. Sources call this for ``?token=`` in their URL, so the URL they keep carries no secret."""
        self._credentials.add_params(host, params)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections (the transport stays usable: pools reopen on demand)."""
        self._adapter.close()

    # ---------------------------------------------------------------- public API

    def get(self, url: str, *, headers: Mapping[str, str] | None = None,
            conditional: Mapping[str, Any] | None = None, max_bytes: int | None = None) -> Response:
        """GET ``url``; with ``conditional={"etag": …, "last_modified": …}`` a 304 answer comes back as
        ``Response(not_modified=True, content=b"")``. ``max_bytes`` lowers the size cap for this call
        (a label need not be allowed what a data file is)."""
        sent = dict(headers or {})
        if conditional:
            if conditional.get("etag"):
                sent["If-None-Match"] = conditional["etag"]
            modified = conditional.get("last_modified")
            if isinstance(modified, datetime):
                modified = format_datetime(modified, usegmt=True) if modified.tzinfo else \
                    formatdate(modified.timestamp(), usegmt=True)
            elif isinstance(modified, (int, float)):
                modified = formatdate(modified, usegmt=True)
            if modified:
                sent["If-Modified-Since"] = str(modified)
        return self._request("GET", url, sent, cap=max_bytes)

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, max_bytes: int | None = None) -> Any:
        """GET ``url`` with query ``params`` and decode the JSON answer (``max_bytes`` as for :meth:`get`)."""
        full = with_params(url, params)
        response = self._request("GET", full, {"Accept": "application/json", **(headers or {})}, cap=max_bytes)
        try:
            return response.json()
        except ValueError:
            raise _fail("answer is not JSON", full, status=response.status,
                        attempts=response.attempts) from None
        except RecursionError:  # arrays or objects nested thousands deep
            raise _fail("answer is JSON nested too deep", full, status=response.status,
                        attempts=response.attempts) from None

    def head(self, url: str, *, headers: Mapping[str, str] | None = None) -> Response:
        """HEAD ``url`` (same retries and redirect policy as :meth:`get`)."""
        return self._request("HEAD", url, dict(headers or {}))

    def get_range(self, url: str, start: int, end: int | None = None, *,
                  headers: Mapping[str, str] | None = None) -> Response:
        """Bytes ``start`` to ``end`` (exclusive, like a slice; None = to the end) of ``url``.

        A server that ignores ``Range`` and answers 200 is sliced here, so ``.content`` is always
        the requested bytes (and only the first ``end`` bytes of its answer are read: the rest of a
        500 MB image is never downloaded); a range starting at or after the end of the file gives
        empty ``.content`` (status 416), as slicing past the end of bytes does.
        """
        if start < 0 or (end is not None and end <= start):
            raise ValueError(f"invalid byte range {start}:{end}")
        sent = {**(headers or {}), "Range": f"bytes={start}-{'' if end is None else end - 1}"}
        try:
            response = self._request("GET", url, sent, stop_after=end)
        except FetchError as error:
            if error.status != 416:
                raise
            return Response(split_userinfo(url)[0], 416, attempts=getattr(error, "attempts", 1))
        if response.status == 200:
            response.content = response.content[start:end]
        return response

    def get_into(self, url: str, sink: BodySink, *, headers: Mapping[str, str] | None = None,
                 max_bytes: int | None = None) -> Response:
        """GET ``url`` and stream its body into ``sink`` (see :class:`BodySink`), never holding it in
        memory: downloads of files larger than memory. Same retries, limits and redirect policy as
        :meth:`get`; ``max_bytes`` replaces the size cap (it is not lowered to it: a data file may be
        larger than any label). The answer's ``content`` is empty; a 416 (a range past the end) comes
        back as a ``Response`` with status 416 instead of an error, as from :meth:`get_range`."""
        try:
            return self._request("GET", url, dict(headers or {}), cap=max_bytes, sink=sink)
        except FetchError as error:
            if error.status != 416:
                raise
            return Response(split_userinfo(url)[0], 416, attempts=getattr(error, "attempts", 1))

    def fetch_bytes(self, url_or_path: str | os.PathLike[str], *, max_bytes: int | None = None) -> bytes:
        """The bytes at an HTTP(S) URL (through :meth:`get`), a local path, a ``file://`` URL or any
        fsspec URL (``s3://…``, ``memory://…``, ``simplecache::…``), all under the size cap (or the
        lower ``max_bytes``)."""
        target = os.fspath(url_or_path)
        scheme = url_scheme(target)
        if scheme in ("http", "https"):
            return self.get(target, max_bytes=max_bytes).content
        if scheme in ("", "file"):
            path = file_url_to_path(target) if scheme == "file" else target
            return self._read_local(path, target, self._cap(max_bytes))
        return self._read_fsspec(target, self._cap(max_bytes))

    # ---------------------------------------------------------------- local and fsspec

    def _cap(self, max_bytes: int | None) -> int:
        return self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes)

    def _too_big(self, size: int, url: str, attempts: int = 1, limit: int | None = None) -> FetchError:
        return _fail(f"answer of {size} bytes exceeds the limit of {self._cap(limit)} bytes", url,
                     attempts=attempts)

    def _read_local(self, path: str, shown: str, limit: int) -> bytes:
        inside = split_zip_path(path) if not os.path.exists(path) else None
        if inside is not None:   # a member of a downloaded order / bulk zip, read in place
            try:
                size = zip_member_info(*inside)["size"]
                if size > limit:
                    raise self._too_big(size, shown, limit=limit)
                with open_zip_member(*inside) as stream:
                    data: bytes = stream.read()
                return data
            except (FileNotFoundError, IsADirectoryError, KeyError):
                raise _fail("no such file in the zip", shown) from None
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size > limit:
                    raise self._too_big(size, shown, limit=limit)
                return f.read()
        except FileNotFoundError:
            raise _fail("no such file", shown) from None
        except IsADirectoryError:
            raise _fail("is a directory", shown) from None
        except OSError as exc:
            raise _fail(f"cannot read: {exc.strerror or type(exc).__name__}", shown) from None

    def _read_fsspec(self, url: str, limit: int) -> bytes:
        try:
            with fsspec.open(url, "rb") as f:
                data: bytes = f.read(limit + 1)
        except FileNotFoundError:
            raise _fail("no such file", url) from None
        except Exception as exc:  # fsspec backends raise anything; never leak them raw
            raise _fail(f"cannot read through fsspec ({type(exc).__name__})", url) from None
        if len(data) > limit:
            raise self._too_big(len(data), url, limit=limit)
        return data

    # ---------------------------------------------------------------- HTTP machinery

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("http://", self._adapter)
            session.mount("https://", self._adapter)
            session.headers["User-Agent"] = self.user_agent
            self._local.session = session
        return session

    def _request(self, method: str, url: str, headers: dict[str, str], *, cap: int | None = None,
                 stop_after: int | None = None, sink: BodySink | None = None) -> Response:
        """``cap``: a lower size cap for this request (with a ``sink``: the cap); ``stop_after``: read
        at most that many bytes of a body and drop the connection (range requests answered with the
        whole file); ``sink``: stream the body there (:meth:`get_into`)."""
        try:
            url, url_auth = split_userinfo(url)
            host_key(url)  # raises ValueError for a malformed host or port
        except ValueError:
            raise _fail("malformed URL", url) from None
        if url_scheme(url) not in ("http", "https") or not urlsplit(url).hostname:
            raise _fail("not an http(s) URL (use fetch_bytes for paths and fsspec URLs)", url)
        origin = hostname(url)
        retry: Retry = self._policy
        attempts = 0
        for _ in range(MAX_REDIRECTS + 1):
            host = hostname(url)
            auth = BasicAuth(*url_auth) if url_auth and host == origin else self._credentials.auth_for(host)
            limit = (self.max_bytes if cap is None else cap) if sink is not None else self._cap(cap)
            response, attempts, retry = self._send(method, url, headers, auth, attempts, retry,
                                                   (limit, stop_after, sink))
            if response.status not in REDIRECT_STATUSES:
                response.attempts = attempts
                return response
            target = self._redirect_target(url, response, attempts)
            if hostname(target) != host:  # never carry one host's secrets to another
                headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
                url_auth = None
            if response.status == 303 and method != "HEAD":
                method = "GET"
            log.debug("%s redirected (%d) to %s", redact_url(url), response.status, redact_url(target))
            url = target
        raise _fail(f"more than {MAX_REDIRECTS} redirects", url, attempts=attempts)

    def _redirect_target(self, url: str, response: Response, attempts: int) -> str:
        location = response.headers.get("Location")
        if not location:
            raise _fail(f"HTTP {response.status} redirect without a Location", url,
                        status=response.status, attempts=attempts)
        target, _ = split_userinfo(urljoin(url, location))
        source, dest = urlsplit(url), urlsplit(target)
        if dest.scheme not in ("http", "https") or not dest.hostname:
            raise _fail("redirect to a non-http(s) URL refused", url, status=response.status,
                        attempts=attempts)
        if source.scheme == "https" and dest.scheme == "http":
            raise _fail("redirect from https to plain http refused", url, status=response.status,
                        attempts=attempts)
        host = dest.hostname.lower()
        if host != (source.hostname or "").lower() and not any(
                fnmatch(host, allowed) or fnmatch(dest.netloc.lower(), allowed)
                for allowed in self.allow_redirect_hosts):
            raise _fail(f"redirect to another host ({host}) refused; add it to allow_redirect_hosts",
                        url, status=response.status, attempts=attempts)
        return target

    def _send(self, method: str, url: str, headers: dict[str, str], auth: AuthBase | None,
              attempts: int, retry: Retry, body: tuple[int, int | None, BodySink | None]
              ) -> tuple[Response, int, Retry]:
        """One request with retries: returns ``(response, attempts so far, retry state)``."""
        shown = redact_url(url)
        while True:
            attempts += 1
            with self._count_lock:
                self.request_count += 1
            try:
                with self._limiter.slot(host_key(url)):
                    return self._attempt(method, url, headers, auth, retry, attempts, body), attempts, retry
            except _Transient as failure:
                try:
                    retry = retry.increment(method, shown, response=failure.raw, error=failure.error)
                except MaxRetryError:
                    raise _fail(f"{failure.reason} after {attempts} attempts", url, status=failure.status,
                                attempts=attempts) from None
                delay = self._retry_after(retry, failure.raw)
                if delay is None:
                    delay = retry.get_backoff_time()
                log.info("%s %s: %s (attempt %d of %d); retrying in %.2f s", method, shown, failure.reason,
                         attempts, self.retries + 1, delay)
                time.sleep(delay)

    @staticmethod
    def _retry_after(retry: Retry, raw: Any) -> float | None:
        if raw is None:
            return None
        try:
            return retry.get_retry_after(raw)
        except u3.InvalidHeader:
            return None

    def _attempt(self, method: str, url: str, headers: dict[str, str], auth: AuthBase | None,
                 retry: Retry, attempts: int, body: tuple[int, int | None, BodySink | None]) -> Response:
        try:
            answer = self._session().request(
                method, url, headers=headers, auth=auth or NO_AUTH, timeout=self.timeout,
                params=self._credentials.params_for(hostname(url)) or None,
                allow_redirects=False, stream=True, verify=self.verify)
        except requests.exceptions.SSLError as exc:
            raise _fail(f"TLS failure ({type(exc).__name__})", url, attempts=attempts) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Transient(_describe(exc), error=_as_urllib3_error(exc)) from None
        except requests.RequestException as exc:
            raise _fail(f"request failed ({type(exc).__name__})", url, attempts=attempts) from None
        with answer:
            status = answer.status_code
            headers_in = CaseInsensitiveDict(answer.headers)
            final = url  # credentials already stripped; query secrets are masked in logs and errors only
            log.debug("%s %s -> %d", method, redact_url(url), status)
            if status in REDIRECT_STATUSES:
                return Response(final, status, headers_in, attempts=attempts)
            if status == 304:
                return Response(final, status, headers_in, attempts=attempts, not_modified=True)
            if 200 <= status < 300:
                content = b"" if method == "HEAD" else self._read_body(answer, url, attempts, *body)
                return Response(final, status, headers_in, content, attempts=attempts)
            has_retry_after = "Retry-After" in answer.headers
            if status not in GONE_STATUSES and retry.is_retry(method, status, has_retry_after):
                raise _Transient(f"HTTP {status}", raw=answer.raw, status=status)
            detail = error_detail(_first_bytes(answer), answer.headers.get("Content-Type", ""),
                                  secrets=_secrets(auth), url=url) if 400 <= status < 500 else ""
            error = _fail(f"HTTP {status} {answer.reason or ''}".rstrip() + (f": {detail}" if detail else ""),
                          url, status=status, attempts=attempts)
            error.detail = detail  # type: ignore[attr-defined]
            raise error

    def _read_body(self, answer: requests.Response, url: str, attempts: int, limit: int,
                   stop_after: int | None, sink: BodySink | None) -> bytes:
        declared = answer.headers.get("Content-Length", "").strip()
        length = int(declared) if declared.isdigit() else None
        wanted = length if length is None or stop_after is None else min(length, stop_after)
        if wanted is not None and wanted > limit:
            raise _fail(f"answer of {length} bytes exceeds the limit of {limit} bytes", url,
                        attempts=attempts)
        pieces: list[bytes] = []
        received = 0
        if sink is not None:
            sink.begin(answer.status_code, CaseInsensitiveDict(answer.headers))
        try:
            for chunk in answer.iter_content(CHUNK_SIZE):
                received += len(chunk)
                if stop_after is not None and received >= stop_after and sink is None:
                    # the rest is not wanted: closing drops the connection
                    return b"".join([*pieces, chunk])[:stop_after]
                if received > limit:
                    raise _fail(f"answer exceeds the limit of {limit} bytes", url, attempts=attempts)
                if sink is not None:
                    sink.write(chunk)
                else:
                    pieces.append(chunk)
        except requests.exceptions.ContentDecodingError:
            raise _fail("answer cannot be decoded (Content-Encoding)", url, status=answer.status_code,
                        attempts=attempts) from None
        except requests.exceptions.SSLError as exc:
            raise _fail(f"TLS failure ({type(exc).__name__})", url, attempts=attempts) from None
        except requests.RequestException as exc:
            raise _Transient(f"body read failed: {_describe(exc)}", error=_as_urllib3_error(exc)) from None
        encoded = answer.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if length is not None and not encoded and received != length:
            raise _Transient(f"body truncated ({received} of {length} bytes)",
                             error=ProtocolError("truncated body"))
        return b"".join(pieces)


def _rebuild_transport(settings: dict[str, Any], added: dict[str, Any] | None = None,
                       params: dict[str, list[tuple[str, str]]] | None = None) -> Transport:
    transport = Transport(**settings)
    for host, credential in (added or {}).items():
        transport.add_credentials(host, credential)
    for host, pairs in (params or {}).items():
        transport.add_query_credentials(host, pairs)
    return transport


class _RedactQuery(logging.Filter):
    """Masks secret query values in urllib3's request log lines (``"GET /x?token=… HTTP/1.1"``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "=" in a for a in record.args):
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactQuery())
