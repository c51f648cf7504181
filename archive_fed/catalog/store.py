"""Catalog persistence: Zarr stores written atomically, and Parquet files.

On-disk layout (Zarr format 3, consolidated metadata, one array per record field, one shard file per
:data:`CHUNK_ROWS` products holding compressed chunks of :data:`INNER_CHUNK_ROWS`):

* categorical text fields: int8/int16 codes, the distinct values in the array attribute ``categories``
  (at most :data:`MAX_CATEGORIES`; beyond that the column is stored as text); Blosc-zstd, bit-shuffled;
* other text and the JSON of ``data_urls``: variable-length UTF-8, zstd, in smaller inner chunks of
  :data:`TEXT_CHUNK_ROWS` (cheap reads of scattered rows);
* times: int64 ns since 1970 UTC (CF ``units``), floats: float64, ``file_size``: int64 with ``-1`` for
  missing — all Blosc-zstd with byte shuffle;
* a marker file ``archive_fed.json`` written last: a store without it is incomplete (or foreign).

Atomic save protocol, local filesystems (``save`` → :func:`write_zarr`)
--------------------------------------------------------------------------
1. Write the whole new store to the sibling ``<root>.tmp-<pid>-<token>``, marker last.
2. Swap it in. On Linux, ``renameat2(RENAME_EXCHANGE)`` swaps the two directories in one atomic step, so
   ``<root>`` is at every instant either the complete old or the complete new store; the old one, now at
   the temporary name, is then deleted. Elsewhere (or where the filesystem refuses the exchange):
   rename ``<root>`` → ``<root>.old-<pid>-<token>``, rename the temporary → ``<root>``, delete the old.
3. Recovery (on every open and save, :func:`recover_local`) looks only at leftovers of writers that are no
   longer running: with ``<root>`` present, leftovers are deleted; with ``<root>`` missing (a crash
   between the two renames), a complete temporary of the same writer is renamed in, else its old store is
   renamed back. A reader that finds ``<root>`` missing while the writer is alive waits for it briefly.

A SIGKILL at any point therefore leaves the old or the new catalog, complete. (Durability across a power
loss is the filesystem's business: nothing is fsync'ed.)

Other fsspec stores (object stores, ``memory://``) cannot rename atomically. There the new store is
written completely to ``<root>.tmp-<token>`` (marker last); then ``<root>``'s marker is removed, its
content replaced by a copy of the temporary, the marker written, and the temporary deleted. A reader
that finds ``<root>`` without marker opens the newest complete temporary instead, so it still sees a
complete catalog; the next save cleans up. One writer at a time per remote store.

A catalog opened lazily reads its text columns from the store when needed. Each save writes a new
generation token into the marker; before reading, a lazily opened catalog checks that the token is still
the one it opened, and raises :class:`~archive_fed.errors.CatalogError` if the store was replaced
(saving a catalog over the store it was opened from, unchanged, keeps it valid).
"""
from __future__ import annotations

import ctypes
import errno
import glob
import json
import os
import re
import secrets
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem
from zarr.codecs import BloscCodec, ZstdCodec

from ..errors import CatalogError
from ..record import CATEGORICAL, FIELDS, INT, LIST, STR, TIME
from .encoding import DIM, LATER_FIELDS, SCHEMA_VERSION, Codes, null_columns, variable

CHUNK_ROWS = 262_144  # products per shard (one file per column)
INNER_CHUNK_ROWS = 16_384  # products per compressed chunk inside a shard: the unit of partial reads
#: Inner chunks of the (non-categorical) text columns: reading the fields of scattered search hits
#: decodes every chunk holding one, so text chunks are small (2,048 products: a third of the decoding
#: of 16,384 for typical results, the same bytes on disk, whole-column reads as fast).
TEXT_CHUNK_ROWS = 2_048
MAX_CATEGORIES = 4096
MARKER = "archive_fed.json"
#: Use renameat2(RENAME_EXCHANGE) where available (tests switch it off to exercise the fallback).
USE_RENAME_EXCHANGE = True
#: Test hook: called with the name of each step of a local save ("written", "swapped", ...).
crash_hook: Callable[[str], None] | None = None

_NUMBERS = BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")
_CODES = BloscCodec(cname="zstd", clevel=5, shuffle="bitshuffle")
_TEXT = ZstdCodec(level=6)
_LEFTOVER = re.compile(r"\.(tmp|old)-(\d+)-([0-9a-f]+)$")


def _step(name: str) -> None:
    if crash_hook is not None:
        crash_hook(name)


# --- encoding for disk -----------------------------------------------------------------------------

