"""Every page says how current the data are, warns when they are old, and credits the sources shown.

The stores hold only the SYNTHETIC ACLED-layout fixture, its dates moved to end in 2022 (old)
or two days ago (fresh); "today" is the real date here, as it is for a user.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from dashboard.ui.filters import KEY_PERIOD
from incidents.credits import ACLED_ATTRIBUTION
from incidents.freshness import age_text
from incidents.i18n.formats import format_day
from incidents.store import IncidentStore
from tests.app.helpers import (
    EVERY_PAGE,
    MAP_PAGE,
    OVERVIEW,
    assert_clean,
    start_app,
    texts,
)
from tests.dated_fixtures import import_acled

OLD_NEWEST = date(2022, 12, 30)
#: Stores hold only the fixture: no demo, no shipped UCDP sample.
pytestmark = pytest.mark.no_demo


def test_every_page_says_data_as_of_and_warns_that_2022_data_are_old(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    import_acled(app_store, tmp_path, OLD_NEWEST)
    age = age_text((date.today() - OLD_NEWEST).days)
    warning = (
        f"The newest incident is from 30 Dec 2022, {age} before today: figures describe that time, not now."
    )
    at = start_app()
    for page in EVERY_PAGE:
        if page != OVERVIEW:
            at.switch_page(page).run()
        assert_clean(at)
        captions = " ".join(texts(at.caption))
        assert "Data as of 30 Dec 2022 (newest incident) · last import " in captions, page
        assert warning in texts(at.warning), page


def test_footer_and_period_name_what_the_view_shows(app_store: IncidentStore, tmp_path: Path) -> None:
    import_acled(app_store, tmp_path, OLD_NEWEST)
    at = start_app()
    assert_clean(at)
    footer = texts(at.caption)[-1]
    assert footer.startswith("Incidents: Armed Conflict Location & Event Data (ACLED); www.acleddata.com.")
    assert ACLED_ATTRIBUTION in footer and "Uppsala" not in footer and "synthetic" not in footer
    assert "Natural Earth" in footer
    period = at.selectbox(key=KEY_PERIOD)
    assert "Last 365 days to 30 Dec 2022, the newest incident" in period.options


def test_fresh_data_show_no_staleness_warning(app_store: IncidentStore, tmp_path: Path) -> None:
    newest = date.today() - timedelta(days=2)
    import_acled(app_store, tmp_path, newest, today=date.today())
    at = start_app()
    for page in (OVERVIEW, MAP_PAGE):
        if page != OVERVIEW:
            at.switch_page(page).run()
        assert_clean(at)
        assert f"Data as of {format_day(newest, language='en')} (newest incident)" in " ".join(
            texts(at.caption)
        )
        assert not any("newest incident is from" in text for text in texts(at.warning)), page


def test_the_sign_in_page_says_nothing_about_the_data(auth_required: str, tmp_path: Path) -> None:
    from incidents.auth.accounts import create_user
    from tests.app.helpers import opened_store

    with opened_store(auth_required) as store:
        import_acled(store, tmp_path, OLD_NEWEST)
        create_user(store, "adam", "admin", "admin password 2025")
    at = start_app()
    assert_clean(at)
    assert [title.value for title in at.title] == ["Sign in"]
    shown = " ".join(texts(at.caption) + texts(at.warning) + texts(at.markdown))
    assert "Data as of" not in shown and "30 Dec 2022" not in shown and "2022-12-30" not in shown
