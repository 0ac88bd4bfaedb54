"""Choosing the interface language in the app: the address, the sidebar, the account."""

from __future__ import annotations

from dashboard.ui import language
from incidents.auth.accounts import account_language, create_user
from incidents.i18n import use_language
from tests.app.helpers import MAP_PAGE, assert_clean, new_app, opened_store, sign_in, texts

PASSWORD = "a long enough password"


def test_a_link_with_lang_fr_opens_in_french_and_keeps_it_in_the_address(app_db_url: str) -> None:
    at = new_app()
    at.query_params["lang"] = "fr"
    at.run()
    assert_clean(at)
    assert at.query_params["lang"] == "fr"
    assert at.selectbox(key=language.SELECT_KEY).value == "fr"
    assert "Filtres" in [header.value for header in at.sidebar.header]
    assert at.multiselect(key="filter_countries").label == "Pays"
    at.switch_page(MAP_PAGE).run()  # another page: the address loses its query, the session keeps French
    assert at.query_params["lang"] == "fr"
    assert at.multiselect(key="filter_countries").label == "Pays"


def test_switching_language_keeps_the_filters_and_the_page(app_db_url: str) -> None:
    at = new_app()
    at.query_params["country"] = ["MLI", "NER"]
    at.query_params["period"] = "last_90"
    at.run()
    at.switch_page(MAP_PAGE).run()
    assert at.multiselect(key="filter_countries").label == "Countries"
    at.selectbox(key=language.SELECT_KEY).select("fr").run()
    assert_clean(at)
    assert at.query_params["lang"] == "fr"
    assert at.multiselect(key="filter_countries").label == "Pays"
    assert at.multiselect(key="filter_countries").value == ["MLI", "NER"]
    assert at.selectbox(key="filter_period").value == "last_90"
    assert at.query_params["country"] == ["MLI", "NER"]
    # AppTest formats the widgets' options in the test's own thread: speak the page's language there.
    with use_language("fr"):
        at.selectbox(key=language.SELECT_KEY).select("en").run()
    assert_clean(at)
    assert at.multiselect(key="filter_countries").label == "Countries"
    assert at.multiselect(key="filter_countries").value == ["MLI", "NER"]


def test_the_account_remembers_the_language_for_its_next_session(auth_required: str) -> None:
    with opened_store(auth_required) as store:
        create_user(store, "adam", "admin", PASSWORD)  # required mode refuses to start without one
        create_user(store, "awa", "viewer", PASSWORD)
    first = sign_in(new_app().run(), "awa", PASSWORD)
    assert first.selectbox(key=language.SELECT_KEY).value == "en"
    first.selectbox(key=language.SELECT_KEY).select("fr").run()
    with opened_store(auth_required) as store:
        assert account_language(store, "awa") == "fr"

    later = new_app().run()  # a new browser: English until the account is known
    assert "Se connecter" not in texts(later.title)
    sign_in(later, "awa", PASSWORD)
    assert_clean(later)
    assert later.selectbox(key=language.SELECT_KEY).value == "fr"
    assert later.query_params["lang"] == "fr"
    assert later.multiselect(key="filter_countries").label == "Pays"
