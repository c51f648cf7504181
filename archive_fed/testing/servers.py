"""A real loopback archive server for tests, with deterministic fault injection.

:class:`ArchiveServer` serves a directory tree the way an Apache-fronted archive does (``ETag``,
``Last-Modified``, conditional GET, ``Range``, ``HEAD``, HTML index pages, a 301 from ``DIR`` to
``DIR/``) plus recorded API answers (``routes``), on ``127.0.0.1`` and an ephemeral port. A
:class:`FaultPlan` makes chosen requests fail the ways real archives fail.

Example::

    plan = (FaultPlan(seed=1)
            .on("*.IMG", "503", times=2)              # every .IMG answers 503 twice, then works
            .on("/DATA/BROKEN.IMG", "500")            # a permanently broken product (500 forever)
            .on("/INDEX/INDEX.TAB", "429", retry_after=1)
            .every(5, "reset")                        # every 5th request: connection reset
            .randomly(0.1, "truncate", pattern="/DATA/*"))
    routes = {"/api/search/1/products": lambda req: (200, {}, {"summary": {"hits": 0}, "data": []})}
    with ArchiveServer(tmp_path, faults=plan, routes=routes) as server:
        fetch(server.url + "/DATA/X.IMG")
        assert server.counts["/DATA/X.IMG"] == 3 and server.faults_injected >= 2

Fault kinds (see :mod:`archive_fed.testing.faults`): any HTTP status (``"503"``, ``429``, ``"500"``; ``retry_after=`` adds ``Retry-After``,
which 429 always carries), ``"reset"`` (RST before any byte of the answer), ``"reset_after_headers"``,
``"truncate"`` (full ``Content-Length``, part of the body, then close), ``"stall"`` (sleep ``seconds``
before answering) and ``"stall_body"`` (headers and half the body, then sleep). ``times`` counts per
distinct path (default 1; ``"500"`` defaults to forever; ``times=None`` is forever); ``every(n)``
counts the matching requests of that rule; ``randomly(p)`` draws from a ``random.Random(seed)``.
"""
from __future__ import annotations

import fnmatch
import hashlib
import html
import json
import mimetypes
import os
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Union
from urllib.parse import parse_qs, quote, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

from ..transport import Transport
from .faults import Fault, FaultLike, FaultPlan

__all__ = ["ArchiveServer", "Fault", "FaultPlan", "RouteRequest", "RequestRecord", "fast_transport"]


def fast_transport(**kw: Any) -> Transport:
    """A :class:`~archive_fed.transport.Transport` with short timeouts and backoffs, for loopback archives."""
    options: dict[str, Any] = {"timeout": (2, 2.0), "retries": 5, "backoff": 0.02, "backoff_max": 0.5,
                               "max_per_host": 8}
    options.update(kw)
    return Transport(**options)


# --------------------------------------------------------------------------- requests and replies

