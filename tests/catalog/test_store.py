"""Round trips through Zarr (local and fsspec) and Parquet, and recovery from interrupted saves."""
from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import numpy as np
import pytest
import zarr

from archive_fed.catalog import Catalog, store
from archive_fed.testing.synthetic import synthetic_records
from archive_fed.errors import CatalogError
from archive_fed.record import ProductRecord

UTC = dt.timezone.utc


def awkward_records() -> list[ProductRecord]:
    """Values that break naive encodings: separators, quotes, escapes, unicode, extremes, nulls."""
    return [
        ProductRecord(
            uid="SLN-L-TC-3-S-LEVEL2B0-V1.0/TC1S2B0_01_06921S087E3106", vid=None,
            title='quotes " and \\ backslash, comma; semicolon\nnewline\ttab 月 🌕 \x00nul',
            mission="kaguya", instrument="TC1", targets=["Moon", 'Earth "the blue"', "a;b", "[x]", ""],
            target="Moon", start_time=dt.datetime(2008, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
            stop_time=dt.datetime(2262, 1, 1, tzinfo=UTC), lon_min=359.99999999999994, lon_max=0.0,
            lat_min=-90.0, lat_max=90.0, data_urls=["https://x/a b.img", "file:///c,d;e.IMG", 'q"\\'],
            file_size=2 ** 53 - 1, md5="0" * 32, harvested_at=dt.datetime(2026, 1, 1, tzinfo=UTC)),
        ProductRecord(uid="only-a-uid"),
        ProductRecord(uid="urn:nasa:pds:x:y:z::1.10", lid="urn:nasa:pds:x:y:z", vid="1.10",
                      targets=[], data_urls=[], file_size=0, lon_min=-0.0, lon_max=1e-300,
                      lat_min=5e-324, lat_max=1.5, start_time=dt.datetime(1677, 9, 22, tzinfo=UTC),
                      stop_time=None, mission="Totally New Mission", label_format="PDS4"),
    ] + synthetic_records(300, seed=3)


@pytest.fixture(scope="module")
def records():
    return awkward_records()


def test_records_round_trip_in_memory(records):
    cat = Catalog.from_records(records)
    assert list(cat.records()) == records
    assert Catalog.from_records(r.to_dict() for r in records).record(0) == records[0]
    assert cat[0] == records[0] and cat[-1] == records[-1] and cat.record(2) == records[2]


def test_zarr_round_trip(tmp_path, records):
    cat = Catalog.from_records(records)
    cat.set_state("pds3-volume:https://x/", {"cursor": "2008-01-01", "done": [1, 2]})
    path = tmp_path / "catalogs" / "x.zarr"  # parent directories are created
    cat.save(str(path))
    opened = Catalog.open(str(path))
    assert list(opened.records()) == records
    assert opened.get_state("pds3-volume:https://x/") == {"cursor": "2008-01-01", "done": [1, 2]}
    assert opened.attrs["created"] == cat.attrs["created"]
    assert (path / store.MARKER).is_file()
    assert not [p for p in os.listdir(tmp_path / "catalogs") if p != "x.zarr"]  # no leftovers
    # saving over it, and from a lazily opened catalog onto itself
    opened.save(str(path))
    assert list(Catalog.open(str(path)).records()) == records


def test_zarr_layout_is_compact(tmp_path, records):
    Catalog.from_records(records).save(str(tmp_path / "c.zarr"))
    group = zarr.open_group(str(tmp_path / "c.zarr"), mode="r")
    assert group["mission"].dtype == np.int8 and "kaguya" in group["mission"].attrs["categories"]
    assert group.attrs["schema_version"] == 1


def test_lazy_catalog_refuses_a_replaced_store(tmp_path, records):
    path = str(tmp_path / "c.zarr")
    Catalog.from_records(records).save(path)
    lazy = Catalog.open(path)
    hits = lazy.search(mission="kaguya")
    lazy.set_state("s", {"n": 1})
    lazy.save(path)  # itself, unchanged rows: it and its results stay valid
    assert list(lazy.records()) == records and len(list(hits.records())) == len(hits) > 0
    bigger = lazy.upsert(records[:1] + synthetic_records(5, seed=99))
    bigger.save(path)  # a different catalog over the store the lazy one reads
    for read in (lambda: list(lazy.records()), lambda: list(hits.records()), lambda: lazy.record(0),
                 lambda: lazy.to_pandas()):
        with pytest.raises(CatalogError, match="replaced"):
            read()
    assert len(Catalog.open(path)) == len(records) + 5
    loaded = Catalog.open(path).load()
    Catalog.from_records(records[:3]).save(path)
    assert len(list(loaded.records())) == len(records) + 5  # in memory: unaffected


def test_memory_fsspec_round_trip(records):
    url = f"memory://catalogs-{uuid.uuid4().hex}/x.zarr"
    cat = Catalog.from_records(records)
    cat.save(url)
    cat.save(url)  # over an existing store
    assert list(Catalog.open(url).records()) == records
    import fsspec
    fs = fsspec.filesystem("memory")
    assert not fs.glob(url.replace("memory://", "/") + ".tmp-*")


def test_memory_reader_sees_complete_temporary(records):
    """A remote writer that died while copying left a root without marker: read the temporary."""
    import fsspec
    url = f"memory://crash-{uuid.uuid4().hex}/x.zarr"
    small = Catalog.from_records(records[:5])
    small.save(url)
    Catalog.from_records(records).save(url + ".tmp-1-abcd")  # a complete temporary ...
    fs = fsspec.filesystem("memory")
    root = url.replace("memory://", "/")
    fs.pipe_file(f"{root}.tmp-1-abcd/{store.MARKER}", json.dumps({"written": "2099"}).encode())
    fs.rm_file(f"{root}/{store.MARKER}")  # ... and the root mid-copy
    assert len(Catalog.open(url)) == len(records)
    small.save(url)  # the next save cleans up
    assert len(Catalog.open(url)) == 5 and not fs.glob(root + ".tmp-*")


def test_parquet_round_trip(tmp_path, records):
    cat = Catalog.from_records(records)
    cat.set_state("s", {"n": 1})
    cat.to_parquet(str(tmp_path / "c.parquet"))
    back = Catalog.read_parquet(str(tmp_path / "c.parquet"))
    assert list(back.records()) == records
    assert back.get_state("s") == {"n": 1}
    assert list(Catalog.open(str(tmp_path / "c.parquet")).records()) == records
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pq.read_table(tmp_path / "c.parquet")
    assert pa.types.is_list(table.schema.field("targets").type)
    assert str(table.schema.field("start_time").type) == "timestamp[ns, tz=UTC]"
    url = f"memory://pq-{uuid.uuid4().hex}/c.parquet"
    cat.to_parquet(url)
    assert list(Catalog.read_parquet(url).records()) == records


def test_empty_catalog_everywhere(tmp_path):
    empty = Catalog.from_records([])
    assert len(empty) == 0 and list(empty) == []
    empty.save(str(tmp_path / "e.zarr"))
    opened = Catalog.open(str(tmp_path / "e.zarr"))
    assert len(opened) == 0
    assert len(opened.search(mission="kaguya", start="2008-01-01", bbox=(0, 0, 10, 10))) == 0
    assert len(opened.to_pandas()) == 0 and opened.to_xarray().sizes["product"] == 0
    empty.to_parquet(str(tmp_path / "e.parquet"))
    assert len(Catalog.read_parquet(str(tmp_path / "e.parquet"))) == 0
    assert "0 products" in repr(opened) and "0" in opened._repr_html_()
    assert len(Catalog.merge(opened, empty)) == 0


def test_open_errors(tmp_path):
    with pytest.raises(CatalogError):
        Catalog.open(str(tmp_path / "missing.zarr"))
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w").create_array("x", shape=(3,), dtype="i4")
    with pytest.raises(CatalogError, match="other.zarr"):
        Catalog.open(str(tmp_path / "other.zarr"))
    group = zarr.open_group(str(tmp_path / "xr.zarr"), mode="w")
    group.create_array("x", shape=(3,), dtype="i4", dimension_names=["product"])
    with pytest.raises(CatalogError, match="not an archive_fed catalog"):
        Catalog.open(str(tmp_path / "xr.zarr"))
    with pytest.raises(CatalogError):
        Catalog.read_parquet(str(tmp_path / "missing.parquet"))


# --- recovery from the states a killed writer can leave ---------------------------------------------

DEAD_PID = 2 ** 22 + 12345  # above the default pid_max: never a live process


def _state(tmp_path, old: Catalog | None, tmp: Catalog | None, displaced: Catalog | None):
    root = str(tmp_path / "c.zarr")
    token = f"{DEAD_PID}-deadbeef"
    for catalog, path in ((old, root), (tmp, f"{root}.tmp-{token}"), (displaced, f"{root}.old-{token}")):
        if catalog is not None:
            catalog.save(path)
    return root


def test_recover_killed_between_renames(tmp_path):
    old, new = Catalog.from_records(synthetic_records(10, 1)), Catalog.from_records(synthetic_records(20, 2))
    root = _state(tmp_path, None, new, old)  # root moved aside, complete new one not yet moved in
    assert len(Catalog.open(root)) == 20
    assert os.listdir(tmp_path) == ["c.zarr"]


def test_recover_incomplete_temporary_rolls_back(tmp_path):
    old, new = Catalog.from_records(synthetic_records(10, 1)), Catalog.from_records(synthetic_records(20, 2))
    root = _state(tmp_path, None, new, old)
    os.remove(f"{root}.tmp-{DEAD_PID}-deadbeef/{store.MARKER}")
    assert len(Catalog.open(root)) == 10
    assert os.listdir(tmp_path) == ["c.zarr"]


def test_recover_removes_dead_leftovers_but_not_live_ones(tmp_path):
    old, new = Catalog.from_records(synthetic_records(10, 1)), Catalog.from_records(synthetic_records(20, 2))
    root = _state(tmp_path, old, new, old)
    live = f"{root}.tmp-{os.getpid()}-0123abcd"
    new.save(live)
    assert len(Catalog.open(root)) == 10
    assert sorted(os.listdir(tmp_path)) == sorted(["c.zarr", os.path.basename(live)])


def test_open_with_dask_chunks(tmp_path, records):
    pytest.importorskip("dask")
    Catalog.from_records(records).save(str(tmp_path / "c.zarr"))
    cat = Catalog.open(str(tmp_path / "c.zarr"), chunks={})
    assert type(cat.to_xarray()["title"].data).__module__.startswith("dask")
    assert list(cat.records()) == records
    assert len(cat.search(mission="SELENE")) == sum(r.mission == "kaguya" for r in records)
