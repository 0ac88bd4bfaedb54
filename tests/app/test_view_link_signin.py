"""``?view=`` links and sign-in (``streamlit.testing``, ``SAHEL_AUTH=required``).

Before sign-in a link is held unread: the answer is the same whether the view exists or
not (an anonymous visitor learns no view names). After sign-in the held view opens.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.ui import saved_views
from incidents.auth.accounts import create_user
from incidents.store.saved_views import SavedView, save_view
from tests.app.helpers import assert_clean, new_app, opened_store, sign_in, texts

PASSWORD = "admin password 2026"
VIEW = "mali-battles-2024"


def _seed(db_url: str) -> None:
    with opened_store(db_url) as store:
        admin = create_user(store, "adam", "admin", PASSWORD)
        save_view(store, SavedView(name=VIEW, title="Mali battles", query="country=MLI&period=all"), by=admin)


def _open_link(name: str) -> AppTest:
    at = new_app()
    at.query_params[saved_views.VIEW_PARAM] = name
    at.run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> list[str]:
    elements = [at.title, at.markdown, at.caption, at.info, at.warning, at.error, at.success]
    return [text for kind in elements for text in texts(kind)]


def test_a_view_link_before_sign_in_tells_nothing_about_the_view(auth_required: str) -> None:
    _seed(auth_required)
    existing = _open_link(VIEW)
    missing = _open_link("no-such-view")
    for at, name in ((existing, VIEW), (missing, "no-such-view")):
        assert [title.value for title in at.title] == ["Sign in"]
        assert not any(name in text for text in _shown(at))
        assert saved_views.VIEW_PARAM not in at.query_params  # held, out of the address
        assert not at.warning
    # the same page and the same address whether or not the view exists: nothing was resolved
    assert _shown(existing) == _shown(missing)
    assert dict(existing.query_params) == dict(missing.query_params) == {"lang": "en"}  # only the language
    assert saved_views.KEY_APPLIED not in existing.session_state
    assert saved_views.KEY_MISSING not in missing.session_state


def test_after_sign_in_the_held_view_opens(auth_required: str) -> None:
    _seed(auth_required)
    at = _open_link(VIEW)
    sign_in(at, "adam", PASSWORD)
    assert_clean(at)
    assert [title.value for title in at.title] == ["Overview"]
    assert at.session_state[saved_views.KEY_APPLIED] == VIEW
    assert at.query_params["country"] == "MLI" and saved_views.VIEW_PARAM not in at.query_params
    assert at.multiselect(key="filter_countries").value == ["MLI"]


def test_after_sign_in_a_held_link_to_a_missing_view_warns(auth_required: str) -> None:
    _seed(auth_required)
    at = _open_link("no-such-view")
    sign_in(at, "adam", PASSWORD)
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Overview"]
    assert saved_views.KEY_APPLIED not in at.session_state


def test_a_crafted_view_name_is_shown_as_text_not_markup(auth_required: str) -> None:
    _seed(auth_required)
    at = _open_link("[x](javascript:alert(1))")
    sign_in(at, "adam", PASSWORD)
    assert_clean(at)
    (warning,) = [text for text in texts(at.warning) if "could not be opened" in text]
    # Every markdown character of the name is escaped: no link, no emphasis.
    assert "\\[x\\]\\(javascript\\:alert\\(1\\)\\)" in warning
