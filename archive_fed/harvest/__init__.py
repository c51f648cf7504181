"""Harvesting archives into catalogs: :func:`harvest` and its :class:`HarvestReport`."""
from .engine import harvest
from .report import Failure, HarvestReport

__all__ = ["harvest", "HarvestReport", "Failure"]
