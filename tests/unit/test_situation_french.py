"""The situation area in French (issue #18): map legend, popups and layer names, chart axes, hover
text and number formats, table headers; and English unchanged where the pages pinned it.

Builders translate in the language of the block they run in (``use_language``), so each test
builds in French and reads the output the browser or plotly gets.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from dashboard.builders import tables
from dashboard.builders.charts import build_heatmap_figure, build_timeline_figure, build_unit_trend_figure
from dashboard.builders.map_layers import hexagon_aggregation, hexagon_layer
from dashboard.builders.map_markers import marker_callback
from dashboard.builders.maps import MapOptions, build_map, corridor_popup_html, event_type_legend_html
from incidents.i18n import use_language
from tests.incident_frames import gao_admin1, like_incidents, mali_admin0

NNBSP = "\u202f"  # CLDR's French thousands separator and space before %


def _admin0() -> gpd.GeoDataFrame:
    return mali_admin0((-5, 12, 4, 25))


def _admin1() -> gpd.GeoDataFrame:
    return gao_admin1()


def _corridors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "corridor_id": ["C1"],
            "corridor_name": ["Liptako-Gourma"],
            "from_name": ["Gossi"],
            "to_name": ["Djibo"],
            "connector": [True],
            "armed_groups": ["JNIM"],
            "sources": ["S1"],
            "segment_sources": [""],
            "source_refs": [""],
        },
        geometry=[LineString([(-1.31, 15.82), (-1.63, 14.10)])],
        crs="EPSG:4326",
    )


def _incidents(n: int = 3) -> pd.DataFrame:
    return like_incidents(
        n,
        dataset="demo",
        latitude=16.27,
        longitude=-0.04,
        step=0.01,
        fatalities=1200,
        notes="Ambush",
        source="Synthetic",
    )


# ---- maps -------------------------------------------------------------------------------------


def test_legend_speaks_french_and_escapes_the_apostrophe() -> None:
    with use_language("fr"):
        legend = event_type_legend_html(["battle"])
    assert "Type d&#x27;événement" in legend  # the apostrophe is escaped in the HTML
    assert "Affrontement" in legend and "Bulles grises" in legend
    assert "Event type" not in legend and "Grey bubbles" not in legend
    assert "Type d'événement" in html.unescape(legend)


def test_corridor_popup_in_french() -> None:
    row = _corridors().iloc[0]
    with use_language("fr"):
        popup = corridor_popup_html(row)
    assert "<th>Groupes armés</th>" in popup and "<th>Statut</th>" in popup
    assert "Liaison : ajoutée pour rendre la ligne continue" in popup
    assert "aides à l&#x27;analyse" in popup  # "l'analyse", escaped
    assert "Armed groups" not in popup


def test_marker_popup_words_travel_as_escaped_json() -> None:
    with use_language("fr"):
        script = marker_callback([""])
    assert '"place": "Lieu"' in script and '"fatalities": "D\\u00e9c\\u00e8s"' in script
    assert "Ligne de d\\u00e9monstration synth\\u00e9tique" in script
    assert "'Date'" not in script and "Fatalities" not in script  # no English left in the callback


def test_french_map_names_layers_in_french_and_formats_the_note() -> None:
    incidents = _incidents(3)
    with use_language("fr"):
        build = build_map(
            incidents,
            admin0=_admin0(),
            admin1=_admin1(),
            corridors=_corridors(),
            options=MapOptions(max_points=2, towns=False),
        )
        page = build.map.get_root().render()
    names = {str(getattr(child, "layer_name", "")) for child in build.map._children.values()}
    assert {"Pays", "Régions (admin-1)", "Corridors (analytiques, pas des trajets observés)"} <= names
    assert any(name.startswith("Incidents (hexagones), 25 km") for name in names), names
    assert build.note.startswith("3 incidents sont représentés par 1 hexagone de 25 km")
    assert "jusqu'à 2 incidents" in build.note
    assert '"L\\u00e9gende"' in page or '"Légende"' in page  # the legend panel's title
    assert "Plein écran" in page or "Plein \\u00e9cran" in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the map's scripts")
def test_french_map_scripts_parse(tmp_path) -> None:
    """French apostrophes (« d'incidents », « l'analyse ») must not break a script of the page."""
    with use_language("fr"):
        build = build_map(
            _incidents(3), admin0=_admin0(), admin1=_admin1(), corridors=_corridors(), options=MapOptions()
        )
        page = build.map.get_root().render()
    scripts = [s for s in re.findall(r"<script>(.*?)</script>", page, flags=re.S) if s.strip()]
    assert scripts
    # « nombre d'incidents » in the legend: escaped as HTML, then as a JSON string
    assert any("d\\u0026#x27;incidents" in s for s in scripts)
    for number, script in enumerate(scripts):
        path = tmp_path / f"script{number}.js"
        path.write_text(script, encoding="utf-8")
        checked = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr


def test_hexagon_tooltip_and_legend_numbers_in_french() -> None:
    incidents = _incidents(3)
    with use_language("fr"):
        cells, size = hexagon_aggregation(incidents, 25.0)
        layer, legend = hexagon_layer(cells, size, has_fatalities=True)
    tip = layer.data["features"][0]["properties"]["tooltip"]
    assert tip == f"<b>3</b> incidents<br>3{NNBSP}600 décès"
    assert "Incidents par hexagone de 25 km" in legend


# ---- charts -----------------------------------------------------------------------------------


def _weekly() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-02-05"]),
            "group": ["battle", "battle", "abduction"],
            "value": [1500, 3, 2],
        }
    )


def test_timeline_in_french_axis_hover_months_and_number_separators() -> None:
    with use_language("fr"):
        fig = build_timeline_figure(
            _weekly(), measure="fatalities", rolling_window=2, developments=None, title="Décès par semaine"
        )
    assert fig.layout.yaxis.title.text == "Décès"
    assert fig.layout.separators == f",{NNBSP}"  # plotly writes 1 500,5 with these
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert {bar.name for bar in bars} == {"Affrontement", "Enlèvement"}
    assert list(bars[0].customdata[:1]) == ["1 janv. 2024"]
    assert "{day}" not in bars[0].hovertemplate and "%{customdata} : %{y:,}" in bars[0].hovertemplate
    average = next(trace for trace in fig.data if trace.type == "scatter")
    assert average.name == "Moyenne sur 2 périodes (toutes catégories)"
    assert list(fig.layout.xaxis.ticktext[:2]) == ["janv. 2024", "févr. 2024"]


def test_timeline_in_english_keeps_plotly_month_labels() -> None:
    fig = build_timeline_figure(
        _weekly(), measure="fatalities", rolling_window=None, developments=None, title="t"
    )
    assert fig.layout.yaxis.title.text == "Fatalities"
    assert fig.layout.separators is None and fig.layout.xaxis.ticktext is None
    assert fig.data[0].customdata[0] == "1 Jan 2024"


def test_heatmap_and_unit_trend_in_french() -> None:
    matrix = pd.DataFrame(
        [[1200, 0], [3, 5]], index=["Gao", "Kidal"], columns=pd.to_datetime(["2024-01-01", "2024-02-01"])
    )
    with use_language("fr"):
        heat = build_heatmap_figure(matrix, measure="fatalities", title="t")
        trend = build_unit_trend_figure(
            pd.DataFrame(
                {
                    "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                    "incidents": [2, 1],
                    "fatalities": [5, 0],
                }
            ),
            "Gao",
        )
    assert heat.data[0].colorbar.title.text == "Décès"
    assert "Décès : %{z:,}" in heat.data[0].hovertemplate
    assert heat.data[0].customdata[0][1] == "févr. 2024"
    assert trend.layout.yaxis2.title.text == "Décès" and trend.data[1].name == "Décès"
    assert "%{customdata} : %{y:,} décès" in trend.data[1].hovertemplate


# ---- tables -----------------------------------------------------------------------------------


def test_table_headers_and_changes_in_french() -> None:
    frame = pd.DataFrame(
        {"event_date": [1], "fatalities": [2], "inc_10km_7d": [3], "trend_4w": ["large_increase"]}
    )
    with use_language("fr"):
        shown = tables.display_columns(frame)
        assert tables.change_delta(112, 100) == "+12\u00a0%"  # CLDR's French percent: no-break space
        assert tables.change_delta(995, 1000) == "-0,5\u00a0%"
        assert tables.change_delta(3, 0) == "nouveau"
    assert list(shown.columns) == [
        "Date",
        "Décès",
        "À moins de 10 km, 7 derniers jours",
        "Tendance sur 4 semaines",
    ]
    assert shown.iloc[0, 3] == "▲▲ forte hausse"
    # English as the pages always showed it
    assert tables.change_delta(112, 100) == "+12%" and tables.change_delta(995, 1000) == "-0.5%"
    assert list(tables.display_columns(frame).columns)[1] == "Fatalities"


def test_latest_incidents_headers_in_french() -> None:
    with use_language("fr"):
        empty = tables.latest_incidents_table(pd.DataFrame(), {})
    assert list(empty.columns) == ["Date", "Pays", "Région", "Lieu", "Type", "Acteurs", "Décès", "Source"]
