"""On-disk cache of live answers and the user configuration of federated search.

Configuration: a TOML file, ``$ARCHIVE_FED_CONFIG`` or ``<platformdirs user config dir>/archive_fed/config.toml``::

    catalogs = ["~/lunar/catalog.zarr", "s3://bucket/lunar.zarr"]   # searched when sources= is not given
    cache_dir = "~/.cache/archive_fed/search"                      # default: platformdirs user cache dir
    cache_ttl = 86400                                              # seconds an answer stays fresh

``$ARCHIVE_FED_CACHE`` and ``$ARCHIVE_FED_CACHE_TTL`` override the last two. Entries are keyed by
source name + URL + options + filters, one JSON file each, written to a temporary file and moved into
place with :func:`os.replace`, so a concurrent reader sees the old file or the new one, never half of one.

>>> key = cache_key("ode", "https://oderest.rsl.wustl.edu/live2/", {}, '{"mission": "lro"}')
>>> len(key)
64
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

import platformdirs

from ..errors import ArchiveFedError

__all__ = ["config", "config_path", "cache_dir", "cache_ttl", "cache_key", "read", "write"]

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


def read(key: str, ttl: float | None = None, directory: Path | None = None) -> list[dict[str, Any]] | None:
    """The cached records of ``key`` when younger than ``ttl`` seconds, else None."""
    path = (directory or cache_dir()) / f"{key}.json"
    try:
        if time.time() - path.stat().st_mtime > (cache_ttl() if ttl is None else ttl):
            return None
        payload = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None      # absent, expired or unreadable: ask the service
    return payload.get("records") if isinstance(payload, dict) else None


def write(key: str, records: list[dict[str, Any]], directory: Path | None = None) -> None:
    """Store ``records`` under ``key`` atomically (temporary file + :func:`os.replace`)."""
    folder = directory or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps({"written": time.time(), "records": records}).encode("utf-8"))
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        # a cache that cannot be written is not an error of the search
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass
