"""Map of the short-term outlook: each admin unit filled by the ICD 203 class of its ``p_fatal``.

Seven fixed colours, one per word of the ICD 203 scale (almost no chance ... almost certain),
tied to the word and never to quantiles of the units in view. The base map is the risk map's
(:func:`dashboard.builders.risk_map.map_with_layer`): boundaries, corridors, offline assets,
credits, no incidents.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from dashboard.builders.map_elements import esc
from dashboard.builders.maps import MapBuild
from dashboard.builders.risk_map import NO_UNIT_FILL, UnitFill, UnitMapBase, map_with_layer, unit_fill_layer
from incidents.i18n import N_, _
from incidents.i18n.formats import format_number
from incidents.outlook.wording import ICD203_SCALE, ICD203_WORDS, likelihood_label, percent

#: ICD 203 word -> fill colour: ColorBrewer YlOrRd in 7 classes (sequential, colour-blind safe,
#: readable in greyscale print), the lightest for "almost no chance".
LIKELIHOOD_COLOURS: Final = dict(
    zip(
        ICD203_WORDS,
        ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
        strict=True,
    )
)
LAYER_NAME: Final = N_("Chance of fatal violence")
NOT_FORECAST: Final = N_("no outlook")


def likelihood_ranges() -> list[tuple[str, str]]:
    """``(word, "5–20 %")`` for every ICD 203 class, lowest first (the legend's rows)."""
    edges = [edge for edge, _ in ICD203_SCALE] + [1.0]
    return [
        (
            word,
            _("{low}–{high} %").format(
                low=format_number(edges[i] * 100), high=format_number(edges[i + 1] * 100)
            ),
        )
        for i, (_edge, word) in enumerate(ICD203_SCALE)
    ]


def _swatch(colour: str) -> str:
    return (
        f'<span style="display:inline-block;width:12px;height:12px;background:{colour};'
        'border:1px solid #777;margin-right:6px;vertical-align:-1px"></span>'
    )


def likelihood_legend_html(month: str, *, not_forecast: bool = False) -> str:
    """Legend section: the seven ICD 203 words with their colour and range, for ``month``."""
    rows = "".join(
        f"<div>{_swatch(LIKELIHOOD_COLOURS[word])}{esc(likelihood_label(word))} "
        f"<small>({esc(span)})</small></div>"
        for word, span in likelihood_ranges()
    )
    if not_forecast:
        rows += f"<div>{_swatch(NO_UNIT_FILL)}{esc(_(NOT_FORECAST))}</div>"
    title = _("Chance of an incident with fatalities, {month}").format(month=month)
    return f'<div class="sahel-legend-outlook" style="margin-top:4px"><b>{esc(title)}</b>{rows}</div>'


def outlook_tooltip(row: pd.Series) -> str:
    """Escaped tooltip of one unit's outlook row (one horizon)."""
    chance = _("{likelihood} ({percent}) of an incident with fatalities in {month}").format(
        likelihood=likelihood_label(str(row["likelihood"])),
        percent=percent(float(row["p_fatal"])),
        month=row["month"],
    )
    counts = _("incidents: median {median}, 90 % range {low}–{high}").format(
        median=int(row["count_q50"]), low=int(row["count_q05"]), high=int(row["count_q95"])
    )
    served = _("estimate; served by {served_by}").format(served_by=row["served_by"])
    return f"{esc(chance)}<br>{esc(counts)}<br><small>{esc(served)}</small>"


def _likelihood_fill(row: pd.Series) -> str:
    return LIKELIHOOD_COLOURS[str(row["likelihood"])]


def build_outlook_map(rows: pd.DataFrame, level: str, base: UnitMapBase) -> MapBuild:
    """``base`` plus the units of ``level`` filled by the ICD 203 word of their ``p_fatal``.

    ``rows``: the outlook table (:data:`incidents.outlook.forecast.OUTLOOK_COLUMNS`) for ONE
    horizon, one row per unit. Units of the boundary layer without a row are grey ("no outlook").
    """
    if rows["horizon"].nunique() > 1:
        raise ValueError("the outlook map shows one horizon: filter the table to one month first")
    by_code = rows.assign(unit_code=rows["unit_code"].astype(str)).set_index("unit_code")
    units = base.units(level)
    style = UnitFill(_likelihood_fill, outlook_tooltip, _(NOT_FORECAST), _(LAYER_NAME))
    layer = unit_fill_layer(by_code, level, units, style)
    shown = set() if units is None else set(units[f"{level}_code"].astype(str))
    month = str(rows["month"].iloc[0]) if len(rows) else ""
    legend = likelihood_legend_html(month, not_forecast=bool(shown - set(by_code.index)))
    return map_with_layer(layer, legend, base)
