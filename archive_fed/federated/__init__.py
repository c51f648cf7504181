"""Federated search: one query across live agency services and local catalogs (SPEC §5, issue 14).

``af.search(...)`` (:func:`archive_fed.federated.run.search`) pushes the filters down into each query
service (:mod:`archive_fed.sources.query`), runs the sources concurrently under one deadline and merges the hits
(:mod:`.run`), caching live answers on disk (:mod:`.cache`). The catalog never imports this package.
"""
from __future__ import annotations

from .run import FederatedCatalog, SourceStatus, search

__all__ = ["search", "FederatedCatalog", "SourceStatus"]
