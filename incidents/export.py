"""Export canonical incidents to CSV, GeoJSON or GeoPackage.

CSV exports are opened in spreadsheets, where a cell such as ``=HYPERLINK(...)`` from
a source's free text would run as a formula (CSV injection). Text cells that start
like a formula get a leading single quote; numeric columns are left alone, so
negative longitudes stay numbers.

An optional :class:`Provenance` (sources and licences, filters, generation time, how
current the data are, the synthetic-data and stale-data warnings) travels with the file
in the form each format's readers survive:

* CSV: a companion ``<name>.provenance.txt`` next to it. Comment lines inside the CSV
  would break ``csv``/pandas readers and a ``provenance`` column would repeat on every row;
  the CSV itself stays a plain table.
* GeoJSON: a top-level ``"provenance"`` member (a foreign member, RFC 7946 §6.1, which
  GDAL, QGIS and geopandas ignore).
* GeoPackage: a second, non-spatial layer ``provenance`` of ``key``/``value`` rows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from incidents.errors import ExportError
from incidents.freshness import Freshness
from incidents.i18n import N_, Labels, _

#: Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: A plain number in a text column ("-12.5") cannot run anything and is left readable.
_PLAIN_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
EXPORT_DRIVERS: Final = {".csv": None, ".geojson": "GeoJSON", ".gpkg": "GPKG"}
GPKG_LAYER: Final = "incidents"
#: Canonical columns added after the export layout was first published: written last, so
#: spreadsheets and scripts that read the earlier columns by position keep working.
LATER_COLUMNS: Final = ("event_type_reported", "uncertainty_km")
PROVENANCE_LAYER: Final = "provenance"
PROVENANCE_MEMBER: Final = "provenance"
PROVENANCE_SUFFIX: Final = ".provenance.txt"
DEMO_WARNING: Final = N_(
    "WARNING: this export includes SYNTHETIC DEMO DATA (source_dataset = demo): "
    "generated events, not real incidents; do not use them for any decision."
)
#: What the plain-text sidecar calls each provenance key (the keys themselves, in the GeoJSON
#: member and the GeoPackage layer, are a contract and stay English).
PROVENANCE_LABELS: Final = Labels(
    {
        "warning": N_("Warning"),
        "stale_data": N_("Stale data"),
        "generated_at": N_("Generated at"),
        "data_as_of": N_("Data as of"),
        "last_import": N_("Last import"),
        "filters": N_("Filters"),
        "sources": N_("Sources"),
        "includes_demo": N_("Includes demo"),
    }
)


@dataclass(frozen=True)
class Provenance:
    """Where exported rows come from and how they were chosen.

    ``sources`` is the attribution and licence text (the dashboard fills it from its
    credits); ``filters`` a one-line summary of the selection; ``includes_demo`` adds the
    synthetic-data warning. Use :meth:`for_frame` to derive ``includes_demo`` from the rows.
    ``freshness`` adds "data as of", "last import" and, for old data, the staleness warning.
    """

    sources: str
    filters: str
    generated_at: datetime
    includes_demo: bool
    freshness: Freshness | None = None

    @classmethod
    def for_frame(
        cls,
        frame: pd.DataFrame,
        *,
        sources: str,
        filters: str,
        generated_at: datetime | None = None,
        freshness: Freshness | None = None,
    ) -> Provenance:
        """Provenance of ``frame``: the warning is on when any row is ``source_dataset = demo``."""
        demo = bool((frame["source_dataset"].astype("string") == "demo").any()) if len(frame) else False
        return cls(
            sources=sources,
            filters=filters,
            generated_at=generated_at or datetime.now(UTC),
            includes_demo=demo,
            freshness=freshness,
        )

    @property
    def generated_at_text(self) -> str:
        stamp = self.generated_at
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC)
        return stamp.strftime("%Y-%m-%d %H:%M UTC")

    def items(self) -> list[tuple[str, str]]:
        """(key, value) pairs, in reading order; the warnings first (demo rows, old data).

        Keys are English (a contract); sentences are in the current language; ``includes_demo``
        is ``yes``/``no`` (data).
        """
        pairs = [("warning", _(DEMO_WARNING))] if self.includes_demo else []
        stale = self.freshness.warning() if self.freshness is not None else None
        if stale:
            pairs.append(("stale_data", stale))
        pairs.append(("generated_at", self.generated_at_text))
        if self.freshness is not None:
            pairs += [
                ("data_as_of", self.freshness.data_as_of_text),
                ("last_import", self.freshness.last_import_text),
            ]
        pairs += [
            ("filters", self.filters),
            ("sources", self.sources),
            ("includes_demo", "yes" if self.includes_demo else "no"),
        ]
        return pairs

    def to_dict(self) -> dict[str, str | bool]:
        data: dict[str, str | bool] = dict(self.items())
        data["includes_demo"] = self.includes_demo
        return data

    def to_text(self) -> str:
        """Plain-text footer: one labelled paragraph per item, labels in the current language."""
        paragraphs = (
            _("{label}: {value}").format(label=PROVENANCE_LABELS.get(key, key), value=self._shown(key, value))
            for key, value in self.items()
        )
        return "\n\n".join(paragraphs) + "\n"

    @staticmethod
    def _shown(key: str, value: str) -> str:
        if key == "includes_demo":
            return _("yes") if value == "yes" else _("no")
        return value


def provenance_path(path: Path) -> Path:
    """Companion file of a CSV export: ``incidents.csv`` -> ``incidents.provenance.txt``."""
    path = Path(path)
    return path.with_name(path.stem + PROVENANCE_SUFFIX)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells cannot be read as spreadsheet formulas.

    Only text columns change: a cell starting with ``= + - @``, tab or carriage return
    (and not a plain number) gets a leading ``'``.
    """
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER).fillna(False)
        if risky.any():
            result[column] = text.where(~risky, "'" + text)
    return result


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    points = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
    result = gpd.GeoDataFrame(frame.copy(), geometry=points)
    # Dates as ISO text: every GIS tool reads them, and GeoJSON has no date type anyway.
    result["event_date"] = frame["event_date"].dt.strftime("%Y-%m-%d").astype("string")
    result["imported_at"] = frame["imported_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype("string")
    return result


def _add_geojson_provenance(path: Path, provenance: Provenance) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    document[PROVENANCE_MEMBER] = provenance.to_dict()
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _add_gpkg_provenance(path: Path, provenance: Provenance) -> None:
    table = pd.DataFrame(provenance.items(), columns=["key", "value"])
    pyogrio.write_dataframe(table, path, layer=PROVENANCE_LAYER, driver="GPKG")


def _in_export_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :data:`LATER_COLUMNS` (those it has) moved after all the others."""
    later = [name for name in LATER_COLUMNS if name in frame.columns]
    return frame[[name for name in frame.columns if name not in later] + later]


def check_output_path(path: Path) -> None:
    """Refuse an output path that is a symbolic link or an existing non-file (one sentence, ExportError).

    Writing through a link would overwrite whatever it points at (another user's file, a
    system file when run with more rights), so the link itself is never followed.
    """
    if path.is_symlink():
        raise ExportError(
            _("refusing to write {path}: it is a symbolic link; give the path of a regular file").format(
                path=path
            )
        )
    if path.exists() and not path.is_file():
        raise ExportError(
            _("refusing to write {path}: it exists and is not a regular file").format(path=path)
        )


@contextmanager
def replaced_in_place(*paths: Path) -> Iterator[list[Path]]:
    """Temporary paths in the folder of ``paths``; each is renamed onto its path when the block succeeds.

    The files are written in a private temporary folder beside the targets (same file system,
    so the rename is atomic): a reader never sees half a file, a failed write leaves the old
    file as it was, and the rename replaces a link placed meanwhile instead of following it.
    Every path is checked with :func:`check_output_path` first. Raises OSError.
    """
    for path in paths:
        check_output_path(path)
    folder = Path(tempfile.mkdtemp(prefix=f".{paths[0].name}.", suffix=".tmp", dir=paths[0].parent))
    try:
        staged = [folder / path.name for path in paths]
        yield staged
        for temporary, path in zip(staged, paths, strict=True):
            if temporary.exists():
                os.replace(temporary, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_output(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary_path)``, then rename it onto ``path`` (:func:`replaced_in_place`).

    For the command lines' ``--out`` files: a symbolic link is refused and any failure is an
    :class:`ExportError` (one sentence, exit code 2), never a half-written file.
    """
    path = Path(path)
    try:
        with replaced_in_place(path) as (staged,):
            write(staged)
    except OSError as exc:
        raise ExportError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc


def export_incidents(frame: pd.DataFrame, path: Path, provenance: Provenance | None = None) -> int:
    """Write canonical incidents to ``path`` (format from its suffix); return the row count.

    With ``provenance``, the footer goes where the module docstring says (CSV sidecar,
    GeoJSON member, GeoPackage layer). The file is written beside ``path`` and renamed into
    place (:func:`replaced_in_place`); a ``path`` (or CSV sidecar) that is a symbolic link is
    refused. Raises :class:`ExportError` for an unsupported suffix, a symbolic link or a file
    that cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    frame = _in_export_order(frame)
    if suffix not in EXPORT_DRIVERS:
        raise ExportError(
            _("cannot export to {name}: the file name must end in one of {suffixes}").format(
                name=repr(path.name), suffixes=list(EXPORT_DRIVERS)
            )
        )
    targets = [path, provenance_path(path)] if suffix == ".csv" and provenance is not None else [path]
    try:
        with replaced_in_place(*targets) as staged:
            _write(frame, staged[0], suffix, provenance)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ExportError(_("cannot write {path}: {reason}").format(path=path, reason=exc)) from exc
    return len(frame)


def _write(frame: pd.DataFrame, path: Path, suffix: str, provenance: Provenance | None) -> None:
    if suffix == ".csv":
        out = neutralise_formulas(frame)
        out["event_date"] = frame["event_date"].dt.strftime("%Y-%m-%d")
        out.to_csv(path, index=False, encoding="utf-8")
        if provenance is not None:
            provenance_path(path).write_text(provenance.to_text(), encoding="utf-8")
    else:
        _to_geodataframe(frame).to_file(path, driver=EXPORT_DRIVERS[suffix], layer=GPKG_LAYER)
        if provenance is not None and suffix == ".geojson":
            _add_geojson_provenance(path, provenance)
        elif provenance is not None:
            _add_gpkg_provenance(path, provenance)
