"""The ``archive-fed`` command line (SPEC §3). Thin: parse arguments, call the API, format output.

Exit codes: 0 all well; 1 finished but some products failed (each on stderr as ``path:line: message``);
2 usage error or nothing could be done. No traceback unless ``--debug``.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Sequence

from . import __version__
from .errors import ArchiveFedError, GeometryError, SourceError

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2


def _error(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- inspect ------------------------------------------------------------------------------------------
def cmd_inspect(args: argparse.Namespace) -> int:
    from .labels import normalize, read_label
    from .record import record_to_json

    ok = failed = 0
    for target in args.labels:
        try:
            record = normalize(read_label(target, lenient=args.lenient))
        except ArchiveFedError as exc:
            _error(str(exc))
            failed += 1
            if args.debug:
                raise
            continue
        ok += 1
        if args.json:
            print(record_to_json(record), flush=True)
        else:
            _print_record(record.to_dict())
    if failed and not ok:
        return EXIT_FAILED
    return EXIT_PARTIAL if failed else EXIT_OK


def _print_record(fields: dict[str, Any]) -> None:
    width = max(len(k) for k in fields)
    print(f"== {fields.get('uid')}")
    for key, value in fields.items():
        if value in (None, []):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        print(f"  {key:<{width}}  {value}")


# ---- search -------------------------------------------------------------------------------------------
def cmd_search(args: argparse.Namespace) -> int:
    from .catalog.format import format_catalog

    if args.live is not None or len(args.catalog or []) > 1:
        return _search_live(args)
    if not args.catalog:
        _error("archive-fed search: give --catalog DIR or --live [SOURCE[=URL]]...")
        return EXIT_FAILED
    text = format_catalog(_searched(args, args.catalog[0]), args.format)
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    return EXIT_OK


def _searched(args: argparse.Namespace, catalog: str) -> Any:
    """The catalog at ``catalog``, searched with the filter flags."""
    from .catalog import Catalog

    return Catalog.open(catalog).search(
        mission=args.mission, instrument=args.instrument, target=args.target, level=args.level,
        start=args.start, stop=args.stop, bbox=tuple(args.bbox) if args.bbox else None,
        **_geometry_filters(args))


def _geometry_filters(args: argparse.Namespace) -> dict[str, Any]:
    """``--point/--radius``, ``--polygon`` and the observation ranges as ``Catalog.search`` keywords."""
    if args.polygon and args.point:
        raise GeometryError("give --point LON LAT --radius KM or --polygon WKT, not both")
    if (args.radius is not None) != bool(args.point):
        raise GeometryError("--point LON LAT needs --radius KM (and --radius needs --point)")
    geometry = (args.point[0], args.point[1], args.radius) if args.point else args.polygon
    return {"geometry": geometry, "incidence": args.incidence, "emission": args.emission, "phase": args.phase,
            "resolution": None if args.resolution is None else (None, args.resolution),
            "wavelength": args.wavelength, "product_type": args.product_type}


# ---- download -----------------------------------------------------------------------------------------
def cmd_download(args: argparse.Namespace) -> int:
    include = tuple(k.strip() for k in args.include.split(",") if k.strip())
    if not include or set(include) - {"label", "data"}:
        _error(f"--include takes label, data or both, not {args.include!r}")
        return EXIT_FAILED
    hits = _searched(args, args.catalog)
    report = hits.download(args.dest, include=include, workers=args.workers, verify=not args.no_verify,
                           dry_run=args.dry_run, report=args.report,
                           progress=None if not args.no_progress else False)
    for failure in report.failures:
        _error(failure.line())
    print(report.summary(), flush=True)
    return report.exit_code


def _search_live(args: argparse.Namespace) -> int:
    """``search --live``: query services and catalogs at once; exit 1 when some source failed (one
    ``source url: state: message`` line each on stderr, the hits still printed), 2 when none answered."""
    from .catalog.format import format_catalog
    from .federated.run import default_sources, search

    if args.live is None:
        sources: list[Any] = []
    elif args.live:
        sources = list(args.live)
    else:
        sources = default_sources()   # every query service with a default endpoint + configured catalogs
    sources += list(args.catalog or [])
    hits = search(mission=args.mission, instrument=args.instrument, target=args.target, level=args.level,
                  start=args.start, stop=args.stop, bbox=tuple(args.bbox) if args.bbox else None,
                  sources=sources or None, timeout=args.timeout, limit=args.limit, refresh=args.refresh)
    failed = [s for s in hits.status if s.state in ("timeout", "error")]
    for status in failed:
        _error(status.line())
    text = format_catalog(hits, args.format)
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    if failed and len(failed) == len(hits.status):
        return EXIT_FAILED
    return EXIT_PARTIAL if failed else EXIT_OK


# ---- harvest, demo, sources --------------------------------------------------------------------------
def _print_failures(report: Any) -> None:
    for failure in report.failures:
        _error(failure.line())


def cmd_harvest(args: argparse.Namespace) -> int:
    from .harvest import harvest

    client = _client(args.scheduler)
    try:
        report = harvest(args.source, url=args.url, catalog=args.catalog, since=args.since,
                         workers=args.workers, report=args.report, batch_size=args.batch_size,
                         progress=None if not args.no_progress else False, client=client,
                         **({"from_index": True} if args.from_index else {}))
    finally:
        if client is not None:
            client.close()
    _print_failures(report)
    print(report.summary(), flush=True)
    return report.exit_code


def _client(address: str | None) -> Any:
    """A dask.distributed client for ``--scheduler ADDRESS`` (None without it)."""
    if not address:
        return None
    try:
        from distributed import Client
    except ImportError:
        raise SourceError("--scheduler needs dask.distributed: pip install 'archive_fed[dask]'") from None
    try:
        return Client(address, timeout=30)
    except OSError as exc:
        raise SourceError(f"cannot reach the dask scheduler at {address}: {exc}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from .catalog import Catalog
    from .catalog.format import format_catalog
    from .demo import run_demo

    reports = run_demo(args.catalog, progress=None if not args.no_progress else False)
    for report in reports:
        _print_failures(report)
        print(report.summary())
    catalog = Catalog.open(args.catalog)
    print(f"\ncatalog {args.catalog}:\n{catalog!r}\n")
    example = dict(mission="SELENE", bbox=(350.0, -20.0, 10.0, 20.0))
    print("search example: archive-fed search --catalog", args.catalog,
          "--mission SELENE --bbox 350 -20 10 20")
    print(format_catalog(catalog.search(**example), "table"))
    print("search example: archive-fed search --catalog", args.catalog,
          "--mission CE4 --start 2020-01-01 --format table")
    print(format_catalog(catalog.search(mission="CE4", start="2020-01-01"), "table"))
    return max(report.exit_code for report in reports)


def cmd_sources(args: argparse.Namespace) -> int:
    from . import sources

    header = ("SOURCE", "REACHED AS", "ENDPOINT", "ENDPOINT STATUS", "ACCESS", "PROTOCOL")
    rows = []
    for name in sources.available():
        cls = sources.get(name)
        status = {True: "confirmed", False: "unconfirmed"}.get(getattr(cls, "endpoint_confirmed", None), "-")
        rows.append((name, getattr(cls, "reached", "?"), cls.default_url or "(give --url)",
                     status if cls.default_url else "-", "login" if cls.needs_credentials else "open",
                     cls.protocol))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
    print("endpoint status: confirmed against a cited document (docs/archives.md), else unconfirmed "
          "(a configurable default: give --url)")
    return EXIT_OK


# ---- export -------------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from .catalog import Catalog

    catalog = Catalog.open(args.catalog)
    if args.to == "stac":
        catalog.to_stac(args.out)
    elif args.to == "epntap":
        fmt = args.epntap_format or ("parquet" if args.out.lower().endswith(".parquet") else "votable")
        catalog.to_epntap(args.out, format=fmt, service_title=args.service_title)
    elif args.to == "parquet":
        catalog.to_parquet(args.out)
    elif args.to == "geoparquet":
        catalog.to_geoparquet(args.out)
    else:
        catalog.to_csv(args.out)
    print(f"exported {len(catalog):,} products as {args.to} to {args.out}", flush=True)
    return EXIT_OK


# ---- coverage -----------------------------------------------------------------------------------------
def cmd_coverage(args: argparse.Namespace) -> int:
    """Where a catalog's (searched) products observed, as a MOC; with ``--compare``, the overlap."""
    import json
    import math
    import warnings

    from . import geometry as geo
    from .catalog.coverage import CoverageWarning

    moon_km2 = 4.0 * math.pi * geo.MOON_RADIUS_KM ** 2

    def covered(catalog: str) -> tuple[Any, int]:
        hits = _searched(args, catalog)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CoverageWarning)
            moc = hits.coverage(max_depth=args.max_depth)
        for warning in caught:
            if isinstance(warning.message, CoverageWarning):
                _error(f"{catalog}: {warning.message}")
        return moc, len(hits)

    def area(moc: Any) -> dict[str, float]:
        fraction = float(moc.sky_fraction)
        return {"fraction": fraction, "km2": fraction * moon_km2}

    first, count = covered(args.catalog)
    result: dict[str, Any] = {"catalog": args.catalog, "products": count, "max_depth": args.max_depth,
                              "coverage": area(first)}
    if args.compare:
        other, other_count = covered(args.compare)
        result.update(compare=args.compare, compare_products=other_count, compare_coverage=area(other),
                      both=area(first.intersection(other)), only_catalog=area(first.difference(other)),
                      only_compare=area(other.difference(first)))
    if args.out:
        fmt = "json" if args.out.lower().endswith(".json") else "ascii" if args.out.lower().endswith(".txt") \
            else "fits"
        first.save(args.out, format=fmt, overwrite=True)
        result["out"] = args.out
    if args.format == "json":
        print(json.dumps(result), flush=True)
        return EXIT_OK

    def line(name: str, value: dict[str, float]) -> str:
        return f"{name:<24} {100 * value['fraction']:9.4f} % of the Moon  {value['km2']:>14,.0f} km²"

    print(f"{count:,} product{'' if count == 1 else 's'} of {args.catalog} (MOC depth {args.max_depth})")
    print(line("covered", result["coverage"]))
    if args.compare:
        print(f"{other_count:,} product{'' if other_count == 1 else 's'} of {args.compare}")
        print(line("covered", result["compare_coverage"]))
        print(line("both", result["both"]))
        print(line(f"only {args.catalog}", result["only_catalog"]))
        print(line(f"only {args.compare}", result["only_compare"]))
    if args.out:
        print(f"MOC written to {args.out}")
    return EXIT_OK


