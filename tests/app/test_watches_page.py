"""The Watches and Inbox pages run headless (``streamlit.testing``) against a fresh SQLite store.

A watch made on the page, an import through the domain (as the CLI does), one delivery pass
from the page's "Test delivery" button: the sidebar count rises and the alert is in the Inbox.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from dashboard.builders import importing as imp
from dashboard.builders.watches import PREFILL_ADMIN1
from geodata.boundaries import load_admin1
from geodata.crs import geodesic_km
from incidents.alerts.outbox import inbox, list_outbox
from incidents.alerts.store import add_watch, list_watches
from incidents.alerts.watches import Area, Recipients, Watch
from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user, set_email
from incidents.auth.guarded import commit_import_as
from incidents.ingest.pipeline import prepare_import
from incidents.sites import read_sites
from incidents.store import IncidentStore
from incidents.store.sites import add_sites_batch, list_sites
from tests.app.helpers import (
    IMPORT_FIXTURES,
    IMPORT_PAGE,
    INBOX_PAGE,
    WATCHES_PAGE,
    assert_clean,
    new_app,
    sign_in,
    start_app,
    texts,
)

FILE = IMPORT_FIXTURES / "acled_api_sample.csv"
#: A site where the file's first incident happened (Sofara, Mopti region).
SITE = ("Sofara office", 14.0102, -4.2431)
RADIUS_KM = 25.0
PASSWORD = "a password for tests"


def _store_site(store: IncidentStore, tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    name, lat, lon = SITE
    sites.write_text(f"name,lat,lon\n{name},{lat},{lon}\n", encoding="utf-8")
    frame = read_sites(sites, file_name=sites.name).frame
    add_sites_batch(store, frame, file_name=sites.name, sha256="s" * 64, by=LOCAL_ADMIN)


def _sidebar(at: AppTest) -> str:
    return " ".join(texts(at.sidebar.markdown))


def test_a_site_watch_made_on_the_page_alerts_the_inbox_after_an_import(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    _store_site(app_store, tmp_path)
    region = str(load_admin1()["admin1_code"].iloc[0])
    at = new_app()  # opened as the Risk page's "Watch this region" link opens it
    at.query_params[PREFILL_ADMIN1] = region
    at.run()
    at.switch_page(WATCHES_PAGE).run()
    assert_clean(at)
    assert "No unread alerts" in _sidebar(at)
    assert at.radio(key="watch_kind").value == "admin"
    assert at.multiselect(key="watch_admin1").value == [region]
    at.radio(key="watch_kind").set_value("site").run()
    at.text_input(key="watch_name").set_value("Sofara 25 km")
    at.button(key="watch_create").click().run()
    assert_clean(at)
    assert any("Sofara 25 km" in text for text in texts(at.success)), texts(at.success)
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["Sofara 25 km"]
    assert table["Area"].tolist() == ["25 km around Sofara office"]
    assert table["Recipients"].tolist() == [f"inbox {LOCAL_ADMIN.name}"]
    assert table["Status"].tolist() == ["active"]

    # An import through the domain (as the CLI does): nobody is told until a pass runs.
    prepared = prepare_import(FILE, app_store, file_name=FILE.name, today=date(2026, 1, 1))
    report = commit_import_as(prepared, app_store, LOCAL_ADMIN)
    assert report.batch_id is not None
    rows = app_store.load_batch_incidents(report.batch_id)
    distance = geodesic_km(rows["latitude"].to_numpy(), rows["longitude"].to_numpy(), SITE[1], SITE[2])
    near = rows[np.asarray(distance) <= RADIUS_KM]
    assert 0 < len(near) < len(rows), "the file has incidents inside and outside the watch"

    at.button(key="watch_test_delivery").click().run()
    assert_clean(at)
    assert any(f"({len(near)} new matches)" in text for text in texts(at.success)), texts(at.success)
    assert "1 unread alert" in _sidebar(at)

    at.switch_page(INBOX_PAGE).run()
    assert_clean(at)
    [alert] = [element for element in at.expander if element.label.startswith("Alert")]
    assert "Sofara 25 km" in alert.label and f"{len(near)} incident" in alert.label
    shown = at.dataframe[0].value
    assert sorted(shown["Date"]) == sorted(str(day)[:10] for day in near["event_date"])
    assert (shown["Distance (km)"] <= RADIUS_KM).all()
    [read] = [b for b in at.button if str(b.key).startswith("inbox_read_") and b.key != "inbox_read_all"]
    read.click().run()
    assert_clean(at)
    assert "No unread alerts" in _sidebar(at)


def test_a_viewer_watches_only_for_themselves_and_bad_input_shows_an_error(
    auth_required: str, app_store: IncidentStore, tmp_path: Path
) -> None:
    _store_site(app_store, tmp_path)
    create_user(app_store, "adam", "admin", PASSWORD, by=LOCAL_ADMIN)  # required mode needs an admin
    create_user(app_store, "vera", "viewer", PASSWORD, by=LOCAL_ADMIN)
    set_email(app_store, "vera", "vera@example.org", by=LOCAL_ADMIN)
    at = start_app()
    sign_in(at, "vera", PASSWORD)
    at.switch_page(WATCHES_PAGE).run()
    assert_clean(at)
    assert at.text_input(key="watch_users").disabled  # her own inbox only
    assert not [area for area in at.text_area if area.key == "watch_webhooks"]

    at.button(key="watch_create").click().run()  # no name
    assert not at.exception
    assert any("a watch needs a name" in text for text in texts(at.error)), texts(at.error)

    at.text_input(key="watch_name").set_value("Sofara for my boss")
    at.text_input(key="watch_emails").set_value("boss@example.org")
    at.button(key="watch_create").click().run()
    assert not at.exception
    assert any("may e-mail alerts only to" in text for text in texts(at.error)), texts(at.error)

    at.text_input(key="watch_emails").set_value("vera@example.org")
    at.selectbox(key="watch_mode").set_value("daily").run()  # enables the time box
    at.text_input(key="watch_time").set_value("25:00")
    at.button(key="watch_create").click().run()
    assert not at.exception
    assert any("25:00" in text for text in texts(at.error)), texts(at.error)
    assert list_watches(app_store) == []

    at.text_input(key="watch_time").set_value("06:30")
    at.button(key="watch_create").click().run()
    assert_clean(at)
    [stored] = list_watches(app_store)
    assert (stored.owner, stored.watch.recipients.users, stored.watch.delivery) == (
        "vera",
        ("vera",),
        "daily@06:30",
    )


def test_an_import_in_the_app_puts_the_alert_in_the_inbox_without_the_runner(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    name, lat, lon = SITE
    area = Area(kind="site", label=name, geometry_wkt=f"POINT ({lon} {lat})", radius_km=RADIUS_KM)
    watch = Watch(name="Sofara", area=area, recipients=Recipients(users=(LOCAL_ADMIN.name,)))
    add_watch(app_store, watch, by=LOCAL_ADMIN)
    at = start_app(IMPORT_PAGE)
    at.session_state["import_prepared"] = imp.run_validation(FILE.read_bytes(), FILE.name, app_store)
    at.run()
    at.button(key="import_confirm").click().run()
    assert_clean(at)
    [alert] = inbox(app_store, LOCAL_ADMIN.name)
    count = len(alert["payload"]["incidents"])
    assert any(f"{count} incident(s) matched watches; 1 in-app alert(s)" in t for t in texts(at.success))
    assert "1 unread alert" in _sidebar(at)
    assert list_outbox(app_store)["status"].tolist() == ["sent"]  # in-app only: nothing waits


def test_watch_this_site_opens_the_form_on_it_and_admins_see_failed_messages(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from incidents.alerts.runner import run_pass
    from incidents.store import BatchMeta
    from tests.unit.alert_servers import free_port
    from tests.unit.alerts_fixtures import MOPTI, around_mopti

    # Two stored sites; the Site exposure page's link names the second one.
    sites = tmp_path / "two_sites.csv"
    sites.write_text("name,lat,lon\nSofara office,14.0102,-4.2431\nDjenné depot,13.9061,-4.5550\n", "utf-8")
    add_sites_batch(
        app_store, read_sites(sites, file_name=sites.name).frame, file_name=sites.name, sha256="t" * 64,
        by=LOCAL_ADMIN,
    )  # fmt: skip
    at = new_app()
    at.run()
    at.switch_page("app_pages/exposure.py").run()
    assert_clean(at)
    assert len(at.selectbox(key="exposure_watch_site").options) == 2  # "Watch a site or route"
    site_id = str(list_sites(app_store).set_index("name").loc["Djenné depot", "site_id"])
    at = new_app()
    at.query_params["watch_site_id"] = site_id
    at.run()
    at.switch_page(WATCHES_PAGE).run()
    assert_clean(at)
    assert at.radio(key="watch_kind").value == "site" and at.selectbox(key="watch_site").value == site_id

    # A webhook nobody answers: after the give-up time its message is failed, and the admin sees why.
    url = f"http://127.0.0.1:{free_port()}/hook/secret-token"
    mopti = Area(kind="site", label="Mopti", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=25)
    add_watch(
        app_store, Watch(name="hook", area=mopti, recipients=Recipients(webhooks=(url,))), by=LOCAL_ADMIN
    )
    app_store.add_batch(around_mopti("w"), BatchMeta("f.csv", "0" * 64, "acled", rows_read=5))
    moment = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    while run_pass(app_store, smtp=None, now=moment, give_up=timedelta(hours=1)).delivery.failed == 0:
        moment += timedelta(minutes=30)
    at.switch_page(WATCHES_PAGE).run()
    assert_clean(at)
    assert any("Failed messages** (1)" in text for text in texts(at.markdown)), texts(at.markdown)
    failed = at.dataframe[-1].value.astype(str)
    shown = " ".join(failed.to_numpy().ravel())
    assert "could not be reached" in shown and "secret-token" not in shown  # no path: tokens hide there
