"""Archive adapters, found by name through the entry-point group ``archive_fed.sources`` (SPEC §4).

The entry points are scanned once, on first use (a scan reads every installed distribution's metadata:
tens of milliseconds); after installing a plugin in a running interpreter, call :func:`rescan`.

>>> from archive_fed import sources
>>> "pds3-volume" in sources.available()
True
"""
from __future__ import annotations

import threading
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from ..errors import SourceError
from .base import Problem, ProductRef, Source

__all__ = ["Source", "ProductRef", "Problem", "get", "available", "create", "rescan"]

#: The sources shipped with archive_fed (also declared as entry points in pyproject.toml, so the
#: registry works from a source checkout that was never installed).
BUILTIN = {
    "pds3-volume": "archive_fed.sources.pds3_volume:PDS3VolumeSource",
    "pds4-bundle": "archive_fed.sources.pds4_bundle:PDS4BundleSource",
    "pds-api": "archive_fed.sources.pds_api:PDSAPISource",
    "ode": "archive_fed.sources.ode:ODESource",
    "epn-tap": "archive_fed.sources.epntap:EPNTAPSource",
    "pdap": "archive_fed.sources.pdap:PDAPSource",
    "jaxa-darts": "archive_fed.sources.presets:JAXADARTSSource",
    "cnsa-clpds": "archive_fed.sources.presets:CNSACLPDSSource",
    "nasa-pds": "archive_fed.sources.presets:NASAPDSSource",
    "esa-psa": "archive_fed.sources.presets:ESAPSASource",
    "isro-pradan": "archive_fed.sources.presets:ISROPRADANSource",
    "kari-kpds": "archive_fed.sources.presets:KARIKPDSSource",
}

ENTRY_POINT_GROUP = "archive_fed.sources"


_registry: dict[str, str] | None = None
_scan_lock = threading.Lock()


def rescan() -> list[str]:
    """Scan the ``archive_fed.sources`` entry points again (after installing a plugin while running);
    returns :func:`available`."""
    global _registry
    found = dict(BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.value
    with _scan_lock:
        _registry = found
    return sorted(found)


def _targets() -> dict[str, str]:
    if _registry is None:
        rescan()
    return _registry  # type: ignore[return-value]


def available() -> list[str]:
    """Names of every registered source, sorted."""
    return sorted(_targets())


def get(name: str) -> type[Source]:
    """The Source class registered under ``name``."""
    targets = _targets()
    if name not in targets:
        raise SourceError(f"unknown source {name!r}; registered: {', '.join(sorted(targets))}")
    module_name, _, attribute = targets[name].partition(":")
    try:
        cls = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SourceError(f"source {name!r} cannot be loaded from {targets[name]}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise SourceError(f"source {name!r} ({targets[name]}) is not an archive_fed Source")
    return cls


def create(name: str, url: str | None = None, **options: Any) -> Source:
    """An instance of source ``name`` for ``url`` (its default endpoint when None)."""
    return get(name)(url, **options)