@dataclass
class RouteRequest:
    """What a route callable sees."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    server: ArchiveServer

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    headers: CaseInsensitiveDict  # as received; look names up in any case
    status: int | None
    fault: str | None


@dataclass
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: Union[bytes, Iterable[bytes]] = b""


RouteResult = Union[tuple, bytes, str, dict, list]
Route = Union[Callable[[RouteRequest], RouteResult], RouteResult]


def _reply_from_route(result: RouteResult) -> _Reply:
    if isinstance(result, tuple):
        status, headers, body = result if len(result) == 3 else (result[0], {}, result[1])
    else:
        status, headers, body = 200, {}, result
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode("utf-8")
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif body is None:
        body = b""
    return _Reply(int(status), list(headers.items()), body)


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def _byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(first, last)`` inclusive, ``"unsatisfiable"``, or None to ignore the header."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if not first:  # suffix: the last N bytes
            n = int(last)
            return (max(0, size - n), size - 1) if n > 0 and size else "unsatisfiable"
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    return (start, end) if start < size and start <= end else "unsatisfiable"


def _listing(url_path: str, directory: Path) -> bytes:
    """An Apache-style index page: sort links, a parent link, one ``<a href="name">`` per entry."""
    title = html.escape(url_path)
    lines = ['<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">', "<html>", " <head>",
             f"  <title>Index of {title}</title>", " </head>", " <body>", f"<h1>Index of {title}</h1>",
             '<pre><a href="?C=N;O=D">Name</a>                    <a href="?C=M;O=A">Last modified</a>'
             '      <a href="?C=S;O=A">Size</a><hr>']
    if url_path != "/":
        parent = url_path.rstrip("/").rpartition("/")[0] + "/"
        lines.append(f'<a href="{quote(parent)}">Parent Directory</a>')
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        name = entry.name + ("/" if entry.is_dir() else "")
        stat = entry.stat()
        stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(stat.st_mtime))
        size = "-" if entry.is_dir() else str(stat.st_size)
        lines.append(f'<a href="{quote(name)}">{html.escape(name)}</a>'.ljust(60) + f" {stamp}  {size:>8}")
    lines += ["<hr></pre>", "</body></html>", ""]
    return "\n".join(lines).encode()


# --------------------------------------------------------------------------- the HTTP machinery

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ArchiveServer/1.0"
    timeout = 10  # idle keep-alive connections end on their own
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without NODELAY, Nagle + delayed ACK add 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        archive = self.server.archive
        split = urlsplit(self.path)
        path = unquote(split.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault: Fault | None = None
        logged = False

        def log(status: int | None) -> None:
            # Logged before the answer goes out, so a client that has its answer sees it in the log.
            nonlocal logged
            if not logged:
                logged = True
                headers = CaseInsensitiveDict(self.headers.items())
                archive._record(RequestRecord(method, path, split.query, headers, status,
                                              fault.kind if fault else None))

        archive._begin()
        try:
            if archive.latency:
                archive._stop.wait(archive.latency)
            fault = archive.faults.pick(path) if archive.faults is not None else None
            if fault is not None:
                archive._fault_injected()
            request = RouteRequest(method, path, parse_qs(split.query, keep_blank_values=True),
                                   self.headers, body, archive)
            if fault is not None and fault.status is not None:
                reply = self._fault_reply(fault)
            else:
                reply = archive._reply(request)
            self._send(method, reply, fault, log)
        except (ConnectionError, socket.timeout, OSError):
            self.close_connection = True
        finally:
            log(None)
            archive._end()

    @staticmethod
    def _fault_reply(fault: Fault) -> _Reply:
        headers = [("Content-Type", "text/plain")]
        if fault.retry_after is not None:
            retry_after = fault.retry_after
            if isinstance(retry_after, float) and retry_after.is_integer():
                retry_after = int(retry_after)
            headers.append(("Retry-After", str(retry_after)))
        return _Reply(fault.status or 500, headers, f"injected fault: HTTP {fault.kind}\n".encode())

    def _abort(self) -> None:
        """Drop the connection with a TCP reset (SO_LINGER 0), like a crashing front end."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, method: str, reply: _Reply, fault: Fault | None,
              log: Callable[[int | None], None]) -> None:
        kind = fault.kind if fault is not None and fault.status is None else None
        stop = self.server.archive._stop
        log(None if kind == "reset" else reply.status)
        if kind == "reset":
            self._abort()
            return
        if kind == "stall":
            stop.wait(fault.seconds)  # type: ignore[union-attr]
        chunked = not isinstance(reply.body, (bytes, bytearray))
        body = b"" if chunked else bytes(reply.body)  # type: ignore[arg-type]
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif reply.status not in (204, 304) and not any(n.lower() == "content-length"
                                                         for n, _ in reply.headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "reset_after_headers":
            self.wfile.flush()
            self._abort()
            return
        if method == "HEAD" or reply.status in (204, 304):
            return
        if chunked:
            for chunk in reply.body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "truncate":
            self.wfile.write(body[:int(len(body) * fault.keep)])  # type: ignore[union-attr]
            self.wfile.flush()
            self.close_connection = True
        elif kind == "stall_body":
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            stop.wait(fault.seconds)  # type: ignore[union-attr]
            self.wfile.write(body[half:])
        else:
            self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # we join handler threads ourselves, with a timeout
    allow_reuse_address = True

    def __init__(self, archive: ArchiveServer) -> None:
        self.archive = archive
        self.connections: set[socket.socket] = set()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # skip HTTPServer's getfqdn(): a reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name="ArchiveServer-handler", daemon=True)
        with self.lock:
            self.connections.add(request)
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients hang up
        pass


class ArchiveServer:
    """A loopback HTTP archive: files under ``root_dir``, recorded API ``routes``, injected ``faults``.

    Parameters
    ----------
    root_dir : directory served at ``/`` (None: routes only).
    faults : a :class:`FaultPlan` or a mapping ``{glob: Fault or kind}``; settable later.
    routes : ``{path or glob: callable(RouteRequest) -> (status, headers, body) | static answer}``;
        a body may be bytes, str, a dict/list (sent as JSON) or an iterable of bytes (sent chunked).
    latency : seconds every request waits before it is answered.

    Attributes: ``url`` (``http://127.0.0.1:PORT``, no trailing slash), ``requests`` (list of
    ``(method, path, status)``), ``received`` (:class:`RequestRecord` with query and headers),
    ``counts`` (requests per path), ``faults_injected``, ``max_in_flight``.
    """

    def __init__(self, root_dir: str | os.PathLike[str] | None = None, *,
                 faults: FaultPlan | Mapping[str, FaultLike] | None = None,
                 routes: Mapping[str, Route] | None = None, latency: float = 0.0) -> None:
        self.root = Path(root_dir).resolve() if root_dir is not None else None
        self.faults = faults if isinstance(faults, FaultPlan) or faults is None else FaultPlan(faults)
        self.routes: dict[str, Route] = dict(routes or {})
        self.latency = latency
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._counts: Counter = Counter()
        self._faults = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._etags: dict[tuple[str, int, int], str] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> ArchiveServer:
        if self._httpd is None:
            self._stop.clear()
            self._httpd = _HTTPServer(self)
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="ArchiveServer", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()  # wakes stalls and latency waits
        httpd.shutdown()
        with httpd.lock:
            connections, threads = list(httpd.connections), list(httpd.threads)
        for connection in connections:  # unblock handlers waiting on idle keep-alive connections
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        deadline = time.monotonic() + timeout
        for thread in [self._thread, *threads]:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> ArchiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("ArchiveServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str = "", host: str = "127.0.0.1") -> str:
        """The URL of ``path``; ``host="localhost"`` gives the same server under another host name."""
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    # ------------------------------------------------------------ statistics

    @property
    def requests(self) -> list[tuple[str, str, int | None]]:
        with self._lock:
            return [(r.method, r.path, r.status) for r in self._records]

    @property
    def received(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def counts(self) -> Counter:
        with self._lock:
            return Counter(self._counts)

    @property
    def faults_injected(self) -> int:
        with self._lock:
            return self._faults

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_in_flight

    def reset_stats(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()
            self._faults = self._max_in_flight = 0

    def _begin(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._counts[record.path] += 1

    def _fault_injected(self) -> None:
        with self._lock:
            self._faults += 1

    # ------------------------------------------------------------ answers

    def _reply(self, request: RouteRequest) -> _Reply:
        route = self.routes.get(request.path)
        if route is None:
            route = next((r for pattern, r in self.routes.items()
                          if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(request.path, pattern)),
                         None)
        if route is not None:
            return _reply_from_route(route(request) if callable(route) else route)
        if self.root is None or request.method == "POST":
            return _reply_from_route((404 if self.root is None else 405, {}, "not here\n"))
        return self._file_reply(request)

    def _resolve(self, url_path: str) -> Path | None:
        """The file for ``url_path``, or None when the path would escape the root."""
        assert self.root is not None
        segments = url_path.split("/")
        if any(s == ".." or "\\" in s or "\x00" in s for s in segments):
            return None
        candidate = (self.root / url_path.lstrip("/")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        return candidate

    def _file_reply(self, request: RouteRequest) -> _Reply:
        target = self._resolve(request.path)
        if target is None:
            return _reply_from_route((403, {}, "outside the archive root\n"))
        if target.is_dir():
            if not request.path.endswith("/"):
                return _Reply(301, [("Location", quote(request.path) + "/"), ("Content-Length", "0")], b"")
            return _Reply(200, [("Content-Type", "text/html; charset=utf-8")], _listing(request.path, target))
        if not target.is_file():
            return _reply_from_route((404, {}, "not found\n"))
        info = target.stat()
        mtime, key = info.st_mtime, (str(target), info.st_size, info.st_mtime_ns)
        etag = self._etags.get(key)
        if etag is None:  # hashed once per file version, not per request (a 500 MB index is asked in ranges)
            with open(target, "rb") as stream:
                etag = self._etags[key] = f'"{hashlib.file_digest(stream, "md5").hexdigest()}"'
        headers = [("ETag", etag), ("Last-Modified", formatdate(mtime, usegmt=True)),
                   ("Accept-Ranges", "bytes"),
                   ("Content-Type", mimetypes.guess_type(target.name)[0] or "application/octet-stream")]
        if self._not_modified(request.headers, etag, mtime):
            return _Reply(304, headers, b"")
        wanted = request.headers.get("Range")
        span = _byte_range(wanted, info.st_size) if wanted else None
        if span == "unsatisfiable":
            return _Reply(416, [("Content-Range", f"bytes */{info.st_size}")], b"")
        if isinstance(span, tuple):
            first, last = span
            with open(target, "rb") as stream:  # only the bytes asked for
                stream.seek(first)
                data = stream.read(last + 1 - first)
            return _Reply(206, headers + [("Content-Range", f"bytes {first}-{last}/{info.st_size}")], data)
        return _Reply(200, headers, target.read_bytes())

    @staticmethod
    def _not_modified(headers: Message, etag: str, mtime: float) -> bool:
        if headers.get("If-None-Match") is not None:
            return _etag_matches(headers["If-None-Match"], etag)
        since = headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
