"""A 4xx answer is the service refusing the request, and the reason is in its body (TAP and the PDS API
explain a 400 there): the SourceError carries that message, capped, with credentials masked."""
from __future__ import annotations

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.testing.servers import ArchiveServer, fast_transport

TOKEN = "s3cr3t-t0ken-value"


def echoing_400(request):   # a careless service echoing the request's credentials into its error text
    return 400, {"Content-Type": "application/json"}, {
        "message": f"bad query; you sent Authorization: Bearer {TOKEN} and password=hunter22 " + "x" * 900}


def test_the_400_message_reaches_the_source_error_capped_and_scrubbed(tmp_path) -> None:
    with ArchiveServer(routes={"/api/search/1/products": echoing_400}) as server:
        host = server.url.split("://", 1)[1].split(":", 1)[0]
        transport = fast_transport(credentials={host: TOKEN})
        source = sources.create("pds-api", server.url + "/api/search/1/", transport=transport)
        with pytest.raises(af.SourceError) as caught:
            list(source.discover())
    text = str(caught.value)
    assert "refused the request (HTTP 400): bad query" in text
    assert TOKEN not in text and "hunter22" not in text and "Bearer ***" in text
    assert len(caught.value.message) < 400          # the body was 1 kB: capped at 300 characters


def test_a_5xx_stays_a_fetch_error_after_its_retries(tmp_path) -> None:
    with ArchiveServer(routes={"/tap/sync": lambda request: (500, {}, "internal error")}) as server:
        source = sources.create("epn-tap", server.url + "/tap", transport=fast_transport(retries=1))
        with pytest.raises(af.FetchError, match="500"):
            list(source.discover())
