"""Activity along corridors: incidents in a buffer, per corridor and per segment; units crossed.

Buffer rule: an incident belongs to a corridor when it lies within ``km`` (default 25) of
any of its segments, tested on the very polygons of the dashboard's corridor filter and of
the corridor risk units (:func:`geodata.corridors.corridor_buffers`: a buffer drawn in the
Sahel equidistant conic, width error about 1 %, cached per corridor set). One incident can
belong to several corridors. The dashboard passes the store's active segments.

Segment rule: inside a corridor's buffer, each incident is assigned to exactly one
segment of that corridor, the nearest (distance in the same metric CRS; ties go to the
lower segment number). Segment counts of a corridor therefore add up to its count.

Trend and surge flags use the weekly windows and rules of :mod:`incidents.risk.trends`
(``classify_trend``, ``is_surge``) on this membership, so corridors edited or added in
the store get flags too; for the shipped geometry the result equals
``trend_flags(level="corridor")``.

Lengths in units: segments are cut by the admin polygons in longitude/latitude (the
stored segments are densified every 10 km or drawn that way, so straight pieces are
accurate) and each piece is measured on the WGS84 ellipsoid (``pyproj.Geod``).
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from geodata.boundaries import load_admin1, load_admin2
from geodata.corridors import corridor_buffers, corridor_set, load_corridor_segments
from geodata.crs import SAHEL_METRIC_PROJ, WGS84
from incidents.risk.trends import classify_trend, is_surge, weekly_windows
from incidents.settings import CORRIDOR_KM

TOP_GROUPS: Final = 3
HIT_COLUMNS: Final = ("row", "corridor_id", "segment", "distance_km")
RANKING_COLUMNS: Final = (
    "corridor_id",
    "name",
    "events_365d",
    "fatalities_365d",
    "events_30d",
    "trend_4w",
    "surge",
    "top_actor_groups",
)
UNIT_COLUMNS: Final = ("corridor_id", "level", "unit_code", "unit_name", "country_iso3", "length_km")

_GEOD = Geod(ellps="WGS84")
_TO_METRIC = Transformer.from_crs(WGS84, SAHEL_METRIC_PROJ, always_xy=True)


# ---- membership ---------------------------------------------------------------------------


def corridor_lines(segments: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One (Multi)LineString per corridor, from its segments; columns corridor_id, corridor_name."""
    return corridor_set(segments).lines()


def corridor_hits(
    frame: pd.DataFrame, segments: gpd.GeoDataFrame, *, km: float = CORRIDOR_KM
) -> pd.DataFrame:
    """One row per (incident, corridor) within ``km``: ``row`` (position in ``frame``),
    ``corridor_id``, ``segment`` (the nearest segment of that corridor) and ``distance_km``.
    """
    empty = pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "corridor_id": pd.Series(dtype="string"),
            "segment": pd.Series(dtype="int64"),
            "distance_km": pd.Series(dtype="float64"),
        }
    )
    if frame.empty or segments.empty:
        return empty
    lon = frame["longitude"].to_numpy(dtype=np.float64)
    lat = frame["latitude"].to_numpy(dtype=np.float64)
    buffers = corridor_buffers(km, segments)  # the corridor filter's and the risk units' polygons
    metric_segments = segments.to_crs(SAHEL_METRIC_PROJ)
    pieces = []
    for corridor_id, zone in buffers.items():
        rows = np.flatnonzero(shapely.contains_xy(zone, lon, lat))
        if len(rows) == 0:
            continue
        own = metric_segments[metric_segments["corridor_id"].astype(str) == corridor_id]
        order = np.argsort(own["segment"].to_numpy(), kind="stable")
        lines = own.geometry.to_numpy()[order]
        numbers = own["segment"].to_numpy()[order]
        x, y = _TO_METRIC.transform(lon[rows], lat[rows])
        distances = shapely.distance(shapely.points(x, y)[:, None], lines[None, :])
        nearest = np.argmin(distances, axis=1)  # first minimum: the lower segment number wins ties
        pieces.append(
            pd.DataFrame(
                {
                    "row": rows.astype(np.int64),
                    "corridor_id": pd.array([corridor_id] * len(rows), dtype="string"),
                    "segment": numbers[nearest].astype(np.int64),
                    "distance_km": distances[np.arange(len(rows)), nearest] / 1000.0,
                }
            )
        )
    if not pieces:
        return empty
    return pd.concat(pieces, ignore_index=True)[list(HIT_COLUMNS)]


# ---- per corridor -------------------------------------------------------------------------


def _days(frame: pd.DataFrame) -> np.ndarray:
    return pd.to_datetime(frame["event_date"]).to_numpy().astype("datetime64[D]")


