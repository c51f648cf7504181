"""Loopback VOTable services for the EPN-TAP and PDAP sources, over granules modelled on the PSA's SMART-1
holdings and on the corpus Kaguya PDS3 labels:

* :class:`EPNTAPService` — TAP ``/tap/sync`` with an ADQL subset (``SELECT * FROM t WHERE a = 'x' AND
  b > 'y' … ORDER BY granule_uid``), ``MAXREC`` truncation with ``QUERY_STATUS=OVERFLOW``, and an optional
  service row limit below ``MAXREC``.
* :class:`PDAPService` — IPDA PDAP ``/pdap/metadata`` with ``RESOURCE_CLASS=DATA_SET|PRODUCT``,
  ``PAGE_SIZE``/``PAGE_NUMBER``, ``RETURN_TYPE=VOTABLE`` and ``RESOURCE.COLUMN`` names.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import archive_fed as af

from .corpus import CORPUS
from .paged import PagedService

KAGUYA_PDS3_LABELS = ("TC1S2B0_01_06691S820E0465_pds3.lbl", "MVA_2B2_01_02329N002E0302_pds3.lbl",
                      "TC1S2B0_01_00811N526E0443_mini.lbl")


# ===================================================================================================
# VOTables (EPN-TAP, PDAP)
# ===================================================================================================
def votable(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]], *, status: str = "OK",
            trailing_status: str | None = None, message: str = "") -> bytes:
    """A TAP-style VOTable: ``columns`` are (name, datatype) with datatype ``char``/``double``/``int``."""
    fields = "\n".join(
        f'<FIELD name="{html.escape(n)}" datatype="{t}"' + (' arraysize="*"' if t == "char" else "") + "/>"
        for n, t in columns)

    def cell(value: Any) -> str:
        return "" if value is None else html.escape(str(value))

    body = "\n".join("<TR>" + "".join(f"<TD>{cell(r.get(n))}</TD>" for n, _ in columns) + "</TR>" for r in rows)
    table = "" if status == "ERROR" else (
        f"<TABLE>\n{fields}\n<DATA><TABLEDATA>\n{body}\n</TABLEDATA></DATA>\n</TABLE>")
    trailer = f'<INFO name="QUERY_STATUS" value="{trailing_status}"/>' if trailing_status else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.3" '
            f'xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n<RESOURCE type="results">\n'
            f'<INFO name="QUERY_STATUS" value="{status}">{html.escape(message)}</INFO>\n{table}\n{trailer}\n'
            f"</RESOURCE>\n</VOTABLE>\n").encode()


VOTABLE_TYPE = {"Content-Type": "application/x-votable+xml"}


# ===================================================================================================
# EPN-TAP
# ===================================================================================================
EPN_COLUMNS = [
    ("granule_uid", "char"), ("granule_gid", "char"), ("obs_id", "char"), ("dataproduct_type", "char"),
    ("target_name", "char"), ("target_class", "char"), ("time_min", "double"), ("time_max", "double"),
    ("time_scale", "char"), ("c1min", "double"), ("c1max", "double"), ("c2min", "double"),
    ("c2max", "double"), ("spatial_frame_type", "char"), ("instrument_host_name", "char"),
    ("instrument_name", "char"), ("measurement_type", "char"), ("processing_level", "int"),
    ("access_url", "char"), ("access_format", "char"), ("access_estsize", "int"), ("creation_date", "char"),
    ("modification_date", "char"), ("release_date", "char"), ("service_title", "char"), ("label_url", "char"),
]
JD_UNIX_EPOCH = 2440587.5


def julian_day(when: dt.datetime) -> float:
    return JD_UNIX_EPOCH + when.timestamp() / 86400.0


def smart1_granules(n: int, *, base_url: str = "http://archive.invalid",
                    start: dt.datetime = dt.datetime(2005, 1, 10, tzinfo=dt.timezone.utc),
                    bbox: Callable[[int], Sequence[float]] | None = None) -> list[dict[str, Any]]:
    """``n`` SMART-1 AMIE granules as the PSA lists them in ``psa.epn_core``: PDS3 granule ids
    ``DATA_SET_ID:DATA:PRODUCT_ID::version``, ``access_url`` a zip bundle from the TAP data route,
    ``label_url`` the product's own file on the PSA FTP tree (planetarypy's ``psa`` module reads these
    columns so), CODMAC level 2, Julian-day times in UTC, body-fixed footprints."""
    rows = []
    for i in range(n):
        begin = start + dt.timedelta(hours=7 * i)
        if bbox:
            west, south, east, north = bbox(i)
        else:
            west, south = (i * 23.0) % 360.0, -70.0 + (i * 9) % 140
            east, north = (west + 2.0) % 360.0, south + 3.0
        data_set = "S1-L-X-AMIE-2-EDR-V1.0"
        obs = f"AMI_EE3_{begin:%y%m%d}_{i:05d}_00010"
        granule = f"{data_set}:DATA:{obs}::1.0"
        rows.append({
            "granule_uid": granule, "granule_gid": f"{data_set}:DATA", "obs_id": obs,
            "dataproduct_type": "im", "target_name": "Moon", "target_class": "satellite",
            "time_min": julian_day(begin), "time_max": julian_day(begin + dt.timedelta(seconds=10)),
            "time_scale": "UTC", "c1min": west, "c1max": east, "c2min": south, "c2max": north,
            "spatial_frame_type": "body", "instrument_host_name": "SMART-1", "instrument_name": "AMIE",
            "measurement_type": "phot.flux.density", "processing_level": 2,
            "access_url": f"{base_url}/psa-tap/data?retrieval_access=DIRECT&retrieval_type=PRODUCT"
                          f"&tapclient=EPN-TAP&id={granule}",
            "access_format": "application/zip",
            "access_estsize": 1025, "creation_date": "2008-03-01T00:00:00", "modification_date":
                f"2019-06-{1 + i % 28:02d}T00:00:00", "release_date": "2008-03-01T00:00:00",
            "service_title": "psa",
            "label_url": f"{base_url}/psa/ftp/SMART-1/AMIE/{data_set}/DATA/{obs}.IMG",
        })
    return rows


_FROM = re.compile(r"^SELECT \* FROM (\S+)(?: WHERE (.*?))? ORDER BY granule_uid$", re.DOTALL)
_CONDITION = re.compile(r"^(\w+)\s*(>=|<=|<>|=|>|<)\s*('(?:[^']|'')*'|-?[0-9.]+)$")


def _split_and(text: str, word: str = " AND ") -> list[str]:
    parts, depth, quote, start = [], 0, False, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and text[i:i + len(word)].upper() == word:
            parts.append(text[start:i])
            start = i + len(word)
            i += len(word) - 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def adql_predicate(where: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for the ADQL WHERE subset the sources send (raises ValueError)."""
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for part in _split_and(where or ""):
        if part.startswith("(") and part.endswith(")"):
            alternatives = _split_and(part[1:-1], word=" OR ")
            if len(alternatives) > 1:   # (a OR b OR ...): any alternative
                options = [adql_predicate(a) for a in alternatives]
                checks.append(lambda row, options=options: any(o(row) for o in options))
            else:
                checks.append(adql_predicate(part[1:-1]))
            continue
        match = _CONDITION.match(part)
        if not match:
            raise ValueError(f"unsupported ADQL condition: {part}")
        column, op, literal = match.groups()
        value: Any = literal[1:-1].replace("''", "'") if literal.startswith("'") else float(literal)

        def check(row: dict[str, Any], column: str = column, op: str = op, value: Any = value) -> bool:
            cell = row.get(column)
            if cell is None:
                return False
            return {"=": cell == value, "<>": cell != value, ">": cell > value, "<": cell < value,
                    ">=": cell >= value, "<=": cell <= value}[op]

        checks.append(check)
    return lambda row: all(c(row) for c in checks)


