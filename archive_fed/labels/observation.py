"""Observation geometry and sampling from labels: viewing angles, resolution, spectral range, exposure.

The record fields (SPEC §5) ``incidence_min/max``, ``emission_min/max``, ``phase_min/max`` (degrees),
``resolution_min/max`` (m/pixel), ``wavelength_min/max`` (m) and ``exposure_duration`` (s) are read from
the keywords and elements that carry them, in any unit the label writes (converted with astropy):

- PDS3: ``INCIDENCE_ANGLE``, ``EMISSION_ANGLE``, ``PHASE_ANGLE`` (and their ``MINIMUM_``/``MAXIMUM_``
  forms), ``PIXEL_RESOLUTION``, ``SAMPLE_RESOLUTION``/``LINE_RESOLUTION``, ``MAP_SCALE`` (length per
  pixel), ``MAP_RESOLUTION`` (pixels per degree: a degree of the Moon's great circle is 30.32 km),
  ``CENTER_FILTER_WAVELENGTH``, ``MINIMUM_``/``MAXIMUM_WAVELENGTH``, ``EXPOSURE_DURATION``,
  ``LINE_EXPOSURE_DURATION``;
- PDS4 (any namespace: Geometry, Cartography, mission dictionaries such as Chandrayaan-2 ``isda:``,
  LRO ``lro:``): ``incidence_angle``/``solar_incidence`` (else 90° − ``sun_elevation``),
  ``emission_angle``/``emergence_angle``, ``phase_angle``, ``pixel_resolution``/``pixel_scale``
  (length per pixel) and ``pixel_resolution_x/y`` …, wavelength elements, a radar's ``central_frequency``
  ± half its ``working_bandwidth`` (as wavelengths), ``exposure_duration``/``line_exposure_duration``/
  ``integration_time``.

A value without a unit is taken in the field's usual unit (degrees, m/pixel, nm for PDS3 filter
wavelengths, ms for PDS3 exposure keywords as the PDS dictionary defines them, s in PDS4).
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import astropy.units as u

from ..geometry import METRES_PER_DEGREE, SPEED_OF_LIGHT
from .base import Block
from .units import pds_unit
from .values import is_null

_PIXEL = u.Unit("pix")


def _unit(unit: Any) -> Any:
    if unit is None or isinstance(unit, u.UnitBase):
        return unit
    return pds_unit(str(unit))


def quantities(value: Any, default: Any = None) -> list[tuple[float, Any]]:
    """``(number, astropy unit or None)`` of every number in a label value (lists flattened)."""
    if value is None or is_null(value):
        return []
    if isinstance(value, u.Quantity):
        return [(float(v), value.unit) for v in value.value.ravel()] if value.ndim else \
            [(float(value.value), value.unit)]
    if hasattr(value, "value") and hasattr(value, "unit"):
        return [(n, _unit(value.unit) or u_) for n, u_ in quantities(value.value, default)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [q for item in value for q in quantities(item, default)]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return []
    return [(number, default)] if math.isfinite(number) else []


def convert(pairs: Iterable[tuple[float, Any]], target: Any, default: Any) -> list[float]:
    """Values in ``target`` units (a pair without unit is in ``default``); unconvertible ones dropped.

    Resolutions: ``pix/deg`` becomes m/pixel over the Moon's great circle; frequencies become wavelengths.
    """
    out = []
    for number, unit in pairs:
        unit = default if unit is None else unit
        if unit is None:
            continue
        try:
            quantity = number * unit
            if target == u.m / _PIXEL and quantity.unit.is_equivalent(_PIXEL / u.deg):
                if number <= 0:
                    continue
                out.append(METRES_PER_DEGREE / quantity.to_value(_PIXEL / u.deg))
                continue
            if target == u.m / _PIXEL and quantity.unit.is_equivalent(u.m):  # "m" where "m/pixel" is meant
                quantity = quantity / _PIXEL
            out.append(float(quantity.to_value(target, equivalencies=u.spectral())))
        except (u.UnitsError, ValueError, TypeError, ZeroDivisionError):
            continue
    return [v for v in out if math.isfinite(v)]


def _range(fields: dict[str, Any], name: str, values: list[float]) -> None:
    if values:
        fields[f"{name}_min"], fields[f"{name}_max"] = min(values), max(values)


# ---- PDS3 ------------------------------------------------------------------------------------------
def _pds3_values(label: Block, *keys: str) -> list[Any]:
    blocks = [label] + [b for _, b in label.walk()]
    return [block[key] for key in keys for block in blocks if key in block]


def _first_found(find: Any, label: Any, *names: str) -> list[Any]:
    """What ``find(label, name)`` gives for the first of ``names`` the label has."""
    for name in names:
        found = find(label, name)
        if found:
            return found
    return []


def _pds3_first(label: Block, *keys: str) -> list[Any]:
    return _first_found(_pds3_values, label, *keys)


def pds3_observation(label: Block) -> dict[str, Any]:
    """The observation fields of a PDS3 label (only those it gives)."""
    fields: dict[str, Any] = {}
    deg = u.deg
    for name, key in (("incidence", "INCIDENCE_ANGLE"), ("emission", "EMISSION_ANGLE"),
                      ("phase", "PHASE_ANGLE")):
        values = convert([q for v in _pds3_values(label, key, f"MINIMUM_{key}", f"MAXIMUM_{key}",
                                                  f"CENTER_{key}") for q in quantities(v)], deg, deg)
        _range(fields, name, values)
    m_pix = u.m / _PIXEL
    resolution = convert([q for v in _pds3_first(label, "PIXEL_RESOLUTION", "SAMPLE_RESOLUTION")
                          for q in quantities(v)], m_pix, m_pix)
    resolution += convert([q for v in _pds3_values(label, "LINE_RESOLUTION") for q in quantities(v)],
                          m_pix, m_pix) if resolution else []
    if not resolution:
        resolution = convert([q for v in _pds3_values(label, "MAP_SCALE") for q in quantities(v)], m_pix,
                             u.km / _PIXEL)
    if not resolution:
        resolution = convert([q for v in _pds3_values(label, "MAP_RESOLUTION") for q in quantities(v)],
                             m_pix, _PIXEL / deg)
    _range(fields, "resolution", resolution)
    wavelengths = convert([q for v in _pds3_values(label, "CENTER_FILTER_WAVELENGTH", "MINIMUM_WAVELENGTH",
                                                   "MAXIMUM_WAVELENGTH", "CENTER_WAVELENGTH")
                           for q in quantities(v)], u.m, u.nm)
    _range(fields, "wavelength", [w for w in wavelengths if w > 0])
    exposure = convert([q for v in _pds3_first(label, "EXPOSURE_DURATION", "LINE_EXPOSURE_DURATION")
                        for q in quantities(v)], u.s, u.ms)
    if exposure:
        fields["exposure_duration"] = max(exposure)
    return fields


# ---- PDS4 ------------------------------------------------------------------------------------------
def _pds4_values(label: Any, *names: str) -> list[tuple[float, Any]]:
    out = []
    for name in names:
        for node in label.iter(name):
            text = (node.text or "").strip()
            if not text or node.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
                continue
            unit = node.get("unit")
            out += quantities(text, _unit(unit) if unit else None)
    return out


def _pds4_first(label: Any, *names: str) -> list[tuple[float, Any]]:
    return _first_found(_pds4_values, label, *names)


def pds4_observation(label: Any) -> dict[str, Any]:
    """The observation fields of a PDS4 label (only those it gives)."""
    fields: dict[str, Any] = {}
    deg = u.deg
    incidence = convert(_pds4_values(label, "incidence_angle", "solar_incidence", "solar_incidence_angle",
                                     "minimum_incidence_angle", "maximum_incidence_angle"), deg, deg)
    if not incidence:
        incidence = [90.0 - e for e in convert(_pds4_values(label, "sun_elevation", "solar_elevation"),
                                               deg, deg)]
    _range(fields, "incidence", incidence)
    _range(fields, "emission", convert(_pds4_values(label, "emission_angle", "emergence_angle",
                                                    "minimum_emission_angle", "maximum_emission_angle"),
                                       deg, deg))
    _range(fields, "phase", convert(_pds4_values(label, "phase_angle", "minimum_phase_angle",
                                                 "maximum_phase_angle"), deg, deg))
    m_pix = u.m / _PIXEL
    _range(fields, "resolution", convert(_pds4_first(
        label, "pixel_resolution", "pixel_resolution_x", "pixel_resolution_y", "pixel_scale",
        "pixel_scale_x", "pixel_scale_y", "spatial_resolution", "resolution"), m_pix, m_pix))
    wavelengths = convert(_pds4_values(label, "wavelength", "center_wavelength", "minimum_wavelength",
                                       "maximum_wavelength", "wavelength_min", "wavelength_max",
                                       "filter_center_wavelength"), u.m, None)
    frequency = convert(_pds4_values(label, "central_frequency"), u.Hz, None)
    bandwidth = convert(_pds4_values(label, "working_bandwidth", "bandwidth"), u.Hz, None)
    for f in frequency:  # a radar band, as wavelengths
        half = bandwidth[0] / 2 if bandwidth and bandwidth[0] < 2 * f else 0.0
        wavelengths += [SPEED_OF_LIGHT / (f + half), SPEED_OF_LIGHT / (f - half) if f > half else math.inf]
    _range(fields, "wavelength", [w for w in wavelengths if 0 < w < math.inf])
    exposure = convert(_pds4_first(label, "exposure_duration", "line_exposure_duration", "exposure_time",
                                   "integration_time", "integration_duration"), u.s, u.s)
    if exposure:
        fields["exposure_duration"] = max(exposure)
    return fields
