"""The filters of a federated search and their translation into each query service's own language.

Every translation is *loose*: it may let through products the filters reject (they are filtered
locally afterwards with the catalog's own search) but never drops a product the filters keep. So the
answer equals harvesting everything and searching locally. Whatever a service cannot express (several
missions, levels, a mission without an id in ``missions.toml``) is simply not pushed down.

>>> q = Query.from_filters(mission="LRO", bbox=(350, -10, 10, 10), start="2009-07-01")
>>> q.mission, q.crosses_meridian
(('lro',), True)
>>> pds_api_q(q, product_class="Product_Observational", target="Moon")[:41]
'((product_class eq "Product_Observational'
"""
from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import missions
from ..errors import SourceError
from ..times import user_time
from ..record import format_time

__all__ = ["Query", "ode_options", "pds_api_q", "epntap_where", "pdap_options", "julian_day"]

#: pushdown is widened by these margins so float and time-scale rounding never drops a product the local
#: filter keeps (TDB-UTC is ~69 s; JD doubles near 2.45e6 resolve ~40 µs)
TIME_PAD = _dt.timedelta(seconds=120)
DEG_PAD = 1e-6
JD_UNIX_EPOCH = 2440587.5


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _lon(value: float, east: bool) -> float:
    lon = float(value) % 360.0
    return 360.0 if east and lon == 0.0 and float(value) != 0.0 else lon


