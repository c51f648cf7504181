"""The harvest report: counts, bytes, time, and every quarantined product with its error."""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..atomic import atomic_write
from ..record import format_time


@dataclass
class Failure:
    """One product that could not be harvested: quarantined here, the rest of the run goes on."""

    url: str
    error: str          # error class name (LabelError, FetchError, NormalizeError, ...)
    message: str        # `path:line: message`
    attempts: int = 1

    def line(self) -> str:
        """One line for the report: the error message, prefixed with the URL unless it names it."""
        return self.message if self.message.startswith(self.url) else f"{self.url}: {self.message}"


@dataclass
class HarvestReport:
    """What one harvest did: products found, new, updated, unchanged, recovered, failed and skipped,
    bytes, requests and seconds, every quarantined product, and the discovery cursor it stopped at."""

    source: str
    url: str
    catalog: str
    started: _dt.datetime
    finished: _dt.datetime | None = None
    found: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    recovered: int = 0        # harvested by an interrupted run, committed by this one
    failed: int = 0
    skipped: int = 0          # filtered out by --since
    bytes: int = 0
    seconds: float = 0.0
    requests: int = 0
    failures: list[Failure] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """SPEC §3: 0 all well, 1 finished with failures."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (times in ISO 8601 UTC, with ``exit_code``)."""
        data = asdict(self)
        data["started"] = format_time(self.started)
        data["finished"] = format_time(self.finished)
        data["exit_code"] = self.exit_code
        return data

    def write(self, path: str) -> None:
        """Write :meth:`to_dict` as JSON to ``path``, atomically."""
        with atomic_write(path, what="harvest report") as temporary:
            with open(temporary, "w", encoding="utf-8") as stream:
                json.dump(self.to_dict(), stream, indent=2, ensure_ascii=False)
                stream.write("\n")

    def summary(self) -> str:
        """The one-line summary the command line prints."""
        rate = self.found / self.seconds if self.seconds else 0.0
        return (f"{self.source} {self.url}: found {self.found}, new {self.new}, updated {self.updated}, "
                f"unchanged {self.unchanged}, recovered {self.recovered}, failed {self.failed}"
                + (f", skipped {self.skipped}" if self.skipped else "")
                + f"; {self.bytes:,} bytes in {self.seconds:.1f} s ({rate:.0f} products/s)")
