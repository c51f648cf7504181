"""Every registered source loads, describes itself, and has a default endpoint or asks for one."""
from __future__ import annotations

import pytest

from archive_fed import sources
from archive_fed.errors import SourceError
from archive_fed.sources.base import Source

EXPECTED = {"pds3-volume", "pds4-bundle", "pds-api", "ode", "epn-tap", "pdap", "jaxa-darts", "cnsa-clpds",
            "nasa-pds", "esa-psa", "isro-pradan", "kari-kpds"}


def test_every_spec_source_is_registered() -> None:
    assert EXPECTED <= set(sources.available())


@pytest.mark.parametrize("name", sources.available())
def test_registered_source_loads_and_describes_itself(name: str) -> None:
    cls = sources.get(name)
    assert issubclass(cls, Source) and cls.name == name
    assert cls.protocol.strip() and cls.description.strip()
    assert isinstance(cls.needs_credentials, bool)
    if cls.default_url:
        assert cls.default_url.startswith(("https://", "http://", "ftp://"))
        assert sources.create(name).url.startswith(cls.default_url.rstrip("/"))  # no I/O at construction
    else:
        with pytest.raises(SourceError, match="needs a url"):
            sources.create(name)


def test_entry_points_are_scanned_once_until_rescan(monkeypatch) -> None:
    from importlib.metadata import EntryPoint

    scans: list[str] = []
    plugin = EntryPoint("plugin-volume", "archive_fed.sources.pds3_volume:PDS3VolumeSource", "archive_fed.sources")

    def fake_entry_points(group: str):
        scans.append(group)
        return [plugin]

    sources.available()                                   # the real scan, cached
    monkeypatch.setattr(sources, "entry_points", fake_entry_points)
    try:
        assert "plugin-volume" not in sources.available() and scans == []   # no rescan per call
        assert "plugin-volume" in sources.rescan() and scans == [sources.ENTRY_POINT_GROUP]
        sources.available(), sources.get("ode")
        assert len(scans) == 1
        assert sources.get("plugin-volume").__name__ == "PDS3VolumeSource"
    finally:
        monkeypatch.undo()
        sources.rescan()
    assert "plugin-volume" not in sources.available()
