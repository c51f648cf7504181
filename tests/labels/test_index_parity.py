"""The vectorised index readers against the per-row reference paths, on synthetic and real (corpus) indexes.

Reference paths: :func:`~archive_fed.labels.index_table.read_index_table` (the row-by-row reader the label
harvest uses), Python's ``csv`` module, :func:`~archive_fed.times.utc_time` per value and
:mod:`~archive_fed.labels.footprint` per row.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from archive_fed.labels import footprint, parse_label
from archive_fed.labels.index_pds4 import csv_index_layout, pds4_index_layout
from archive_fed.labels.index_records import COLUMNS_READ, index_batch
from archive_fed.labels.index_table import index_layout, iter_index_chunks, read_index_table
from archive_fed.testing import lroc_volume as lv
from archive_fed.testing.corpus import CORPUS, CORPUS_MISSING
from archive_fed.times import utc_time

INDEXES = CORPUS / "index"
SAMPLE = Path(__file__).resolve().parents[2] / "archive_fed" / "sample" / "pds3_volume" / "INDEX"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def rows_of(layout, data: bytes, chunk_bytes: int, columns=None) -> list[dict]:
    chunks = iter_index_chunks(layout, io.BytesIO(data), size=len(data), chunk_bytes=chunk_bytes, columns=columns)
    return [row for chunk in chunks for row in chunk.table.to_pylist()]


def naive(value: str) -> np.datetime64:
    stamp = utc_time(value)
    return np.datetime64(stamp.replace(tzinfo=None), "us") if stamp else np.datetime64("NaT", "us")


@pytest.fixture(scope="module")
def lroc(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("lroc")
    lv.write_volume(str(root), 3000, seed=5)
    label = parse_label((root / "INDEX" / "CUMINDEX.LBL").read_bytes(), path="CUMINDEX.LBL")
    return label, (root / "INDEX" / "CUMINDEX.TAB").read_bytes()


@pytest.mark.parametrize("chunk_bytes", [498, 498 * 7 + 3, 1 << 16, 1 << 26])
def test_fixed_width_chunks_equal_the_row_by_row_reader(lroc, chunk_bytes):
    label, data = lroc
    layout = index_layout(label, path="CUMINDEX.TAB")
    assert rows_of(layout, data, chunk_bytes) == read_index_table(label, data)


def test_sample_volume_index_equals_the_row_by_row_reader():
    label = parse_label((SAMPLE / "INDEX.LBL").read_bytes(), path="INDEX.LBL")
    data = (SAMPLE / "INDEX.TAB").read_bytes()
    assert rows_of(index_layout(label), data, 1 << 20) == read_index_table(label, data)


def test_columns_read_is_every_column_index_batch_reads(lroc):
    """Building only COLUMNS_READ (as the ingest does) gives the same records as building every column."""
    label, data = lroc
    layout = index_layout(label, path="CUMINDEX.TAB")
    full = next(iter_index_chunks(layout, io.BytesIO(data), size=len(data))).table
    lean = next(iter_index_chunks(layout, io.BytesIO(data), size=len(data), columns=COLUMNS_READ)).table
    assert set(lean.column_names) < set(full.column_names)
    kw = dict(defaults=dict(layout.defaults), base_url="http://h/v/", index_url="i", archive="a", harvested_at=NOW)
    a, b = index_batch(full, 1, **kw), index_batch(lean, 1, **kw)
    assert len(a) == len(b) == 3000 and not a.failures
    for name, values in a.columns.items():
        left = values.decode() if hasattr(values, "decode") else np.asarray(values)
        right = b.columns[name].decode() if hasattr(b.columns[name], "decode") else np.asarray(b.columns[name])
        assert np.array_equal(left, right, equal_nan=left.dtype.kind == "f"), name


def test_index_batch_times_and_footprints_equal_the_per_row_reference(lroc):
    label, data = lroc
    layout = index_layout(label, path="CUMINDEX.TAB")
    table = next(iter_index_chunks(layout, io.BytesIO(data), size=len(data), columns=COLUMNS_READ)).table
    batch = index_batch(table, 1, defaults=dict(layout.defaults), base_url="http://h/v/", index_url="i",
                        archive="a", harvested_at=NOW)
    rows = read_index_table(label, data)
    assert np.array_equal(batch.columns["start_time"], [naive(r["START_TIME"]) for r in rows])
    assert np.array_equal(batch.columns["stop_time"], [naive(r["STOP_TIME"]) for r in rows])
    corners = ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_RIGHT", "LOWER_LEFT")
    expected = [footprint.from_corners([float(r[f"{c}_LONGITUDE"]) for c in corners],
                                       [float(r[f"{c}_LATITUDE"]) for c in corners]) for r in rows]
    got = np.stack([batch.columns[k] for k in ("lon_min", "lon_max", "lat_min", "lat_max")], axis=1)
    assert np.allclose(got, np.array([tuple(box) for box in expected], dtype=float))


# --- every index table of the real corpus --------------------------------------------------------------
pytestmark_corpus = pytest.mark.skipif(not INDEXES.exists(), reason=CORPUS_MISSING)


def corpus_files(suffix: str) -> list[Path]:
    return sorted(INDEXES.glob(f"*{suffix}")) if INDEXES.exists() else []


@pytestmark_corpus
@pytest.mark.parametrize("label", corpus_files(".xml"), ids=lambda p: p.name)
def test_every_corpus_index_label_gives_a_layout(label):
    layout = pds4_index_layout(label.read_bytes(), path=str(label))
    assert layout.names and len(set(layout.names)) == len(layout.names)
    assert layout.file_name


@pytestmark_corpus
@pytest.mark.parametrize("table", corpus_files(".csv"), ids=lambda p: p.name)
def test_every_corpus_index_table_parses_like_the_csv_module(table):
    """Each CSV index of the corpus, through its PDS4 label when it has one (else its header line),
    read in small chunks: the rows the csv module reads, every one."""
    data = table.read_bytes()
    labels = [p for p in corpus_files(".xml") if pds4_index_layout(p.read_bytes()).file_name
              and table.name.endswith(pds4_index_layout(p.read_bytes()).file_name)]
    layout = pds4_index_layout(labels[0].read_bytes(), path=str(labels[0])) if labels else \
        csv_index_layout(data, path=str(table))
    rows = rows_of(layout, data, 1 << 14)
    reference = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    body = [r for r in reference[1:] if r]  # after the header line
    assert len(rows) == len(body) == (layout.rows if layout.rows is not None else len(body))
    assert [list(r.values()) for r in rows] == [[f.strip() for f in r] for r in body]


@pytest.mark.skipif(not (INDEXES / "m3_index.csv").exists(), reason=CORPUS_MISSING)
def test_m3_corpus_index_normalises_like_the_per_row_reference():
    data = (INDEXES / "m3_index.csv").read_bytes()
    layout = csv_index_layout(data, path="m3_index.csv")
    table = pa.concat_tables([c.table for c in iter_index_chunks(layout, io.BytesIO(data), chunk_bytes=1 << 14)])
    batch = index_batch(table, 1, defaults={"DATA_SET_ID": "CH1-ORB-L-M3-4-L1B-RADIANCE-V3.0"},
                        base_url="http://h/m3/", index_url="m3_index.csv", archive="a", harvested_at=NOW)
    reference = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(batch) == len(reference) and not batch.failures
    assert np.array_equal(batch.columns["start_time"], [naive(r["start_time"]) for r in reference])
    boxes = [footprint.from_bounds(*(float(r[k]) for k in ("minimum_longitude", "maximum_longitude",
                                                              "minimum_latitude", "maximum_latitude")))
             for r in reference]
    got = np.stack([batch.columns[k] for k in ("lon_min", "lon_max", "lat_min", "lat_max")], axis=1)
    assert np.allclose(got, np.array([tuple(b) for b in boxes], dtype=float), equal_nan=True)
    assert list(batch.columns["product_id"][:1]) == [reference[0]["basename"]]