# ---- parser -------------------------------------------------------------------------------------------
def _add_filters(p: argparse.ArgumentParser) -> None:
    """The catalog search filters (``search``, ``download``)."""
    p.add_argument("--mission", metavar="M")
    p.add_argument("--instrument", metavar="I")
    p.add_argument("--target", metavar="T")
    p.add_argument("--level", metavar="L")
    p.add_argument("--start", metavar="T")
    p.add_argument("--stop", metavar="T")
    p.add_argument("--bbox", nargs=4, type=float, metavar=("LONMIN", "LATMIN", "LONMAX", "LATMAX"))
    p.add_argument("--point", nargs=2, type=float, metavar=("LON", "LAT"),
                   help="footprints within --radius KM of this point, on the sphere")
    p.add_argument("--radius", type=float, metavar="KM")
    p.add_argument("--polygon", metavar="WKT", help="footprints meeting this polygon (great-circle edges)")
    for name, unit in (("incidence", "deg"), ("emission", "deg"), ("phase", "deg"), ("wavelength", "m")):
        p.add_argument(f"--{name}", nargs=2, type=float, metavar=("MIN", "MAX"), help=f"{name} range ({unit})")
    p.add_argument("--resolution", type=float, metavar="MAX", help="best resolution at most MAX m/pixel")
    p.add_argument("--product-type", metavar="TYPE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive-fed",
        description="Federated search of the world's lunar science data archives.")
    parser.add_argument("--version", action="version", version=f"archive_fed {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    common.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("inspect", parents=[common], help="read and normalize labels (paths or URLs)")
    p.add_argument("labels", nargs="+", metavar="LABEL")
    p.add_argument("--json", action="store_true", help="print one JSON record object per line")
    p.add_argument("--lenient", action="store_true", help="read mildly broken PDS3 labels with warnings")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("search", parents=[common], help="query a catalog, or live services and catalogs")
    p.add_argument("--catalog", action="append", metavar="DIR",
                   help="catalog to search (repeat to search several at once, federated)")
    p.add_argument("--live", nargs="*", metavar="SOURCE[=URL]",
                   help="also ask these query services live (none named: every one with a default endpoint)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="deadline of a live search")
    p.add_argument("--limit", type=int, metavar="N", help="at most N hits (live search)")
    p.add_argument("--refresh", action="store_true", help="ignore cached live answers")
    _add_filters(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("download", parents=[common],
                       help="download the label and data files of a catalog's (searched) products")
    p.add_argument("--catalog", required=True, metavar="DIR")
    _add_filters(p)
    p.add_argument("--to", required=True, metavar="DIR", dest="dest", help="destination folder")
    p.add_argument("--include", default="label,data", metavar="KINDS",
                   help="comma list of label, data (default: both)")
    p.add_argument("--workers", type=int, default=8, metavar="N")
    p.add_argument("--no-verify", action="store_true", help="skip MD5/size checks")
    p.add_argument("--dry-run", action="store_true", help="print the file count and total bytes only")
    p.add_argument("--report", metavar="FILE", help="write the JSON report here")
    p.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("harvest", parents=[common], help="harvest an archive into a catalog, incrementally")
    p.add_argument("source", metavar="SOURCE", help="source name (see 'archive-fed sources')")
    p.add_argument("--catalog", required=True, metavar="DIR")
    p.add_argument("--url", metavar="URL", help="archive root or endpoint (a preset's default if omitted)")
    p.add_argument("--since", metavar="DATE", help="only products created or modified since DATE")
    p.add_argument("--workers", type=int, default=8, metavar="N")
    p.add_argument("--report", metavar="FILE", help="write the JSON report here")
    p.add_argument("--batch-size", type=int, default=1000, metavar="N", help="products per atomic commit")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run fetch + parse on a dask.distributed cluster (e.g. tcp://host:8786)")
    p.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    p.add_argument("--from-index", action="store_true",
                   help="pds3-volume: build records from the volume's index table, no request per product")
    p.set_defaults(func=cmd_harvest)

    p = sub.add_parser("sources", parents=[common], help="list registered sources and their endpoints")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("export", parents=[common], help="export a catalog (STAC, EPN-TAP, (Geo)Parquet, CSV)")
    p.add_argument("--catalog", required=True, metavar="DIR")
    p.add_argument("--to", required=True, choices=("stac", "epntap", "parquet", "geoparquet", "csv"))
    p.add_argument("out", metavar="OUT", help="output folder (stac) or file")
    p.add_argument("--epntap-format", choices=("votable", "parquet"),
                   help="EPN-TAP table format (default: parquet for a .parquet OUT, else votable)")
    p.add_argument("--service-title", default="archive_fed", metavar="NAME",
                   help="EPN-TAP service_title (the TAP schema name)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("coverage", parents=[common],
                       help="where a catalog's (searched) products observed, as an IVOA MOC; overlap with another")
    p.add_argument("--catalog", required=True, metavar="DIR")
    _add_filters(p)
    p.add_argument("--compare", metavar="DIR", help="a second catalog (same filters): what both cover, what each alone")
    p.add_argument("--max-depth", type=int, default=10, metavar="N",
                   help="HEALPix order of the finest cells (10: about 1.7 km on the Moon)")
    p.add_argument("--out", metavar="FILE", help="write the MOC (FITS; .json or .txt for those formats)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("demo", parents=[common],
                       help="harvest the embedded sample archive into catalogs/demo.zarr and search it")
    p.add_argument("--catalog", default="catalogs/demo.zarr", metavar="DIR")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help → 0, usage errors → 2
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_FAILED
    verbose = args.verbose + (1 if args.command in ("harvest", "download") and not sys.stderr.isatty() else 0)
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ArchiveFedError as exc:
        if args.debug:
            raise
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the CLI promises no traceback without --debug
        if args.debug:
            raise
        _error(f"archive-fed: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
