"""Byte access for product data: memory maps for local files, HTTP/fsspec byte ranges for the rest.

A :class:`ByteSource` answers one question: *the elements of this strided layout at this basic index*.
:class:`LocalFile` maps the file (``numpy.memmap``) and slices a strided view, so nothing is read until
an index is taken and then only the pages it touches. :class:`RemoteFile` plans the byte ranges an
index needs (dense runs, nearby runs merged) and fetches them with one ``fsspec`` ``cat_ranges`` call, so
a slice of a remote 500 MB image moves only that slice's bytes. Both count ``bytes_read``.
"""
from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import FetchError, ProductError
from ..transport import is_within
from .layout import Strided

#: Runs closer than this are fetched as one range (fewer HTTP requests beat a few wasted bytes).
MERGE_GAP = 64 * 1024
#: A selection is cut into at most this many runs before spans are read whole.
MAX_RUNS = 4096
#: Local selections this large and dense are read with ``preadv`` rather than through the memory map.
DIRECT_READ = 8 * 1024 * 1024


#: The Transport remote reads go through while a product is being opened (see :func:`use_transport`).
_TRANSPORT: contextvars.ContextVar[Any] = contextvars.ContextVar("archive_fed_product_transport",
                                                                 default=None)
_SHARED: list[Any] = []


def shared_transport() -> Any:
    """The module-wide default :class:`~archive_fed.transport.Transport` (default settings)."""
    if not _SHARED:
        from ..transport import Transport

        _SHARED.append(Transport())
    return _SHARED[0]


@contextmanager
def use_transport(transport: Any) -> Iterator[None]:
    """Within the block, remote byte sources read through ``transport`` (None: the shared one)."""
    token = _TRANSPORT.set(transport)
    try:
        yield
    finally:
        _TRANSPORT.reset(token)


