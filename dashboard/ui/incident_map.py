"""The incident map of the Map and Briefing pages, made from the same page options.

The Map page's sidebar and a saved view (:func:`dashboard.ui.saved_views.view_options`) both hold the
Map options under the widget keys of :data:`dashboard.ui.saved_views.MAP_OPTION_DEFAULTS`. This
module turns those options, the resolved filter and the filtered incidents into a
:class:`dashboard.builders.maps.MapOptions` (reading the boundaries, corridors, shading values and
risk levels from the caches) and builds the map with :func:`dashboard.builders.maps.build_map`, so a
view shows the same layers on both pages: the point limit too (``MAP_MAX_POINTS``), since
above it the incidents turn into hexagons.

No Streamlit widgets or messages here: errors are raised (typed) for the page to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, cast

import pandas as pd

from dashboard.builders.maps import MapBuild, MapOptions, build_map
from dashboard.builders.risk_map import UnitMapBase
from dashboard.ui import caching, components
from incidents.analytics.regions import unit_summary
from incidents.filtered import FilteredIncidents
from incidents.i18n import _, ngettext
from incidents.i18n.formats import format_day, format_number
from incidents.query import IncidentFilter
from incidents.risk.index import RiskConfig
from incidents.settings import CORRIDOR_KM, MAP_MAX_POINTS

if TYPE_CHECKING:
    from dashboard.ui.context import PageData

Level = Literal["admin1", "admin2"]
#: Shading measures the map offers (``map_choropleth`` values other than "off").
SHADING_MEASURES = ("per_10k_km2", "per_30_days", "risk_level")


def _risk_level_values(chosen: IncidentFilter, db_url: str, data_version: int, level: Level) -> pd.DataFrame:
    """Risk level (1-5) of every unit, as of the end of the filtered period, over the whole store
    (every country; the filter's data sources). The label adds the index and its window."""
    assert chosen.until is not None  # resolved by the caller
    window = RiskConfig().window_days
    table = caching.risk_table_cached(db_url, data_version, level, chosen.until, window, 25.0, chosen.sources)
    values = pd.DataFrame({"unit_code": table["unit_code"].astype(str), "value": table["risk_level"]})
    values["label"] = [
        _("index {index}; {days} days to {day}").format(
            index=format_number(idx, digits=2), days=window, day=format_day(chosen.until)
        )
        for idx in table["index"]
    ]
    return values


def _rate_values(incidents: pd.DataFrame, chosen: IncidentFilter, level: Level, measure: str) -> pd.DataFrame:
    """(unit_code, value, label) per unit with incidents: a rate per area or per 30 days."""
    assert chosen.since is not None and chosen.until is not None  # resolved by the caller
    period_days = (chosen.until - chosen.since).days + 1
    summary = unit_summary(incidents, level, caching.unit_areas(level), period_days)
    column = "incidents_per_10k_km2" if measure == "per_10k_km2" else "incidents_per_30_days"
    sentence = (
        _("{rate} incidents per 10,000 km² ({count}, {deaths})")
        if measure == "per_10k_km2"
        else _("{rate} incidents per 30 days ({count}, {deaths})")
    )
    summary = summary[summary[column].notna()]
    labels = [
        sentence.format(
            rate=format_number(value, digits=2),
            count=ngettext("{n} incident", "{n} incidents", count).format(n=format_number(count)),
            deaths=ngettext("{n} fatality", "{n} fatalities", deaths).format(n=format_number(deaths)),
        )
        for value, count, deaths in zip(
            summary[column], summary["incidents"], summary["fatalities"], strict=True
        )
    ]
    values = pd.DataFrame({"unit_code": summary["unit_code"].astype(str), "value": summary[column]})
    values["label"] = labels
    return values


def shading_title(measure: str) -> str:
    """The legend title of a shading measure."""
    if measure == "risk_level":
        return _("Risk level")
    return _("Incidents per 10,000 km²") if measure == "per_10k_km2" else _("Incidents per 30 days")


def map_options(
    page_options: Mapping[str, str | bool],
    chosen: IncidentFilter,
    incidents: pd.DataFrame,
    db_url: str,
    data_version: int,
) -> MapOptions:
    """The map's options from the page options (widget keys), the resolved filter and its incidents
    (rows, or the database's grouped :meth:`~incidents.filtered.FilteredIncidents.summary`).

    Credits are left to :func:`build_page_map`, which knows the rows shown.
    """
    level = cast(Level, str(page_options["map_choropleth_level"]))
    measure = str(page_options["map_choropleth"])
    shading = measure in SHADING_MEASURES
    admin2 = None
    if page_options["map_admin2"] or (shading and level == "admin2"):
        all_admin2 = caching.map_admin2()
        admin2 = all_admin2[all_admin2["iso3"].isin(chosen.countries)]
    buffers = None
    if page_options["map_buffers"]:
        buffers = caching.map_corridor_buffers(db_url, data_version, float(chosen.corridor_km or CORRIDOR_KM))
    heat = str(page_options["map_heat"])
    options = MapOptions(
        basemap=str(page_options["basemap"]),
        heat=None if heat == "off" else heat,
        hexagons=bool(page_options["map_hexagons"]),
        max_points=MAP_MAX_POINTS,
        admin2=admin2,
        corridor_buffers=buffers,
        highlight_corridor=chosen.corridor_id,
        fit_units=tuple(chosen.admin1_codes),
    )
    if not shading:
        return options
    if measure == "risk_level":
        values = _risk_level_values(chosen, db_url, data_version, level)
    else:
        values = _rate_values(incidents, chosen, level, measure)
    return replace(
        options,
        choropleth=values,
        choropleth_level=level,
        choropleth_title=shading_title(measure),
        # Risk levels keep the Risk page's fixed colour per level; other measures use quantiles.
        choropleth_scale="risk_level" if measure == "risk_level" else "quantile",
    )


def shown_rows(incidents: FilteredIncidents, db_url: str, data_version: int) -> pd.DataFrame:
    """What the map draws: the canonical rows (actors, notes, source for the popups) when
    markers are drawn, else each incident's point and fatalities (hexagons and heat need no popups)."""
    if incidents.count <= MAP_MAX_POINTS:
        return caching.incident_details(db_url, data_version, tuple(incidents.rows()["incident_id"]))
    return incidents.map_points()


def build_page_map(
    page_options: Mapping[str, str | bool],
    chosen: IncidentFilter,
    incidents: FilteredIncidents,
    db_url: str,
    data_version: int,
) -> MapBuild:
    """The incident map of a page: ``incidents`` (filtered by ``chosen``, dates resolved), the
    layers of ``page_options``, the store's boundaries and active corridors."""
    options = map_options(page_options, chosen, incidents.summary(), db_url, data_version)
    shown = shown_rows(incidents, db_url, data_version)
    admin0, admin1 = caching.map_boundaries()
    return build_map(
        shown,
        admin0=admin0,
        admin1=admin1[admin1["iso3"].isin(chosen.countries)],
        corridors=caching.map_corridors(db_url, data_version),
        options=replace(options, credits=components.credits_of(incidents.sources_shown())),
    )


def unit_map_base(data: PageData, frame: pd.DataFrame, level: str) -> UnitMapBase:
    """The base of a map of units (Risk levels, Outlook): the chosen countries' boundaries (admin-2
    only at that level), the active corridors, and the credits of ``frame``, the incidents the
    units' figures come from."""
    admin0, admin1 = caching.map_boundaries()
    admin1 = admin1[admin1["iso3"].isin(data.filter.countries)]
    admin2 = None
    if level == "admin2":
        all_admin2 = caching.map_admin2()
        admin2 = all_admin2[all_admin2["iso3"].isin(data.filter.countries)]
    corridors = caching.map_corridors(data.db_url, data.data_version)
    return UnitMapBase(frame.iloc[0:0], admin0, admin1, admin2, corridors, components.credits_of(frame))
