"""Catalog semantics: upsert/merge, harvest state, conversions, indexing and display."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from archive_fed.catalog import Catalog, merge
from archive_fed.catalog.encoding import vid_key
from archive_fed.testing.synthetic import synthetic_records
from archive_fed.errors import CatalogError
from archive_fed.record import FIELDS, ProductRecord

UTC = dt.timezone.utc


def rec(uid: str, vid: str | None = None, harvested: str = "2026-01-01", **kw) -> ProductRecord:
    return ProductRecord(uid=uid, vid=vid, harvested_at=harvested + "T00:00:00Z", **kw)


def by_uid(cat: Catalog) -> dict[str, ProductRecord]:
    return {r.uid: r for r in cat}


def test_vid_compares_numerically():
    assert vid_key("1.10") > vid_key("1.9") > vid_key("1.0") > vid_key(None)
    assert vid_key("2") > vid_key("1.99") and vid_key("1.0.1") > vid_key("1.0")


def test_upsert_newer_version_wins_then_newer_harvest():
    old = Catalog.from_records([rec("a", "1.9", title="a old"), rec("b", "1.0", title="b old"),
                                rec("c", "2.0", "2026-03-01", title="c kept"), rec("d", title="d")])
    new = old.upsert([
        rec("a", "1.10", "2025-01-01", title="a new"),    # higher version wins despite older harvest
        rec("b", "1.0", "2026-02-01", title="b new"),     # same version: newer harvest wins
        rec("c", "2.0", "2026-02-01", title="c stale"),   # same version, older harvest: ignored
        rec("e", "1.0", title="e"),
    ])
    got = {u: r.title for u, r in by_uid(new).items()}
    assert got == {"a": "a new", "b": "b new", "c": "c kept", "d": "d", "e": "e"}
    assert len(old) == 4  # upsert returns a new catalog
    tie = old.upsert([rec("d", title="d again")])  # full tie: the incoming record wins
    assert by_uid(tie)["d"].title == "d again"
    assert [r.uid for r in new] == ["c", "d", "a", "b", "e"]  # survivors keep their order


def test_from_records_dedups_and_upsert_accepts_catalogs():
    cat = Catalog.from_records([rec("x", "1.0", title="1"), rec("x", "1.1", title="2"),
                                rec("x", "1.0", title="3")])
    assert [r.title for r in cat] == ["2"]
    merged = cat.upsert(Catalog.from_records([rec("x", "1.2", title="4")]))
    assert [r.title for r in merged] == ["4"]
    nouid = Catalog.from_records([ProductRecord(title="p"), ProductRecord(title="q")])
    assert len(nouid) == 2  # records without uid are never merged together


def test_merge_unions_and_keeps_state():
    a = Catalog.from_records([rec("a", "1.0", mission="kaguya"), rec("s", "1.0", title="from a")])
    b = Catalog.from_records([rec("b", "1.0", mission="lro"), rec("s", "1.0", title="from b")])
    c = Catalog.from_records([rec("c", "1.0", mission="change-4")])
    a.set_state("jaxa", {"cursor": 1})
    b.set_state("nasa", {"cursor": 2})
    c.set_state("jaxa", {"cursor": 3})
    m = Catalog.merge(a, b, c)
    assert sorted(by_uid(m)) == ["a", "b", "c", "s"] and by_uid(m)["s"].title == "from b"
    assert m.state == {"jaxa": {"cursor": 3}, "nasa": {"cursor": 2}}
    assert m.attrs["created"] <= m.attrs["updated"]
    assert len(merge(a, b)) == 3 and len(Catalog.merge()) == 0
    assert sorted(r.mission for r in m.search(mission=["SELENE", "LRO", "CE4"])) == \
        ["change-4", "kaguya", "lro"]


def test_state_round_trip_and_errors():
    cat = Catalog.from_records([])
    assert cat.get_state("nothing") == {} and cat.state == {}
    cat.set_state("pds3-volume:https://x/", {"done": ["a", "b"], "since": "2008-01-01T00:00:00Z"})
    assert cat.get_state("pds3-volume:https://x/")["done"] == ["a", "b"]
    cat.get_state("pds3-volume:https://x/")["done"].append("mutating a copy")
    assert cat.get_state("pds3-volume:https://x/")["done"] == ["a", "b"]
    with pytest.raises(CatalogError):
        cat.set_state("bad", {"when": dt.datetime.now()})
    assert isinstance(cat.to_xarray().attrs["state"], str)
    assert cat.search().get_state("pds3-volume:https://x/") != {}  # results keep the catalog's attrs
    hits = cat.search()
    hits.set_state("other", {"x": 1})
    assert cat.get_state("other") == {}  # but do not share them


@pytest.fixture(scope="module")
def cat():
    return Catalog.from_records(synthetic_records(2000, seed=5))


def test_to_xarray_shape(cat):
    ds = cat.to_xarray()
    assert set(ds.data_vars) == set(FIELDS) and dict(ds.sizes) == {"product": 2000}
    assert ds["start_time"].dtype == np.dtype("datetime64[ns]")
    assert ds["lon_min"].dtype == np.float64 and ds["lon_min"].attrs["units"] == "degrees_east"
    assert ds["file_size"].dtype == np.float64
    assert ds["targets"].values[0] == '["Moon"]' or ds["targets"].values[0].startswith("[")
    for key in ("schema_version", "created", "updated", "state"):
        assert key in ds.attrs
    assert ds.attrs["created"].endswith("Z")


def test_to_pandas_dtypes(cat):
    df = cat.to_pandas()
    records = list(cat)
    assert list(df.columns) == list(FIELDS) and len(df) == 2000
    assert str(df["start_time"].dtype) == "datetime64[ns, UTC]"
    assert df["file_size"].dtype == "Int64" and df["lon_min"].dtype == np.float64
    assert isinstance(df["targets"].iloc[0], list) and isinstance(df["data_urls"].iloc[0], list)
    for i in (0, 1, 1999):
        r = records[i]
        assert df["uid"].iloc[i] == r.uid and df["targets"].iloc[i] == r.targets
        assert (pd.isna(df["stop_time"].iloc[i]) if r.stop_time is None
                else df["stop_time"].iloc[i].to_pydatetime() == r.stop_time)
        assert (pd.isna(df["file_size"].iloc[i]) if r.file_size is None
                else df["file_size"].iloc[i] == r.file_size)
        assert pd.isna(df["vid"].iloc[i]) if r.vid is None else df["vid"].iloc[i] == r.vid


def test_indexing(cat):
    records = list(cat)
    assert cat[5] == records[5] == cat.record(5) and cat[-1] == records[-1]
    assert list(cat[10:13]) == records[10:13]
    assert list(cat[[3, 1]]) == [records[3], records[1]]
    mask = np.zeros(len(cat), dtype=bool)
    mask[[7, 9]] = True
    assert list(cat[mask]) == [records[7], records[9]]
    for bad in (2000, -2001):
        with pytest.raises(IndexError):
            cat[bad]
    with pytest.raises(IndexError):
        cat[[0, 2000]]
    assert len(cat[[]]) == 0


def test_repr_summarises(cat):
    text = repr(cat)
    assert text.startswith("<Catalog: 2,000 products")
    assert "missions: " in text and "lro" in text and "time: " in text and "lon: " in text
    weird = Catalog.from_records([ProductRecord(uid="<b>", mission="<script>alert(1)</script>")])
    html = weird._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and html.startswith("<table>")
    assert "products" in cat._repr_html_()


def test_catalog_from_a_dataset(cat):
    again = Catalog(cat.to_xarray())
    assert list(again[:50]) == list(cat[:50])
    assert len(again.search(mission="kaguya")) == len(cat.search(mission="SELENE"))
    with pytest.raises(CatalogError):
        Catalog(cat.to_xarray().drop_vars("uid"))


def test_huge_sizes_refused():
    with pytest.raises(CatalogError):
        Catalog.from_records([ProductRecord(uid="x", file_size=2 ** 53)])
    with pytest.raises(CatalogError):
        Catalog.from_records([ProductRecord(uid="x", start_time="2300-01-01T00:00:00Z")])
    with pytest.raises(CatalogError):
        Catalog.from_records([{"uid": "x", "no_such_field": 1}])
