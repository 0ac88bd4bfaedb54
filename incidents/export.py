"""Export canonical incidents to CSV, GeoJSON or GeoPackage.

CSV exports are opened in spreadsheets, where a cell such as ``=HYPERLINK(...)`` from
a source's free text would run as a formula (CSV injection). Text cells that start
like a formula get a leading single quote; numeric columns are left alone, so
negative longitudes stay numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio.errors

from incidents.errors import IncidentsError

#: Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: A plain number in a text column ("-12.5") cannot run anything and is left readable.
_PLAIN_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
EXPORT_DRIVERS: Final = {".csv": None, ".geojson": "GeoJSON", ".gpkg": "GPKG"}
GPKG_LAYER: Final = "incidents"


class ExportError(IncidentsError):
    """The incidents cannot be written to the requested file."""


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


def export_incidents(frame: pd.DataFrame, path: Path) -> int:
    """Write canonical incidents to ``path`` (format from its suffix); return the row count.

    Raises :class:`ExportError` for an unsupported suffix or a file that cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_DRIVERS:
        raise ExportError(
            f"cannot export to {path.name!r}: the file name must end in one of {list(EXPORT_DRIVERS)}"
        )
    try:
        if suffix == ".csv":
            out = neutralise_formulas(frame)
            out["event_date"] = frame["event_date"].dt.strftime("%Y-%m-%d")
            out.to_csv(path, index=False, encoding="utf-8")
        else:
            if path.exists():
                path.unlink()  # GPKG would otherwise add to the existing file
            _to_geodataframe(frame).to_file(path, driver=EXPORT_DRIVERS[suffix], layer=GPKG_LAYER)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ExportError(f"cannot write {path}: {exc}") from exc
    return len(frame)