class EPNTAPService(PagedService):
    """``GET /tap/sync`` answering ADQL on ``table`` (PSA's only ``psa.epn_core``) from ``rows``; an unknown
    table or a query it cannot read is HTTP 400 with the message in a ``QUERY_STATUS=ERROR`` VOTable;
    ``row_limit`` is the service's own cap."""

    path = "/tap/sync"

    def __init__(self, rows: list[dict[str, Any]], *, table: str = "psa.epn_core", row_limit: int | None = None,
                 **faults: Any) -> None:
        super().__init__(**faults)
        self.rows = sorted(rows, key=lambda r: r["granule_uid"])
        self.table = table
        self.row_limit = row_limit

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("REQUEST") != "doQuery" or params.get("LANG") != "ADQL":
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message="REQUEST=doQuery&LANG=ADQL needed")
        match = _FROM.match(params.get("QUERY", "").strip())
        if not match:
            return 400, VOTABLE_TYPE, votable([], [], status="ERROR", message="cannot parse query")
        if match.group(1).lower() != self.table.lower():
            return 400, VOTABLE_TYPE, votable([], [], status="ERROR",
                                              message=f"Table '{match.group(1)}' does not exist")
        try:
            predicate = adql_predicate(match.group(2))
        except ValueError as exc:
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message=str(exc))
        hits = [r for r in self.rows if predicate(r)]
        limit = int(params.get("MAXREC", 10**9))
        if self.row_limit is not None:
            limit = min(limit, self.row_limit)
        page = hits[:limit]
        overflow = "OVERFLOW" if len(hits) > limit else None
        return 200, VOTABLE_TYPE, votable(EPN_COLUMNS, page, trailing_status=overflow)


