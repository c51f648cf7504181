"""The federated product catalog: an xarray Dataset of product records, searched with numpy.

>>> from archive_fed.catalog import Catalog
>>> cat = Catalog.from_records([])
>>> len(cat.search(mission="kaguya"))
0
"""
from .bulk import CatalogWriter, write_catalog
from .core import Catalog, merge
from .format import format_catalog

__all__ = ["Catalog", "CatalogWriter", "format_catalog", "merge", "write_catalog"]
