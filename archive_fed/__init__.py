"""archive_fed: one catalog of the world's lunar science data archives, as xarray.

Public API (SPEC §2)::

    import archive_fed as af
    label = af.read_label(path_or_url)        # PDS3 or PDS4 label, a Mapping with .format
    rec = af.normalize(label)                 # ProductRecord
    cat = af.Catalog.open("catalogs/lunar.zarr")
    hits = cat.search(mission="kaguya", bbox=(0, -10, 30, 10))
    ds = af.open_product(rec)                 # the data as xarray
    report = af.harvest("pds3-volume", url="https://.../VOLUME/", catalog="catalogs/lunar.zarr")
    hits = af.search(mission="LRO", bbox=(350, -10, 10, 10), sources=["ode", "nasa-pds"])  # live, federated

Heavy parts (catalog, harvest, products) are imported on first use so ``import archive_fed`` stays fast.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import (ArchiveFedError, CatalogError, FetchError, LabelError, LabelWarning, NormalizeError,
                     ProductError, SourceError)
from .harvest import harvest  # eager: the function must shadow the subpackage of the same name
from .labels import normalize, parse_label, read_label
from .record import ProductRecord

__version__ = "0.1.0"

__all__ = [
    "read_label", "parse_label", "normalize", "ProductRecord", "Catalog", "open_product", "harvest",
    "search", "sources", "ArchiveFedError", "LabelError", "NormalizeError", "FetchError", "CatalogError",
    "SourceError", "ProductError", "LabelWarning", "__version__",
]

_LAZY = {
    "Catalog": ("archive_fed.catalog", "Catalog"),
    "open_product": ("archive_fed.products", "open_product"),
    "sources": ("archive_fed.sources", None),
    "search": ("archive_fed.federated.run", "search"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'archive_fed' has no attribute {name!r}")
