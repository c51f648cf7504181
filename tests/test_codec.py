"""The one record codec (archive_fed.record): the harvest journal, the Parquet export and the catalog
round-trip the same records through the same Arrow schema and functions; JSON and CSV renderings."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive_fed.catalog import Catalog, format_catalog
from archive_fed.errors import CatalogError
from archive_fed.harvest.state import HarvestState, Seen
from archive_fed.record import (ARROW_SCHEMA, CSV_HEADER, FIELDS, FLOAT, INT, LIST, STR, TIME,
                                ProductRecord, conform_arrow, csv_row, records_from_arrow, records_to_arrow,
                                records_to_json)

UTC = dt.timezone.utc


def codec_records() -> list[ProductRecord]:
    """Every field kind, set and missing: None and NaN, empty and awkward lists, unicode, time edges."""
    return [
        ProductRecord(
            uid="urn:esa:psa:smart1:amie::1.0", lid="urn:esa:psa:smart1:amie", vid="1.0", product_id="A;B,C",
            title='月の表面 🌕 "quoted" back\\slash; comma, newline\n tab\t nul\x00', mission="smart-1",
            agency="ESA", instrument_host="SMART-1", instrument="AMIE", targets=["Moon", "Ĕarth", "a;b", ""],
            target="Moon", processing_level="Raw", processing_level_native="2",
            start_time=dt.datetime(2005, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
            stop_time=dt.datetime(2005, 3, 4, 7, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            lon_min=359.99999999999994, lon_max=-0.0, lat_min=-90.0, lat_max=5e-324, label_format="PDS4",
            label_url="https://psa.example/é x.xml", data_urls=["https://psa.example/é x.img", 'q"\\'],
            file_size=2 ** 53 - 1, md5="0" * 32, archive="esa-psa",
            harvested_at=dt.datetime(2026, 1, 1, tzinfo=UTC), metadata_source="label"),
        ProductRecord(uid="only-a-uid", lon_min=float("nan"), lat_max=float("nan"), file_size=None,
                      targets=[], data_urls=[]),
        ProductRecord(uid="edges", start_time=dt.datetime(1677, 9, 22, tzinfo=UTC),
                      stop_time=dt.datetime(2262, 1, 1, tzinfo=UTC), file_size=0, mission="Totally New",
                      harvested_at="2026-02-03T04:05:06.000007Z", metadata_source="index"),
    ]


@pytest.fixture
def records() -> list[ProductRecord]:
    return codec_records()


def plain(table: pa.Table) -> dict[str, list]:
    """Column values of a record table, comparable whatever the dictionaries' order."""
    return {name: table.column(name).to_pylist() for name in FIELDS}


def test_schema_has_one_type_per_kind():
    kinds = {STR: (pa.string(), pa.dictionary(pa.int32(), pa.string())), LIST: (pa.list_(pa.string()),),
             TIME: (pa.timestamp("ns", tz="UTC"),), FLOAT: (pa.float64(),), INT: (pa.int64(),)}
    assert ARROW_SCHEMA.names == list(FIELDS)
    for name, kind in FIELDS.items():
        assert ARROW_SCHEMA.field(name).type in kinds[kind], name


