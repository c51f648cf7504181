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


#: how each archive is reached and whether its default endpoint was confirmed from a cited document
REACHED = {
    "nasa-pds": ("query service", "confirmed"), "ode": ("query service", "confirmed"),
    "esa-psa": ("query service", "confirmed"), "jaxa-darts": ("crawlable tree", "unconfirmed"),
    "kari-kpds": ("crawlable tree", "unconfirmed"), "cnsa-clpds": ("order/bulk download", "unconfirmed"),
    "isro-pradan": ("order/bulk download", "unconfirmed"), "pds-api": ("query service", "-"),
    "epn-tap": ("query service", "-"), "pdap": ("query service", "-"), "pds3-volume": ("crawlable tree", "-"),
    "pds4-bundle": ("crawlable tree", "-"),
}


def test_archive_fed_sources_states_how_each_archive_is_reached(capsys: pytest.CaptureFixture[str]) -> None:
    from archive_fed.cli import main

    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["SOURCE", "REACHED", "AS", "ENDPOINT"]
    rows = {line.split()[0]: line for line in lines[1:] if line.split() and line.split()[0] in REACHED}
    assert set(rows) == set(REACHED)
    for name, (reached, status) in REACHED.items():
        cls = sources.get(name)
        assert cls.reached == reached
        after = rows[name].split(reached, 1)[1].split()
        endpoint = cls.default_url or "(give"
        assert after[0] == endpoint and after[1 if cls.default_url else 2] == status, rows[name]


def test_live_smoke_tests_are_remote_and_deselected_by_default() -> None:
    import configparser
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg")
    addopts = config["tool:pytest"]["addopts"]
    assert '-m "not remote"' in addopts and "--allow-hosts=127.0.0.1" in addopts
    live = (root / "tests" / "remote" / "test_live_services.py").read_text()
    assert "pytestmark = pytest.mark.remote" in live
    for name in ("nasa-pds", "ode", "esa-psa", "pdap", "jaxa-darts", "cnsa-clpds", "isro-pradan", "kari-kpds"):
        assert f'"{name}"' in live, name
