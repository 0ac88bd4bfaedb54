"""The Briefing page with no saved view tells the user to use the sidebar, so it keeps it visible;
with a view, presentation mode hides it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from incidents.auth import LOCAL_ADMIN
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, save_view
from tests.app.helpers import BRIEFING, assert_clean, start_app, texts

KEY_PRESENT = "brief_present"  # dashboard/app_pages/briefing.py (importing a page would run it)


def _hides_the_sidebar(at: AppTest) -> bool:
    return any(
        "stSidebar" in element.proto.body and "display: none" in element.proto.body
        for element in at.get("html")
    )


def test_the_empty_briefing_keeps_the_sidebar_it_points_to(app_store: IncidentStore) -> None:
    at = start_app(BRIEFING)
    assert_clean(at)
    assert any("No saved views yet" in text and "sidebar" in text for text in texts(at.info))
    assert not _hides_the_sidebar(at), "presentation mode is off while the page points to the sidebar"
    with pytest.raises(KeyError):
        at.toggle(key=KEY_PRESENT)  # nothing to present yet

    save_view(app_store, SavedView(name="mali", title="Mali", query="country=MLI"), by=LOCAL_ADMIN)
    at.run()
    assert_clean(at)
    assert at.toggle(key=KEY_PRESENT).value is True
    assert _hides_the_sidebar(at), "with a view to present, presentation mode is on by default"
