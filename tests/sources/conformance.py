"""``SourceConformanceTests``: what every archive source must do, tested once for all of them.

A source's test class subclasses it and provides :meth:`SourceConformanceTests.serve`, a context manager
that stands the archive up on loopback with ``n`` products (and optional faults) and yields a
:class:`Served`. The inherited tests then check that discovery yields refs, that paging reaches every
page exactly once (also across a 5xx in the middle), that an empty archive is fine, that broken answers
give typed errors and write nothing, and that a rerun is incremental (second harvest: 0 new).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

import archive_fed as af
from archive_fed import errors, sources
from archive_fed.cli import main
from archive_fed.testing.servers import ArchiveServer, fast_transport

TYPED_ERRORS = {name for name, value in vars(errors).items()
                if isinstance(value, type) and issubclass(value, errors.ArchiveFedError)}


@dataclass
class Served:
    """An archive standing on loopback: its ``url``, the ``uids`` it holds, its source ``options`` and the
    paging service (when the protocol pages), whose ``pages_served``/``failed`` tests can read."""

    url: str
    uids: list[str]
    server: ArchiveServer
    service: Any = None
    options: dict[str, Any] = field(default_factory=dict)


def catalog_uids(path: Any) -> list[str]:
    return sorted(r.uid for r in af.Catalog.open(str(path)).records())


class SourceConformanceTests:
    """Subclass with ``source = "<registered name>"`` and a :meth:`serve` implementation."""

    source: ClassVar[str] = ""
    #: the protocol pages (the archive is served in ``page_size`` pieces)
    paged: ClassVar[bool] = True
    #: a malformed answer stops the harvest (API sources) rather than quarantining one product
    malformed_is_fatal: ClassVar[bool] = True
    page_size: ClassVar[int] = 4
    n: ClassVar[int] = 11          # three pages of 4, 4 and 3

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = ()) -> Iterator[Served]:
        raise NotImplementedError
        yield  # pragma: no cover

    def harvest(self, served: Served, catalog: Any, **kw: Any) -> Any:
        return af.harvest(self.source, url=served.url, catalog=str(catalog), transport=fast_transport(),
                          progress=False, workers=4, **{**served.options, **kw})

    # ---- the contract ---------------------------------------------------------------------------
    def test_registered_with_name_protocol_description(self) -> None:
        cls = sources.get(self.source)
        assert cls.name == self.source
        assert cls.protocol and cls.description

    def test_discovery_yields_one_ref_per_product(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, self.n) as served:
            source = sources.create(self.source, served.url, transport=fast_transport(), **served.options)
            refs = list(source.discover())
        assert len(refs) == self.n
        assert len({ref.key for ref in refs}) == self.n
        assert all(ref.url for ref in refs)
        assert not source.problems

    def test_paging_reaches_every_page_once(self, tmp_path: Any) -> None:
        if not self.paged:
            pytest.skip(f"{self.source} does not page")
        with self.serve(tmp_path, self.n) as served:
            report = self.harvest(served, tmp_path / "cat.zarr")
            assert served.service.pages_served >= 3
        assert (report.found, report.new, report.failed) == (self.n, self.n, 0)
        assert catalog_uids(tmp_path / "cat.zarr") == sorted(served.uids)

    def test_empty_archive_harvests_nothing(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 0) as served:
            report = self.harvest(served, tmp_path / "cat.zarr")
        assert (report.found, report.new, report.failed, report.exit_code) == (0, 0, 0, 0)
        assert len(af.Catalog.open(str(tmp_path / "cat.zarr"))) == 0

    def test_server_error_mid_paging_is_retried_without_gap_or_duplicate(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, self.n, fail_pages=(2,)) as served:
            report = self.harvest(served, tmp_path / "cat.zarr")
            if served.service is not None:
                assert served.service.failed == [2]
            assert served.server.faults_injected + len(getattr(served.service, "failed", ())) >= 1
        assert (report.new, report.failed) == (self.n, 0)
        uids = catalog_uids(tmp_path / "cat.zarr")
        assert uids == sorted(served.uids) and len(uids) == len(set(uids))

    def test_malformed_answer_is_a_typed_error(self, tmp_path: Any) -> None:
        catalog = tmp_path / "cat.zarr"
        with self.serve(tmp_path, self.n, malformed_pages=(2,)) as served:
            if self.malformed_is_fatal:
                with pytest.raises(af.ArchiveFedError) as caught:
                    self.harvest(served, catalog)
                assert type(caught.value).__name__ in TYPED_ERRORS
                assert served.url.split("://", 1)[1].split("/", 1)[0] in str(caught.value)
                assert not os.path.exists(catalog)          # nothing written to the catalog
            else:
                report = self.harvest(served, catalog)
                assert report.failed >= 1 and report.exit_code == 1
                assert {f.error for f in report.failures} <= TYPED_ERRORS

    def test_malformed_first_answer_exits_2_on_the_command_line(self, tmp_path: Any, capsys: Any) -> None:
        if not self.malformed_is_fatal:
            pytest.skip(f"{self.source} quarantines malformed products")
        catalog = tmp_path / "cat.zarr"
        with self.serve(tmp_path, self.n, malformed_pages=(1,)) as served:
            # (the command line takes no source options: default page sizes, which fail on page 1 too)
            code = main(["harvest", self.source, f"--url={served.url}", f"--catalog={catalog}", "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2
        assert "Traceback" not in err and err.strip()
        assert not os.path.exists(catalog)

    def test_rerun_is_incremental(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, self.n) as served:
            first = self.harvest(served, tmp_path / "cat.zarr")
            second = self.harvest(served, tmp_path / "cat.zarr")
        assert first.new == self.n
        assert (second.new, second.updated, second.unchanged, second.failed) == (0, 0, self.n, 0)
        assert catalog_uids(tmp_path / "cat.zarr") == sorted(served.uids)
