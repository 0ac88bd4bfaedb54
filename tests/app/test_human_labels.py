"""Every page speaks in human words: no table shows a ``snake_case`` column name, and the demo
banner appears once, with sites and saved views stored so that Exposure and Briefing show
their tables, maps and figures too."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.builders.attribution import DEMO_NOTICE
from incidents.auth import LOCAL_ADMIN
from incidents.sites import read_sites
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, save_view
from incidents.store.sites import add_sites_batch
from tests.app.helpers import (
    ADMIN_PAGE,
    EVERY_PAGE,
    IMPORT_PAGE,
    INBOX_PAGE,
    OVERVIEW,
    WATCHES_PAGE,
    assert_clean,
    start_app,
    texts,
)


def _labels(at: AppTest) -> list[str]:
    """Every column label of every table on the page: the frame's columns, and the labels the page
    sets through ``column_config``."""
    labels = [str(column) for frame in at.dataframe for column in frame.value.columns]
    for frame in at.dataframe:
        config = frame.proto.columns  # column_config, as JSON
        labels += [str(value) for value in _config_labels(config)]
    labels += [str(column) for table in at.table for column in table.value.columns]
    return labels


def _config_labels(config: str) -> list[str]:
    if not config:
        return []
    return [str(spec["label"]) for spec in json.loads(config).values() if spec.get("label")]


def _store_sites_and_a_view(store: IncidentStore, tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nField office,12.6,-8.0\nBase,14.5,-4.2\n", encoding="utf-8")
    frame = read_sites(sites, file_name=sites.name).frame
    add_sites_batch(store, frame, file_name=sites.name, sha256="s" * 64, by=LOCAL_ADMIN)
    save_view(store, SavedView(name="mali", title="Mali", query="country=MLI&period=365d"), by=LOCAL_ADMIN)


def test_no_table_on_any_page_shows_an_underscore_and_the_banner_shows_once(
    app_store: IncidentStore, tmp_path: Path
) -> None:
    _store_sites_and_a_view(app_store, tmp_path)
    at = start_app()
    tables_seen = 0
    for page in EVERY_PAGE:
        if page != OVERVIEW:
            at.switch_page(page).run()
        assert_clean(at)
        labels = _labels(at)
        tables_seen += len(at.dataframe)
        assert not [label for label in labels if "_" in label], f"{page}: {labels}"
        banners = sum(DEMO_NOTICE in text for text in texts(at.warning))
        no_banner = (IMPORT_PAGE, ADMIN_PAGE, WATCHES_PAGE, INBOX_PAGE)  # pages that analyse no incidents
        assert banners == (0 if page in no_banner else 1), f"{page}: {banners} demo banners"
    assert tables_seen >= 12, "the pages' tables were really checked"
