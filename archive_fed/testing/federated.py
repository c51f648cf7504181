"""Four query services (ODE, PDS Registry API, EPN-TAP, PDAP) and a local catalog for federated search
tests, with seeded footprints across 0°, around the poles and over several years."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import archive_fed as af

from .api_services import ODEService, PDSRegistry, ode_products, registry_products
from .replica import make_pds3_volume
from .servers import ArchiveServer, fast_transport
from .tap_services import EPNTAPService, PDAPService, kaguya_pdap_products, smart1_granules

UTC = dt.timezone.utc


def footprints(seed: int):
    """A bbox function: mostly ordinary boxes, some across 0°, some polar caps (0–360)."""
    rng = random.Random(seed)
    boxes = []
    for _ in range(400):
        kind = rng.random()
        if kind < 0.15:
            south = rng.choice([75.0, -90.0])
            boxes.append((0.0, south, 360.0, south + 15.0))
        else:
            west = rng.uniform(0, 360)
            width = rng.uniform(0.5, 40.0) if kind < 0.35 else rng.uniform(0.2, 5.0)
            south = rng.uniform(-89.0, 80.0)
            boxes.append((round(west, 3), round(south, 3), round((west + width) % 360.0, 3),
                          round(min(90.0, south + rng.uniform(0.5, 10.0)), 3)))
    return lambda i: boxes[i]


class WrappingODE(ODEService):
    """ODE on loopback, intersecting boxes the way a real spatial index does: footprints crossing 0°
    (west > east) included (the shared fixture compares the four numbers naively)."""

    def answer(self, params: dict[str, str]) -> tuple:
        if "minlat" not in params:
            return super().answer(params)
        west, east = float(params["westernlon"]), float(params["easternlon"])
        params = dict(params)    # the recorded query keeps its box
        box = {k: params.pop(k) for k in ("minlat", "maxlat", "westernlon", "easternlon")}
        everything, self.products = self.products, [
            p for p in self.products
            if float(p["Maximum_latitude"]) >= float(box["minlat"])
            and float(p["Minimum_latitude"]) <= float(box["maxlat"]) and _meets(p, west, east)]
        try:
            return super().answer(params)
        finally:
            self.products = everything


def _meets(product: dict[str, Any], west: float, east: float) -> bool:
    lo, hi = float(product["Westernmost_longitude"]), float(product["Easternmost_longitude"])
    if lo <= hi:
        return hi >= west and lo <= east
    return lo <= east or hi >= west        # the footprint crosses 0°


@dataclass
class Federation:
    """The services on loopback: ``sources`` (fresh Source instances), ``catalog`` (local store path)."""

    server: ArchiveServer
    catalog: str
    ode: WrappingODE
    registry: PDSRegistry
    tap: EPNTAPService
    pdap: PDAPService

    def sources(self, **transport: Any) -> list[Any]:
        url = self.server.url
        make = af.sources.create
        return [make("ode", url + "/live2/", transport=fast_transport(**transport), limit=7),
                make("pds-api", url + "/api/search/1/", transport=fast_transport(**transport), limit=6,
                     target="Moon"),
                make("epn-tap", url + "/tap", transport=fast_transport(**transport), maxrec=9, target="Moon",
                     schema="psa"),
                make("pdap", url + "/pdap", transport=fast_transport(**transport), page_size=8),
                self.catalog]

    def reference(self, tmp: Path) -> af.Catalog:
        """Every source harvested into one catalog (the answer a federated search must equal)."""
        store = str(tmp / "everything.zarr")
        for source in self.sources()[:-1]:
            report = af.harvest(source, catalog=store, progress=False)
            assert report.failed == 0, [f.line() for f in report.failures]
        return af.Catalog.merge(af.Catalog.open(store), af.Catalog.open(self.catalog))


def build(tmp: Path, seed: int = 14, *, start_server: bool = True, latency: float = 0.0) -> Federation:
    """The data (seeded) and, unless ``start_server`` is False, the server (caller closes it)."""
    boxes = footprints(seed)
    ode = WrappingODE(ode_products(40, start=dt.datetime(2009, 8, 1, tzinfo=UTC), bbox=boxes))
    lro = registry_products(30, start=dt.datetime(2009, 7, 19, tzinfo=UTC), step=dt.timedelta(days=40),
                            bbox=lambda i: boxes(100 + i))
    kplo = registry_products(6, mission="kplo", start=dt.datetime(2023, 2, 1, tzinfo=UTC),
                             step=dt.timedelta(days=20), bbox=lambda i: boxes(140 + i))
    registry = PDSRegistry(lro + kplo)
    tap = EPNTAPService(smart1_granules(30, start=dt.datetime(2005, 1, 10, tzinfo=UTC), bbox=lambda i: boxes(200 + i)))
    pdap = PDAPService(kaguya_pdap_products(24, bbox=lambda i: boxes(300 + i)))
    volume = tmp / "darts" / "sln-l-tc-3-s-level2b0-v1.0"
    make_pds3_volume(volume, 20)
    catalog = str(tmp / "local.zarr")
    report = af.harvest("pds3-volume", url=str(volume), catalog=catalog, progress=False)
    assert report.failed == 0
    routes = {**ode.routes(), **registry.routes(), **tap.routes(), **pdap.routes()}
    server = ArchiveServer(tmp, routes=routes, latency=latency)
    if start_server:
        server.start()
    return Federation(server, catalog, ode, registry, tap, pdap)
