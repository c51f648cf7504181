"""Vocabularies the exports share: EPN-TAP/IVOA target classes, CODMAC levels, product types, media types.

>>> target_class("Moon"), codmac_level("Calibrated"), dataproduct_type("TC1", "TC1S2B0_01_02731N153E0212")
('satellite', 3, 'im')
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from ... import missions

#: IVOA/EPN-TAP ``target_class`` (also STAC ``ssys:target_class``) of the canonical target names.
TARGET_CLASSES: dict[str, str] = {
    "Moon": "satellite", "Earth": "planet", "Sun": "star", "Mercury": "planet", "Venus": "planet",
    "Mars": "planet", "Jupiter": "planet", "Saturn": "planet", "Uranus": "planet", "Neptune": "planet",
    "Pluto": "dwarf_planet", "Ceres": "dwarf_planet", "Phobos": "satellite", "Deimos": "satellite",
    "Solar Wind": "interplanetary_medium", "Interplanetary Medium": "interplanetary_medium",
    "Calibration": "calibration", "Dark": "calibration", "Flat Field": "calibration", "Sky": "sky",
}

#: Instrument id → EPN-TAP ``dataproduct_type`` (im image, sc spectral cube, sp spectrum, pr profile,
#: ts time series). Instruments not listed get none rather than a guess.
DATAPRODUCT_TYPES: dict[str, str] = {
    # cameras
    "TC": "im", "TC1": "im", "TC2": "im", "MI": "im", "MI-VIS": "im", "MI-NIR": "im", "HDTV": "im",
    "CCD": "im", "PCAM": "im", "TCAM": "im", "LCAM": "im", "LROC": "im", "NAC": "im", "WAC": "im",
    "SHADOWCAM": "im", "LUTI": "im", "POLCAM": "im", "OHRC": "im", "TMC": "im", "TMC-2": "im",
    "AMIE": "im", "UVVIS": "im", "NIR": "im", "HIRES": "im", "LWIR": "im", "MINI-RF": "im",
    "MINI-SAR": "im", "DFSAR": "im",
    # imaging spectrometers and spectrometers
    "M3": "sc", "VNIS": "sc", "IIM": "sc", "IIRS": "sc", "HYSI": "sc", "SP": "sp", "SIR": "sp",
    "SIR-2": "sp", "GRS": "sp", "KGRS": "sp", "XRS": "sp", "CLASS": "sp", "D-CIXS": "sp", "C1XS": "sp",
    "XSM": "sp", "UVS": "sp", "LAMP": "sp", "NS": "sp", "LEND": "sp", "APS": "sp",
    # profiles: radar sounders/penetrating radars, altimeters
    "LPR": "pr", "LRPR": "pr", "LRS": "pr", "LALT": "pr", "LOLA": "pr", "LAM": "pr", "LLRI": "pr",
    # time series
    "LMAG": "ts", "KMAG": "ts", "MAG": "ts", "LDEX": "ts", "NMS": "ts", "CRATER": "ts", "LND": "ts",
}
_MAP_PRODUCT = re.compile(r"(^|[_-])MAPS?([_-]|$)", re.IGNORECASE)

#: EPN-TAP ``measurement_type`` (a UCD) for the product types where one follows from the type alone.
MEASUREMENT_TYPES: dict[str, str] = {"im": "obs.image", "ma": "obs.image", "sc": "phot.radiance",
                                     "sp": "phot.radiance"}

_MEDIA_TYPES = {
    ".xml": "application/xml", ".lbl": "text/plain", ".txt": "text/plain", ".tab": "text/plain",
    ".csv": "text/csv", ".fits": "application/fits", ".fit": "application/fits", ".fts": "application/fits",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".cub": "application/octet-stream", ".img": "application/octet-stream",
    ".dat": "application/octet-stream", ".bin": "application/octet-stream",
}


def target_class(name: str | None) -> str | None:
    """IVOA target class of a canonical target name (None when unknown)."""
    return TARGET_CLASSES.get(name) if name else None


def codmac_level(level: str | None) -> int | None:
    """The EPN-TAP/CODMAC integer of a PDS4 processing level (None when unknown); the table is
    ``[codmac.from_pds4]`` of ``missions.toml`` (:func:`archive_fed.missions.codmac_level`)."""
    return missions.codmac_level(level)


def dataproduct_type(instrument: str | None, product_id: str | None = None) -> str | None:
    """EPN-TAP ``dataproduct_type`` of a product: ``ma`` for map products, else by instrument."""
    if product_id and _MAP_PRODUCT.search(product_id):
        return "ma"
    return DATAPRODUCT_TYPES.get((instrument or "").upper())


def file_name(url: str) -> str:
    """The last path segment of a URL or path."""
    path = urlsplit(url).path if "://" in url else url
    return os.path.basename(path.rstrip("/"))


def media_type(url: str) -> str:
    """A media type from a file name's extension (``application/octet-stream`` when unknown)."""
    suffix = os.path.splitext(file_name(url))[1].lower()
    return _MEDIA_TYPES.get(suffix, "application/octet-stream")
