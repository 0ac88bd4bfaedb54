"""corridor_set names a corridor by its id when the name is missing or blank (never "nan")."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.corridors import corridor_set
from geodata.crs import WGS84


def _lines(ids: list[str], names: list[object]) -> gpd.GeoDataFrame:
    lines = [LineString([(i, 14.0), (i + 0.5, 14.2)]) for i in range(len(ids))]
    return gpd.GeoDataFrame({"corridor_id": ids, "corridor_name": names}, geometry=lines, crs=WGS84)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_or_blank_name_becomes_the_id(missing: object) -> None:
    frame = _lines(["C1", "C2"], ["Gao – Ménaka", missing])
    frame["corridor_name"] = frame["corridor_name"].astype(object)
    result = corridor_set(frame)
    assert result.ids == ("C1", "C2")
    assert result.names == ("Gao – Ménaka", "C2")


def test_missing_name_in_a_string_column_becomes_the_id() -> None:
    frame = _lines(["C1", "C2"], ["Route one", None])
    frame["corridor_name"] = frame["corridor_name"].astype("string")  # missing is pd.NA, not "nan"
    assert corridor_set(frame).names == ("Route one", "C2")


def test_segments_take_the_first_given_name() -> None:
    frame = _lines(["C7", "C7", "C8"], [np.nan, "Niamey – Ayorou", np.nan])
    result = corridor_set(frame)
    assert result.ids == ("C7", "C8")
    assert result.names == ("Niamey – Ayorou", "C8")


def test_no_name_column_uses_the_ids() -> None:
    frame = _lines(["C1", "C2"], ["x", "y"]).drop(columns="corridor_name")
    assert corridor_set(frame).names == ("C1", "C2")


def test_given_names_are_kept_as_written() -> None:
    frame = _lines(["C1"], ["Route <b>one</b>"])
    assert corridor_set(frame).names == ("Route <b>one</b>",)
