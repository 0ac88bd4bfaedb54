"""Attribution and licence texts for the data the dashboard shows.

One place for the wording the licences ask for, used by the map's attribution control,
the footer under every map and the About page. Texts follow the SOURCES.md files that
came with the data (geodata/data, incidents/data).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from dashboard.builders.markdown import escape_markdown
from incidents.credits import ACLED_ATTRIBUTION, ACLED_URL, SourceCredit, incident_credits
from incidents.credits import DEMO_CREDIT as _DEMO_CREDIT
from incidents.i18n import N_, _


@dataclass(frozen=True)
class Credit:
    """One data source: what it provides, its licence, the required wording and a link.

    ``provides`` (and the name of the project's own corridor references) are marked for the
    catalogue and translated where shown (``_(credit.provides)``); licence names and the wording a
    licence asks for (``text``) stay as the licensor wrote them.
    """

    name: str
    provides: str
    licence: str
    text: str
    url: str


NATURAL_EARTH: Final = Credit(
    name="Natural Earth",
    provides=N_("country and admin-1 boundaries; Burkina Faso provinces"),
    licence="public domain",
    text="Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.",
    url="https://www.naturalearthdata.com/",
)
OCHA_COD_AB: Final = Credit(
    name="OCHA COD-AB",
    provides=N_("admin-2 geometry of Mali and Niger (via Who's On First Mesoshapes)"),
    licence="CC BY-IGO",
    text=(
        "Administrative boundaries: UN OCHA COD-AB (CC BY-IGO), via Who's On First. The boundaries "
        "and names shown do not imply official endorsement or acceptance by the United Nations."
    ),
    url="https://data.humdata.org/",
)
WHOS_ON_FIRST: Final = Credit(
    name="Who's On First",
    provides=N_("admin-2 units of Mali and Niger"),
    licence="CC0 (credit requested)",
    text="Data from Who's On First — https://whosonfirst.org/docs/licenses/",
    url="https://whosonfirst.org/docs/licenses/",
)
QUATTROSHAPES: Final = Credit(
    name="Quattroshapes",
    provides=N_("geometry of three Niger départements (Tchirozérine, Kollo, Niamey)"),
    licence="CC BY 2.0",
    text="Quattroshapes, Foursquare (CC BY 2.0).",
    url="https://github.com/foursquare/quattroshapes",
)
GEONAMES: Final = Credit(
    name="GeoNames",
    provides=N_("place names and coordinates (gazetteer, corridor waypoints)"),
    licence="CC BY 4.0",
    text="Contains data from GeoNames (geonames.org), CC BY 4.0.",
    url="https://www.geonames.org/",
)
OPENSTREETMAP: Final = Credit(
    name="OpenStreetMap",
    provides=N_("place names and coordinates (gazetteer, corridor waypoints); optional basemap tiles"),
    licence="ODbL 1.0",
    text="© OpenStreetMap contributors, ODbL.",
    url="https://www.openstreetmap.org/copyright",
)
UCDP_GED: Final = Credit(
    name="UCDP GED v23.1",
    provides=N_("19 real incidents (random sample rows)"),
    licence="CC BY 4.0",
    text=(
        "Source: Uppsala Conflict Data Program (UCDP) Georeferenced Event Dataset (GED) Global v23.1, "
        'CC BY 4.0. Sundberg, Ralph and Erik Melander (2013) "Introducing the UCDP Georeferenced Event '
        'Dataset", Journal of Peace Research 50(4). Davies, Shawn, Therese Pettersson & Magnus Öberg '
        '(2023) "Organized violence 1989-2022 and the return of conflicts between states?", Journal of '
        "Peace Research 60(4). (Rows taken from the 1,000-event random sample shipped in the R package "
        "uncertainUCDP 0.7.6.)"
    ),
    url="https://ucdp.uu.se/downloads/",
)
ACLED: Final = Credit(
    name="ACLED",
    provides=N_("incidents you import from your own ACLED account (no ACLED rows are shipped)"),
    licence="ACLED terms of use: credit required, no redistribution",
    text=f"{ACLED_ATTRIBUTION}. Credited with the access (import) date wherever ACLED rows are shown.",
    url=ACLED_URL,
)
CORRIDOR_SOURCES: Final = Credit(
    name=N_("Corridor references"),
    provides=N_("armed-group movement corridors (analytic aids, not observed tracks)"),
    licence=N_("compiled from public reporting; each segment names its sources"),
    text=(
        "Corridors compiled by the project from public sources (S1–S39 in "
        "geodata/data/corridors_REFERENCES.md: Fenix Insight, AFP/TRENDS, defenceWeb, France 24, "
        "Menastream, CTC Sentinel, PressAfrik, Le Monde, Reuters, ECFR, Clingendael, Crisis Group and "
        "others). Waypoint order is our reading of the sources; dashed segments are connectors that no "
        "source names."
    ),
    url="geodata/data/corridors_REFERENCES.md",
)

#: Every credit, in the order the About page lists them.
CREDITS: Final = (
    NATURAL_EARTH,
    OCHA_COD_AB,
    WHOS_ON_FIRST,
    QUATTROSHAPES,
    GEONAMES,
    OPENSTREETMAP,
    UCDP_GED,
    ACLED,
    CORRIDOR_SOURCES,
)
#: Credits every view carries whatever incidents it shows: boundaries, places, corridors.
BASE_CREDITS: Final = (
    NATURAL_EARTH,
    OCHA_COD_AB,
    WHOS_ON_FIRST,
    QUATTROSHAPES,
    GEONAMES,
    OPENSTREETMAP,
    CORRIDOR_SOURCES,
)
#: An empty batches table: credits of rows whose imports are not known (no versions, no file names).
NO_BATCHES: Final = pd.DataFrame(columns=["batch_id", "file_name", "format", "created_at"])

DEMO_NOTICE: Final = N_("Synthetic demo data — not real events")
#: The synthetic-data credit (one wording, kept with the other incident credits in incidents.credits).
DEMO_CREDIT: Final = _DEMO_CREDIT

#: Short line for the map's own attribution control (boundaries and incidents).
MAP_BOUNDARIES_ATTRIBUTION: Final = (
    '<a href="https://www.naturalearthdata.com/">Natural Earth</a>, OCHA COD-AB via '
    '<a href="https://whosonfirst.org/docs/licenses/">Who\'s On First</a>, Quattroshapes'
)
#: The place labels' credit (gazetteer: GeoNames CC BY 4.0 and OpenStreetMap ODbL rows).
MAP_PLACES_ATTRIBUTION: Final = (
    '<a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0), '
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)'
)


def map_places_attribution() -> str:
    """The place labels' credit for a map's attribution control, its one word in the reader's language."""
    return _("places: {credit}").format(credit=MAP_PLACES_ATTRIBUTION)


OSM_TILE_ATTRIBUTION: Final = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def shown_credits(shown: pd.DataFrame, batches: pd.DataFrame | None = None) -> tuple[SourceCredit, ...]:
    """Credits of the incident sources among ``shown`` (see :func:`incidents.credits.incident_credits`).

    ``batches`` is the store's batches table; without it versions and file names are not named.
    """
    if "source_dataset" not in shown.columns:
        return ()
    return incident_credits(shown, NO_BATCHES if batches is None else batches)


def map_incidents_attribution(credits: Sequence[SourceCredit]) -> str:
    """The incidents part of a map's attribution control (HTML): only the sources shown."""
    if not credits:
        return _("incidents: none shown")
    parts = [
        f'<a href="{html.escape(c.url)}">{html.escape(c.label)}</a>' if c.url else html.escape(c.label)
        for c in credits
    ]
    return _("incidents: {sources}").format(sources=", ".join(parts))


def map_image_attribution(credits: Sequence[SourceCredit]) -> str:
    """The attribution line printed under a map image (briefing pack PNG): plain text."""
    # ACLED's terms ask for its own wording wherever its data appear, an image included.
    labels = [ACLED_ATTRIBUTION if c.source == "acled" else c.label for c in credits]
    incidents = "; ".join(labels) if labels else _("none shown")
    return _(
        "Boundaries: Natural Earth; OCHA COD-AB (CC BY-IGO) via Who's On First; Quattroshapes (CC BY 2.0). "
        "Places: GeoNames (CC BY 4.0); © OpenStreetMap contributors (ODbL). "
        "Incidents: {incidents} (full credits in the briefing pack). Corridors: analytic aids compiled "
        "from public reporting, not observed tracks; dashed = connector no source names."
    ).format(incidents=incidents)


def source_texts(credits: Sequence[SourceCredit]) -> tuple[str, ...]:
    """Every credit of a view, one text each: the incident sources shown, then boundaries and places."""
    return (*(c.text for c in credits), *(f"{c.name} ({c.licence}): {c.text}" for c in BASE_CREDITS))


def footer_text(credits: Sequence[SourceCredit] = ()) -> str:
    """The one-paragraph attribution shown under every page (Markdown): incidents shown, then the rest."""
    incidents = " ".join(c.text for c in credits) if credits else _("none shown.")
    return _(
        "Incidents: {incidents} "
        "Boundaries: Natural Earth (public domain); OCHA COD-AB (CC BY-IGO) via "
        "[Who's On First](https://whosonfirst.org/docs/licenses/) (CC0); Quattroshapes (CC BY 2.0). "
        "Places: GeoNames (CC BY 4.0), © OpenStreetMap contributors (ODbL). "
        "Corridors: compiled from public reporting (see About); analytic aids, not observed tracks."
    ).format(incidents=escape_markdown(incidents))  # file names in credits are user-supplied
