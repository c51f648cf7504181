"""The paging machinery every loopback API service shares: :class:`PagedService` counts the pages it
serves and can fail a given page once with a 503 (``fail_pages``) or answer it with garbage
(``malformed_pages``), so tests can break paging in the middle."""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any


class PagedService:
    """A route callable counting the pages it serves; ``fail_pages`` answer 503 once, ``malformed_pages``
    answer garbage (page numbers count from 1, in the order pages are served)."""

    def __init__(self, *, fail_pages: Iterable[int] = (), malformed_pages: Iterable[int] = ()) -> None:
        self.fail_pages = set(fail_pages)
        self.malformed_pages = set(malformed_pages)
        self.pages_served = 0
        self.failed: list[int] = []
        self.queries: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> tuple:
        with self._lock:
            page = self.pages_served + 1
            params = {k: v[0] for k, v in request.query.items()}
            if page in self.fail_pages and page not in self.failed:
                self.failed.append(page)
                return 503, {"Retry-After": "0"}, "service busy, try again\n"
            self.pages_served = page
            self.queries.append(params)
            if page in self.malformed_pages:
                return self.malformed(params)
            return self.answer(params)

    def answer(self, params: dict[str, str]) -> tuple:
        raise NotImplementedError

    def malformed(self, params: dict[str, str]) -> tuple:
        return 200, {"Content-Type": "text/html"}, "<html><body>Proxy error: upstream said <b>bye</b></body></html>"

