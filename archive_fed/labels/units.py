"""PDS unit texts → astropy units, through the PDS unit dictionary's words written in any case.

astropy parses unit text case-sensitively, so a PDS3 ``EXPOSURE_DURATION = 1 <MS>`` would be one
megasiemens, ``<S>`` a siemens, ``<PA>`` a peta-ampere, ``<D>`` a debye and ``<H>`` a henry. PDS3 labels
write the PDS units (Planetary Science Data Dictionary, "UNIT" values) in upper or lower case alike, so
every word of a unit text is looked up case-insensitively in :data:`PDS_UNIT_WORDS` first and only the
words the table does not know are handed to astropy as written (``W/M**2/SR/MICRON`` → ``W / (micron sr
m2)``, ``KM/PIXEL`` → ``km / pix``). Unit texts longer than :data:`MAX_UNIT_TEXT` are refused before
astropy sees them (a 10 MB ``<MMMM…>`` costs a length check).

>>> str(pds_unit("MS")), str(pds_unit("W/M**2/SR/MICRON")), str(pds_unit("km/pixel"))
('ms', 'W / (micron sr m2)', 'km / pix')
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import astropy.units as u

#: Longest unit text handed to astropy (the longest PDS unit in the lunar corpus is ~25 characters).
MAX_UNIT_TEXT = 80

#: PDS unit words (upper case) → astropy spellings. Words in neither case nor here go to astropy as written.
PDS_UNIT_WORDS: dict[str, str] = {
    # time
    "S": "s", "SEC": "s", "SECS": "s", "SECOND": "s", "SECONDS": "s", "MS": "ms", "MSEC": "ms",
    "MILLISECOND": "ms", "MILLISECONDS": "ms", "US": "us", "USEC": "us", "MICROSECOND": "us",
    "NS": "ns", "NSEC": "ns", "NANOSECOND": "ns", "MIN": "min", "MINUTE": "min", "MINUTES": "min",
    "H": "h", "HR": "h", "HOUR": "h", "HOURS": "h", "D": "d", "DAY": "d", "DAYS": "d",
    "YR": "yr", "YEAR": "yr", "YEARS": "yr",
    # length
    "M": "m", "METER": "m", "METERS": "m", "METRE": "m", "KM": "km", "KILOMETER": "km", "KILOMETERS": "km",
    "CM": "cm", "MM": "mm", "UM": "um", "MICRON": "micron", "MICRONS": "micron", "MICROMETER": "micron",
    "MICROMETERS": "micron", "NM": "nm", "NANOMETER": "nm", "NANOMETERS": "nm", "ANGSTROM": "Angstrom",
    "ANGSTROMS": "Angstrom", "AU": "AU",
    # angle, solid angle
    "DEG": "deg", "DEGREE": "deg", "DEGREES": "deg", "RAD": "rad", "RADIAN": "rad", "RADIANS": "rad",
    "MRAD": "mrad", "URAD": "urad", "ARCSEC": "arcsec", "ARCMIN": "arcmin", "SR": "sr", "STERADIAN": "sr",
    # temperature
    "K": "K", "KELVIN": "K",   # degC stays a UnitValue in labels (tests/labels); unit_attrs maps it
    # electromagnetic, energy, power, pressure, mass
    "W": "W", "WATT": "W", "WATTS": "W", "J": "J", "V": "V", "VOLT": "V", "VOLTS": "V", "A": "A",
    "AMPERE": "A", "OHM": "Ohm", "HZ": "Hz", "KHZ": "kHz", "MHZ": "MHz", "GHZ": "GHz", "NT": "nT",
    "T": "T", "EV": "eV", "KEV": "keV", "MEV": "MeV", "PA": "Pa", "HPA": "hPa", "KPA": "kPa", "BAR": "bar",
    "MBAR": "mbar", "G": "g", "KG": "kg", "DB": "dB",
    # counting and data
    "PIXEL": "pix", "PIXELS": "pix", "PIX": "pix", "DN": "DN", "COUNT": "ct", "COUNTS": "ct", "CT": "ct",
    "BIT": "bit", "BITS": "bit", "PERCENT": "%",
    # <BYTES> is deliberately absent: PDS3 pointers and offsets keep it as UnitValue(n, "BYTES"), which
    # the pointer code and the label API (tests/labels) rely on
}
_DIMENSIONLESS = {"ND", "DIMENSIONLESS", "UNITLESS", "1", "RATIO"}
_WORD = re.compile(r"[A-Za-z_]+")
_CACHE: dict[str, Any] = {}


def pds_unit(text: str) -> Any:
    """The astropy unit of a PDS unit text, or None where it names no unit astropy knows.

    Parameters
    ----------
    text : str
        The unit as the label writes it (``KM``, ``W/m**2/sr/nm``, ``degC``, ``ND``...).

    Returns
    -------
    astropy.units.UnitBase or None

    Examples
    --------
    >>> pds_unit("DEGREES"), pds_unit("ND"), pds_unit("M" * 10_000_000)
    (Unit("deg"), Unit(dimensionless), None)
    """
    if len(text) > MAX_UNIT_TEXT:
        return None
    try:
        return _CACHE[text]
    except KeyError:
        pass
    stripped = " ".join(text.split())
    if stripped.upper() in _DIMENSIONLESS:
        unit: Any = u.dimensionless_unscaled
    else:
        translated = _WORD.sub(lambda m: PDS_UNIT_WORDS.get(m.group(0).upper(), m.group(0)), stripped)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", u.UnitsWarning)
                unit = u.Unit(translated, parse_strict="raise")
            if isinstance(unit, u.UnrecognizedUnit):
                unit = None
        except (ValueError, TypeError, SyntaxError, RecursionError):
            unit = _grouped(translated) if "(" in translated else None
    if len(_CACHE) < 4096:      # label units are few; a hostile corpus must not grow the cache without end
        _CACHE[text] = unit
    return unit


_PIECE = re.compile(r"\s*(\*\*|\^|[*/()]|[-+]?\d+(?:\.\d+)?|[^\s*/()^]+)")


def _grouped(text: str) -> Any:
    """Unit text with parenthesised quotients astropy's grammar refuses (``1/(W/m**2/micron/sr)``):
    ``*``, ``/``, ``**``/``^`` and parentheses evaluated here, each word parsed by astropy."""
    tokens = _PIECE.findall(text)
    if "".join(tokens).replace(" ", "") != text.replace(" ", ""):
        return None
    position = 0

    def factor() -> Any:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = product()
            if position >= len(tokens) or tokens[position] != ")":
                raise ValueError("unbalanced parenthesis")
            position += 1
        else:
            value = u.Unit(token, parse_strict="raise") if not re.fullmatch(r"[-+]?\d+(\.\d+)?", token) \
                else u.Unit(float(token))
        if position < len(tokens) and tokens[position] in ("**", "^"):
            value = value ** float(tokens[position + 1])
            position += 2
        return value

    def product() -> Any:
        nonlocal position
        value = factor()
        while position < len(tokens) and tokens[position] in ("*", "/"):
            operator = tokens[position]
            position += 1
            value = value * factor() if operator == "*" else value / factor()
        return value

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", u.UnitsWarning)
            unit = product()
    except (ValueError, TypeError, IndexError, ZeroDivisionError):
        return None
    return unit if position == len(tokens) and not isinstance(unit, u.UnrecognizedUnit) else None
