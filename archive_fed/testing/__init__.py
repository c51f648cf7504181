"""Test data and loopback archives that the test suite and the benchmarks share (never imported by the
runtime package).

* :mod:`.servers` — :class:`~.servers.ArchiveServer`, a real HTTP archive on ``127.0.0.1``;
  :mod:`.faults` — :class:`~.faults.FaultPlan`, the deterministic ways it fails.
* :mod:`.paged`, :mod:`.api_services`, :mod:`.tap_services` — the PDS Registry API, ODE, EPN-TAP and PDAP
  services as route callables, over products built from real corpus labels.
* :mod:`.replica`, :mod:`.lroc_volume` — synthetic PDS3 volumes and PDS4 bundles of any size.
* :mod:`.federated` — four query services and a local catalog for federated search.
* :mod:`.synthetic` — synthetic product records and catalog columns at scale.
* :mod:`.corpus` — where the real-label corpus is.
"""
