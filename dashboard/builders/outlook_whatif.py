"""The Outlook page's what-ifs, shown beside the forecast and never instead of it: the scenario
choices, one scenario's expected incidents per unit and month (a dashed line in the fan chart,
extra columns in the table) and the analysts' adjustments in force as a table.

Pure functions of an :class:`~dashboard.builders.outlook_data.OutlookRun` and of the adjustments
in force (:func:`incidents.outlook.adjustments.list_adjustments`); no Streamlit. The scenarios'
keys and labels come from the run (:mod:`incidents.outlook.scenarios` made them), so this module
does not import the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pandas as pd

from dashboard.builders.outlook_data import OutlookRun
from incidents.i18n import N_, _

#: The switch's choices besides the run's scenarios: (key, label).
FORECAST_ONLY, ADJUSTED = "forecast", "adjusted"
SWITCH_ENDS: Final = ((FORECAST_ONLY, N_("Forecast only")), (ADJUSTED, N_("Analysts' adjustments")))
ADJUSTED_LABEL: Final = N_("What if analysts' adjustments hold")
#: The fan chart's line of each what-if (English label -> line name, both marked for the catalogue;
#: the scenarios' labels are :data:`incidents.outlook.scenarios.SCENARIO_LABELS`).
LINE_NAMES: Final = {
    "What if the last 90 days' trend continues": N_("What if: the last 90 days' trend continues"),
    "What if activity returns to its 12-month mean": N_("What if: activity returns to its 12-month mean"),
    ADJUSTED_LABEL: N_("What if: analysts' adjustments hold"),
}
#: The forecast column of the page's table the what-if columns follow.
BESIDE: Final = "Incidents, median"
#: Columns of :attr:`WhatIf.lines`: one row per unit and month ahead.
LINE_COLUMNS: Final = ("unit_code", "month", "horizon", "expected", "range_90")
WHATIF_CAPTION: Final = N_(
    "What-ifs are **not forecasts**: each shows what the incident count would be *if* its assumption "
    "held. Nothing scores them in the backtest; the forecast beside them is the estimate to plan on."
)


@dataclass(frozen=True)
class WhatIf:
    """One what-if of a run: ``label`` ("What if the last 90 days' trend continues", English as
    the run stores it; :attr:`title` in the reader's language), the name of its fan-chart line
    (``line_name``: "What if: the last 90 days' trend continues") and its expected incidents per
    unit and month (``lines``, :data:`LINE_COLUMNS`; ``range_90``: the adjusted 90 % range, ""
    for the scenarios)."""

    key: str
    label: str
    lines: pd.DataFrame

    @property
    def title(self) -> str:
        """The label in the reader's language."""
        return _(self.label)

    @property
    def line_name(self) -> str:
        if self.label in LINE_NAMES:
            return _(LINE_NAMES[self.label])
        rest = self.label.removeprefix("What if").strip()
        return _("What if: {assumption}").format(assumption=rest)

    @property
    def column(self) -> str:
        """The table column of the expected incidents."""
        return _("{what_if}: incidents").format(what_if=self.title)

    def unit_lines(self, unit_code: str) -> pd.DataFrame:
        return self.lines[self.lines["unit_code"] == unit_code].sort_values("horizon")


def scenario_choices(run: OutlookRun) -> dict[str, str]:
    """The page's scenario switch: key -> label, "Forecast only" first, the analysts' adjustments last."""
    first, last = SWITCH_ENDS
    choices = {first[0]: _(first[1])}
    if len(run.scenarios):
        pairs = run.scenarios[["scenario", "label"]].drop_duplicates()
        labels = [_(label) for label in pairs["label"].astype(str)]  # SCENARIO_LABELS, marked there
        choices.update(dict(zip(pairs["scenario"].astype(str), labels, strict=True)))
    return {**choices, last[0]: _(last[1])}


def whatif_of(run: OutlookRun, key: str, adjustments: pd.DataFrame | None = None) -> WhatIf | None:
    """The what-if ``key`` of ``run`` (None for "Forecast only").

    ``adjustments``: the analysts' adjustments in force (for :data:`ADJUSTED`); a unit without one
    has no line. The adjusted line is the forecast median scaled by the unit's percentage, with its
    scaled 90 % range (:func:`incidents.outlook.adjustments.apply_adjustments`).
    """
    if key == FORECAST_ONLY:
        return None
    if key == ADJUSTED:
        from incidents.outlook.adjustments import apply_adjustments  # light, but only when wanted

        chosen = adjustments if adjustments is not None else pd.DataFrame()
        if chosen.empty:
            return WhatIf(key, ADJUSTED_LABEL, pd.DataFrame(columns=list(LINE_COLUMNS)))
        scaled = apply_adjustments(run.table, chosen)
        lines = pd.DataFrame(
            {
                "unit_code": scaled["unit_code"].astype(str),
                "month": scaled["month"].astype(str),
                "horizon": scaled["horizon"].astype(int),
                "expected": scaled["whatif_count_q50"].astype(float),
                "range_90": [
                    f"{a}–{b}"
                    for a, b in zip(scaled["whatif_count_q05"], scaled["whatif_count_q95"], strict=True)
                ],
            }
        )
        return WhatIf(key, ADJUSTED_LABEL, lines)
    rows = run.scenarios[run.scenarios["scenario"] == key]
    if rows.empty:
        raise KeyError(f"no scenario {key!r} in this outlook")
    lines = pd.DataFrame(
        {
            "unit_code": rows["unit_code"].astype(str),
            "month": rows["month"].astype(str),
            "horizon": rows["horizon"].astype(int),
            "expected": rows["expected_count"].astype(float).round(1),
            "range_90": "",
        }
    )
    return WhatIf(key, str(rows["label"].iloc[0]), lines.reset_index(drop=True))


def with_whatif(shown: pd.DataFrame, whatif: WhatIf, horizon: int) -> pd.DataFrame:
    """The page's table (:func:`~dashboard.builders.outlook_charts.display_outlook`) with the
    what-if's columns beside the forecast's median (:data:`BESIDE`), where they are read together:
    its expected incidents ("What if …: incidents") and, for adjustments, the adjusted 90 % range,
    as text: units without an adjustment get blank cells."""
    month = whatif.lines[whatif.lines["horizon"] == horizon].set_index("unit_code")
    out = shown.copy()
    at = out.columns.get_loc(BESIDE) + 1 if BESIDE in out else len(out.columns)
    expected = out["Code"].map(month["expected"]).astype(float)
    if whatif.key != ADJUSTED:
        out.insert(at, whatif.column, expected)
        return out
    # Few units are adjusted: the others' cells say nothing (blank text, not "None").
    out.insert(at, whatif.column, ["" if pd.isna(v) else f"{v:,.0f}" for v in expected])
    ranges = month["range_90"].to_dict()
    out.insert(
        at + 1,
        _("{what_if}: 90 % range").format(what_if=whatif.title),
        [str(ranges.get(code, "")) for code in out["Code"]],
    )
    return out


def adjustments_table(adjustments: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The adjustments in force for people: unit, percentage, note, who and when, newest first
    (English headers; :func:`~dashboard.builders.outlook_charts.translated_headers` for a page)."""
    names = names or {}
    ordered = adjustments.sort_values("created_at", ascending=False, kind="stable")
    return pd.DataFrame(
        {
            "Unit": [names.get(str(code), str(code)) for code in ordered["unit_code"]],
            "Code": ordered["unit_code"].astype(str),
            "Adjustment": [f"{float(p):+g} %" for p in ordered["percent"]],
            "Note": ordered["note"].astype(str),
            "By": ordered["created_by"].astype(str),
            "When (UTC)": pd.to_datetime(ordered["created_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M"),
            "Version": ordered["version"].astype(int),
        }
    ).reset_index(drop=True)
