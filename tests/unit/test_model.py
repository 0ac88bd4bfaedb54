"""The canonical incident frame: columns, dtypes and the checks that protect them."""

from __future__ import annotations

import pandas as pd
import pytest

from incidents.errors import SchemaError
from incidents.model import INCIDENT_COLUMNS, conform_incidents, empty_incidents
from incidents.vocabularies import (
    derive_actor_group,
    map_acled_event_type,
    map_acled_time_precision,
    map_ucdp_event_type,
    map_ucdp_geo_precision,
    normalise_actor_group,
)


def minimal(**overrides: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "source_dataset": "manual",
        "source_event_id": "X1",
        "event_date": "2024-03-01",
        "date_precision": "day",
        "latitude": 16.27,
        "longitude": -0.04,
        "geo_precision": 1,
        "event_type": "battle",
        "actor_group": "JNIM",
        "fatalities": 2,
        "civilian_targeting": False,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_conform_gives_canonical_columns_dtypes_and_id() -> None:
    frame = conform_incidents(minimal())
    assert list(frame.columns) == list(INCIDENT_COLUMNS)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == dict(INCIDENT_COLUMNS)
    assert frame.loc[0, "incident_id"] == "manual:X1"
    assert frame.loc[0, "event_date"] == pd.Timestamp("2024-03-01")


def test_empty_frame_has_the_schema() -> None:
    assert list(empty_incidents().columns) == list(INCIDENT_COLUMNS)
    assert conform_incidents(empty_incidents()).empty


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("event_type", "massacre", "event_type"),
        ("source_dataset", "twitter", "source_dataset"),
        ("actor_group", "aliens", "actor_group"),
        ("geo_precision", 7, "geo_precision"),
        ("fatalities", -1, "negative"),
        ("latitude", 95.0, "out of range"),
        ("date_precision", "year", "date_precision"),
    ],
)
def test_bad_values_raise_naming_the_column(column: str, value: object, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        conform_incidents(minimal(**{column: value}))


def test_missing_required_column_raises() -> None:
    with pytest.raises(SchemaError, match="event_type"):
        conform_incidents(minimal().drop(columns=["event_type"]))


def test_duplicate_ids_raise() -> None:
    with pytest.raises(SchemaError, match="unique"):
        conform_incidents(pd.concat([minimal(), minimal()]))


def test_acled_event_types_map_including_abduction_and_unknown() -> None:
    types = pd.Series(
        [
            "Battles",
            "Explosions/Remote violence",
            "Violence against civilians",
            "Violence against civilians",
            "Protests",
            "Riots",
            "Strategic developments",
            "Other",
        ]
    )
    subs = pd.Series(
        [
            "Armed clash",
            "Air/drone strike",
            "Attack",
            "Abduction/forced disappearance",
            "Peaceful protest",
            "Mob violence",
            "Agreement",
            "x",
        ]
    )
    assert map_acled_event_type(types, subs).tolist() == [
        "battle",
        "explosion_remote_violence",
        "violence_against_civilians",
        "abduction",
        "protest_riot",
        "protest_riot",
        "strategic_development",
        "other",
    ]


def test_ucdp_mappings() -> None:
    assert map_ucdp_event_type(pd.Series([1, 2, 3, 9])).tolist() == [
        "battle",
        "battle",
        "violence_against_civilians",
        "other",
    ]
    assert map_ucdp_geo_precision(pd.Series([1, 2, 3, 4, 5, 6, 7, None])).tolist() == [1, 2, 2, 3, 3, 3, 3, 3]
    assert map_acled_time_precision(pd.Series([1, 2, 3])).tolist() == ["day", "week", "month"]


@pytest.mark.parametrize(
    ("actor", "group"),
    [
        ("JNIM: Group for Support of Islam and Muslims", "JNIM"),
        ("Katiba Macina", "JNIM"),
        ("Islamic State (Greater Sahara)", "IS Sahel"),
        ("Military Forces of Mali (2021-)", "state forces"),
        ("Military Forces of France", "foreign forces"),
        ("Wagner Group", "foreign forces"),
        ("Dozo Communal Militia (Mali)", "militia"),
        ("Civilians (Burkina Faso)", "civilians"),
        ("", "unidentified"),
        (None, "unidentified"),
    ],
)
def test_actor_families(actor: str | None, group: str) -> None:
    assert normalise_actor_group(actor) == group


def test_incident_attributed_to_the_armed_group_not_the_army() -> None:
    groups = derive_actor_group(
        pd.Series(["Military Forces of Mali (2021-)", "JNIM", None]),
        pd.Series(["Islamic State (Sahel)", "Civilians (Mali)", None]),
    )
    assert groups.tolist() == ["IS Sahel", "JNIM", "unidentified"]


def test_actor_group_of_all_empty_string_columns_is_unidentified() -> None:
    empty = pd.Series([pd.NA, pd.NA], dtype="string")
    assert derive_actor_group(empty, empty).tolist() == ["unidentified", "unidentified"]
