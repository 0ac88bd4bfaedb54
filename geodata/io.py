"""Checked readers for shipped data files.

Every reference file goes through these so that a missing, empty or malformed file
raises :class:`~geodata.errors.DataFileError` naming the file, never a bare
pyogrio/pandas traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio.errors

from geodata.errors import DataFileError
from geodata.messages import _


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise DataFileError(path, _("file not found"))
    if path.stat().st_size == 0:
        raise DataFileError(path, _("file is empty"))


def _check_columns(path: Path, frame: pd.DataFrame, required: Iterable[str]) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataFileError(
            path,
            _("required column(s) {missing} missing; found {found}").format(
                missing=missing, found=sorted(map(str, frame.columns))
            ),
        )


def read_vector(path: Path, required_columns: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """Read a vector file in EPSG:4326 with the given columns, or raise ``DataFileError``."""
    _check_exists(path)
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataFileError(path, _("not a readable vector file ({error})").format(error=exc)) from exc
    if frame.empty:
        raise DataFileError(path, _("file holds no features"))
    if frame.crs is None:
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    _check_columns(path, frame, required_columns)
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        raise DataFileError(path, _("some features have no geometry"))
    return frame


def read_table(
    path: Path, required_columns: Iterable[str] = (), dtype: dict[str, str] | None = None
) -> pd.DataFrame:
    """Read a UTF-8 CSV with the given columns, or raise ``DataFileError``."""
    _check_exists(path)
    try:
        frame = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataFileError(path, _("not a readable UTF-8 CSV ({error})").format(error=exc)) from exc
    if frame.empty:
        raise DataFileError(path, _("file holds no rows"))
    _check_columns(path, frame, required_columns)
    return frame
