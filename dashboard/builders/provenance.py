"""Provenance footers of exports: the sources credited, the filters in words, the data's dates, the warnings.

Pure (no Streamlit): the pages' download buttons and the briefing-pack CLI share it. The
incident sources credited are those of the exported rows
(:func:`dashboard.builders.attribution.shown_credits`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import pandas as pd

from dashboard.builders.attribution import shown_credits, source_texts
from incidents.credits import SourceCredit
from incidents.export import Provenance
from incidents.freshness import Freshness, freshness
from incidents.i18n import _
from incidents.i18n.formats import format_day
from incidents.model import EVENT_TYPE_LABELS
from incidents.query import DATE_PRESETS, IncidentFilter
from incidents.settings import stale_after_days
from incidents.store import IncidentStore


def store_freshness(store: IncidentStore, today: date, batches: pd.DataFrame | None = None) -> Freshness:
    """How current ``store``'s incidents are on ``today`` (``SAHEL_STALE_AFTER_DAYS`` sets "stale")."""
    data_range = store.date_range()
    table = store.list_batches() if batches is None else batches
    return freshness(
        data_range[1] if data_range else None, table, today=today, stale_after_days=stale_after_days()
    )


def sources_text(credits: Sequence[SourceCredit]) -> str:
    """The incident sources credited, then boundaries and places, each with its licence and wording."""
    return " ".join(source_texts(credits))


def filter_summary(
    chosen: IncidentFilter,
    country_names: Mapping[str, str] | None = None,
    corridors: pd.DataFrame | None = None,
    *,
    readable_dates: bool = False,
) -> str:
    """The filter in one line a reader can check: countries, dates and every other restriction.

    In the current language; dates are ISO (a file's provenance) unless ``readable_dates``
    writes them as the language does (« 2 déc. 2026 », the briefing pack).

    With ``corridors`` (the corridor segments the selection used, e.g. the store's active
    ones), a corridor filter names the corridor's version, so a reader can tell which route
    it was, or says that the corridor was not in force.
    """
    names = country_names or {}
    countries = ", ".join(f"{names.get(c, c)} ({c})" if c in names else c for c in chosen.countries)
    parts = [_("Countries: {countries}").format(countries=countries or _("none"))]
    if chosen.since and chosen.until:
        day = format_day if readable_dates else date.isoformat
        dates = _("Dates: {since} to {until}").format(since=day(chosen.since), until=day(chosen.until))
        days = DATE_PRESETS.get(chosen.preset)
        if days is not None:  # a relative period: say what it counts back from
            dates += " " + _("(last {days} days to the newest incident)").format(days=days)
        parts.append(dates)
    else:
        parts.append(_("Dates: preset {preset}").format(preset=chosen.preset))
    if chosen.event_types:
        types = ", ".join(EVENT_TYPE_LABELS.get(t, t) for t in chosen.event_types)
        parts.append(_("Event types: {types}").format(types=types))
    if chosen.actor_groups:
        parts.append(_("Actor groups: {groups}").format(groups=", ".join(chosen.actor_groups)))
    if chosen.admin1_codes:
        parts.append(_("Regions: {regions}").format(regions=", ".join(chosen.admin1_codes)))
    if chosen.min_fatalities:
        parts.append(_("At least {count} fatalities").format(count=chosen.min_fatalities))
    if chosen.corridor_id:
        corridor = _("Within {km} km of corridor {corridor}").format(
            km=f"{chosen.corridor_km:g}", corridor=chosen.corridor_id
        )
        if corridors is not None:
            version = _corridor_version(corridors, chosen.corridor_id)
            corridor += " " + (
                _("(version {version})").format(version=version)
                if version
                else _("(not in force: matches no incident)")
            )
        parts.append(corridor)
    if chosen.sources:
        parts.append(_("Data sources: {sources}").format(sources=", ".join(chosen.sources)))
    return _("; ").join(parts)


def _corridor_version(corridors: pd.DataFrame, corridor_id: str) -> int | None:
    """The version of ``corridor_id`` among these segments (``None``: not among them)."""
    if corridors.empty or "version" not in corridors.columns:
        return None
    versions = corridors.loc[corridors["corridor_id"].astype(str) == corridor_id, "version"]
    return int(versions.iloc[0]) if len(versions) else None


def build_provenance(
    frame: pd.DataFrame,
    chosen: IncidentFilter,
    *,
    country_names: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
    corridors: pd.DataFrame | None = None,
    batches: pd.DataFrame | None = None,
    freshness: Freshness | None = None,
) -> Provenance:
    """The provenance footer for an export of ``frame`` selected by ``chosen`` (``corridors``:
    see :func:`filter_summary`).

    ``batches`` (the store's batches table) lets the credits name the imported files and UCDP
    versions of the rows; ``freshness`` adds "data as of", "last import" and the stale-data warning.
    """
    return Provenance.for_frame(
        frame,
        sources=sources_text(shown_credits(frame, batches)),
        filters=filter_summary(chosen, country_names, corridors),
        generated_at=generated_at,
        freshness=freshness,
    )