def chunking(n: int) -> tuple[int, int, int]:
    """``(shard, inner, text)``: rows per shard, per inner chunk, per inner chunk of text columns for a
    store of ``n`` products (each a whole multiple of the next)."""
    text = max(1, min(n, TEXT_CHUNK_ROWS))
    inner = -(-max(1, min(n, INNER_CHUNK_ROWS)) // text) * text
    shard = -(-max(1, min(n, CHUNK_ROWS)) // inner) * inner
    return shard, inner, text


def compressors(kind: str, categorical: bool) -> list:
    """The compressor of a stored column (see the module doc)."""
    if categorical:
        return [_CODES]
    return [_TEXT] if kind in (STR, LIST) else [_NUMBERS]


def encode_for_disk(ds: xr.Dataset, codes: Callable[[str], Codes]) -> tuple[xr.Dataset, dict]:
    """The dataset as written (codes for categorical columns) and its xarray ``encoding``."""
    n = ds.sizes.get(DIM, 0)
    shard, inner, text = chunking(n)
    variables: dict[str, xr.Variable] = {}
    encoding: dict[str, dict[str, Any]] = {}
    for name, kind in FIELDS.items():
        var = ds[name].variable
        attrs = dict(var.attrs)
        enc: dict[str, Any] = {"chunks": (inner,), "shards": (shard,)}
        column = codes(name) if name in CATEGORICAL else None
        if column is not None and len(column.categories) <= MAX_CATEGORIES:
            attrs.update(encoding="categorical", categories=column.categories.tolist())
            var = variable(column.codes, attrs)
            enc["compressors"] = [_CODES]
        elif kind in (STR, LIST):
            values = np.asarray(var.values)
            var = variable(values if values.dtype == object else values.astype(object), attrs)
            enc.update(compressors=[_TEXT], chunks=(text,))
        else:
            var = variable(np.asarray(var.values), attrs)
            enc["compressors"] = [_NUMBERS]
            if kind == TIME:
                enc.update(units="nanoseconds since 1970-01-01", calendar="proleptic_gregorian",
                           dtype="int64")
            elif kind == INT:
                enc.update(dtype="int64", _FillValue=-1)
        variables[name] = var
        encoding[name] = enc
    return xr.Dataset(variables, attrs=dict(ds.attrs)), encoding


def decode_from_disk(ds: xr.Dataset, where: str) -> tuple[xr.Dataset, dict[str, Codes]]:
    """Inverse of :func:`encode_for_disk`: categorical columns decoded (eagerly: they are small)."""
    _check_version(ds, where)
    codes: dict[str, Codes] = {}
    for name in FIELDS:
        attrs = dict(ds[name].attrs)
        if attrs.pop("encoding", None) != "categorical":
            continue
        categories = np.empty(len(attrs["categories"]), dtype=object)
        categories[:] = attrs.pop("categories")
        column = Codes(np.asarray(ds[name].values), categories)
        codes[name] = column
        ds[name] = xr.Variable((DIM,), indexing.LazilyIndexedArray(DecodedCodes(column)), attrs=attrs)
    return ds, codes


class DecodedCodes(BackendArray):
    """A categorical column's text, decoded from its codes only when read: selecting rows of a lazily
    opened catalog (a search result) takes the codes alone."""

    def __init__(self, column: Codes) -> None:
        self.column = column
        self.shape = column.codes.shape
        self.dtype = np.dtype(object)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER, self._read)

    def _read(self, key: tuple) -> np.ndarray:
        return self.column.take(key[0]).decode()  # one dimension: one indexer


def _check_version(ds: xr.Dataset, where: str) -> None:
    later = [name for name in LATER_FIELDS if name not in ds.variables]  # a store from before them
    for name, values in null_columns(ds.sizes.get(DIM, 0), later).items():
        ds[name] = variable(values, {"kind": FIELDS[name]})
    missing = [name for name in FIELDS if name not in ds.variables]
    if missing:
        raise CatalogError(f"not an archive_fed catalog: no variables {missing}", path=where)
    version = int(ds.attrs.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise CatalogError(f"catalog schema_version {version} is newer than this archive_fed "
                           f"understands ({SCHEMA_VERSION}); upgrade archive_fed", path=where)


def decode_lazily(ds: xr.Dataset, where: str) -> xr.Dataset:
    """Like :func:`decode_from_disk` for a dask-backed dataset: categories decoded per dask chunk."""
    _check_version(ds, where)
    for name in FIELDS:
        attrs = dict(ds[name].attrs)
        if attrs.pop("encoding", None) != "categorical":
            continue
        table = np.empty(len(attrs["categories"]) + 1, dtype=object)
        table[:-1] = attrs.pop("categories")
        table[-1] = ""  # code -1
        data = ds[name].data
        if not hasattr(data, "map_blocks"):
            raise CatalogError("decoding categories lazily needs dask chunks", path=where)
        ds[name] = xr.Variable((DIM,), data.map_blocks(table.take, dtype=object), attrs=attrs)
    return ds


# --- local atomic writes ---------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    """Whether the writer that named a leftover may still be running (then it is left alone)."""
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _complete(path: str) -> bool:
    return os.path.isfile(os.path.join(path, MARKER))


def _leftovers(root: str) -> list[tuple[str, str, int, str]]:
    """``(path, kind, pid, token)`` of temporary and displaced stores next to ``root``."""
    found = []
    for path in glob.glob(glob.escape(root) + ".*-*-*"):
        match = _LEFTOVER.search(path[len(root):])
        if match and path[len(root):] == match.group(0):
            found.append((path, match.group(1), int(match.group(2)), match.group(3)))
    return found


def recover_local(root: str, wait: float = 2.0) -> str:
    """Repair what a killed writer left next to ``root``; return the path to read the catalog from."""
    deadline = time.monotonic() + wait
    while True:
        leftovers = _leftovers(root)
        live_old = False
        for path, kind, pid, token in sorted(leftovers, key=lambda x: x[1] != "old"):
            if _alive(pid):
                live_old |= kind == "old"
                continue
            try:
                if kind == "old" and not os.path.lexists(root):
                    tmp = f"{root}.tmp-{pid}-{token}"
                    os.rename(tmp if _complete(tmp) else path, root)
                if os.path.lexists(path):
                    shutil.rmtree(path)
            except OSError:
                pass  # read-only or raced with another recoverer: read what is there
        if os.path.lexists(root) or not live_old or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # a live writer is between its two renames
    if os.path.lexists(root):
        return root
    for path, kind, pid, token in _leftovers(root):  # read-only directory: read the best leftover
        if kind == "old":
            tmp = f"{root}.tmp-{pid}-{token}"
            return tmp if _complete(tmp) else path
    return root


def _exchange(a: str, b: str) -> bool:
    """Atomically swap two paths (Linux renameat2); False when the system cannot."""
    if not (USE_RENAME_EXCHANGE and sys.platform.startswith("linux")):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), b)


