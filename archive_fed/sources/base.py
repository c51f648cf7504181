"""The source interface: a small base class every archive adapter implements (fsspec's lesson).

A source *discovers* products — label locations plus cheap metadata — and may override how one product's
label is fetched and turned into a record. The harvest engine does the rest (concurrency, incremental
state, batching, reports), so an adapter for a new archive is one small class registered under the
entry-point group ``archive_fed.sources``.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator
from urllib.parse import urlsplit

from ..errors import FetchError, SourceError
from ..labels import normalize, parse_label
from ..labels.remote import fetch_label
from ..record import ProductRecord
from ..transport import Transport, is_within, split_userinfo
from ..transport.urls import split_secrets, url_scheme


@dataclass
class ProductRef:
    """One product as discovery sees it, before its label is fetched.

    ``key`` is its stable identity in the harvest state (the label path relative to the source root);
    ``etag``/``last_modified``/``size`` come from listings or APIs when they are cheap; ``hints`` carries
    index-table or API metadata; ``record`` is set by API sources that already return full metadata.
    """

    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    modified: _dt.datetime | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    record: ProductRecord | None = None


@dataclass
class Problem:
    """A product discovery found but could not be harvested (quarantined in the report)."""

    url: str
    error: str
    message: str
    attempts: int = 0


class Source:
    """Base class of every archive adapter.

    Parameters
    ----------
    url : str
        The archive root (volume, bundle, API endpoint) — an http(s) URL, a local mirror path, a
        ``file://`` or any fsspec URL. Presets supply a default.
    transport : Transport, optional
        Shared HTTP layer (one per harvest).
    **options
        Adapter-specific settings (filters, page sizes...).
    """

    #: registered name (``pds3-volume``)
    name: ClassVar[str] = ""
    #: one-line description for ``archive-fed sources``
    description: ClassVar[str] = ""
    #: protocol spoken (for ``archive-fed sources``)
    protocol: ClassVar[str] = ""
    #: default endpoint, if the source has one (presets)
    default_url: ClassVar[str | None] = None
    #: does the archive need a login
    needs_credentials: ClassVar[bool] = False
    #: does the source answer filtered queries server-side (implements :meth:`search`)
    query_service: ClassVar[bool] = False
    #: how the archive is reached: "query service", "crawlable tree" or "order/bulk download"
    reached: ClassVar[str] = "crawlable tree"
    #: whether :attr:`default_url` was confirmed against a cited document (docs/archives.md); None
    #: when the source has no default endpoint
    endpoint_confirmed: ClassVar[bool | None] = None

    def __init__(self, url: str | None = None, *, transport: Transport | None = None, **options: Any) -> None:
        url = url or self.default_url
        if not url:
            raise SourceError(f"source {self.name!r} needs a url (archive root or endpoint)")
        self.transport = transport or Transport()
        if url.lower().startswith(("http://", "https://")):
            # user:password@ goes to the transport (for that host only), never into the URL that
            # records, reports, logs and the harvest state keep
            url, userinfo = split_userinfo(url)
            if userinfo:
                self.transport.add_credentials(urlsplit(url).hostname or "", userinfo)
            url, secrets = split_secrets(url)   # ``?token=``: the same, sent as a query to that host only
            if secrets:
                self.transport.add_query_credentials(urlsplit(url).hostname or "", secrets)
        self.url = url
        self.options = options
        self.problems: list[Problem] = []

    # ---- discovery ------------------------------------------------------------------------------
    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        """Yield every product of the archive (or those changed ``since``)."""
        raise NotImplementedError

    def cursor(self) -> dict[str, Any]:
        """Source-specific state to keep for the next run (index ETags, API cursors...)."""
        return {}

    def finish(self, harvested: set[str]) -> list[Problem]:
        """Called after every product was processed with the uids harvested: late problems
        (e.g. inventory members that were never found)."""
        return []

    # ---- per product ----------------------------------------------------------------------------
    def fetch(self, ref: ProductRef, conditional: dict[str, Any] | None = None) -> Any:
        """Fetch the label bytes (attached PDS3 labels: only up to END). Returns a transport Response
        (``not_modified`` on 304)."""
        if url_scheme(ref.url) in ("", "file"):   # a local mirror: no symbolic link may lead out of it
            self.require_within(ref.url, "label")
        return fetch_label(self.transport, ref.url, conditional=conditional)

    def to_record(self, ref: ProductRef, data: bytes) -> ProductRecord:
        """Parse the fetched label bytes and normalize them into a record of this archive."""
        label = parse_label(data, path=ref.url)
        return normalize(label, archive=self.name, label_url=ref.url)

    # ---- federated search (archive_fed.search) -------------------------------------------------------
    def search(self, query: Any, limit: int | None = None) -> Iterator[ProductRecord]:
        """Records the service selects for ``query`` (an :class:`archive_fed.sources.query.Query`),
        the filters pushed down into its own query language; may include products the filters reject
        (the caller filters locally). ``limit`` is a hint: the caller stops iterating once it has enough,
        and paging stops with it. Only query services (``query_service = True``) implement it."""
        raise SourceError(f"source {self.name!r} is not a query service: harvest it into a catalog and "
                          "search the catalog", path=self.url)

    def records_with(self, **options: Any) -> Iterator[ProductRecord]:
        """The records of a copy of this source with ``options`` overriding its own (same URL and
        transport); problems the copy quarantines are added to :attr:`problems`."""
        copy = type(self)(self.url, transport=self.transport, **{**self.options, **options})
        try:
            for ref in copy.discover():
                record = ref.record if ref.record is not None else ref.hints.get("record")
                if record is not None:
                    yield record
        finally:
            self.problems.extend(copy.problems)

    # ---- helpers --------------------------------------------------------------------------------
    @property
    def state_id(self) -> str:
        """What identifies this archive in the harvest state: the URL, unless the ``state_key`` option
        names it (an archive served from changing addresses, e.g. the demo's loopback server)."""
        return str(self.options.get("state_key") or self.url)

    def key_for(self, url: str) -> str:
        """``url`` relative to the source URL (the key of a product in the harvest state), or ``url``."""
        root = self.url.rstrip("/") + "/"
        return url[len(root):] if url.startswith(root) else url

    def check_within(self, url: str) -> bool:
        """True when ``url`` stays inside the archive root (no ``..``, other hosts, ``file://``)."""
        return is_within(self.url if self.url.endswith("/") else self.url + "/", url)

    def require_within(self, url: str, what: str = "file") -> None:
        """:class:`FetchError` unless ``url`` stays inside the archive root — checked before every open
        (a symbolic link in a local mirror leading out of it is refused, reported, and the run goes on)."""
        if not self.check_within(url):
            raise FetchError(f"{what} leads outside the archive root {self.url}: refused", path=url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.url}>"
