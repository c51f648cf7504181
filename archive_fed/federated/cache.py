"""On-disk cache of live answers and the user configuration of federated search.

Configuration: a TOML file, ``$ARCHIVE_FED_CONFIG`` or ``<platformdirs user config dir>/archive_fed/config.toml``::

    catalogs = ["~/lunar/catalog.zarr", "s3://bucket/lunar.zarr"]   # searched when sources= is not given
    cache_dir = "~/.cache/archive_fed/search"                      # default: platformdirs user cache dir
    cache_ttl = 86400                                              # seconds an answer stays fresh

``$ARCHIVE_FED_CACHE`` and ``$ARCHIVE_FED_CACHE_TTL`` override the last two. An entry is one source's
filtered answer to one query, keyed by source name + URL + options + :meth:`Query.key` (so equivalent
queries share it), stored as one Arrow IPC file (the catalog's Arrow schema, :meth:`Catalog.to_arrow`):
read back without decoding row by row, several times faster than Parquet for these small tables.
Entries are written with :func:`archive_fed.atomic.atomic_write` (temporary file, fsync,
:func:`os.replace`), so a process reading while another writes the same entry sees the old file or the
new one, never half of one.

>>> key = cache_key("ode", "https://oderest.rsl.wustl.edu/live2/", {}, '{"mission": ["lro"]}')
>>> len(key)
64
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

import platformdirs
import pyarrow as pa

from ..atomic import atomic_write
from ..catalog import Catalog
from ..errors import ArchiveFedError

__all__ = ["config", "config_path", "cache_dir", "cache_ttl", "cache_key", "entry_path", "read", "write"]

DEFAULT_TTL = 86400.0


def config_path() -> Path:
    """Where the user configuration is read from."""
    given = os.environ.get("ARCHIVE_FED_CONFIG")
    return Path(given).expanduser() if given else Path(platformdirs.user_config_dir("archive_fed")) / "config.toml"


def config() -> dict[str, Any]:
    """The user configuration (empty when there is no file)."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveFedError(f"{path}: not a valid TOML configuration: {exc}") from None


def cache_dir() -> Path:
    given = os.environ.get("ARCHIVE_FED_CACHE") or config().get("cache_dir")
    return Path(given).expanduser() if given else Path(platformdirs.user_cache_dir("archive_fed")) / "search"


def cache_ttl() -> float:
    given = os.environ.get("ARCHIVE_FED_CACHE_TTL") or config().get("cache_ttl")
    return float(given) if given is not None else DEFAULT_TTL


def cache_key(source: str, url: str, options: dict[str, Any], query: str) -> str:
    text = json.dumps([source, url, options, query], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_path(key: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"{key}.arrow"


@functools.lru_cache(maxsize=1)
def _schema() -> pa.Schema:
    return Catalog.from_records([]).to_arrow().schema


def read(key: str, ttl: float | None = None, directory: Path | None = None) -> pa.Table | None:
    """The cached answer of ``key`` (a table in the catalog's Arrow schema) when younger than ``ttl``
    seconds, else None."""
    path = entry_path(key, directory)
    try:
        if time.time() - path.stat().st_mtime > (cache_ttl() if ttl is None else ttl):
            return None
        table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    except (OSError, pa.ArrowException):
        return None      # absent, expired or unreadable: ask the service
    return table if table.schema.equals(_schema()) else None    # written by another schema version


def write(key: str, answer: pa.Table, directory: Path | None = None) -> None:
    """Store ``answer`` (one source's hits, in the catalog's Arrow schema) under ``key``, atomically;
    a cache that cannot be written is not an error of the search."""
    try:
        with atomic_write(entry_path(key, directory), error=ArchiveFedError, what="search cache entry") as tmp:
            with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, answer.schema) as writer:
                writer.write_table(answer)
    except ArchiveFedError:
        pass