def _marker(n: int, token: str) -> bytes:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({"schema_version": SCHEMA_VERSION, "products": n, "token": token,
                       "written": stamp}).encode()


def _to_zarr(ds: xr.Dataset, encoding: dict, url: str, storage_options: dict | None) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
        ds.to_zarr(url, mode="w", encoding=encoding, consolidated=True, zarr_format=3,
                   storage_options=storage_options)


def _save_local(ds: xr.Dataset, encoding: dict, root: str) -> str:
    root = os.path.abspath(root)
    tmp, token = local_temporary(root)
    try:
        _to_zarr(ds, encoding, tmp, None)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return publish_local(tmp, root, token, ds.sizes.get(DIM, 0))


def local_temporary(root: str) -> tuple[str, str]:
    """A fresh temporary store path next to ``root`` for a new generation, and its token."""
    os.makedirs(os.path.dirname(root), exist_ok=True)
    recover_local(root, wait=0)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    return f"{root}.tmp-{token}", token


def publish_local(tmp: str, root: str, token: str, n: int) -> str:
    """Write the marker into the complete store ``tmp`` and swap it in at ``root`` (steps 1-2 above)."""
    old = f"{root}.old-{token}"
    try:
        with open(os.path.join(tmp, MARKER), "wb") as f:
            f.write(_marker(n, token))
        _step("written")
        if not os.path.lexists(root):
            os.rename(tmp, root)
            _step("renamed")
            return token
        if _exchange(tmp, root):
            _step("exchanged")
            shutil.rmtree(tmp)  # now the old store
            return token
        os.rename(root, old)
        _step("moved-aside")
        try:
            os.rename(tmp, root)
        except OSError:
            os.rename(old, root)
            raise
        _step("moved-in")
        shutil.rmtree(old)
        return token
    except BaseException:  # an error or KeyboardInterrupt: leave the old catalog (or the new) in place
        try:
            if os.path.lexists(old) and not os.path.lexists(root):
                os.rename(old, root)
        finally:
            if os.path.lexists(root) or not os.path.lexists(old):
                for path in (tmp, old):
                    shutil.rmtree(path, ignore_errors=True)
        raise


# --- remote (fsspec) writes ------------------------------------------------------------------------

def _remote_read_path(fs: Any, root: str) -> str:
    if fs.exists(f"{root}/{MARKER}"):
        return root
    candidates = []
    for path in fs.glob(f"{root}.tmp-*"):
        try:
            info = json.loads(fs.cat_file(f"{path}/{MARKER}"))
        except (FileNotFoundError, ValueError):
            continue
        candidates.append((info.get("written", ""), path))
    return max(candidates)[1] if candidates else root


