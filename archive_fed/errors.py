"""The error hierarchy of archive_fed.

Every error the library raises on bad input, bad archives or bad catalogs is a subclass of
:class:`ArchiveFedError`, so callers (and the CLI) can catch one class and print one clean line.
Errors about a file carry its ``path`` and, where known, the ``line`` (PDS3) or XML ``element`` path
(PDS4); ``str(error)`` is ``path:line: message`` in the style of compilers.
"""
from __future__ import annotations

from typing import Any


class ArchiveFedError(Exception):
    """Base class of every error raised by archive_fed."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 element: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.element = element

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where = f"{where}:{self.line}"
        elif self.element:
            where = f"{where}:{self.element}"
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self) -> tuple[Any, ...]:  # keep every attribute when pickled across processes (dask, multiprocessing)
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[ArchiveFedError], message: str, state: dict[str, Any]) -> ArchiveFedError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class LabelError(ArchiveFedError):
    """A label could not be read: syntax error, truncated file, unsafe or unknown content."""


class NormalizeError(ArchiveFedError):
    """A label was read but cannot be turned into a product record."""


class FetchError(ArchiveFedError):
    """Bytes could not be fetched from an archive (HTTP error, timeout, refused URL)."""

    def __init__(self, message: str, *, path: str | None = None, status: int | None = None,
                 **kw: Any) -> None:
        super().__init__(message, path=path, **kw)
        self.status = status


class CatalogError(ArchiveFedError):
    """A catalog could not be opened, written, merged or searched."""


class GeometryError(ArchiveFedError, ValueError):
    """A geometry that cannot be read (bad WKB, WKT or GeoJSON) or searched with."""


class SourceError(ArchiveFedError):
    """A source (archive adapter) is unknown, misconfigured or answered something unusable."""


class TimeError(ArchiveFedError, ValueError):
    """A user-given time (``--since``, search bounds, record fields) is not a date or time."""


class ProductError(ArchiveFedError):
    """A product's data could not be decoded as the label describes it."""


class DependencyError(ArchiveFedError, ImportError):
    """An optional dependency a feature needs is not installed; ``package`` names it and the message
    says which ``archive_fed[extra]`` brings it."""

    def __init__(self, message: str, *, package: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.package = package


class LabelWarning(UserWarning):
    """A label was read in lenient mode despite a defect."""
