"""Text renderings of a catalog for the command line: ``table``, ``json`` and ``csv``."""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from ..errors import CatalogError
from ..record import CSV_HEADER, ProductRecord, csv_row, records_to_json

if TYPE_CHECKING:
    from .core import Catalog

FORMATS = ("table", "json", "csv")
#: Longest product id shown whole in a table; longer ones keep their start and end around "…".
ID_WIDTH = 48
TEXT_WIDTH = 16


def format_catalog(cat: "Catalog", fmt: str = "table", limit: int | None = None) -> str:
    """Render the products of ``cat`` as ``table`` (aligned columns), ``json`` (an array of
    ``ProductRecord.to_dict()``) or ``csv`` (header = record fields, lists joined with ``;``).

    ``limit`` keeps the first products only (a table then says how many were left out).

    Examples
    --------
    >>> from archive_fed.catalog import Catalog
    >>> print(format_catalog(Catalog.from_records([]), "json"))
    []
    """
    if fmt not in FORMATS:
        raise CatalogError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    shown = cat if limit is None or limit >= len(cat) else cat[: max(limit, 0)]
    records = list(shown.records())
    if fmt == "json":
        return records_to_json(records)
    if fmt == "csv":
        return _csv(records)
    return _table(records, len(cat))


def _csv(records: list[ProductRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(map(csv_row, records))
    return out.getvalue()


def _clip(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = (width - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def _table(records: list[ProductRecord], total: int) -> str:
    header = ("product", "mission", "instrument", "level", "start", "stop", "lon", "lat")
    rows = []
    for r in records:
        level = r.processing_level or r.processing_level_native or ""
        rows.append((
            _clip(r.product_id or r.uid or "", ID_WIDTH), _clip(r.mission or "", TEXT_WIDTH),
            _clip(r.instrument or "", TEXT_WIDTH), _clip(level, 20),
            _time(r.start_time), _time(r.stop_time),
            _range(r.lon_min, r.lon_max), _range(r.lat_min, r.lat_max),
        ))
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    more = total - len(records)
    lines.append(f"({total:,} products{f', {more:,} not shown' if more else ''})")
    return "\n".join(lines)