def _window(days: np.ndarray, as_of: date, length: int) -> np.ndarray:
    end = np.datetime64(as_of, "D")
    return (days > end - np.timedelta64(length, "D")) & (days <= end)


def corridor_monthly(
    frame: pd.DataFrame,
    hits: pd.DataFrame,
    corridor_id: str,
    *,
    segment: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Incidents and fatalities per month in a corridor (or one segment): period_start, incidents, fatalities.

    Zero-filled from ``since`` (else the first incident's month) to ``until`` (else the last).
    """
    chosen = hits[hits["corridor_id"] == corridor_id]
    if segment is not None:
        chosen = chosen[chosen["segment"] == int(segment)]
    sub = frame.iloc[chosen["row"].to_numpy()]
    months = pd.to_datetime(sub["event_date"]).dt.to_period("M")
    if since is not None:
        keep = months >= pd.Period(since, "M")
        sub, months = sub[keep.to_numpy()], months[keep]
    if until is not None:
        keep = months <= pd.Period(until, "M")
        sub, months = sub[keep.to_numpy()], months[keep]
    first = pd.Period(since, "M") if since is not None else (months.min() if len(months) else None)
    last = pd.Period(until, "M") if until is not None else (months.max() if len(months) else None)
    if first is None or last is None or first > last:
        return pd.DataFrame(
            {
                "period_start": pd.Series(dtype="datetime64[ns]"),
                "incidents": pd.Series(dtype="int64"),
                "fatalities": pd.Series(dtype="int64"),
            }
        )
    index = pd.period_range(first, last, freq="M")
    grouped = pd.DataFrame({"month": months.to_numpy(), "fatalities": sub["fatalities"].to_numpy()})
    counts = grouped.groupby("month").size().reindex(index, fill_value=0)
    deaths = grouped.groupby("month")["fatalities"].sum().reindex(index, fill_value=0)
    return pd.DataFrame(
        {
            "period_start": index.to_timestamp().astype("datetime64[ns]"),
            "incidents": counts.to_numpy().astype(np.int64),
            "fatalities": deaths.to_numpy().astype(np.int64),
        }
    )


def _top_groups(groups: pd.Series, n: int = TOP_GROUPS) -> str:
    counts = groups.astype("string").fillna("unidentified").value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return "; ".join(f"{group} ({count})" for group, count in counts.head(n).items())


def segment_activity(
    frame: pd.DataFrame,
    hits: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    corridor_id: str,
    *,
    as_of: date,
    days: int = 365,
) -> pd.DataFrame:
    """Per segment of one corridor, over the ``days`` ending at ``as_of``: events, fatalities,
    events per 100 km, and the top actor groups (segment rule in the module docstring)."""
    own = segments[segments["corridor_id"].astype(str) == corridor_id].sort_values("segment")
    chosen = hits[hits["corridor_id"] == corridor_id]
    sub = frame.iloc[chosen["row"].to_numpy()]
    inside = _window(_days(sub), as_of, days)
    sub = sub[inside]
    seg = chosen["segment"].to_numpy()[inside]
    rows = []
    for _, segment in own.iterrows():
        mask = seg == int(segment["segment"])
        events = int(mask.sum())
        length = float(segment["length_km"]) if float(segment["length_km"] or 0) > 0 else float("nan")
        rows.append(
            {
                "segment": int(segment["segment"]),
                "from_name": str(segment["from_name"]),
                "to_name": str(segment["to_name"]),
                "connector": bool(segment["connector"]),
                "length_km": round(float(segment["length_km"]), 1),
                "events": events,
                "fatalities": int(sub["fatalities"].to_numpy()[mask].sum()),
                "events_per_100km": round(events / length * 100, 2) if length == length else float("nan"),
                "top_actor_groups": _top_groups(sub["actor_group"][mask]) if events else "",
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "segment",
            "from_name",
            "to_name",
            "connector",
            "length_km",
            "events",
            "fatalities",
            "events_per_100km",
            "top_actor_groups",
        ],
    )


def corridor_trends(
    frame: pd.DataFrame, hits: pd.DataFrame, corridor_ids: list[str], *, as_of: date
) -> pd.DataFrame:
    """corridor_id, this_week, avg_4w, trend_4w, surge: the rules of :mod:`incidents.risk.trends`."""
    windows = weekly_windows(as_of)
    days = _days(frame.iloc[hits["row"].to_numpy()]) if len(hits) else np.array([], dtype="datetime64[D]")
    ids = hits["corridor_id"].astype(object).to_numpy()

    def count(window: tuple[date, date]) -> np.ndarray:
        lo, hi = np.datetime64(window[0], "D"), np.datetime64(window[1], "D")
        inside = (days >= lo) & (days <= hi)
        found = pd.Series(ids[inside]).value_counts()
        return np.array([float(found.get(cid, 0)) for cid in corridor_ids])

    this_week = count(windows["this_week"])
    avg_4w = count(windows["prev_4w"]) / 4.0
    labels = classify_trend(this_week, avg_4w) if corridor_ids else np.array([], dtype=object)
    return pd.DataFrame(
        {
            "corridor_id": corridor_ids,
            "this_week": this_week.astype(np.int64),
            "avg_4w": avg_4w,
            "trend_4w": list(labels),
            "surge": is_surge(this_week, avg_4w),
        }
    )


def corridor_ranking(
    frame: pd.DataFrame,
    *,
    as_of: date,
    km: float = CORRIDOR_KM,
    segments: gpd.GeoDataFrame | None = None,
    hits: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Corridors ranked by events in the 365 days to ``as_of`` (then fatalities, then id).

    ``segments`` defaults to the shipped corridors (the dashboard passes the store's active
    ones); ``hits`` may be passed when already computed with the same ``km``.
    Columns :data:`RANKING_COLUMNS`; corridors without incidents are listed with zeros.
    """
    segments = load_corridor_segments() if segments is None else segments
    hits = corridor_hits(frame, segments, km=km) if hits is None else hits
    ids = list(dict.fromkeys(segments["corridor_id"].astype(str)))
    names = dict(
        zip(segments["corridor_id"].astype(str), segments["corridor_name"].astype(str), strict=False)
    )
    sub = frame.iloc[hits["row"].to_numpy()]
    days = _days(sub)
    year = _window(days, as_of, 365)
    month = _window(days, as_of, 30)
    fatalities = sub["fatalities"].to_numpy(dtype=np.int64)
    hit_ids = hits["corridor_id"].astype(object).to_numpy()
    trends = corridor_trends(frame, hits, ids, as_of=as_of).set_index("corridor_id")
    rows = []
    for cid in ids:
        own = hit_ids == cid
        rows.append(
            {
                "corridor_id": cid,
                "name": names[cid],
                "events_365d": int((own & year).sum()),
                "fatalities_365d": int(fatalities[own & year].sum()),
                "events_30d": int((own & month).sum()),
                "trend_4w": str(trends.at[cid, "trend_4w"]),
                "surge": bool(trends.at[cid, "surge"]),
                "top_actor_groups": _top_groups(sub["actor_group"][own & year]),
            }
        )
    ranking = pd.DataFrame(rows, columns=list(RANKING_COLUMNS))
    return ranking.sort_values(
        ["events_365d", "fatalities_365d", "corridor_id"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


# ---- units crossed ------------------------------------------------------------------------


def corridor_units(
    segments: gpd.GeoDataFrame,
    levels: tuple[Literal["admin1", "admin2"], ...] = ("admin1", "admin2"),
) -> pd.DataFrame:
    """Geodesic km of each corridor inside each admin unit it crosses (columns :data:`UNIT_COLUMNS`).

    Admin-2 units exist for Mali, Burkina Faso and Niger only, so admin-2 lengths of a
    corridor add up to less than its length where it leaves those countries.
    """
    rows = []
    for level in levels:
        units = load_admin1() if level == "admin1" else load_admin2()
        geoms = units.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        for corridor_id, group in segments.groupby("corridor_id", sort=False):
            lengths: dict[int, float] = {}
            for line in group.geometry:
                for index in tree.query(line, predicate="intersects"):
                    piece = shapely.intersection(line, geoms[index])
                    lengths[int(index)] = lengths.get(int(index), 0.0) + _GEOD.geometry_length(piece) / 1000
            for index, km in lengths.items():
                if km <= 0:
                    continue
                unit = units.iloc[index]
                rows.append(
                    {
                        "corridor_id": str(corridor_id),
                        "level": level,
                        "unit_code": str(unit[f"{level}_code"]),
                        "unit_name": str(unit[f"{level}_name"]),
                        "country_iso3": str(unit["iso3"]),
                        "length_km": round(km, 3),
                    }
                )
    result = pd.DataFrame(rows, columns=list(UNIT_COLUMNS))
    return result.sort_values(
        ["corridor_id", "level", "length_km"], ascending=[True, True, False], kind="stable"
    ).reset_index(drop=True)


def as_of_default(frame: pd.DataFrame) -> date:
    """The last event date in ``frame`` (today when it is empty): the ranking's default as-of."""
    if frame.empty:
        return date.today()
    return pd.Timestamp(frame["event_date"].max()).date()


#: The old name of :data:`incidents.settings.CORRIDOR_KM` (tests import it).
DEFAULT_BUFFER_KM: Final = CORRIDOR_KM

__all__ = [
    "DEFAULT_BUFFER_KM",
    "as_of_default",
    "corridor_hits",
    "corridor_lines",
    "corridor_monthly",
    "corridor_ranking",
    "corridor_trends",
    "corridor_units",
    "segment_activity",
]
