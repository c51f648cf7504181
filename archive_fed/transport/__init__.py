"""The shared transport: the one place where archive_fed talks to the network.

Every source fetches bytes through a :class:`Transport`, and ``products/`` reads remote product bytes
through :class:`TransportFileSystem` (an fsspec filesystem over a Transport), so the HTTP discipline
lives here once: timeouts, retries with exponential backoff and jitter that honour ``Retry-After``, a
concurrency limit and an optional rate limit per host, a response size cap, a redirect policy,
credentials that only ever go to their own host, and one error type,
:class:`~archive_fed.errors.FetchError`, carrying the URL (credentials stripped), the HTTP status and
the number of attempts.

Modules: :mod:`.urls` (URL helpers), :mod:`.credentials`, :mod:`.limits` (per host),
:mod:`.http` (the client), :mod:`.fs` (the fsspec filesystem).

Examples
--------
>>> t = Transport(retries=3, max_per_host=2)
>>> t.get("https://pds.nasa.gov/api/search/1/products").status      # doctest: +SKIP
200
>>> url_join("https://host/VOL/INDEX/INDEX.LBL", "INDEX.TAB")
'https://host/VOL/INDEX/INDEX.TAB'
>>> is_within("https://host/VOL/", "https://host/VOL/../../etc/passwd")
False
"""
from __future__ import annotations

from .credentials import Credential
from .fs import TransportFileSystem
from .http import MiB, Response, Transport
from .urls import is_within, redact_url, split_userinfo, url_join, with_params

__all__ = ["Transport", "Response", "TransportFileSystem", "Credential", "url_join", "is_within",
           "redact_url", "split_userinfo", "with_params", "MiB"]
