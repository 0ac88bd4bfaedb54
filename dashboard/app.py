"""Entry point: ``streamlit run dashboard/app.py`` (from the repository root).

Sets up the page, makes the offline map assets available, and declares the pages.
"""

from __future__ import annotations

# `dashboard`, `geodata` and `incidents` are imported as an installed package (requirements.txt
# ends with `-e .`), not through a sys.path edit: `streamlit run` only adds dashboard/ to it.
import streamlit as st

from dashboard.ui.safe_settings import enforce_settings

# First, before anything can fail: no traceback reaches the browser, whatever the working directory.
enforce_settings()

from dashboard.builders.assets import AssetError, ensure_static_assets  # noqa: E402
from dashboard.ui.auth import current_user, gate_navigation, signin_only  # noqa: E402
from dashboard.ui.components import data_dates_header, inbox_badge  # noqa: E402
from dashboard.ui.language import choose_language, language_selector  # noqa: E402
from dashboard.ui.saved_views import apply_view_link, show_link_problem  # noqa: E402
from geodata.errors import GeodataError  # noqa: E402
from incidents.auth import Permission, can  # noqa: E402
from incidents.errors import IncidentsError  # noqa: E402
from incidents.i18n import _  # noqa: E402

# Before any text: ?lang=, this session's choice, the account's, the browser's (dashboard/ui/language.py).
try:
    early_user = current_user()
except (IncidentsError, GeodataError):
    early_user = None  # gate_navigation below says what is wrong with the store, in the chosen language
choose_language(early_user)
# The favicon is an emoji on purpose: a ":material/...:" page icon is fetched from Google.
st.set_page_config(layout="wide", page_title=_("Sahel Security Dashboard"), page_icon="🗺️")
try:
    ensure_static_assets()
except AssetError as exc:
    st.error(_("The offline map files could not be prepared: {problem}").format(problem=exc), icon="🚫")

PAGES = {
    _("Situation"): [
        st.Page("app_pages/overview.py", title=_("Overview"), icon=":material/dashboard:", default=True),
        st.Page("app_pages/map.py", title=_("Map"), icon=":material/map:"),
        st.Page("app_pages/timeline.py", title=_("Timeline"), icon=":material/timeline:"),
        st.Page("app_pages/risk_heatmap.py", title=_("Risk heatmap"), icon=":material/grid_on:"),
    ],
    _("Risk analysis"): [
        st.Page("app_pages/risk.py", title=_("Risk levels"), icon=":material/warning:"),
        st.Page("app_pages/outlook.py", title=_("Outlook"), icon=":material/trending_up:"),
        st.Page("app_pages/corridors.py", title=_("Corridors"), icon=":material/route:"),
        st.Page("app_pages/before_after.py", title=_("Before / after"), icon=":material/compare_arrows:"),
        st.Page("app_pages/exposure.py", title=_("Site exposure"), icon=":material/location_on:"),
    ],
    _("Data"): [
        st.Page("app_pages/import_data.py", title=_("Import incidents"), icon=":material/upload_file:"),
    ],
    _("Alerts"): [
        st.Page("app_pages/watches.py", title=_("Watches"), icon=":material/notifications_active:"),
        st.Page("app_pages/inbox.py", title=_("Inbox"), icon=":material/inbox:"),
    ],
    _("Present"): [
        st.Page("app_pages/briefing.py", title=_("Briefing"), icon=":material/slideshow:"),
        st.Page("app_pages/about.py", title=_("About"), icon=":material/info:"),
    ],
}
# gate_navigation: in required mode a session without a user gets only the sign-in page.
allowed = gate_navigation(PAGES)
user = current_user() if allowed is PAGES else None  # once per run: each call checks the session
if user is not None and can(user, Permission.MANAGE_ACCOUNTS):
    # Only admins get the section; the page and incidents.auth.accounts refuse anyone else as well.
    allowed = {
        **PAGES,
        _("Admin"): [
            st.Page(
                "app_pages/admin.py", title=_("Accounts"), icon=":material/manage_accounts:", url_path="admin"
            )
        ],
    }
signing_in = signin_only(allowed)
# Every page listed: collapsed after ten, Briefing, Watches and Inbox hid behind "View 5 more".
page = st.navigation(allowed, position="hidden" if signing_in else "sidebar", expanded=True)
# A ``?view=<name>`` link applies the saved view's filters and map options before any widget is drawn;
# only for a signed-in user (before sign-in it is held, unread, and opens after sign-in).
apply_view_link(allowed)
show_link_problem()  # on whichever page the link opened
language_selector(user)
if not signing_in:  # every page but sign-in says how old the data are, and the user's unread alerts
    data_dates_header()
    inbox_badge(user)
page.run()
