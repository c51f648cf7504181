"""The CLI renderings: table, json, csv."""
from __future__ import annotations

import csv
import io
import json

import pytest

from archive_fed.catalog import Catalog, format_catalog
from archive_fed.testing.synthetic import synthetic_records
from archive_fed.errors import CatalogError
from archive_fed.record import FIELDS, ProductRecord


@pytest.fixture(scope="module")
def records():
    return synthetic_records(40, seed=9) + [
        ProductRecord(uid="only/uid", title='a "quoted", ;odd title', targets=["Moon", "Earth"],
                      data_urls=["a;b", "c"], lon_min=10.0, lon_max=10.0, lat_min=-3.0, lat_max=-3.0,
                      product_id="P" * 120)]


def test_json_is_the_records(records):
    cat = Catalog.from_records(records)
    assert json.loads(format_catalog(cat, "json")) == [r.to_dict() for r in records]
    assert format_catalog(Catalog.from_records([]), "json") == "[]"


def test_csv(records):
    text = format_catalog(Catalog.from_records(records), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(FIELDS) and len(rows) == len(records) + 1
    first = dict(zip(rows[0], rows[1]))
    r = records[0]
    assert first["uid"] == r.uid and first["start_time"] == r.to_dict()["start_time"]
    assert first["start_time"].endswith("Z") and first["targets"] == ";".join(r.targets)
    last = dict(zip(rows[0], rows[-1]))
    assert last["title"] == 'a "quoted", ;odd title' and last["data_urls"] == "a;b;c"
    assert last["vid"] == "" and last["lon_min"] == "10.0"
    assert format_catalog(Catalog.from_records([]), "csv").strip() == ",".join(FIELDS)


def test_table(records):
    text = format_catalog(Catalog.from_records(records), "table")
    lines = text.splitlines()
    assert lines[0].split() == ["product", "mission", "instrument", "level", "start", "stop", "lon", "lat"]
    assert len(lines) == len(records) + 3 and lines[-1] == f"({len(records)} products)"
    assert records[0].product_id in lines[2] and records[0].mission in lines[2]
    long_line = next(line for line in lines if line.startswith("PPP"))
    assert "…" in long_line and "P" * 120 not in long_line
    assert long_line.split()[-2:] == ["10", "-3"]  # a point shows one value
    assert all(len(line) <= len(lines[1]) for line in lines[2:-1])  # aligned under the rule
    starts = [lines[0].index(h) for h in ("mission", "stop", "lat")]
    assert all(len(line) < s or line[s - 2:s] == "  " for line in lines[2:-1] for s in starts)
    limited = format_catalog(Catalog.from_records(records), "table", limit=5)
    assert limited.splitlines()[-1] == f"({len(records)} products, {len(records) - 5} not shown)"
    assert "(0 products)" in format_catalog(Catalog.from_records([]), "table")


def test_unknown_format():
    with pytest.raises(CatalogError):
        format_catalog(Catalog.from_records([]), "xml")
