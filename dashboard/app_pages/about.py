"""About page: what the dashboard shows, how, and whose data it is (sources and licences)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.builders import tables
from dashboard.builders.attribution import CREDITS, DEMO_CREDIT, DEMO_NOTICE
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user
from geodata.errors import GeodataError
from incidents.auth import Permission, can
from incidents.errors import IncidentsError
from incidents.i18n import _
from incidents.i18n.formats import format_number

st.title(_("About the Sahel Security Dashboard"))

st.markdown(
    "\n\n".join(
        [
            _(
                "An open-source, self-hostable dashboard for people who decide about security in Mali and "
                "the central Sahel: where incidents happen, along which corridors armed groups move into "
                "Mali, and how risk shifts region by region."
            ),
            _("**How to read the map**"),
            "\n".join(
                "* " + item
                for item in (
                    _(
                        "*Incidents* are clustered in grey bubbles that give the number grouped; click a "
                        "bubble to zoom in and a point for its details. Point colours are the event type "
                        "(battle, explosion/remote violence, violence against civilians, abduction, "
                        "protest/riot, strategic development, other). The legend (bottom right, "
                        "collapsible) lists only the layers on the map."
                    ),
                    _(
                        "*Corridors* are analytic aids drawn through towns that public sources associate "
                        "with armed-group movement; the order of waypoints is the project's reading of those "
                        "sources, **not an observed track**. Dashed segments are connectors that no source "
                        "names."
                    ),
                    _(
                        "*Boundaries* are Natural Earth (countries, regions) and OCHA COD-AB via Who's On "
                        "First (cercles, départements); they do not imply endorsement of any border."
                    ),
                    _(
                        "The default basemap needs no internet: every map file is served by this app. The "
                        "OpenStreetMap basemap loads tiles from openstreetmap.org."
                    ),
                )
            ),
        ]
    )
)

st.subheader(_("Demo data"))
try:
    _status = caching.source_status_cached(caching.current_db_url(), caching.get_store().data_version())
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
else:
    if _status.demo_rows and not _status.has_real_rows:  # shown on every page: the one warning here too
        st.warning(f"**{_(DEMO_NOTICE)}.** {_(DEMO_CREDIT)} {_(components.DEMO_REMOVE_HOW)}", icon="⚠️")
    elif _status.demo_rows:
        st.info(
            f"{_(DEMO_CREDIT)} {_(components.DEMO_HIDDEN_CAPTION)} {_(components.DEMO_REMOVE_HOW)}", icon="ℹ️"
        )
    else:
        st.caption(_(DEMO_CREDIT) + " " + _("This store holds none; `python -m incidents demo` loads them."))

st.subheader(_("Sources and licences"))
st.dataframe(
    pd.DataFrame(
        [
            {
                _("Source"): _(c.name),
                _("Provides"): _(c.provides),
                _("Licence"): _(c.licence),
                _("Attribution"): c.text,
                _("Link"): c.url,
            }
            for c in CREDITS
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader(_("Key developments"))
st.caption(
    _(
        "Political and security milestones used as timeline markers and as default dates for "
        "before/after comparisons. Analysts edit them on the Before / after page (“Edit key developments”)."
    )
)
try:
    developments = caching.key_developments()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
else:
    st.dataframe(
        tables.display_columns(
            developments.assign(date=developments["date"].dt.date)[
                ["date", "date_precision", "scope", "title", "category", "source", "updated_by"]
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            tables.column_label("title"): st.column_config.TextColumn(
                tables.column_label("title"), width="large"
            )
        },
    )

st.subheader(_("This installation"))
try:
    store = caching.get_store()
    total = store.count_incidents()
    demo = store.count_incidents(source_dataset="demo")
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
else:
    user = current_user()
    # Where the data lives (a file path or a database host) is for admins only.
    location = (
        "* " + _("Store: `{store}`").format(store=store.describe()) + "\n"
        if user is not None and can(user, Permission.MANAGE_ACCOUNTS)
        else ""
    )
    st.markdown(
        location
        + "* "
        + _("Incidents stored: {total} (synthetic demo: {demo})").format(
            total=format_number(total), demo=format_number(demo)
        )
        + "\n* "
        + _("Methodology and deployment notes: `docs/` in the repository.")
    )
