"""Credits that follow the rows shown, and dates a reader can trust (pure functions, ``today`` injected)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from dashboard.builders.attribution import (
    footer_text,
    map_image_attribution,
    map_incidents_attribution,
    shown_credits,
    source_texts,
)
from dashboard.ui.filters import preset_label
from incidents.credits import ACLED_ATTRIBUTION, DEMO_CREDIT, incident_credits, ucdp_version
from incidents.freshness import Freshness, age_text, anchored_period, freshness, newest_import

BATCHES = pd.DataFrame(
    {
        "batch_id": ["b-acled", "b-ucdp", "b-ucdp25", "b-own", "b-demo", "b-undone"],
        "file_name": [
            "2022-01-01-2022-12-31-Mali.csv",
            "ucdp_ged_sample_sahel_2012plus.csv",
            "GEDEvent_v25_1.csv",
            "patrol_log_<b>.csv",
            "synthetic-demo",
            "acled_old.csv",
        ],
        "format": ["acled", "ucdp", "ucdp", "generic", "demo", "acled"],
        "created_at": pd.to_datetime(
            [
                "2026-11-30 09:15",
                "2026-01-05 08:00",
                "2026-06-01 08:00",
                "2026-11-01 10:00",
                "2026-01-05 08:00",
                "2026-12-01 10:00",
            ],
            utc=True,
        ),
        "status": ["committed"] * 5 + ["undone"],
    }
)


def rows(*pairs: tuple[str, str]) -> pd.DataFrame:
    """Shown rows as (source_dataset, batch_id) pairs, as the analysis frame carries them."""
    return pd.DataFrame(
        {
            "source_dataset": pd.Categorical([s for s, _ in pairs]),
            "batch_id": pd.Categorical([b for _, b in pairs]),
        }
    )


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("GEDEvent_v25_1.csv", "25.1"),
        ("ged231.csv", "23.1"),
        ("ged241-csv.zip", "24.1"),
        ("GEDEvent_v24_0_10.csv", "24.0.10"),  # a monthly candidate release
        ("downloads/ged_v23.1.csv", "23.1"),
        ("ucdp_ged_sample_sahel_2012plus.csv", "23.1"),  # the sample the project ships
        ("ucdp_mali_export.csv", None),
        ("my_2023_events.csv", None),
    ],
)
def test_ucdp_version_is_read_from_the_file_name(name: str, version: str | None) -> None:
    assert ucdp_version(name) == version


def test_acled_rows_get_acleds_credit_and_nothing_else() -> None:
    credits = incident_credits(rows(("acled", "b-acled"), ("acled", "b-acled")), BATCHES)
    assert [c.source for c in credits] == ["acled"]
    text = credits[0].text
    assert text.startswith(ACLED_ATTRIBUTION)
    assert "Accessed on or before 30 Nov 2026" in text and "2022-01-01-2022-12-31-Mali.csv" in text
    assert "acled_old.csv" not in text  # an undone batch's file is not named


def test_ucdp_credit_names_the_version_of_the_shown_rows_only() -> None:
    (sample,) = incident_credits(rows(("ucdp", "b-ucdp")), BATCHES)
    assert "GED) Global v23.1" in sample.text and "Sundberg" in sample.text and "Davies" in sample.text
    assert "uncertainUCDP" in sample.text and sample.label == "UCDP GED v23.1"
    (newer,) = incident_credits(rows(("ucdp", "b-ucdp25")), BATCHES)
    assert "Global v25.1" in newer.text and "v23.1" not in newer.text
    assert "(2025)" in newer.text  # the annual article of that release is pointed to
    (both,) = incident_credits(rows(("ucdp", "b-ucdp"), ("ucdp", "b-ucdp25")), BATCHES)
    assert "Global v23.1, v25.1" in both.text


def test_mixed_view_credits_each_source_once_in_a_fixed_order() -> None:
    shown = rows(("demo", "b-demo"), ("generic", "b-own"), ("ucdp", "b-ucdp"), ("acled", "b-acled"))
    credits = incident_credits(shown, BATCHES)
    assert [c.source for c in credits] == ["acled", "ucdp", "own", "demo"]
    own = credits[2].text
    assert own == "Own data: patrol_log_<b>.csv (batch b-own, imported 1 Nov 2026)."
    assert credits[3].text == DEMO_CREDIT
    # Text columns (canonical rows of exports) give the same credits as categories (the pages' rows).
    assert incident_credits(shown.astype("string"), BATCHES) == credits


def test_without_batch_ids_every_batch_of_the_source_is_named() -> None:
    shown = pd.DataFrame({"source_dataset": ["ucdp"]})
    (credit,) = incident_credits(shown, BATCHES)
    assert "v23.1, v25.1" in credit.text  # a superset, never fewer


def test_an_unknown_ucdp_version_is_said_so() -> None:
    batches = BATCHES.assign(file_name="ucdp_mali_export.csv")
    (credit,) = incident_credits(rows(("ucdp", "b-ucdp")), batches)
    assert "version not known" in credit.text and credit.label == "UCDP GED"


def test_no_rows_no_incident_credit() -> None:
    assert incident_credits(rows(), BATCHES) == ()
    assert shown_credits(pd.DataFrame({"latitude": []})) == ()


def test_composed_texts_always_carry_boundaries_and_places() -> None:
    credits = incident_credits(rows(("acled", "b-acled")), BATCHES)
    texts = " ".join(source_texts(credits))
    assert ACLED_ATTRIBUTION in texts and "Natural Earth" in texts and "GeoNames" in texts
    assert "OpenStreetMap" in texts and "Uppsala" not in texts and DEMO_CREDIT not in texts
    footer = footer_text(credits)
    assert "Armed Conflict Location & Event Data (ACLED)" in footer and "Uppsala" not in footer
    assert "Natural Earth" in footer


def test_footer_escapes_user_file_names() -> None:
    footer = footer_text(incident_credits(rows(("generic", "b-own")), BATCHES))
    assert "patrol\\_log\\_\\<b\\>.csv" in footer  # no Markdown or HTML of a file name renders


def test_map_attribution_lists_the_sources_shown() -> None:
    credits = incident_credits(rows(("acled", "b-acled"), ("ucdp", "b-ucdp")), BATCHES)
    html = map_incidents_attribution(credits)
    assert 'href="https://acleddata.com/">ACLED</a>' in html and "UCDP GED v23.1" in html
    assert "demo" not in html
    assert map_incidents_attribution(()) == "incidents: none shown"
    line = map_image_attribution(credits)  # the PNG map's printed line carries ACLED's own wording
    assert f"Incidents: {ACLED_ATTRIBUTION}; UCDP GED v23.1" in line


# ---- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "text"),
    [(0, "0 days"), (1, "1 day"), (45, "45 days"), (61, "2 months"), (400, "13 months"), (1433, "4 years")],
)
def test_age_text(days: int, text: str) -> None:
    assert age_text(days) == text


def test_old_data_are_flagged_with_their_age() -> None:
    fresh = freshness(date(2022, 12, 30), BATCHES, today=date(2026, 12, 2))
    assert fresh.stale
    assert fresh.warning() == (
        "The newest incident is from 30 Dec 2022, 4 years before today: figures describe that time, not now."
    )
    assert fresh.summary() == "Data as of 30 Dec 2022 (newest incident) · last import 30 Nov 2026 09:15 UTC"


def test_recent_data_have_no_warning() -> None:
    fresh = Freshness(date(2026, 11, 20), None, today=date(2026, 12, 2), stale_after_days=30)
    assert not fresh.stale and fresh.warning() is None
    assert fresh.last_import_text == "never"


def test_the_threshold_is_configurable_and_inclusive() -> None:
    at_limit = Freshness(date(2026, 11, 2), None, today=date(2026, 12, 2), stale_after_days=30)
    assert at_limit.age_days == 30 and not at_limit.stale
    assert Freshness(date(2026, 11, 2), None, today=date(2026, 12, 2), stale_after_days=7).stale


def test_an_empty_store_is_not_stale() -> None:
    fresh = freshness(None, BATCHES.iloc[:0], today=date(2026, 12, 2))
    assert not fresh.stale and fresh.warning() is None
    assert fresh.summary() == "Data as of no incidents stored · last import never"


def test_last_import_skips_undone_and_site_batches() -> None:
    sites = pd.DataFrame(
        {"batch_id": ["s"], "format": ["sites"], "status": ["committed"], "created_at": ["2026-12-02 07:00"]}
    )
    newest = newest_import(pd.concat([BATCHES, sites]))
    assert newest == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def test_relative_periods_say_what_they_count_back_from() -> None:
    data_range = (date(2018, 1, 1), date(2022, 12, 30))
    assert preset_label("last_365", data_range) == "Last 365 days to 30 Dec 2022, the newest incident"
    assert preset_label("last_30", data_range).endswith("to 30 Dec 2022, the newest incident")
    assert preset_label("all", data_range) == "All dates"
    assert preset_label("last_90", None) == "Last 90 days"
    assert anchored_period("Last 30 days", None) == "Last 30 days"