@dataclass(frozen=True)
class Query:
    """The filters of one federated search, as given (``raw``) and normalized for pushdown.

    Examples
    --------
    >>> Query.from_filters(bbox=(-10, 80, 10, 90)).bbox
    (350.0, 80.0, 10.0, 90.0)
    """

    raw: tuple[tuple[str, Any], ...]
    mission: tuple[str, ...] = ()
    instrument: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    start: _dt.datetime | None = None
    stop: _dt.datetime | None = None
    bbox: tuple[float, float, float, float] | None = None

    @classmethod
    def from_filters(cls, *, mission: Any = None, instrument: Any = None, target: Any = None,
                     level: Any = None, start: Any = None, stop: Any = None,
                     bbox: Sequence[float] | None = None) -> Query:
        when = {}
        for name, value in (("start", start), ("stop", stop)):
            when[name] = user_time(value, what=name, error=SourceError) if value is not None else None
        box = None
        if bbox is not None:
            if len(bbox) != 4:
                raise SourceError(f"bbox needs (lon_min, lat_min, lon_max, lat_max), got {bbox!r}")
            west, south, east, north = (float(v) for v in bbox)
            box = (0.0, south, 360.0, north) if east - west >= 360.0 else (
                _lon(west, False), south, _lon(east, True), north)
        raw = {"mission": mission, "instrument": instrument, "target": target, "level": level,
               "start": format_time(when["start"]) if when["start"] else None,
               "stop": format_time(when["stop"]) if when["stop"] else None,
               "bbox": list(bbox) if bbox is not None else None}
        slugs = tuple(missions.resolve_mission(m) or missions.slugify(m) for m in _names(mission))
        return cls(raw=tuple((k, list(v) if isinstance(v, tuple) else v) for k, v in raw.items()
                             if v is not None),
                   mission=slugs, instrument=tuple(i.upper() for i in _names(instrument)),
                   target=tuple(missions.canonical_target(t) or t for t in _names(target)),
                   level=_names(level), start=when["start"], stop=when["stop"], bbox=box)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`archive_fed.Catalog.search` (the local, exact filter)."""
        return dict(self.raw)

    def key(self) -> str:
        """Canonical JSON of the filters (cache keys): queries the local search cannot tell apart share
        one key — mission, instrument, target and level by alias key, in any order and case
        (``"LRO"`` = ``"Lunar Reconnaissance Orbiter"``, ``"MOON"`` = ``"Lunar"``); times in UTC; boxes
        in 0–360 (``(-10, …)`` = ``(350, …)``, any box spanning 360° = ``(0, …, 360, …)``).

        >>> a = Query.from_filters(mission=["SELENE", "LRO"], target="MOON", bbox=(-10, -5, 10, 5))
        >>> b = Query.from_filters(mission=["lro", "Kaguya"], target="Lunar", bbox=(350, -5, 10, 5))
        >>> a.key() == b.key()
        True
        """
        def keys(names: tuple[str, ...], each: Any) -> list[Any]:
            return sorted({each(n) for n in names if n.strip()})

        normal = {"mission": keys(self.mission, missions.alias_key),
                  "instrument": keys(self.instrument, lambda i: tuple(sorted(missions.instrument_keys(i)))),
                  "target": keys(self.target, missions.alias_key),
                  "level": keys(self.level, missions.alias_key),
                  "start": format_time(self.start) if self.start else None,
                  "stop": format_time(self.stop) if self.stop else None,
                  "bbox": list(self.bbox) if self.bbox is not None else None}
        return json.dumps({k: v for k, v in normal.items() if v}, sort_keys=True)

    @property
    def crosses_meridian(self) -> bool:
        return self.bbox is not None and self.bbox[0] > self.bbox[2]

    def one(self, name: str) -> str | None:
        """The single value of filter ``name`` (None when absent or several: not pushed down)."""
        values = getattr(self, name)
        return values[0] if len(values) == 1 else None


def julian_day(when: _dt.datetime) -> float:
    return JD_UNIX_EPOCH + when.timestamp() / 86400.0


# ---- ODE ------------------------------------------------------------------------------------------
def _service_ids(service: str, query: Query) -> tuple[str | None, str | None]:
    """The service's own mission (host) id and, under it, instrument id for ``query`` (from
    ``missions.toml``); the instrument only where the mission maps."""
    slug = query.one("mission")
    host = missions.service_host(service, slug)
    if not host:
        return None, None
    return host, missions.service_instrument(service, slug, query.one("instrument"))


def ode_options(query: Query, target: str | None = "moon") -> list[dict[str, Any]]:
    """Options of :class:`~archive_fed.sources.ode.ODESource` for ``query``: one set per request
    (a box across 0° becomes two requests, ``[west, 360]`` and ``[0, east]``)."""
    options: dict[str, Any] = {}
    wanted = query.one("target")
    if wanted:
        options["target"] = wanted.lower()
    elif query.target:
        return [{}]          # several targets: ask for the source's default and filter locally
    host, iid = _service_ids("ode", query)
    if host:
        options["ihid"] = host
    if iid:
        options["iid"] = iid
    if query.start:
        options["start"] = query.start - TIME_PAD
    if query.stop:
        options["stop"] = query.stop + TIME_PAD
    if query.bbox is None:
        return [options]
    west, south, east, north = query.bbox
    south, north = max(-90.0, south - DEG_PAD), min(90.0, north + DEG_PAD)
    if not query.crosses_meridian:
        return [{**options, "bbox": (west, south, east, north)}]
    return [{**options, "bbox": (west, south, 360.0, north)}, {**options, "bbox": (0.0, south, east, north)}]


# ---- PDS Registry API -----------------------------------------------------------------------------
def pds_api_q(query: Query, *, product_class: str | None, target: str | None) -> str:
    """The ``q`` expression: one bracketed group at the top level, ``((a) and (b))`` (the registry's
    grammar answers 400 to ``(a) and (b)``)."""
    from ..sources.records import target_lid

    clauses = []
    if product_class:
        clauses.append(f'product_class eq "{product_class}"')
    wanted = query.one("target") or (None if query.target else target)
    if wanted:
        try:
            clauses.append(f'ref_lid_target eq "{target_lid(wanted)}"')
        except SourceError:
            pass     # a target without a known context LID: filtered locally
    investigation = missions.service_host("pds-api", query.one("mission"))
    if investigation:
        clauses.append(f'ref_lid_investigation eq "{investigation}"')
    if query.start:
        clauses.append(f'pds:Time_Coordinates.pds:stop_date_time ge "{format_time(query.start - TIME_PAD)}"')
    if query.stop:
        clauses.append(f'pds:Time_Coordinates.pds:start_date_time le "{format_time(query.stop + TIME_PAD)}"')
    if query.bbox is not None:
        west, south, east, north = query.bbox
        side = "cart:Bounding_Coordinates.cart:{}_bounding_coordinate".format
        clauses.append(f'{side("north")} ge "{south - DEG_PAD}"')
        clauses.append(f'{side("south")} le "{north + DEG_PAD}"')
        if not query.crosses_meridian:
            # necessary for a footprint crossing 0° or not; a box across 0° meets every footprint that
            # crosses 0° too, which the grammar cannot say (no property-to-property comparison): not pushed
            clauses.append(f'({side("west")} le "{east + DEG_PAD}") or ({side("east")} ge "{west - DEG_PAD}")')
    return "(" + " and ".join(f"({c})" for c in clauses) + ")" if clauses else ""


# ---- EPN-TAP --------------------------------------------------------------------------------------
def _adql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def epntap_where(query: Query) -> tuple[dict[str, Any], str | None]:
    """(source options, ADQL ``WHERE`` conditions) for ``query``: ``target_name``, ``instrument_host_name``,
    ``time_min``/``time_max`` in Julian days, ``c2min``/``c2max`` latitudes and ``c1min``/``c1max`` east
    longitudes (``c1min > c1max`` crosses 0°; the longitude clause holds for both kinds of footprint,
    and is left out for a box across 0°)."""
    options: dict[str, Any] = {}
    wanted = query.one("target")
    if wanted:
        options["target"] = wanted
    host = missions.service_host("epn-tap", query.one("mission"))
    if host:
        options["instrument_host"] = host
    conditions = []
    if query.start:
        conditions.append(f"time_max >= {julian_day(query.start - TIME_PAD):.8f}")
    if query.stop:
        conditions.append(f"time_min <= {julian_day(query.stop + TIME_PAD):.8f}")
    if query.bbox is not None:
        west, south, east, north = query.bbox
        conditions.append(f"c2max >= {south - DEG_PAD:.7f}")
        conditions.append(f"c2min <= {north + DEG_PAD:.7f}")
        if not query.crosses_meridian:    # as for the PDS API: a box across 0° pushes latitudes only
            conditions.append(f"(c1min <= {east + DEG_PAD:.7f} OR c1max >= {west - DEG_PAD:.7f})")
    return options, " AND ".join(conditions) or None


# ---- PDAP -----------------------------------------------------------------------------------------
def pdap_options(query: Query) -> dict[str, Any]:
    """PDAP parameters for ``query``: ``TARGET_NAME`` and, where ``missions.toml`` maps them,
    ``INSTRUMENT_HOST_ID``/``INSTRUMENT_ID``. Times are not pushed: PDAP's ``START_TIME``/``STOP_TIME``
    bound the product's own start and stop, which would drop products that merely overlap the window."""
    options: dict[str, Any] = {}
    wanted = query.one("target")
    if wanted:
        options["target"] = wanted.upper()
    host, instrument = _service_ids("pdap", query)
    if host:
        options["instrument_host_id"] = host
    if instrument:
        options["instrument_id"] = instrument
    return options