# ===================================================================================================
# PDAP
# ===================================================================================================
def kaguya_pdap_products(n: int, *, base_url: str = "http://archive.invalid",
                         bbox: Callable[[int], Sequence[float]] | None = None) -> list[dict[str, Any]]:
    """``n`` PDAP ``PRODUCT`` rows modelled on the corpus Kaguya PDS3 labels (``PRODUCT.*`` columns)."""
    labels = [af.normalize(af.read_label(CORPUS / "kaguya" / name)) for name in KAGUYA_PDS3_LABELS]
    raw = [af.read_label(CORPUS / "kaguya" / name) for name in KAGUYA_PDS3_LABELS]
    rows = []
    for i in range(n):
        rec, label = labels[i % len(labels)], raw[i % len(raw)]
        pid = f"{rec.product_id[:-4]}{i:04d}"
        start = rec.start_time + dt.timedelta(days=i)
        west, south, east, north = bbox(i) if bbox else (rec.lon_min, rec.lat_min, rec.lon_max, rec.lat_max)
        data_set = str(label["DATA_SET_ID"])
        rows.append({
            "PRODUCT.DATA_SET_ID": data_set, "PRODUCT.PRODUCT_ID": pid,
            "PRODUCT.PRODUCT_NAME": str(label.get("DATA_SET_NAME", "")) or None,
            "PRODUCT.START_TIME": start.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "PRODUCT.STOP_TIME": (start + dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "PRODUCT.INSTRUMENT_ID": str(label["INSTRUMENT_ID"]),
            "PRODUCT.INSTRUMENT_HOST_NAME": str(label.get("INSTRUMENT_HOST_NAME", "SELENE MAIN ORBITER")),
            "PRODUCT.MISSION_NAME": "SELENE", "PRODUCT.TARGET_NAME": "MOON",
            "PRODUCT.WESTERNMOST_LONGITUDE": west, "PRODUCT.EASTERNMOST_LONGITUDE": east,
            "PRODUCT.MINIMUM_LATITUDE": south, "PRODUCT.MAXIMUM_LATITUDE": north,
            "PRODUCT.PRODUCT_CREATION_TIME": "2017-10-01T00:00:00",
            "PRODUCT.DATA_ACCESS_REFERENCE": f"{base_url}/pds3/{data_set.lower()}/data/{pid}.img",
            "PRODUCT.LABEL_URL": f"{base_url}/pds3/{data_set.lower()}/data/{pid}.lbl",
        })
    return rows


PDAP_PRODUCT_COLUMNS = [(name, "double" if name.split(".")[1].endswith(("LONGITUDE", "LATITUDE")) else "char")
                        for name in (
                            "PRODUCT.DATA_SET_ID", "PRODUCT.PRODUCT_ID", "PRODUCT.PRODUCT_NAME",
                            "PRODUCT.START_TIME", "PRODUCT.STOP_TIME", "PRODUCT.INSTRUMENT_ID",
                            "PRODUCT.INSTRUMENT_HOST_NAME", "PRODUCT.MISSION_NAME", "PRODUCT.TARGET_NAME",
                            "PRODUCT.WESTERNMOST_LONGITUDE", "PRODUCT.EASTERNMOST_LONGITUDE",
                            "PRODUCT.MINIMUM_LATITUDE", "PRODUCT.MAXIMUM_LATITUDE",
                            "PRODUCT.PRODUCT_CREATION_TIME", "PRODUCT.DATA_ACCESS_REFERENCE",
                            "PRODUCT.LABEL_URL")]
PDAP_DATA_SET_COLUMNS = [("DATA_SET.DATA_SET_ID", "char"), ("DATA_SET.DATA_SET_NAME", "char"),
                         ("DATA_SET.TARGET_NAME", "char")]


class PDAPService(PagedService):
    """``GET /pdap/metadata`` over product rows (data sets derived from them); time filters are the real
    clients' ``START_TIME>…``/``STOP_TIME<…`` terms (a plain ``START_TIME=`` is not a filter). ``PAGE_SIZE``/``PAGE_NUMBER``
    are unconfirmed for real PDAP servers: ``ignores_paging=True`` stands up one that answers the first
    page whatever ``PAGE_NUMBER`` says."""

    path = "/pdap/metadata"

    def __init__(self, products: list[dict[str, Any]], *, other_targets: Sequence[tuple[str, str]] = (),
                 ignores_paging: bool = False, **faults: Any) -> None:
        super().__init__(**faults)
        self.products = products
        self.other_targets = list(other_targets)   # (data set id, target) of data sets to filter out
        self.ignores_paging = ignores_paging

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("RETURN_TYPE", "").upper() != "VOTABLE":
            return 400, {}, "RETURN_TYPE must be VOTABLE here\n"
        size = int(params.get("PAGE_SIZE", 100))
        number = 1 if self.ignores_paging else int(params.get("PAGE_NUMBER", 1))
        target = params.get("TARGET_NAME", "").upper()
        if params.get("RESOURCE_CLASS") == "DATA_SET":
            sets = {r["PRODUCT.DATA_SET_ID"]: r["PRODUCT.TARGET_NAME"] for r in self.products}
            sets.update(dict(self.other_targets))
            rows = [{"DATA_SET.DATA_SET_ID": k, "DATA_SET.DATA_SET_NAME": k.replace("-", " "),
                     "DATA_SET.TARGET_NAME": v} for k, v in sorted(sets.items()) if not target or v == target]
            return 200, VOTABLE_TYPE, votable(PDAP_DATA_SET_COLUMNS, rows[(number - 1) * size:number * size])
        if params.get("RESOURCE_CLASS") != "PRODUCT":
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message="unknown RESOURCE_CLASS")
        hits = [r for r in self.products if (not target or r["PRODUCT.TARGET_NAME"] == target)
                and (not params.get("DATA_SET_ID") or r["PRODUCT.DATA_SET_ID"] == params["DATA_SET_ID"])]
        # time filters as real clients send them: ``&START_TIME>2008-01-01%2000:00:00.000`` (no ``=``)
        for key in params:
            for name, keep in (("START_TIME>", lambda a, b: a > b), ("STOP_TIME<", lambda a, b: a < b)):
                if key.startswith(name):
                    bound = dt.datetime.fromisoformat(key[len(name):].strip().replace(" ", "T"))
                    column = "PRODUCT." + name[:-1]
                    hits = [r for r in hits if keep(dt.datetime.fromisoformat(r[column]), bound)]
        return 200, VOTABLE_TYPE, votable(PDAP_PRODUCT_COLUMNS, hits[(number - 1) * size:number * size])