def is_http(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def is_remote(target: str) -> bool:
    return "://" in target and not target.startswith("file://")


def local_path(target: str) -> str:
    return target.removeprefix("file://")


def resolve(label_url: str, name: str) -> str:
    """A data file ``name`` (as a pointer or ``file_name`` gives it) resolved next to the label.

    Local names that do not exist as written are looked up case-insensitively (archives burnt on
    ISO 9660 CDs name files ``F.IMG`` in labels and ``f.img`` on disk, or the reverse). A local file
    whose real path (symbolic links resolved) leaves the folder the name points into — the label's
    folder, or the one its ``../`` climbs to — is refused with :class:`ProductError`.
    """
    if is_remote(name) or os.path.isabs(name):
        return name if is_remote(name) else find_local(name)
    if not is_remote(label_url):
        base = os.path.dirname(os.path.abspath(local_path(label_url)))
        path = find_local(os.path.normpath(os.path.join(base, name)))
        folder = os.path.commonpath([base, path])
        if os.path.lexists(path) and not is_within(folder.rstrip(os.sep) + os.sep, path):
            raise ProductError(f"data file {name!r} is a symbolic link leading outside {folder}: refused",
                               path=label_url)
        return path
    from ..transport import url_join

    prefix, sep, tail = label_url.rpartition("::")
    joined = url_join(tail, name)
    return f"{prefix}{sep}{joined}" if sep else joined


def find_local(path: str) -> str:
    """``path`` if it exists, else the case-insensitive match of each missing component (else ``path``)."""
    if os.path.exists(path):
        return path
    directory, name = os.path.split(path)
    if directory and directory != path and not os.path.isdir(directory):
        directory = find_local(directory)
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return path
    lower = name.lower()
    for entry in entries:
        if entry.lower() == lower:
            return os.path.join(directory, entry)
    return path


class ByteSource:
    """Where one data file's bytes come from."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.bytes_read = 0
        self._lock = threading.Lock()

    def read(self, layout: Strided, key: tuple[Any, ...]) -> np.ndarray:
        """The stored elements of ``layout`` at the basic index ``key`` (ints and slices, one per dim)."""
        raise NotImplementedError

    def read_span(self, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` of the file (text tables are parsed from one span)."""
        raise NotImplementedError

    def size(self) -> int:
        """The file's size in bytes."""
        raise NotImplementedError

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_read += int(n)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        state.pop("_map", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class LocalFile(ByteSource):
    """A local file read through a read-only memory map, created on the first read."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = local_path(url)
        self._map: np.memmap | None = None

    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except OSError as exc:
            raise ProductError(f"cannot open data file: {exc.strerror or exc}", path=self.path) from None

    def _mapped(self) -> np.ndarray:
        mapped = self.__dict__.get("_map")
        if mapped is None:
            with self._lock:
                if self.__dict__.get("_map") is None:
                    if self.size() == 0:
                        self._map = np.zeros(0, dtype=np.uint8)  # type: ignore[assignment]
                    else:
                        self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
                mapped = self._map
        return mapped

    def read(self, layout: Strided, key: tuple[Any, ...]) -> np.ndarray:
        """A read-only view of the memory map at ``key``; or, for a large dense selection of native
        byte order, a private array filled by one ``preadv`` (a kernel copy, as ``numpy.fromfile``:
        faulting 500 MB of mapped pages in costs more than the copy itself)."""
        mapped = self._mapped()
        if layout.end > mapped.size:
            raise ProductError(f"data file has {mapped.size} bytes, the label needs {layout.end}",
                               path=self.path)
        if layout.dtype.isnative and hasattr(os, "preadv"):
            direct = self._read_direct(layout, key)
            if direct is not None:
                return direct
        view = np.ndarray(layout.shape, dtype=layout.dtype, buffer=mapped, offset=layout.offset,
                          strides=layout.strides)
        selected = view[key]
        self._count(selected.nbytes)
        return selected

    def _read_direct(self, layout: Strided, key: tuple[Any, ...]) -> np.ndarray | None:
        dims, dropped = _normal_key(layout, key)
        counts = [count for _, _, count in dims]
        steps = [step * stride for (_, step, _), stride in zip(dims, layout.strides)]
        first = layout.offset + sum(start * stride for (start, _, _), stride in zip(dims, layout.strides))
        reach = [(count - 1) * step for count, step in zip(counts, steps)]
        lo = first + sum(r for r in reach if r < 0)
        hi = first + sum(r for r in reach if r > 0) + layout.dtype.itemsize
        needed = layout.dtype.itemsize * int(np.prod(counts, dtype=np.int64))
        if needed < DIRECT_READ or hi - lo > needed + needed // 4:
            return None
        buffer = np.empty(hi - lo, dtype=np.uint8)
        descriptor = os.open(self.path, os.O_RDONLY)
        try:
            view, done = memoryview(buffer), 0
            while done < hi - lo:
                got = os.preadv(descriptor, [view[done:]], lo + done)
                if got <= 0:
                    raise ProductError(f"data file ends before byte {hi}", path=self.path)
                done += got
        except OSError as exc:
            raise ProductError(f"cannot read data file: {exc.strerror or exc}", path=self.path) from None
        finally:
            os.close(descriptor)
        self._count(hi - lo)
        typed = _typed_view(buffer, first - lo, counts, steps, layout.dtype, writeable=True)
        return np.ascontiguousarray(typed).reshape([c for a, c in enumerate(counts) if a not in dropped])

    def read_span(self, start: int, stop: int) -> bytes:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(start)
                data = stream.read(max(stop - start, 0))
        except OSError as exc:
            raise ProductError(f"cannot read data file: {exc.strerror or exc}", path=self.path) from None
        self._count(len(data))
        return data


class RemoteFile(ByteSource):
    """A file behind any fsspec URL (``https://``, ``simplecache::https://``, ``s3://``...), read by ranges."""

    def __init__(self, url: str, transport: Any = None) -> None:
        super().__init__(url)
        #: http(s) reads go through this Transport (credentials, retries, limits); others through fsspec
        self.transport = transport if transport is not None else (_TRANSPORT.get() or shared_transport())
        self._fs: Any = None
        self._path: str | None = None

    def _filesystem(self) -> tuple[Any, str]:
        if self._fs is None and is_http(self.url):
            from ..transport import TransportFileSystem

            self._fs, self._path = TransportFileSystem(self.transport), self.url
        if self._fs is None:
            import fsspec

            try:
                self._fs, self._path = fsspec.core.url_to_fs(self.url)
            except Exception as exc:  # noqa: BLE001 - fsspec raises anything for unknown protocols
                raise ProductError(f"cannot open through fsspec: {exc}", path=self.url) from None
        assert self._path is not None
        return self._fs, self._path

    def fetch(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        """The bytes of each ``(start, stop)`` range, fetched concurrently where the filesystem can."""
        if not ranges:
            return []
        fs, path = self._filesystem()
        try:
            parts = fs.cat_ranges([path] * len(ranges), [r[0] for r in ranges], [r[1] for r in ranges])
        except FileNotFoundError:
            raise ProductError("no such data file", path=self.url) from None
        except FetchError as exc:
            raise ProductError(f"cannot read byte ranges: {exc.message}",
                               path=self.url) from None
        except Exception as exc:  # noqa: BLE001 - fsspec backends raise anything; never leak them raw
            raise ProductError(f"cannot read byte ranges: {type(exc).__name__}: {exc}", path=self.url) from None
        for (start, stop), part in zip(ranges, parts):
            if isinstance(part, Exception):
                raise ProductError(f"cannot read bytes {start}-{stop}: {part}", path=self.url)
            if len(part) != stop - start:
                raise ProductError(f"data file ends before byte {stop} the label needs", path=self.url)
        self._count(sum(len(p) for p in parts))
        return list(parts)

    def read_span(self, start: int, stop: int) -> bytes:
        return self.fetch([(start, stop)])[0] if stop > start else b""

    def size(self) -> int:
        fs, path = self._filesystem()
        try:
            return int(fs.size(path))
        except FileNotFoundError:
            raise ProductError("no such data file", path=self.url) from None
        except Exception as exc:  # noqa: BLE001 - as above
            raise ProductError(f"cannot get the size: {type(exc).__name__}: {exc}", path=self.url) from None

    def read(self, layout: Strided, key: tuple[Any, ...]) -> np.ndarray:
        return read_planned(self, layout, key)

    def open_stream(self) -> Any:
        """A seekable binary file object over the remote file (fsspec's buffered file), for readers
        that walk a file's structure themselves (astropy.io.fits)."""
        fs, path = self._filesystem()
        try:
            return fs.open(path, "rb")
        except FileNotFoundError:
            raise ProductError("no such data file", path=self.url) from None
        except Exception as exc:  # noqa: BLE001 - as above
            raise ProductError(f"cannot open: {type(exc).__name__}: {exc}", path=self.url) from None


#: A gzip data file inflating past this is refused (a decompression bomb, not a product).
MAX_INFLATED = 4 << 30


class GzipFile(ByteSource):
    """A gzip-compressed data file (``*.gz``), inflated into memory on the first read (gzip offers no
    random access); offsets and layouts are those of the inflated bytes."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._map: np.ndarray | None = None
        #: the compressed file (remote: bound now to the Transport of the product being opened)
        self.packed: ByteSource = RemoteFile(url) if is_remote(url) else LocalFile(url)

    def _inflated(self) -> np.ndarray:
        data = self.__dict__.get("_map")
        if data is None:
            read = 0
            with self._lock:
                if self.__dict__.get("_map") is None:
                    inflated, read = self._inflate()
                    self._map = np.frombuffer(inflated, dtype=np.uint8)
            self._count(read)       # the compressed bytes read (outside the lock _count takes)
            data = self._map
        return data

    def _inflate(self) -> tuple[bytes, int]:
        """The inflated bytes, and how many compressed bytes were read."""
        import zlib

        packed = self.packed.read_span(0, self.packed.size())
        read = len(packed)
        inflater, parts, total = zlib.decompressobj(16 + zlib.MAX_WBITS), [], 0
        try:
            while True:
                part = inflater.decompress(packed, 1 << 24)
                total += len(part)
                if total > MAX_INFLATED:
                    raise ProductError(f"gzip data inflates past {MAX_INFLATED} bytes; refused", path=self.url)
                parts.append(part)
                packed = inflater.unconsumed_tail
                if inflater.eof or not (packed or part):
                    break
        except zlib.error as exc:
            raise ProductError(f"not a readable gzip file: {exc}", path=self.url) from None
        return b"".join(parts), read

    def size(self) -> int:
        return int(self._inflated().size)

    def read_span(self, start: int, stop: int) -> bytes:
        return self._inflated()[start:max(stop, start)].tobytes()

    def read(self, layout: Strided, key: tuple[Any, ...]) -> np.ndarray:
        data = self._inflated()
        if layout.end > data.size:
            raise ProductError(f"inflated data file has {data.size} bytes, the label needs {layout.end}",
                               path=self.url)
        view = np.ndarray(layout.shape, dtype=layout.dtype, buffer=data, offset=layout.offset,
                          strides=layout.strides)
        return view[key]


def open_source(url: str) -> ByteSource:
    if url.lower().split("?", 1)[0].endswith(".gz"):
        return GzipFile(url)
    return RemoteFile(url) if is_remote(url) else LocalFile(url)


# ---- range planning -----------------------------------------------------------------------------------
def _normal_key(layout: Strided, key: tuple[Any, ...]) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Per dimension ``(start, step, count)``, and the axes indexed by an integer (dropped at the end)."""
    dims, dropped = [], []
    for axis, (k, n) in enumerate(zip(key + (slice(None),) * (len(layout.shape) - len(key)), layout.shape)):
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            count = len(range(start, stop, step))
            dims.append((start, step, count))
        else:
            index = int(k)
            index = index + n if index < 0 else index
            if not 0 <= index < n:
                raise IndexError(f"index {k} out of range for axis of size {n}")
            dims.append((index, 1, 1))
            dropped.append(axis)
    return dims, dropped


def read_planned(source: RemoteFile, layout: Strided, key: tuple[Any, ...]) -> np.ndarray:
    """Read the selection of ``layout`` at ``key`` by fetching only the byte ranges it covers.

    The selection is cut along its leading axes into *runs* until each run's byte span is dense
    (at most twice the bytes it needs, plus a page), runs closer than :data:`MERGE_GAP` are merged into
    one range, and all ranges are fetched in one ``cat_ranges`` call.
    """
    dims, dropped = _normal_key(layout, key)
    counts = [c for _, _, c in dims]
    final_shape = [c for axis, c in enumerate(counts) if axis not in dropped]
    out = np.empty(counts, dtype=layout.dtype)
    if out.size == 0:
        return out.reshape(final_shape)
    itemsize = layout.dtype.itemsize
    steps = [step * stride for (_, step, _), stride in zip(dims, layout.strides)]

    def span(base: int, depth: int) -> tuple[int, int]:
        reach = [(count - 1) * step for (_, _, count), step in zip(dims[depth:], steps[depth:])]
        return base + sum(r for r in reach if r < 0), base + sum(r for r in reach if r > 0) + itemsize

    runs: list[tuple[int, tuple[int, ...], int]] = []  # (byte of the run's first element, out index, depth)

    def split(base: int, prefix: tuple[int, ...], depth: int) -> None:
        lo, hi = span(base, depth)
        needed = itemsize * int(np.prod(counts[depth:], dtype=np.int64))
        if depth == len(dims) or hi - lo <= 2 * needed + 4096 or len(runs) + counts[depth] > MAX_RUNS:
            runs.append((base, prefix, depth))
            return
        for k in range(counts[depth]):
            split(base + k * steps[depth], prefix + (k,), depth + 1)

    split(layout.offset + sum(start * stride for (start, _, _), stride in zip(dims, layout.strides)), (), 0)
    order = sorted(range(len(runs)), key=lambda i: span(runs[i][0], runs[i][2]))
    merged: list[list[int]] = []
    owner = [0] * len(runs)
    for i in order:
        lo, hi = span(runs[i][0], runs[i][2])
        if merged and lo - merged[-1][1] <= MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
        owner[i] = len(merged) - 1
    buffers = source.fetch([(lo, hi) for lo, hi in merged])
    for i, (base, prefix, depth) in enumerate(runs):
        raw = np.frombuffer(buffers[owner[i]], dtype=np.uint8)
        out[prefix] = _typed_view(raw, base - merged[owner[i]][0], counts[depth:], steps[depth:], layout.dtype)
    return out.reshape(final_shape)


def _typed_view(raw: np.ndarray, start: int, shape: list[int], strides: list[int],
                dtype: np.dtype, writeable: bool = False) -> np.ndarray:
    """Elements of ``dtype``, the first at byte ``start`` of ``raw``, at byte ``strides`` (any sign).

    The caller guarantees every element lies inside ``raw`` (the run's span was fetched whole)."""
    first = np.ndarray(((raw.size - start) // dtype.itemsize,), dtype=dtype, buffer=raw, offset=start)
    return np.lib.stride_tricks.as_strided(first, shape=shape, strides=strides, writeable=writeable)
