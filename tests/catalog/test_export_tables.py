"""Catalog → Parquet / GeoParquet / CSV, and back: the Parquet exports read back as the same catalog."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from archive_fed.catalog import Catalog
from archive_fed.catalog.export import geometry as geo
from archive_fed.cli import main
from archive_fed.record import FIELDS

from .test_export import decode_wkb, export_catalog, sample_records


def assert_same_catalog(a: Catalog, b: Catalog) -> None:
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())
    assert [r.to_dict() for r in a.records()] == [r.to_dict() for r in b.records()]
    assert a.state == b.state


def test_catalog_exposes_the_export_methods() -> None:
    for name in ("to_stac", "to_epntap", "to_geoparquet", "to_csv", "to_parquet", "read_parquet"):
        assert callable(getattr(Catalog, name)), name


def test_parquet_round_trip_through_the_export_command(tmp_path: Path) -> None:
    catalog = export_catalog()
    catalog.set_state("pds3-volume:http://x/", {"cursor": 3})
    store = tmp_path / "cat.zarr"
    catalog.save(str(store))
    out = tmp_path / "cat.parquet"
    assert main(["export", "--catalog", str(store), "--to", "parquet", str(out)]) == 0
    assert_same_catalog(Catalog.open(str(store)), Catalog.read_parquet(str(out)))
    assert_same_catalog(catalog, Catalog.read_parquet(str(out)))


def test_geoparquet_metadata_and_geometries(tmp_path: Path) -> None:
    catalog = export_catalog()
    out = tmp_path / "lunar.parquet"
    catalog.to_geoparquet(str(out))
    table = pq.read_table(out)
    assert table.column_names == list(FIELDS) + ["geometry"]
    meta = json.loads(table.schema.metadata[b"geo"])
    assert meta["version"] == "1.1.0" and meta["primary_column"] == "geometry"
    column = meta["columns"]["geometry"]
    assert column["encoding"] == "WKB"
    assert column["crs"]["id"] == {"authority": "IAU_2015", "code": 30100}
    assert column["crs"]["datum"]["ellipsoid"]["radius"] == 1737400
    assert sorted(column["geometry_types"]) == ["MultiPolygon", "Point", "Polygon"]
    assert column["bbox"] == [-180.0, -90.0, 180.0, 90.0]
    for record, wkb in zip(catalog.records(), table.column("geometry").to_pylist()):
        expected = geo.footprint_geometry(record.lon_min, record.lon_max, record.lat_min, record.lat_max)
        assert (None if wkb is None else decode_wkb(wkb)) == expected, record.uid


def test_geoparquet_reads_back_as_the_same_catalog(tmp_path: Path) -> None:
    catalog = export_catalog()
    out = tmp_path / "lunar.parquet"
    catalog.to_geoparquet(str(out))
    assert_same_catalog(catalog, Catalog.read_parquet(str(out)))
    assert main(["export", "--catalog", str(out), "--to", "geoparquet", str(tmp_path / "again.parquet")]) == 0
    assert_same_catalog(catalog, Catalog.read_parquet(str(tmp_path / "again.parquet")))


def test_geoparquet_of_a_catalog_without_footprints(tmp_path: Path) -> None:
    records = [r for r in sample_records() if r.lon_min is None]
    Catalog.from_records(records).to_geoparquet(str(tmp_path / "none.parquet"))
    table = pq.read_table(tmp_path / "none.parquet")
    column = json.loads(table.schema.metadata[b"geo"])["columns"]["geometry"]
    assert column["geometry_types"] == [] and "bbox" not in column
    assert table.column("geometry").to_pylist() == [None] * len(records)


def test_csv_rows_hold_the_records(tmp_path: Path) -> None:
    catalog = export_catalog()
    out = tmp_path / "lunar.csv"
    assert main(["export", "--catalog", str(_saved(catalog, tmp_path)), "--to", "csv", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == list(FIELDS) + ["footprint_wkt"]
    assert len(rows) == len(catalog)
    for record, row in zip(catalog.records(), rows):
        assert row["uid"] == record.uid
        assert row["targets"] == ";".join(record.targets)
        assert row["data_urls"] == ";".join(record.data_urls)
        assert row["start_time"] == (record.to_dict()["start_time"] or "")
        assert row["lon_min"] == ("" if record.lon_min is None else str(record.lon_min))
        expected = geo.footprint_geometry(record.lon_min, record.lon_max, record.lat_min, record.lat_max)
        assert row["footprint_wkt"] == (geo.to_wkt(expected) or "")
    across = next(r for r in rows if r["uid"] == "TEST-DS/ACROSS_180")
    assert across["footprint_wkt"].startswith(
        "MULTIPOLYGON (((170 -5, 180 -5, 180 5, 170 5, 170 -5)), ((-180 -5")
    frame = pd.read_csv(out)
    assert len(frame) == len(catalog)


def test_csv_without_wkt(tmp_path: Path) -> None:
    catalog = Catalog.from_records(sample_records())
    catalog.to_csv(str(tmp_path / "plain.csv"), wkt=False)
    header = (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(FIELDS)


def _saved(catalog: Catalog, folder: Path) -> Path:
    store = folder / "saved.zarr"
    catalog.save(str(store))
    return store


@pytest.mark.parametrize("target", ["geoparquet", "csv", "parquet"])
def test_export_to_an_unwritable_place_is_a_clean_error(tmp_path: Path, target: str,
                                                       capsys: pytest.CaptureFixture) -> None:
    store = _saved(Catalog.from_records(sample_records()[:1]), tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["export", "--catalog", str(store), "--to", target, str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
