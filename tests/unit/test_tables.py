"""The pure display helpers behind the Overview, Timeline and Risk heatmap pages."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard.builders import tables
from incidents.analytics import latest_incident_ids


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (110, 100, "+10%"),
        (60, 100, "-40%"),
        (0, 100, "-100%"),
        (1001, 1000, "+0.1%"),
        (100, 100, 0),
        (5, 0, "new"),
        (0, 0, None),
    ],
)
def test_change_delta(current: int, previous: int, expected: object) -> None:
    assert tables.change_delta(current, previous) == expected


def _analysis(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": pd.array([row[0] for row in rows], dtype="string"),
            "event_date": pd.to_datetime([row[1] for row in rows]),
        }
    )


def test_latest_incident_ids_are_the_most_recent_with_a_stable_tie_order() -> None:
    frame = _analysis(
        [("a:1", "2025-01-01"), ("a:3", "2025-03-01"), ("a:2", "2025-03-01"), ("a:4", "2025-02-01")]
    )
    assert latest_incident_ids(frame, 3) == ("a:3", "a:2", "a:4")
    assert latest_incident_ids(frame.iloc[:0]) == ()


def test_latest_incident_ids_match_a_full_sort_with_ties_and_missing_dates() -> None:
    """The fast path (only rows from the n-th newest day are sorted) against sorting every row."""
    rng = np.random.default_rng(5)
    for size in (1, 7, 50, 400):
        days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 12, size), unit="D")
        frame = pd.DataFrame(
            {
                "incident_id": pd.array([f"a:{i}" for i in rng.permutation(size)], dtype="string"),
                "event_date": pd.Series(days).where(rng.random(size) > 0.1),  # some NaT
            }
        )
        everything = frame.sort_values(
            ["event_date", "incident_id"], ascending=[False, False], kind="stable", na_position="last"
        )["incident_id"].tolist()
        for n in (1, 3, 10, size, size + 5):
            assert latest_incident_ids(frame, n) == tuple(everything[:n]), (size, n)


def _details() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": pd.array(["acled:1", "demo:2", "manual:3"], dtype="string"),
            "source_dataset": pd.array(["acled", "demo", "manual"], dtype="string"),
            "event_date": pd.to_datetime(["2025-01-02", "2025-03-04", "2025-02-03"]),
            "country_iso3": pd.array(["MLI", "NER", "BFA"], dtype="string"),
            "country": pd.array(["Mali", None, "Burkina Faso"], dtype="string"),
            "admin1_name": pd.array(["Mopti", "Tillabéri", None], dtype="string"),
            "location": pd.array(["<b>Djenné</b>", "Ayorou", "Djibo"], dtype="string"),
            "event_type": pd.array(["battle", "abduction", "unknown_kind"], dtype="string"),
            "actor1": pd.array(["JNIM", None, "Militia"], dtype="string"),
            "actor2": pd.array(["Military Forces of Mali", "IS Sahel", ""], dtype="string"),
            "fatalities": np.array([3, 0, 1], dtype=np.int64),
            "source": pd.array(["=HYPERLINK(1)", "Field report", "Radio"], dtype="string"),
        }
    )


def test_latest_incidents_table_formats_rows_newest_first() -> None:
    table = tables.latest_incidents_table(_details(), {"NER": "Niger"})
    assert list(table.columns) == list(tables.LATEST_COLUMNS)
    assert table["Date"].astype(str).tolist() == ["2025-03-04", "2025-02-03", "2025-01-02"]
    assert table["Country"].tolist() == ["Niger", "Burkina Faso", "Mali"]  # missing name from the lookup
    assert table["Region"].tolist() == ["Tillabéri", "", "Mopti"]
    assert table["Place"].tolist()[2] == "<b>Djenné</b>"  # kept as text; st.dataframe does not render HTML
    assert table["Type"].tolist() == ["Abduction", "unknown_kind", "Battle"]
    assert table["Actors"].tolist() == ["IS Sahel", "Militia", "JNIM vs Military Forces of Mali"]
    assert table["Fatalities"].tolist() == [0, 1, 3]
    assert table["Source"].tolist()[0] == "synthetic demo · Field report"


def test_latest_incidents_table_leaves_marked_demo_sources_alone_and_handles_no_rows() -> None:
    details = _details().assign(source=pd.array(["a", "Synthetic: demo generator", "b"], dtype="string"))
    assert tables.latest_incidents_table(details, {})["Source"].tolist()[0] == "Synthetic: demo generator"
    empty = tables.latest_incidents_table(_details().iloc[:0], {})
    assert empty.empty
    assert list(empty.columns) == list(tables.LATEST_COLUMNS)


def test_unit_labels() -> None:
    units = pd.DataFrame({"unit_name": ["Mopti", "Sahel"], "country_iso3": ["MLI", "BFA"]})
    assert tables.unit_labels(units).tolist() == ["Mopti (MLI)", "Sahel (BFA)"]


def test_series_table_and_csv_are_formula_safe() -> None:
    series = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2025-01-06", "2025-01-06"]),
            "group": pd.array(["=cmd|' /C calc'!A0", "battle"], dtype="string"),
            "value": np.array([2, -1], dtype=np.int64),
        }
    )
    table = tables.series_table(series, "actor_group", "incidents")
    assert list(table.columns) == ["period_start", "actor_group", "incidents"]
    back = pd.read_csv(io.BytesIO(tables.to_csv_bytes(table)))
    assert back["actor_group"].tolist() == ["'=cmd|' /C calc'!A0", "battle"]
    assert back["incidents"].tolist() == [2, -1]  # numbers stay numbers
    assert back["period_start"].tolist() == ["2025-01-06", "2025-01-06"]


def test_matrix_table_has_month_headers_and_unit_column() -> None:
    matrix = pd.DataFrame(
        [[1, 0], [0, 4]],
        index=pd.Index(["Mopti (MLI)", "@Gao (MLI)"], name="unit"),
        columns=pd.DatetimeIndex(["2025-01-01", "2025-02-01"], name="month"),
    )
    table = tables.matrix_table(matrix)
    assert list(table.columns) == ["unit", "2025-01", "2025-02"]
    assert table["2025-02"].tolist() == [0, 4]
    back = pd.read_csv(io.BytesIO(tables.to_csv_bytes(table)))
    assert back["unit"].tolist() == ["Mopti (MLI)", "'@Gao (MLI)"]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("events_365d", "Incidents, last 365 days"),
        ("fatalities", "Fatalities"),
        ("inc_10km_7d", "Within 10 km, last 7 days"),
        ("inc_50km_90d", "Within 50 km, last 90 days"),
        ("rows_accepted", "Rows imported"),
        ("some_new_column", "Some new column"),
    ],
)
def test_column_labels_are_human_words(name: str, label: str) -> None:
    assert tables.column_label(name) == label


def test_display_columns_relabels_every_column_and_keeps_the_data() -> None:
    frame = pd.DataFrame({"corridor_id": ["C1"], "events_365d": [3], "trend_4w": ["limited_change"]})
    shown = tables.display_columns(frame)
    assert list(shown.columns) == ["Corridor", "Incidents, last 365 days", "4-week trend"]
    assert shown.iloc[0].tolist() == ["C1", 3, "● limited change"]
    assert list(frame.columns) == ["corridor_id", "events_365d", "trend_4w"], "the input is unchanged"


def test_a_page_can_give_a_column_its_own_words() -> None:
    frame = pd.DataFrame({"created_at": [pd.Timestamp("2024-01-01")], "rows_read": [3]})
    shown = tables.display_columns(frame, {"created_at": "Imported at"})
    assert list(shown.columns) == ["Imported at", "Rows read"]
