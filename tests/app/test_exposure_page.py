"""The Site exposure page run headless with ``streamlit.testing`` against a fresh SQLite store.

AppTest cannot drive ``st.file_uploader``; the upload path is covered by reading a file with
``incidents.sites.read_sites`` and placing the result where the page keeps it (session state),
then confirming through the page's button, like the Import page test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.attribution import DEMO_NOTICE
from dashboard.builders.tables import column_label
from incidents.risk.exposure import EXPOSURE_COLUMNS
from incidents.sites import read_sites
from incidents.store.sites import list_sites
from tests.app.helpers import EXPOSURE, assert_clean, opened_store, start_app, texts

TIMEOUT_S = 180


@pytest.fixture
def page(app_db_url: str) -> AppTest:
    return start_app(EXPOSURE, timeout=TIMEOUT_S)


def _exposure_table(at: AppTest) -> pd.DataFrame:
    """The exposure table (the dataframe with an "Exposure rating" column), under its machine names."""
    rating = column_label("exposure_rating")
    frames = [element.value for element in at.dataframe if rating in element.value.columns]
    assert len(frames) == 1, f"expected one exposure table, found {len(frames)}"
    return frames[0].rename(columns={column_label(name): name for name in EXPOSURE_COLUMNS})


def _issue_codes(at: AppTest) -> set[str]:
    return {
        code
        for element in at.dataframe
        if "Reason code" in element.value.columns
        for code in element.value["Reason code"]
    }


def test_empty_state_without_sites(page: AppTest) -> None:
    assert not page.exception, page.exception
    assert any("Site exposure" in text for text in texts(page.title))
    assert any("No sites yet" in text for text in texts(page.info))
    # The store holds the demo incidents: the page says they are synthetic.
    assert any(DEMO_NOTICE in text for text in texts(page.warning))
    assert page.date_input(key="exposure_as_of").value is not None


def test_adding_a_site_through_the_form_stores_it_and_shows_its_row(page: AppTest, app_db_url: str) -> None:
    page.text_input(key="exposure_name").input("Mopti <b>office</b>")
    page.text_input(key="exposure_type").input("office")
    page.number_input(key="exposure_lat").set_value(14.49)
    page.number_input(key="exposure_lon").set_value(-4.19)
    page.button(key="exposure_add").click().run()
    assert_clean(page)

    with opened_store(app_db_url) as store:
        stored = list_sites(store)
        batches = store.list_batches()
    assert list(stored["name"]) == ["Mopti <b>office</b>"]
    assert "sites" in set(batches["format"])

    assert not any("No sites yet" in text for text in texts(page.info))
    table = _exposure_table(page)
    assert list(table["name"]) == ["Mopti <b>office</b>"]
    row = table.iloc[0]
    assert row["country_iso3"] == "MLI"
    assert row["exposure_rating"] in ("Low", "Moderate", "High", "Severe")
    assert any("Stored 1 site" in text for text in texts(page.success))


def test_uploaded_file_is_previewed_then_stored_on_confirm(page: AppTest, app_db_url: str) -> None:
    data = b"nom;type;latitude;longitude\nGao camp;camp;16,27;-0,04\nBad;camp;abc;1\n"
    page.session_state["exposure_pending"] = read_sites(data, file_name="sites.csv")
    page.run()
    assert not page.exception, page.exception
    assert "bad_coordinate" in _issue_codes(page)
    page.button(key="exposure_confirm").click().run()
    assert not page.exception, page.exception
    with opened_store(app_db_url) as store:
        assert list(list_sites(store)["name"]) == ["Gao camp"]
    assert list(_exposure_table(page)["name"]) == ["Gao camp"]
