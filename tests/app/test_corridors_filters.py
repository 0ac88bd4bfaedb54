"""The Corridors page keeps the shared sidebar filters and period, like every other page."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.builders.tables import column_label
from incidents.risk.corridor_activity import DEFAULT_BUFFER_KM, corridor_hits, corridor_ranking
from incidents.store.corridors import active_corridor_segments
from tests.app.helpers import CORRIDORS, assert_clean, figures, new_app, opened_store, plotly_array

SINCE, UNTIL = date(2025, 4, 1), date(2025, 9, 30)


def _one(value: str | list[str]) -> str:
    """A query parameter's one value (AppTest gives a single value as a plain string)."""
    return value if isinstance(value, str) else value[0]


def test_corridors_count_what_the_shared_filters_keep_over_the_chosen_period(app_db_url: str) -> None:
    at = new_app()
    at.query_params["country"] = ["MLI"]
    at.query_params["period"] = "custom"
    at.query_params["from"] = SINCE.isoformat()
    at.query_params["to"] = UNTIL.isoformat()
    at.run()
    at.switch_page(CORRIDORS).run()
    assert_clean(at)

    # The sidebar shows the shared filters, and the page's link keeps them.
    assert at.multiselect(key="filter_countries").value == ["MLI"]
    link = {key: _one(at.query_params[key]) for key in ("country", "period", "from", "to")}
    assert link == {"country": "MLI", "period": "custom", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}

    # The ranking counts Mali's incidents only, in the 365 and 30 days to the period's end.
    with opened_store(app_db_url) as store:
        frame = store.load_analysis_frame()
        segments = active_corridor_segments(store)
    hits = corridor_hits(frame, segments, km=DEFAULT_BUFFER_KM)
    in_mali = (frame["country_iso3"] == "MLI").to_numpy(dtype=bool, na_value=False)
    everywhere = corridor_ranking(frame, as_of=UNTIL, km=DEFAULT_BUFFER_KM, segments=segments, hits=hits)
    hits = hits[in_mali[hits["row"].to_numpy()]]
    expected = corridor_ranking(frame, as_of=UNTIL, km=DEFAULT_BUFFER_KM, segments=segments, hits=hits)
    shown = at.dataframe[0].value
    events, corridor = column_label("events_365d"), column_label("corridor_id")
    assert dict(zip(shown[corridor], shown[events], strict=True)) == dict(
        zip(expected["corridor_id"], expected["events_365d"], strict=True)
    )
    assert 0 < shown[events].sum() < everywhere["events_365d"].sum(), "the country filter applies"

    # The monthly chart covers the chosen period, not a fixed 24 months.
    (chart,) = [figure for figure in figures(at) if any(t.get("type") == "bar" for t in figure["data"])]
    months = pd.to_datetime(plotly_array(chart["data"][0]["x"]))
    assert months.min() == pd.Timestamp(SINCE)
    assert months.max() == pd.Timestamp("2025-09-01")
