"""The mission registry, loaded from ``missions.toml`` (data, not ``if`` chains).

Resolves any spelling of a mission, instrument, target or processing level to its canonical form:

>>> from archive_fed import missions
>>> missions.resolve_mission("SELENE"), missions.resolve_mission("Chang'E-4")
('kaguya', 'change-4')
>>> missions.canonical_target("Lunar")
'Moon'
>>> missions.pds4_level("kaguya", "L2B0")
'Calibrated'
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


@dataclass(frozen=True)
class Mission:
    slug: str
    name: str
    agency: str
    aliases: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    data_set_prefixes: tuple[str, ...] = ()
    lid_prefixes: tuple[str, ...] = ()
    instruments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=65536)
def alias_key(text: str) -> str:
    """The key under which names are compared: case, spaces, quotes and punctuation folded.

    >>> alias_key("Chang'E-4") == alias_key("change 4") == alias_key("CHANGE4")
    True
    """
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


@functools.lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Mission], dict[str, str], dict[str, str]]:
    raw = tomllib.loads(resources.files("archive_fed").joinpath("missions.toml").read_text("utf-8"))
    generic_levels = {k.upper(): v for k, v in
                      {**raw.get("codmac", {}).get("to_pds4", {}), **raw.get("levels", {})}.items()}
    schemes = raw.get("level_schemes", {})
    missions: dict[str, Mission] = {}
    aliases: dict[str, str] = {}
    for slug, row in raw["missions"].items():
        mission = Mission(
            slug=slug, name=row["name"], agency=row["agency"],
            aliases=tuple(row.get("aliases", ())), hosts=tuple(row.get("hosts", ())),
            data_set_prefixes=tuple(row.get("data_set_prefixes", ())),
            lid_prefixes=tuple(row.get("lid_prefixes", ())),
            instruments={k.upper(): tuple(v) for k, v in row.get("instruments", {}).items()},
            levels={k.upper(): v for k, v in
                    {**schemes.get(row.get("level_scheme", ""), {}), **row.get("levels", {})}.items()},
        )
        missions[slug] = mission
        for name in (slug, mission.name, *mission.aliases):
            aliases.setdefault(alias_key(name), slug)
    return missions, aliases, generic_levels


def missions() -> dict[str, Mission]:
    """All registered missions by slug."""
    return _registry()[0]


def get(slug: str) -> Mission | None:
    return _registry()[0].get(slug)


def slugify(text: str) -> str:
    """A lowercase slug for names the registry does not know (SPEC: unknown missions)."""
    return re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-")


def resolve_mission(name: str | None) -> str | None:
    """Canonical slug for a mission name or alias, or None when the registry does not know it."""
    if not name:
        return None
    return _registry()[1].get(alias_key(name))


@functools.lru_cache(maxsize=1)
def _host_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for mission in missions().values():
        for host in mission.hosts:
            index.setdefault(alias_key(host), mission.slug)
    return index


@functools.lru_cache(maxsize=None)
def _instrument_index(slug: str) -> dict[str, str]:
    mission = get(slug)
    index: dict[str, str] = {}
    for canonical, names in (mission.instruments.items() if mission else ()):
        index.setdefault(alias_key(canonical), canonical)
        for name in names:
            index.setdefault(alias_key(name), canonical)
    return index


def mission_from_host(host: str | None) -> str | None:
    """Mission slug implied by an instrument host name (spacecraft, lander, rover)."""
    if not host:
        return None
    return _host_index().get(alias_key(host)) or resolve_mission(host)


def mission_from_identifier(identifier: str | None) -> str | None:
    """Mission slug implied by a PDS3 DATA_SET_ID or a PDS4 LID prefix."""
    if not identifier:
        return None
    upper = identifier.upper()
    best: tuple[int, str] | None = None
    for mission in missions().values():
        for prefix in (*mission.data_set_prefixes, *mission.lid_prefixes):
            if upper.startswith(prefix.upper()) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), mission.slug)
    return best[1] if best else None


def agency(slug: str | None) -> str | None:
    mission = get(slug) if slug else None
    return mission.agency if mission else None


def canonical_instrument(slug: str | None, name: str | None) -> str | None:
    """The instrument id the archive uses, upper case; aliases of the mission map to it."""
    if not name:
        return None
    text = name.strip().upper()
    mission = get(slug) if slug else None
    if mission is None:
        return text
    if text in mission.instruments:
        return text
    return _instrument_index(mission.slug).get(alias_key(text), text)


def instrument_keys(name: str) -> set[str]:
    """Every alias key that means the same instrument as ``name`` in any mission (for search)."""
    key = alias_key(name)
    keys = {key}
    for mission in missions().values():
        for canonical, names in mission.instruments.items():
            group = {alias_key(canonical), *(alias_key(n) for n in names)}
            if key in group:
                keys.add(alias_key(canonical))
    return keys


_TARGETS = {
    "moon": "Moon", "lunar": "Moon", "luna": "Moon", "themoon": "Moon", "earthsmoon": "Moon",
    "satelliteearthmoon": "Moon", "urnnasapdscontexttargetsatelliteearthmoon": "Moon",
    "earth": "Earth", "planetearth": "Earth", "urnnasapdscontexttargetplanetearth": "Earth",
    "sun": "Sun", "sol": "Sun", "urnnasapdscontexttargetstarsun": "Sun",
    "solarwind": "Solar Wind", "calibration": "Calibration", "calibrationtarget": "Calibration",
    "sky": "Sky", "dark": "Dark", "na": None, "none": None, "unk": None, "unknown": None, "null": None,
}


def canonical_target(name: str | None) -> str | None:
    """Canonical target name: ``Lunar``, ``MOON``, ``Luna`` → ``Moon``; others title-cased."""
    if name is None:
        return None
    text = str(name).strip()
    if not text:
        return None
    key = alias_key(text)
    if key in _TARGETS:
        return _TARGETS[key]
    if text.startswith("urn:"):
        text = text.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    # all-caps plain words (MOON, EARTH, SOLAR WIND) read as names; ids such as LS-M1O-101 stay as written
    return text.title() if re.fullmatch(r"[A-Z]+( [A-Z]+)*", text) else text


def canonical_targets(names: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for name in names:
        target = canonical_target(name)
        if target and target not in out:
            out.append(target)
    return out


def pds4_level(slug: str | None, native: str | None) -> str | None:
    """Map a native processing level (mission level, LROC EDR/CDR/RDR, CODMAC number) to PDS4."""
    if native is None:
        return None
    text = str(native).strip().upper()
    if not text:
        return None
    _, _, generic = _registry()
    mission = get(slug) if slug else None
    tables = ([mission.levels] if mission else []) + [generic]
    candidates = [text, re.sub(r"^(LEVEL|LVL|L)[ _-]?", "", text), text.replace("_", " ")]
    for table in tables:
        for candidate in candidates:
            if candidate in table:
                return table[candidate]
    for level in ("Telemetry", "Raw", "Partially Processed", "Calibrated", "Derived"):
        if alias_key(level) == alias_key(text):
            return level
    return None


@functools.lru_cache(maxsize=1)
def _codmac_from_pds4() -> dict[str, int]:
    raw = tomllib.loads(resources.files("archive_fed").joinpath("missions.toml").read_text("utf-8"))
    return {level: int(number) for level, number in raw.get("codmac", {}).get("from_pds4", {}).items()}


def codmac_level(level: str | None) -> int | None:
    """The EPN-TAP 2.0 (simplified CODMAC) ``processing_level`` of a PDS4 processing level, from
    ``[codmac.from_pds4]`` (None when unknown); :func:`pds4_level` maps CODMAC numbers the other way.

    >>> codmac_level("Calibrated"), pds4_level(None, "3")
    (3, 'Calibrated')
    """
    return _codmac_from_pds4().get(level) if level else None


@functools.lru_cache(maxsize=1)
def _services() -> dict[str, Any]:
    raw = tomllib.loads(resources.files("archive_fed").joinpath("missions.toml").read_text("utf-8"))
    return raw.get("services", {})


def service_host(service: str, slug: str | None) -> str | None:
    """The id query service ``service`` uses for mission ``slug`` (``[services.<service>.hosts]``).

    >>> service_host("ode", "lro")
    'LRO'
    """
    return _services().get(service, {}).get("hosts", {}).get(slug) if slug else None


def service_instrument(service: str, slug: str | None, instrument: str | None) -> str | None:
    """The id query service ``service`` uses for canonical ``instrument`` of mission ``slug``."""
    if not slug or not instrument:
        return None
    table = _services().get(service, {}).get("instruments", {}).get(slug, {})
    return table.get(canonical_instrument(slug, instrument) or instrument.upper())
