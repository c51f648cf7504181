"""Chang'e (CNSA/GRAS) product names and label quirks.

Product names such as ``CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2B`` carry the mission
(``CE4``), producer (``GRAS``), instrument and channel (``LPR`` / ``-2B``), purpose (``SCI``), a flag
(``N``), start and stop times ``YYYYMMDDhhmmss`` (of the release period, not the observation), the
sequence (``0316``), the version (``A``) and the level as extension (``.2B``; detached labels add ``L``:
``.2BL``). Labels of Chang'e-3 onward are PDS4-style XML whose ``logical_identifier`` is this name, whose
target is ``Lunar``, and whose empty elements hold the literal text ``None``.

>>> name = parse_product_name("CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2BL")
>>> name.mission, name.instrument, name.channel, name.level, name.sequence
('change-4', 'LPR', '2B', '2B', '0316')

Chang'e-1 to 3 products come from producer ``BMYK`` with PDS3 labels attached to the data file, named by
the level alone (``.2B``, ``.01``): ``CE1_BMYK_IIM_SCI_N_20080112003418_20080112004518_1042_A.2B``.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

_NAME = re.compile(
    r"^(?P<mission>CE\d)_(?P<producer>[A-Z]+)_(?P<instrument>[A-Z0-9]+)(?:-(?P<channel>[0-9A-Z]+(?:-[0-9A-Z]+)*))?"
    r"_(?P<purpose>[A-Z]+)_(?P<flag>[A-Z])_(?P<start>\d{14})_(?P<stop>\d{14})_(?P<sequence>\d+)"
    r"_(?P<version>[A-Z0-9]+)(?:\.(?P<level>[0-9][0-9A-Z]?)L?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChangeProductName:
    mission: str
    producer: str
    instrument: str
    channel: str | None
    purpose: str
    flag: str
    start: _dt.datetime
    stop: _dt.datetime
    sequence: str
    version: str
    level: str | None


def _time(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=_dt.timezone.utc)


def parse_product_name(name: str) -> ChangeProductName | None:
    """Parse a GRAS product (or label) file name; None when it is not one."""
    base = name.rsplit("/", 1)[-1]
    match = _NAME.match(base)
    if not match:
        return None
    try:
        start, stop = _time(match["start"]), _time(match["stop"])
    except ValueError:
        return None
    return ChangeProductName(
        mission=f"change-{match['mission'][2]}", producer=match["producer"].upper(),
        instrument=match["instrument"].upper(), channel=(match["channel"] or None) and match["channel"].upper(),
        purpose=match["purpose"].upper(), flag=match["flag"].upper(), start=start, stop=stop,
        sequence=match["sequence"], version=match["version"].upper(),
        level=match["level"].upper() if match["level"] else None,
    )


#: Texts that GRAS labels put in elements that have no value.
NULL_TEXTS = frozenset({"none"})
