"""The "Prepare downloads" panel shared by the Briefing and Map pages.

Building the files takes seconds (a PDF, a PNG, a GeoPackage), so nothing is built on page
load: a button builds them into ``st.session_state`` once, then download buttons serve the
bytes. The prepared files are tied to a signature of the selection (filter, data version,
map options); when it changes, the old files are dropped and the button shows again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

from dashboard.builders.assets import AssetError
from dashboard.builders.attribution import DEMO_NOTICE
from dashboard.builders.downloads import PreparedDownloads
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.i18n import _, current_language
from incidents.i18n.formats import format_number


def prepared_key(key: str) -> str:
    return f"{key}_prepared"


def prepare_button_key(key: str) -> str:
    return f"{key}_prepare"


def render_download_panel(
    key: str, signature: Hashable, build: Callable[[], PreparedDownloads], *, columns: int = 3
) -> None:
    """Prepare button, then one download button per file, the demo warning and any notes."""
    state_key = prepared_key(key)
    signature = (signature, current_language())  # files are written in the reader's language
    held = st.session_state.get(state_key)
    if held is not None and held[0] != signature:
        st.session_state.pop(state_key, None)  # another selection: free the old bytes
        held = None
    if st.button(
        _("Prepare downloads") if held is None else _("Prepare again"),
        key=prepare_button_key(key),
        icon=":material/download:",
        help=_("Builds the files for the current selection; they stay ready until the selection changes."),
    ):
        try:
            with st.spinner(_("Preparing the files…")):
                held = (signature, build())
        except (IncidentsError, GeodataError, AssetError) as exc:
            st.error(_("The downloads could not be prepared: {problem}").format(problem=exc), icon="🚫")
            return
        st.session_state[state_key] = held
    if held is None:
        return
    prepared: PreparedDownloads = held[1]
    if prepared.includes_demo:
        # A caption, not a second banner: the page's demo banner already warns once.
        st.caption(
            _(
                "**{notice}.** These files include synthetic demo rows; each file says so in its "
                "provenance footer."
            ).format(notice=_(DEMO_NOTICE))
        )
    for note in prepared.notes:
        st.warning(note, icon="ℹ️")
    slots = st.columns(columns)
    for number, item in enumerate(prepared.downloads):
        slots[number % columns].download_button(
            item.label,
            data=item.data,
            file_name=item.file_name,
            mime=item.mime,
            key=f"{key}_dl_{item.kind}",
            on_click="ignore",  # a download must not rerun the page (or a live briefing)
            width="stretch",
            help=_("{file} ({size} KB)").format(
                file=item.file_name, size=format_number(len(item.data) / 1024)
            ),
        )
