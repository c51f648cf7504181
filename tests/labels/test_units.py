"""PDS unit texts → astropy units: the PDS unit words in any case, every unit the corpus writes, integers
kept integers, and unit texts too long to be units refused before astropy parses them."""
from __future__ import annotations

import re

import astropy.units as u
import numpy as np
import pytest

from archive_fed.labels import parse_label
from archive_fed.errors import LabelError
from archive_fed.labels.base import UnitValue
from archive_fed.labels.units import MAX_UNIT_TEXT, pds_unit
from archive_fed.products.dtypes import unit_attrs
from tests.conftest import CORPUS, CORPUS_MISSING

#: Every unit text of the corpus (PDS3 ``<...>``, PDS4 ``unit="..."``/``<unit>``) → its astropy unit;
#: None where it is no physical unit a Quantity should carry (PDS3 pointer BYTES stay UnitValue, ``none``).
CORPUS_UNITS = {
    "deg": u.deg, "degC": None, "nm": u.nm, "km": u.km, "W/m**2/micron/sr": u.W / u.m ** 2 / u.micron / u.sr,
    "1/(W/m**2/micron/sr)": u.m ** 2 * u.micron * u.sr / u.W, "ms": u.ms, "BYTES": None, "sec": u.s,
    "s": u.s, "pixel": u.pix, "msec": u.ms, "km/sec": u.km / u.s, "pixel/deg": u.pix / u.deg,
    "km/pixel": u.km / u.pix, "ND": u.dimensionless_unscaled, "km/s": u.km / u.s, "AU": u.AU,
    "byte": u.byte, "none": None, "counts": u.ct, "count": u.ct, "m": u.m, "DN": u.DN, "MHz": u.MHz,
    "ns": u.ns, "cm": u.cm, "m/s": u.m / u.s, "micrometer": u.micron, "µW/cm**2/sr/µm": u.uW / u.cm ** 2 / u.sr
    / u.um,
}


def corpus_unit_texts() -> set[str]:
    found: set[str] = set()
    for path in CORPUS.rglob("*"):
        if not path.is_file() or path.suffix.lower() in (".csv", ".md", ".tab", ".dat", ".img"):
            continue
        data = path.read_bytes()[:2_000_000]
        if path.suffix.lower() == ".xml" or data.lstrip().startswith(b"<?xml"):
            text = data.decode("utf-8", "replace")
            found.update(re.findall(r'unit="([^"]*)"', text))
            found.update(re.findall(r"<(?:\w+:)?unit>([^<]*)</", text))
        else:
            found.update(re.findall(r'[\w.)}\s]<([^<>="\n]{1,40})>', data.decode("latin-1")))
    return {f.strip() for f in found}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=CORPUS_MISSING)
def test_every_corpus_unit_maps_to_its_astropy_unit():
    found = corpus_unit_texts()
    assert found <= set(CORPUS_UNITS), f"unit texts not in the table: {sorted(found - set(CORPUS_UNITS))}"
    for text in sorted(found):
        assert pds_unit(text) == CORPUS_UNITS[text], text
    assert unit_attrs("degC")["units"] == "deg_C" and unit_attrs("none") == {}


@pytest.mark.parametrize("text, expected", [
    ("MS", u.ms), ("S", u.s), ("KM", u.km), ("DEG", u.deg), ("DEGREE", u.deg), ("DEGREES", u.deg),
    ("M", u.m), ("NM", u.nm), ("MICRON", u.micron), ("MICRONS", u.um), ("PA", u.Pa), ("D", u.day),
    ("H", u.hour), ("W/M**2/SR/MICRON", u.W / u.m ** 2 / u.sr / u.micron), ("KM/PIXEL", u.km / u.pix),
    ("M/PIXEL", u.m / u.pix), ("PIXEL", u.pix), ("PIXELS", u.pix), ("DN", u.DN), ("K", u.K),
    ("km", u.km), ("Km", u.km), ("MHZ", u.MHz), ("W*M**-2*SR**-1*NM**-1", u.W / u.m ** 2 / u.sr / u.nm),
])
def test_pds_unit_words_in_any_case(text, expected):
    assert pds_unit(text) == expected


def test_label_values_take_the_table_and_keep_integers():
    label = parse_label(b"EXPOSURE_DURATION = 1 <MS>\nCENTER = 300 <nm>\nRES = 0.5 <KM/PIXEL>\n"
                        b"POINTER = 6425 <BYTES>\nT = 3 <H>\nEND\n")
    assert label["EXPOSURE_DURATION"] == 1 * u.ms and label["EXPOSURE_DURATION"].unit == u.ms
    center = label["CENTER"]
    assert center.unit == u.nm and center.dtype == np.int64 and center.value == 300
    assert label["RES"] == 0.5 * u.km / u.pix and label["T"] == 3 * u.hour
    assert label["POINTER"] == UnitValue(6425, "BYTES")


def test_a_huge_unit_text_is_refused_before_astropy():
    assert pds_unit("M" * 10_000_000) is None and pds_unit("M" * (MAX_UNIT_TEXT + 1)) is None
    # the label itself is refused (issue 19: a hostile label), naming the line, before any copy of the text
    with pytest.raises(LabelError, match=r"x.lbl:2: unit text of 10,000,000 characters"):
        parse_label(b"B = 2\nA = 1 <" + b"M" * 10_000_000 + b">\nEND\n", path="x.lbl")
    label = parse_label(b"A = 1 <" + b"M" * 256 + b">\nEND\n")     # long, but within the label bound
    assert isinstance(label["A"], UnitValue) and label["A"].value == 1
