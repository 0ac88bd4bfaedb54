"""Inbox page: the signed-in user's in-app alerts, newest first, each with its incidents; mark read."""

from __future__ import annotations

from typing import Final

import streamlit as st

from dashboard.builders import watches as wb
from dashboard.builders.markdown import escape_markdown
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user
from incidents.alerts.outbox import inbox, mark_read
from incidents.errors import IncidentsError
from incidents.i18n import _

#: Alerts shown at once (the newest); older ones stay in the store.
SHOWN: Final = 50

st.title(_("Inbox"))
st.caption(
    _(
        "What this shows: alerts of the watches that name you as an in-app recipient, newest first. "
        "Each lists the new incidents with their distance to the watched site, route or corridor."
    )
)
user = current_user()
if user is None:
    st.stop()
store = caching.get_store()
try:
    messages = inbox(store, user.name)
except IncidentsError as exc:
    components.domain_error(exc)
    st.stop()
if not messages:
    st.info(
        _("No alerts yet. Create a watch on the Watches page; new imports in its area will show here."),
        icon="ℹ️",
    )
    st.stop()
unread = [m["message_id"] for m in messages if not m["read"]]
left, right = st.columns([4, 1], vertical_alignment="center")
left.markdown(_("**{unread} unread** of {n} alert(s).").format(unread=len(unread), n=len(messages)))
if unread and right.button(_("Mark all read"), key="inbox_read_all", width="stretch"):
    mark_read(store, user.name, unread)
    st.rerun()
for message in messages[:SHOWN]:
    with st.expander(wb.inbox_title(message), expanded=not message["read"]):
        payload = message["payload"]
        st.caption(_("Area: {area}").format(area=escape_markdown(str(payload.get("area", "")))))
        if message["kind"] == "correction":
            st.warning(_("Correction: the import that brought these incidents was undone."), icon="↩️")
        st.dataframe(
            wb.inbox_incidents(payload),
            hide_index=True,
            width="stretch",
            column_config={_("Distance (km)"): st.column_config.NumberColumn(format="%.1f")},
        )
        if not message["read"] and st.button(_("Mark read"), key=f"inbox_read_{message['message_id']}"):
            mark_read(store, user.name, [message["message_id"]])
            st.rerun()
if len(messages) > SHOWN:
    st.caption(
        _("The {n} newest are shown; `python -m incidents alerts list` lists every match.").format(n=SHOWN)
    )