def test_arrow_round_trip(records):
    table = records_to_arrow(records)
    assert table.schema.equals(ARROW_SCHEMA)
    back = records_from_arrow(table)
    assert back == records
    assert back[1].lon_min is None and back[1].targets == [] and back[0].targets[-1] == ""
    assert back[0].stop_time == dt.datetime(2005, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert back[0].start_time.microsecond == 891011 and back[0].start_time.tzinfo is UTC
    assert records_from_arrow(records_to_arrow([])) == []
    assert records_to_arrow(r.to_dict() for r in records).equals(table)


def test_foreign_tables_are_cast_or_refused(records):
    table = records_to_arrow(records)
    loose = pa.table({name: table.column(name).cast(pa.string()) if pa.types.is_dictionary(table.column(name).type)
                      else table.column(name) for name in FIELDS})
    loose = loose.set_column(loose.column_names.index("start_time"), "start_time",
                             table.column("start_time").cast(pa.timestamp("us", tz="UTC")))
    loose = loose.append_column("extra", pa.array([1, 2, 3]))
    assert conform_arrow(loose).schema.equals(ARROW_SCHEMA)
    assert records_from_arrow(loose) == records
    nan = loose.set_column(loose.column_names.index("lat_min"), "lat_min", pa.array([math.nan, None, 1.0]))
    assert [r.lat_min for r in records_from_arrow(nan)] == [None, None, 1.0]
    with pytest.raises(CatalogError, match="no columns.*'md5'") as info:
        records_from_arrow(loose.drop_columns(["md5"]), where="x.parquet")
    assert "x.parquet" in str(info.value)
    bad = loose.set_column(loose.column_names.index("file_size"), "file_size", pa.array(["a", "b", "c"]))
    with pytest.raises(CatalogError, match="file_size"):
        records_from_arrow(bad)


def test_out_of_range_time_is_a_typed_error():
    with pytest.raises(CatalogError, match="start_time: time out of the catalog's range"):
        records_to_arrow([ProductRecord(uid="x", start_time=dt.datetime(3000, 1, 1, tzinfo=UTC))])


def test_journal_parquet_and_catalog_share_the_codec(tmp_path, records):
    """The harvest journal, the Parquet export and the catalog: the same table, the same records."""
    expected = records_to_arrow(records)

    state = HarvestState(str(tmp_path / "c.zarr"), "src", "https://archive.example/")
    state.append(records, [Seen(f"k{i}", r.uid, etag=f"e{i}", size=i) for i, r in enumerate(records)])
    (part,) = state.journal_parts()
    journal = pq.read_table(part)
    assert conform_arrow(journal).schema.equals(ARROW_SCHEMA)
    assert plain(journal) == plain(expected)
    journal_records, seen = state.read_journal()
    assert journal_records == records and seen["k2"] == Seen("k2", "edges", etag="e2", size=2)

    catalog = Catalog.from_records(records)
    arrow = catalog.to_arrow()
    assert arrow.schema.equals(ARROW_SCHEMA) and plain(arrow) == plain(expected)
    assert records_from_arrow(arrow) == list(catalog.records()) == records

    catalog.set_state("src", {"n": 3})
    catalog.to_parquet(str(tmp_path / "c.parquet"))
    exported = pq.read_table(tmp_path / "c.parquet")
    assert exported.schema.equals(ARROW_SCHEMA) and plain(exported) == plain(expected)
    assert records_from_arrow(exported) == records
    back = Catalog.read_parquet(str(tmp_path / "c.parquet"))
    assert list(back.records()) == records and back.get_state("src") == {"n": 3}

    assert list(Catalog.from_arrow(journal).records()) == records
    assert list(Catalog.from_arrow(expected).records()) == records

    catalog.to_geoparquet(str(tmp_path / "g.parquet"))
    assert records_from_arrow(pq.read_table(tmp_path / "g.parquet")) == records


def test_journal_of_the_first_layout_is_still_read(tmp_path, records):
    """A part written by an older archive_fed (``r_`` columns, lists as JSON text, µs times)."""
    state = HarvestState(str(tmp_path / "c.zarr"), "src", "https://archive.example/")
    columns = {"key": pa.array([f"k{i}" for i in range(len(records))]),
               "uid": pa.array([r.uid for r in records]),
               "etag": pa.array([None] * len(records), pa.string()),
               "last_modified": pa.array([None] * len(records), pa.string()),
               "size": pa.array([None] * len(records), pa.int64()),
               "digest": pa.array(["d"] * len(records))}
    for name, kind in FIELDS.items():
        values = [getattr(r, name) for r in records]
        if kind == LIST:
            columns[f"r_{name}"] = pa.array([json.dumps(v) for v in values], pa.string())
        elif kind == TIME:
            columns[f"r_{name}"] = pa.array(values, pa.timestamp("us", tz="UTC"))
        else:
            columns[f"r_{name}"] = pa.array(values)
    pq.write_table(pa.table(columns), f"{state.journal}/part-00000001-1-abcd.parquet")
    old_records, seen = state.read_journal()
    assert old_records == records and sorted(seen) == ["k0", "k1", "k2"] and seen["k0"].digest == "d"


def test_journal_of_an_unknown_layout_is_refused(tmp_path, records):
    state = HarvestState(str(tmp_path / "c.zarr"), "src", "https://archive.example/")
    table = records_to_arrow(records).replace_schema_metadata({b"archive_fed_journal": b"99"})
    path = f"{state.journal}/part-00000001-1-abcd.parquet"
    pq.write_table(table, path)
    with pytest.raises(CatalogError, match="unknown layout") as info:
        state.read_journal()
    assert info.value.path == path


def test_json_and_csv_renderings(tmp_path, records):
    catalog = Catalog.from_records(records)
    text = format_catalog(catalog, "json")
    assert text == records_to_json(records)
    assert [ProductRecord.from_dict(d) for d in json.loads(text)] == records

    rows = list(csv.reader(io.StringIO(format_catalog(catalog, "csv"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1:] == [[str(v) for v in csv_row(r)] for r in records]
    row = dict(zip(CSV_HEADER, rows[1]))
    assert row["targets"] == "Moon;Ĕarth;a;b;" and row["stop_time"] == "2005-03-04T05:06:07Z"
    assert row["start_time"] == "2005-03-04T05:06:07.891011Z" and dict(zip(CSV_HEADER, rows[2]))["lon_min"] == ""

    catalog.to_csv(str(tmp_path / "c.csv"))
    with open(tmp_path / "c.csv", newline="", encoding="utf-8") as stream:
        exported = list(csv.reader(stream))
    assert [r[:-1] for r in exported] == rows  # the export adds footprint_wkt
