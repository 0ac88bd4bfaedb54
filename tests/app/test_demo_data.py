"""The synthetic demo steps aside once real data is stored, headless with ``streamlit.testing``.

Each test gets a fresh SQLite store (the fixture loads the demo, as on a laptop's first start);
the "real" data is the invented Burkina Faso ACLED-layout fixture (every note SYNTHETIC),
imported through ``python -m incidents import`` as a new user does. Expected figures are
computed from the store's real rows with the same domain functions the pages call.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.attribution import DEMO_NOTICE
from dashboard.builders.tables import column_label, display_columns
from dashboard.ui.components import DEMO_HIDDEN_CAPTION
from geodata.boundaries import DEFAULT_COUNTRIES
from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user
from incidents.cli.main import main as incidents_cli
from incidents.demo import DEMO_REMOVED_KEY, DEMO_ROWS
from incidents.risk.corridor_activity import DEFAULT_BUFFER_KM, corridor_hits, corridor_ranking
from incidents.risk.exposure import site_exposure
from incidents.risk.index import RiskConfig, compute_risk_index
from incidents.risk.table import build_risk_table
from incidents.sites import read_sites
from incidents.sources import REAL_SOURCES, date_span, of_sources
from incidents.store import IncidentStore, location
from incidents.store.corridors import active_corridor_segments
from incidents.store.saved_views import SavedView, save_view
from incidents.store.sites import add_sites_batch, list_sites
from tests.app.helpers import (
    ABOUT,
    ADMIN_PAGE,
    BRIEFING,
    CORRIDORS,
    EVERY_PAGE,
    EXPOSURE,
    IMPORT_FIXTURES,
    IMPORT_PAGE,
    INBOX_PAGE,
    MAP_PAGE,
    OVERVIEW,
    RISK_PAGE,
    TIMELINE,
    WATCHES_PAGE,
    assert_clean,
    figures,
    metric_number,
    new_app,
    open_view_link,
    opened_store,
    plotly_array,
    sign_in,
    start_app,
    texts,
)

REAL_FILE = IMPORT_FIXTURES / "acled_bfa_2022_export.csv"
#: Every page but Admin.
ALL_PAGES = tuple(page for page in EVERY_PAGE if page != ADMIN_PAGE)
#: Pages that analyse incidents: with demo rows hidden, each says so (once).
NOT_ANALYSIS = (IMPORT_PAGE, ABOUT, WATCHES_PAGE, INBOX_PAGE)
ANALYSIS_PAGES = tuple(page for page in ALL_PAGES if page not in NOT_ANALYSIS)
PASSWORD = "a password for tests"


def _import_real_data(store: IncidentStore, tmp_path: Path) -> None:
    """The real file through the CLI, a site near it, and a saved view without a source choice."""
    assert incidents_cli(["import", str(REAL_FILE)]) == 0
    real = of_sources(store.load_analysis_frame(), REAL_SOURCES)
    newest = real.sort_values("event_date").iloc[-1]  # a site where the newest real event happened
    sites = tmp_path / "sites.csv"
    sites.write_text(
        f"name,lat,lon\nField office,{newest['latitude']},{newest['longitude']}\n", encoding="utf-8"
    )
    add_sites_batch(
        store,
        read_sites(sites, file_name=sites.name).frame,
        file_name=sites.name,
        sha256="s" * 64,
        by=LOCAL_ADMIN,
    )
    save_view(
        store, SavedView(name="burkina", title="Burkina Faso", query="country=BFA&period=all"), by=LOCAL_ADMIN
    )


def _demo_banners(at: AppTest) -> int:
    return sum(DEMO_NOTICE in text for text in texts(at.warning))


def _hidden_captions(at: AppTest) -> int:
    return sum(DEMO_HIDDEN_CAPTION in text for text in texts(at.caption))


def _table(at: AppTest, column: str) -> pd.DataFrame:
    found = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def test_every_page_counts_real_rows_only_once_real_data_is_stored(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    _import_real_data(app_store, tmp_path)
    frame = app_store.load_analysis_frame()
    real = of_sources(frame, REAL_SOURCES)
    span = date_span(real)
    assert span is not None and span[1] < date_span(frame)[1]  # type: ignore[index]
    last = span[1]
    in_countries = real["country_iso3"].isin(DEFAULT_COUNTRIES).to_numpy(dtype=bool, na_value=False)
    dates = real["event_date"]
    in_period = (dates >= pd.Timestamp(last - timedelta(days=364))) & (dates <= pd.Timestamp(last))
    expected_incidents = int((in_countries & in_period.to_numpy()).sum())
    assert expected_incidents >= 24

    at = start_app()
    for page in ALL_PAGES:
        if page != OVERVIEW:
            at.switch_page(page).run()
        assert_clean(at)
        assert _demo_banners(at) == 0, f"{page} warns about demo rows it should not show"
        if page in ANALYSIS_PAGES:
            assert _hidden_captions(at) == 1, f"{page} should say once that demo rows are hidden"

        if page == OVERVIEW:
            assert metric_number(at, "Incidents") == expected_incidents
            latest = _table(at, "Source")
            # Demo rows read "Synthetic: Sahel dashboard demo generator" (the fixture invents sources too).
            assert not latest["Source"].str.contains("demo", case=False).any(), (
                "latest incidents are real ones"
            )
        elif page == MAP_PAGE:
            assert metric_number(at, "Incidents") == expected_incidents
            assert metric_number(at, "Of which synthetic demo") == 0
        elif page == TIMELINE:
            bars = [trace for figure in figures(at) for trace in figure["data"] if trace.get("type") == "bar"]
            assert sum(plotly_array(trace["y"]).sum() for trace in bars) == expected_incidents
        elif page == RISK_PAGE:
            expected = build_risk_table(real, level="admin1", as_of=last, config=RiskConfig())
            expected = expected[expected["country_iso3"].isin(DEFAULT_COUNTRIES)]
            assert _table(at, "Events")["Events"].sum() == expected["events"].sum() > 0
        elif page == CORRIDORS:
            segments = active_corridor_segments(app_store)
            hits = corridor_hits(real, segments, km=DEFAULT_BUFFER_KM)
            expected = corridor_ranking(real, as_of=last, km=DEFAULT_BUFFER_KM, segments=segments, hits=hits)
            shown = at.dataframe[0].value
            pd.testing.assert_frame_equal(
                shown.reset_index(drop=True),
                display_columns(expected).reset_index(drop=True),
                check_dtype=False,
            )
        elif page == EXPOSURE:
            expected = site_exposure(
                list_sites(app_store),
                real,
                as_of=last,
                risk_levels_admin2=compute_risk_index(real, level="admin2", as_of=last),
                corridors=active_corridor_segments(app_store),
            )
            within_50 = column_label("inc_50km_90d")
            shown = _table(at, within_50)
            assert shown[within_50].tolist() == expected["inc_50km_90d"].tolist()
            assert shown[within_50].sum() > 0
        elif page == BRIEFING:
            in_burkina = int((real["country_iso3"] == "BFA").sum())
            assert metric_number(at, "Incidents") == in_burkina


def test_a_source_chosen_in_the_address_bar_still_shows_the_demo(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    _import_real_data(app_store, tmp_path)
    at = new_app()
    at.query_params["source"] = ["acled", "demo"]
    at.run()
    assert_clean(at)
    assert _demo_banners(at) == 1
    assert _hidden_captions(at) == 0
    at.switch_page(MAP_PAGE).run()
    assert metric_number(at, "Of which synthetic demo") > 0
    assert at.multiselect(key="filter_sources").value == ["acled", "demo"]
    # The choice carries over to the pages without sidebar filters.
    at.switch_page(RISK_PAGE).run()
    assert_clean(at)
    assert _demo_banners(at) == 1


def test_ticking_the_demo_in_the_sidebar_shows_it(app_store: IncidentStore, tmp_path: Path) -> None:
    _import_real_data(app_store, tmp_path)
    at = start_app(MAP_PAGE)
    sources = at.multiselect(key="filter_sources")
    assert sources.value == list(REAL_SOURCES), "real sources only, by default"
    sources.set_value([*REAL_SOURCES, "demo"]).run()
    assert_clean(at)
    assert _demo_banners(at) == 1
    assert metric_number(at, "Of which synthetic demo") > 0
    assert "demo" in at.query_params["source"]
    # Cleared: every source, the demo included, said explicitly so that a copied link keeps it.
    at.multiselect(key="filter_sources").set_value([]).run()
    assert_clean(at)
    assert _demo_banners(at) == 1
    assert sorted(at.query_params["source"]) == sorted([*REAL_SOURCES, "demo"])


def test_a_store_with_only_the_demo_shows_it_with_one_banner(app_db_url: str) -> None:
    at = start_app()  # one session walks every page, as a user clicking through the navigation would
    for page in ALL_PAGES:
        if page != OVERVIEW:
            at.switch_page(page).run()
        assert_clean(at)
        # Import, Watches and Inbox show no incidents, and Briefing none until a view is saved; every other
        # page warns once.
        expected = 0 if page in (IMPORT_PAGE, BRIEFING, WATCHES_PAGE, INBOX_PAGE) else 1
        assert _demo_banners(at) == expected, page
        assert _hidden_captions(at) == 0, page
        if page == MAP_PAGE:
            assert metric_number(at, "Of which synthetic demo") > 0


def test_the_admin_button_removes_the_demo_after_a_confirmation(app_store: IncidentStore) -> None:
    at = start_app(IMPORT_PAGE)  # local mode: the local administrator
    assert at.button(key="demo_remove_button").disabled, "the confirmation comes first"
    at.checkbox(key="demo_remove_confirm").check().run()
    at.button(key="demo_remove_button").click().run()
    assert_clean(at)
    assert any("Demo data removed" in text for text in texts(at.success))
    assert app_store.count_incidents("demo") == 0
    assert app_store.count_incidents("ucdp") == 19
    assert app_store.meta_value(DEMO_REMOVED_KEY) == 1
    assert "remove_demo" in set(app_store.audit_log()["action"])
    with pytest.raises(KeyError):
        at.button(key="demo_remove_button")  # nothing left to remove
    at.switch_page(OVERVIEW).run()
    assert _demo_banners(at) == 0


def _signed_in(name: str) -> AppTest:
    at = start_app()
    sign_in(at, name, PASSWORD)
    assert_clean(at)
    return at


def test_only_an_admin_sees_the_remove_button(app_store: IncidentStore, auth_required: str) -> None:
    for name, role in (("vera", "viewer"), ("ana", "analyst"), ("adam", "admin")):
        create_user(app_store, name, role, PASSWORD, by=LOCAL_ADMIN)
    for name in ("vera", "ana"):
        at = _signed_in(name)
        at.switch_page(IMPORT_PAGE).run()
        assert_clean(at)
        with pytest.raises(KeyError):
            at.button(key="demo_remove_button")
    at = _signed_in("adam")
    at.switch_page(IMPORT_PAGE).run()
    assert at.button(key="demo_remove_button")
    assert app_store.count_incidents("demo") == DEMO_ROWS


@pytest.mark.no_demo
def test_a_new_store_named_by_sahel_db_url_gets_no_demo(app_store: IncidentStore) -> None:
    at = start_app()
    assert_clean(at)
    assert app_store.count_incidents() == 0
    assert app_store.list_batches().empty


def test_a_new_postgresql_store_gets_no_demo(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", pg_url)
    at = start_app()
    assert_clean(at)
    with opened_store(pg_url) as store:
        assert store.count_incidents() == 0
        assert store.list_batches().empty


@pytest.mark.parametrize(("setting", "demo_rows"), [("off", 0), ("on", DEMO_ROWS)])
def test_the_embedded_store_gets_the_demo_unless_sahel_demo_is_off(
    setting: str, demo_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded = tmp_path / "var" / "sahel.db"
    monkeypatch.setattr(location, "DEFAULT_SQLITE_PATH", embedded)
    monkeypatch.delenv("SAHEL_DB_URL", raising=False)
    monkeypatch.setenv("SAHEL_DEMO", setting)
    at = start_app()
    assert_clean(at)
    with opened_store(f"sqlite:///{embedded}") as store:
        assert store.count_incidents("demo") == demo_rows


def test_a_saved_view_link_and_the_downloads_leave_the_demo_out(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    _import_real_data(app_store, tmp_path)  # saves "burkina" without a source choice
    at = open_view_link("burkina", MAP_PAGE)
    assert at.multiselect(key="filter_sources").value == list(REAL_SOURCES)
    assert metric_number(at, "Incidents") > 0
    assert metric_number(at, "Of which synthetic demo") == 0
    at.button(key="map_downloads_prepare").click().run()
    assert_clean(at)
    assert at.get("download_button"), "the files are ready"
    shown = texts(at.warning) + texts(at.caption)
    assert not any(DEMO_NOTICE in text for text in shown), "the files hold no demo row"


def test_prepared_downloads_do_not_repeat_the_banner(app_db_url: str) -> None:
    at = start_app(MAP_PAGE)
    at.multiselect(key="filter_countries").set_value(["MLI"]).run()
    at.button(key="map_downloads_prepare").click().run()
    assert_clean(at)
    assert at.get("download_button"), "the files are ready"
    assert _demo_banners(at) == 1, "the page's banner; the panel only adds a caption"
    assert any(DEMO_NOTICE in text and "provenance footer" in text for text in texts(at.caption))


def test_a_session_opened_on_the_demo_follows_an_import_made_meanwhile(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    at = start_app(MAP_PAGE)  # the demo only: every source, the banner
    assert _demo_banners(at) == 1
    assert at.multiselect(key="filter_sources").value == []
    _import_real_data(app_store, tmp_path)  # as on the Import page, in the same session
    at.run()
    assert_clean(at)
    assert _demo_banners(at) == 0
    assert _hidden_captions(at) == 1
    assert metric_number(at, "Of which synthetic demo") == 0
    assert at.multiselect(key="filter_sources").value == list(REAL_SOURCES)
    at.switch_page(RISK_PAGE).run()
    assert _demo_banners(at) == 0 and _hidden_captions(at) == 1
