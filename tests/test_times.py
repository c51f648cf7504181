"""One parser of user-given times (archive_fed.times.user_time) behind --since, Catalog.search and
federated queries; the CODMAC table of missions.toml, read both ways."""
from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from astropy.time import Time

import archive_fed as af
from archive_fed import missions
from archive_fed.catalog import Catalog
from archive_fed.catalog.export import vocab
from archive_fed.errors import ArchiveFedError, CatalogError, SourceError, TimeError
from archive_fed.sources.query import Query
from archive_fed.record import PROCESSING_LEVELS, ProductRecord
from archive_fed.times import user_time

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

UTC = dt.timezone.utc
NOON = dt.datetime(2009, 5, 3, 12, 0, tzinfo=UTC)  # 2009-05-03 is day 123


@pytest.mark.parametrize("value", [
    "2009-05-03T12:00:00Z", "2009-05-03T12:00:00", "2009-05-03 12:00", "2009-05-03T14:00:00+02:00",
    "2009-05-03T07:00-0500", "2009-123T12:00:00", "2009-123T12:00:00.000Z", "  2009-05-03T12:00Z ",
    dt.datetime(2009, 5, 3, 12), dt.datetime(2009, 5, 3, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    pd.Timestamp("2009-05-03T12:00"), pd.Timestamp("2009-05-03T08:00", tz="America/New_York"),
    np.datetime64("2009-05-03T12:00"), np.datetime64("2009-05-03T12:00:00.000000000"),
    Time("2009-05-03T12:00:00", scale="utc"), Time("2009-05-03T12:01:06.184", scale="tt"),
], ids=repr)
def test_forms_of_one_instant(value):
    assert user_time(value) == NOON and user_time(value).tzinfo is UTC


def test_dates_and_precision():
    midnight = dt.datetime(2009, 5, 3, tzinfo=UTC)
    assert user_time("2009-05-03") == user_time("2009-123") == user_time(dt.date(2009, 5, 3)) == midnight
    assert user_time(np.datetime64("2009-05-03")) == user_time("2012-03-01Z").replace(year=2009, month=5, day=3)
    assert user_time("2009-05-03T12:00:00.1234567Z").microsecond == 123456  # µs precision
    assert user_time("2008-366T23:59:59Z") == dt.datetime(2008, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert user_time(Time(2454955.0, format="jd", scale="utc")) == NOON


@pytest.mark.parametrize("value", ["", "soon", "UNK", "2009-13-01", "2009-02-30", "2009-366", "2008-367", "2009-000", "12:00",
                                   "2009-05-03T25:00", 12, None, [NOON], np.datetime64("NaT"), pd.NaT,
                                   Time(["2009-05-03", "2009-05-04"])], ids=repr)
def test_garbage_is_a_typed_error(value):
    with pytest.raises(TimeError, match="since: not a date or time"):
        user_time(value, what="since")
    assert issubclass(TimeError, ArchiveFedError) and issubclass(TimeError, ValueError)


def test_every_user_time_goes_through_user_time(tmp_path):
    cat = Catalog.from_records([
        ProductRecord(uid="a", start_time="2009-123T00:00:00", stop_time="2009-05-03T23:00Z"),
        ProductRecord(uid="b", start_time=np.datetime64("2009-05-04T00:00"), stop_time=Time("2009-05-05"))])
    assert [r.uid for r in cat.search(start="2009-123T12:00")] == ["a", "b"]
    assert [r.uid for r in cat.search(stop=Time("2009-05-03T12:00"))] == ["a"]
    assert [r.uid for r in cat.search(start=np.datetime64("2009-05-04T12:00"))] == ["b"]
    with pytest.raises(CatalogError, match="start: not a date or time"):
        cat.search(start="2009-05-03T12:00 tomorrow")
    with pytest.raises(CatalogError, match="stop: time out of the catalog's range"):
        cat.search(stop=dt.datetime(2300, 1, 1))

    query = Query.from_filters(start="2009-123", stop=Time("2009-05-04"))
    assert (query.start, query.stop) == (dt.datetime(2009, 5, 3, tzinfo=UTC), dt.datetime(2009, 5, 4, tzinfo=UTC))
    with pytest.raises(SourceError, match="stop: not a date or time"):
        Query.from_filters(stop="yesterday")

    with pytest.raises(TimeError, match="--since: not a date or time"):
        af.harvest("pds3-volume", url=str(tmp_path), catalog=str(tmp_path / "c.zarr"), since="2009-02-30")
    with pytest.raises(TimeError, match="start_time: not a date or time"):
        ProductRecord(uid="x", start_time="early May")


def test_codmac_lives_in_missions_toml_both_ways():
    raw = tomllib.loads(resources.files("archive_fed").joinpath("missions.toml").read_text("utf-8"))
    to_pds4, from_pds4 = raw["codmac"]["to_pds4"], raw["codmac"]["from_pds4"]
    assert {missions.pds4_level(None, n) for n in to_pds4} <= set(PROCESSING_LEVELS)
    assert [missions.pds4_level("kaguya", str(n)) for n in range(1, 7)] == [to_pds4[str(n)] for n in range(1, 7)]
    assert set(from_pds4) == set(PROCESSING_LEVELS)
    for level in PROCESSING_LEVELS:
        assert vocab.codmac_level(level) == missions.codmac_level(level) == from_pds4[level]
        # every PDS4 level maps to a CODMAC number that maps back to the same or a less processed level
        back = missions.pds4_level(None, str(missions.codmac_level(level)))
        assert PROCESSING_LEVELS.index(back) <= PROCESSING_LEVELS.index(level)
    assert missions.codmac_level("Calibrated") == 3 and missions.codmac_level(None) is None
    assert not hasattr(vocab, "CODMAC_LEVELS")