def _save_remote(ds: xr.Dataset, encoding: dict, fs: Any, root: str,
                 storage_options: dict | None) -> str:
    tmp, token = remote_temporary(root)
    _to_zarr(ds, encoding, fs.unstrip_protocol(tmp), storage_options)
    return publish_remote(fs, tmp, root, token, ds.sizes.get(DIM, 0))


def remote_temporary(root: str) -> tuple[str, str]:
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    return f"{root}.tmp-{token}", token


def publish_remote(fs: Any, tmp: str, root: str, token: str, n: int) -> str:
    """Mark the complete store ``tmp`` and copy it over ``root`` (see the module doc)."""
    marker = _marker(n, token)
    fs.pipe_file(f"{tmp}/{MARKER}", marker)
    if fs.exists(root):
        if fs.exists(f"{root}/{MARKER}"):
            fs.rm_file(f"{root}/{MARKER}")
        fs.rm(root, recursive=True)
    fs.copy(tmp, root, recursive=True)
    fs.pipe_file(f"{root}/{MARKER}", marker)
    for path in fs.glob(f"{root}.tmp-*"):
        fs.rm(path, recursive=True)
    return token


# --- public entry points ---------------------------------------------------------------------------

def write_zarr(ds: xr.Dataset, codes: Callable[[str], Codes], path: str,
               storage_options: dict | None = None) -> str:
    """Write a catalog dataset to a Zarr store at ``path`` (local path or fsspec URL), atomically.

    Returns the token of the new store generation (see :func:`read_token`).
    """
    disk, encoding = encode_for_disk(ds, codes)
    fs, root = url_to_fs(str(path), **(storage_options or {}))
    root = root.rstrip("/")
    try:
        if isinstance(fs, LocalFileSystem):
            return _save_local(disk, encoding, root)
        return _save_remote(disk, encoding, fs, root, storage_options)
    except OSError as exc:
        raise CatalogError(f"cannot write catalog: {exc}", path=str(path)) from exc


def _token_at(fs: Any, root: str) -> str | None:
    try:
        return json.loads(fs.cat_file(f"{root}/{MARKER}")).get("token")
    except (OSError, ValueError, AttributeError):
        return None


def read_token(path: str, storage_options: dict | None = None) -> str | None:
    """The generation token of the store at ``path``: each save writes a new one (None if absent)."""
    fs, root = url_to_fs(str(path), **(storage_options or {}))
    return _token_at(fs, root.rstrip("/"))


@dataclass
class Location:
    """Where a catalog store is read from: the filesystem, the directory (after recovery) and the URL
    and options zarr opens it with."""

    fs: Any
    root: str
    url: str
    storage_options: dict | None


def locate(path: str, storage_options: dict | None = None) -> Location:
    """The store to read for ``path``, recovering from an interrupted save first."""
    fs, root = url_to_fs(str(path), **(storage_options or {}))
    root = root.rstrip("/")
    if isinstance(fs, LocalFileSystem):
        where = recover_local(root)
        location = Location(fs, where, where, None)
    else:
        where = _remote_read_path(fs, root)
        location = Location(fs, where, fs.unstrip_protocol(where), storage_options)
    if not fs.exists(where):
        raise CatalogError("no catalog here", path=str(path))
    return location


def open_zarr(path: str, chunks: Any = None, storage_options: dict | None = None, *,
              lazy_categories: bool = False
              ) -> tuple[xr.Dataset, dict[str, Codes], str | None, Location]:
    """Open a catalog store lazily (recovering from an interrupted save) and decode its categories.

    Returns the dataset, the categorical codes, the generation token of the store read and where it
    is. With ``lazy_categories`` (needs dask ``chunks``) categorical columns are decoded chunk by chunk
    when computed, and no codes are returned.
    """
    location = locate(path, storage_options)
    token = _token_at(location.fs, location.root)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
            warnings.filterwarnings("ignore", message="Failed to open Zarr store with consolidated",
                                    category=RuntimeWarning)
            warnings.filterwarnings("ignore", message="The specified chunks separate the stored chunks",
                                    category=UserWarning)  # blocks of any size are the caller's choice
            ds = xr.open_zarr(location.url, chunks=chunks, consolidated=None,
                              storage_options=location.storage_options)
    except CatalogError:
        raise
    except Exception as exc:  # zarr/xarray raise many types for unreadable stores
        raise CatalogError(f"cannot open catalog: {type(exc).__name__}: {exc}", path=str(path)) from exc
    if lazy_categories:
        return decode_lazily(ds, str(path)), {}, token, location
    return (*decode_from_disk(ds, str(path)), token, location)
