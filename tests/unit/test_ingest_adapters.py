"""Format detection, ACLED/UCDP/generic adapters and saved column mappings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from incidents.errors import FileLevelError
from incidents.ingest.adapters import adapt
from incidents.ingest.column_mapping import ColumnMapping, load_mapping, save_mapping, suggest_mapping
from incidents.ingest.detect import detect_format
from incidents.ingest.file_reader import read_raw_table
from incidents.ingest.staged import STAGED_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "import"
UCDP_SAMPLE = ROOT / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv"


def _columns(path: Path) -> list[str]:
    return list(read_raw_table(path).frame.columns)


# --- detection -----------------------------------------------------------------------------


def test_detects_all_three_formats() -> None:
    assert detect_format(_columns(FIXTURES / "acled_api_sample.csv")) == "acled"
    assert detect_format(_columns(FIXTURES / "acled_hdx_sample.csv")) == "acled"
    assert detect_format(_columns(UCDP_SAMPLE)) == "ucdp"
    assert detect_format(_columns(FIXTURES / "generic_fr_semicolon.csv")) == "generic"


def test_detection_is_case_insensitive() -> None:
    upper = [name.upper() for name in _columns(FIXTURES / "acled_api_sample.csv")]
    assert detect_format(upper) == "acled"
    assert detect_format([name.title() for name in _columns(UCDP_SAMPLE)]) == "ucdp"


def test_spreadsheet_with_some_acled_names_stays_generic() -> None:
    assert detect_format(["event_date", "event_type", "latitude", "longitude", "notes"]) == "generic"


# --- ACLED ---------------------------------------------------------------------------------


def test_acled_api_layout_is_staged() -> None:
    raw = read_raw_table(FIXTURES / "acled_api_sample.csv")
    staged = adapt(raw, "auto")
    frame = staged.frame
    assert staged.format == "acled"
    assert list(frame.columns) == list(STAGED_COLUMNS)
    assert staged.lines.tolist() == raw.lines.tolist()
    assert (frame["source_dataset"] == "acled").all()
    assert frame["source_event_id"].tolist()[:3] == ["MLI90001", "MLI90002", "MLI90003"]
    assert frame["event_type"].tolist()[:9] == [
        "battle",
        "violence_against_civilians",
        "abduction",
        "explosion_remote_violence",
        "battle",
        "battle",
        "protest_riot",
        "strategic_development",
        "protest_riot",
    ]
    unknown = frame.loc[9]
    assert unknown["event_type"] is pd.NA
    assert unknown["event_type_reported"] == "Unrest"
    assert unknown["geo_precision"] is pd.NA  # 5 is not an ACLED geo_precision
    assert frame["date_precision"].tolist()[:3] == ["day", "day", "week"]
    assert frame.loc[7, "date_precision"] == "month"
    assert frame["civilian_targeting"].tolist() == [
        False,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert frame["actor_group"].tolist()[:2] == ["JNIM", "IS Sahel"]
    assert frame.loc[11, "actor_group"] == "foreign forces"
    assert frame.loc[0, "latitude"] == "14.0102"  # coordinates stay text for validation
    assert frame.loc[0, "fatalities"] == "3"
    assert frame.loc[0, "reported_country"] == "Mali"
    assert staged.source_columns["source_event_id"] == "event_id_cnty"
    assert staged.source_columns["date_precision"] == "time_precision"
    assert staged.source_columns["event_type_reported"] == "event_type"


def test_acled_hdx_layout_derives_civilian_targeting_from_event_type() -> None:
    staged = adapt(read_raw_table(FIXTURES / "acled_hdx_sample.csv"), "acled")
    frame = staged.frame
    assert frame["event_type"].tolist() == [
        "battle",
        "violence_against_civilians",
        "abduction",
        "explosion_remote_violence",
        "battle",
    ]
    assert frame["civilian_targeting"].tolist() == [False, True, True, False, False]
    assert frame["source_event_id"].tolist()[0] == "MLI80001"
    assert staged.lines.tolist() == [3, 4, 7, 8, 9]
    assert "civilian_targeting" not in staged.source_columns


def test_forcing_acled_on_a_spreadsheet_fails_listing_missing_columns() -> None:
    raw = read_raw_table(FIXTURES / "generic_fr_semicolon.csv")
    with pytest.raises(FileLevelError, match="required columns missing or unmappable: ACLED needs"):
        adapt(raw, "acled")


def test_unknown_format_fails_naming_allowed() -> None:
    raw = read_raw_table(FIXTURES / "acled_api_sample.csv")
    with pytest.raises(FileLevelError, match=r"unknown import format 'xls'; use one of \['auto'"):
        adapt(raw, "xls")


# --- UCDP ----------------------------------------------------------------------------------


def test_ucdp_real_sample_is_staged() -> None:
    raw = read_raw_table(UCDP_SAMPLE)
    staged = adapt(raw, "auto")
    frame = staged.frame
    assert staged.format == "ucdp"
    assert len(frame) == 19
    # two records hold quoted multi-line source text: physical lines skip past them
    assert staged.lines.tolist() == [*range(2, 19), 21, 22]
    assert frame.loc[0, "source_event_id"] == "29083"
    assert frame.loc[0, "event_date"] == "2012-02-11"
    assert frame.loc[0, "location"] == "Annaba town"
    assert frame.loc[0, "reported_admin1"] == "Annaba province"
    assert frame.loc[0, "fatalities"] == "1"
    assert set(frame["event_type"]) == {"battle", "violence_against_civilians"}
    one_sided = frame["sub_event_type"] == "one-sided"
    assert one_sided.sum() == 3
    assert frame["civilian_targeting"].tolist() == one_sided.tolist()
    assert (frame.loc[one_sided, "event_type"] == "violence_against_civilians").all()
    assert set(frame["sub_event_type"]) == {"state-based", "non-state", "one-sided"}
    assert frame["geo_precision"].dropna().isin([1, 2, 3]).all()
    assert frame["date_precision"].isin(["day", "week", "month"]).all()
    assert frame["actor1"].notna().all()
    assert staged.source_columns["fatalities"] == "best"
    assert staged.source_columns["location"] == "where_coordinates"


def test_ucdp_date_with_time_part_stays_text_and_bad_codes_are_na() -> None:
    header = "id,type_of_violence,date_start,latitude,longitude,where_prec,date_prec,best,side_a,side_b\n"
    row = "7,9,2019-01-01 00:00:00.000,14.1,-4.2,9,x,3,Government of Mali,JNIM\n"
    frame = adapt(read_raw_table((header + row).encode()), "ucdp").frame
    assert frame.loc[0, "event_date"] == "2019-01-01 00:00:00.000"
    assert frame.loc[0, "event_type"] is pd.NA
    assert frame.loc[0, "event_type_reported"] == "9"
    assert frame.loc[0, "geo_precision"] is pd.NA
    assert frame.loc[0, "date_precision"] is pd.NA
    assert frame.loc[0, "civilian_targeting"] is pd.NA
    assert frame.loc[0, "actor_group"] == "JNIM"


# --- generic and mappings ------------------------------------------------------------------


def test_generic_french_file_with_saved_mapping() -> None:
    raw = read_raw_table(FIXTURES / "generic_fr_semicolon.csv")
    mapping = load_mapping(FIXTURES / "generic_mapping.json")
    staged = adapt(raw, "generic", mapping)
    frame = staged.frame
    assert staged.format == "generic"
    assert list(frame.columns) == list(STAGED_COLUMNS)
    assert (frame["source_dataset"] == "generic").all()
    assert frame["event_date"].tolist()[0] == "12/09/2022"
    assert frame.loc[4, "latitude"] == "14,35"
    assert frame["event_type"].tolist() == [
        "violence_against_civilians",
        "abduction",
        "explosion_remote_violence",
        "battle",
        pd.NA,
        "protest_riot",
    ]
    assert frame.loc[4, "event_type_reported"] == "Vol de bétail"
    assert frame["civilian_targeting"].tolist() == [True, True, False, False, False, False]
    assert frame.loc[2, "actor_group"] == "IS Sahel"  # EIGS
    assert frame.loc[0, "reported_admin1"] == "Mopti"
    assert frame.loc[5, "latitude"] is pd.NA
    assert frame.loc[5, "location"] == "Sévaré"
    assert staged.source_columns["reported_admin1"] == "Région"
    assert staged.source_columns["event_type_reported"] == "Type d'incident"
    assert staged.lines.tolist() == [2, 3, 4, 5, 6, 7]


def test_mapping_round_trip(tmp_path: Path) -> None:
    mapping = ColumnMapping(
        name="Équipe Mopti",
        columns={"event_date": "Date", "location": "Localité", "civilian_targeting": "Civils"},
        event_type_values={"Attaque": "violence_against_civilians"},
        date_dayfirst=False,
        source_dataset="manual",
    )
    path = tmp_path / "mopti.json"
    save_mapping(mapping, path)
    assert load_mapping(path) == mapping
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == "Équipe Mopti"


def test_manual_mapping_with_yes_no_flags_and_mapping_columns_case_insensitive() -> None:
    text = (
        "DATE;LIEU;TYPE;Civils\n01/02/2023;Boni;attaque;oui\n"
        "02/02/2023;Gao;Battles;non\n03/02/2023;Kidal;?;peut-être\n"
    )
    mapping = ColumnMapping(
        name="m",
        columns={
            "event_date": "date",
            "location": "lieu",
            "event_type": "type",
            "civilian_targeting": "civils",
        },
        event_type_values={"ATTAQUE": "violence_against_civilians"},
        source_dataset="manual",
    )
    staged = adapt(read_raw_table(text.encode()), "auto", mapping)
    frame = staged.frame
    assert staged.format == "generic"
    assert (frame["source_dataset"] == "manual").all()
    assert frame["event_type"].tolist() == ["violence_against_civilians", "battle", pd.NA]
    assert frame["civilian_targeting"].tolist() == [True, False, pd.NA]
    assert staged.source_columns["location"] == "LIEU"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"columns": {"dat": "Date"}}', r"unknown field\(s\) \['dat'\]; allowed fields"),
        ('{"event_type_values": {"Attaque": "attack"}}', r"unknown event type\(s\) \['attack'\]"),
        ('{"columns": ', r"is not valid JSON \(.* at line 1, column 13\); fix the syntax"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"colums": {}}', r"unknown key\(s\) \['colums'\]"),
        ('{"source_dataset": "acled"}', r"source_dataset 'acled'; allowed: \['generic', 'manual'\]"),
        ('{"date_dayfirst": "yes"}', "date_dayfirst must be true or false"),
    ],
)
def test_bad_mapping_files_fail_with_one_sentence(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(FileLevelError, match=message):
        load_mapping(path)


def test_generic_without_date_or_place_fails_listing_what_to_map() -> None:
    raw = read_raw_table(b"Jour X,Commentaire\n1,abc\n")
    with pytest.raises(FileLevelError) as caught:
        adapt(raw, "generic", ColumnMapping(name="m", columns={"notes": "Commentaire"}))
    message = str(caught.value)
    assert message.startswith("required columns missing or unmappable: map event_date and latitude")
    assert "location" in message


def test_generic_mapping_naming_absent_column_fails() -> None:
    raw = read_raw_table(b"Date,Lieu\n01/02/2023,Boni\n")
    columns = {"event_date": "Date", "location": "Lieu", "notes": "Remarques"}
    mapping = ColumnMapping(name="m", columns=columns)
    with pytest.raises(FileLevelError, match=r"names column\(s\) the file lacks: notes -> 'Remarques'"):
        adapt(raw, "generic", mapping)


def test_suggest_mapping_on_french_headers() -> None:
    columns = [
        "N° fiche",
        "Date de l'évènement",
        "Localité",
        "Région",
        "Cercle",
        "Lat",
        "Long",
        "Type d'incident",
        "Sous-type",
        "Auteurs présumés",
        "Nombre de morts",
        "Commentaires",
        "Source",
        "ID",
    ]
    mapping = suggest_mapping(columns)
    assert mapping.columns == {
        "event_date": "Date de l'évènement",
        "latitude": "Lat",
        "longitude": "Long",
        "location": "Localité",
        "admin1": "Région",
        "admin2": "Cercle",
        "event_type": "Type d'incident",
        "sub_event_type": "Sous-type",
        "actor1": "Auteurs présumés",
        "fatalities": "Nombre de morts",
        "notes": "Commentaires",
        "source": "Source",
        "source_event_id": "ID",
    }


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["date_evenement", "lon", "lat", "lieu"], {"event_date", "longitude", "latitude", "location"}),
        (
            ["Date", "lng", "latitude", "Victimes", "Description"],
            {"event_date", "longitude", "latitude", "fatalities", "notes"},
        ),
        (["date", "localite", "tues", "acteur"], {"event_date", "location", "fatalities", "actor1"}),
        (
            ["date", "lieu", "deces", "auteur", "type_incident"],
            {"event_date", "location", "fatalities", "actor1", "event_type"},
        ),
    ],
)
def test_suggest_mapping_common_names(columns: list[str], expected: set[str]) -> None:
    assert set(suggest_mapping(columns).columns) == expected


def test_generic_without_mapping_uses_suggestion() -> None:
    raw = read_raw_table(FIXTURES / "generic_fr_semicolon.csv")
    staged = adapt(raw, "auto")
    assert staged.format == "generic"
    # no saved vocabulary: built-in French labels still map, unknown ones stay <NA>
    assert staged.frame["event_type"].tolist() == [
        pd.NA,
        "abduction",
        "explosion_remote_violence",
        "battle",
        pd.NA,
        "protest_riot",
    ]


# --- per-distinct-value paths (must equal the whole-column computations they replace) ---------

_CODES = [
    "1",
    "2",
    "3",
    "1.0",
    " 2 ",
    "abc",
    "1,0",
    "4",
    None,
    "0",
    "-1",
    "2.5",
    "1e0",
    "\u00a01",
    "３",
    "nan",
    "inf",
    "NA",
    "",
    "3.0",
    "+1",
    "-0",
    "0x1",
]
_FLAGS = [
    "Civilian targeting",
    "civilian targeting",
    "Civilian  targeting",
    "CIVILIAN TARGETING",
    None,
    "yes",
    "Civilian\ttargeting",
    "Civílian targeting",
    "civilian_targeting",
    " Civilian targeting ",
    "\u00a0",
]
_TYPES = [
    "Battles",
    "battles",
    " Battles ",
    "BATTLES",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Violence  against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
    "Unknown",
    None,
    "",
    "Violence against civílians",
    "Batailles",
    "\u00a0Riots",
    "a\x1fb",
]
_SUBS = [
    "Armed clash",
    "Abduction/forced disappearance",
    "abduction/forced  disappearance",
    "Abduction/Forced disappearance ",
    None,
    "",
    "Attack",
    "Abducción",
    "c",
]
_ACTORS = [
    "Military Forces of Mali",
    "JNIM: Jama'at Nusrat al-Islam wal-Muslimin",
    "Islamic State Sahel",
    "Wagner Group",
    None,
    "",
    "Dozo Militia",
    "Civilians (Mali)",
    "Unidentified Armed Group",
    "Forces armées maliennes",
    "  ",
    "MNLA",
]


def _sample(values: list, rows: int, seed: int) -> pd.Series:
    import random

    rng = random.Random(seed)
    return pd.Series([rng.choice(values) for _ in range(rows)], dtype="string")


def _old_acled_event_types(event_type: pd.Series, sub_event_type: pd.Series) -> pd.Series:
    """The adapter's previous whole-column implementation."""
    from incidents.vocabularies import map_acled_event_type

    key = event_type.fillna("\x00") + "\x1f" + sub_event_type.fillna("\x00")
    first = ~key.duplicated()
    mapped = map_acled_event_type(event_type[first], sub_event_type[first])
    lookup = pd.Series(mapped.to_numpy(), index=key[first].to_numpy())
    result = key.map(lookup).astype("string")
    return result.mask(result == "other")


def _old_derive_actor_group(actor1: pd.Series, actor2: pd.Series) -> pd.Series:
    import numpy as np

    from incidents.vocabularies import normalise_actor_group

    armed = {"JNIM", "IS Sahel", "rebels", "militia"}

    def classify(actor: pd.Series) -> tuple:
        codes, uniques = pd.factorize(actor)
        groups = [normalise_actor_group(name) for name in uniques] + ["unidentified"]
        return np.array(groups, dtype=object)[codes], np.array([g in armed for g in groups])[codes]

    first, first_armed = classify(actor1)
    second, second_armed = classify(actor2)
    return pd.Series(np.where(~first_armed & second_armed, second, first), index=actor1.index, dtype="string")


@pytest.mark.parametrize("rows", [0, 1, 7, 400])
def test_code_columns_per_distinct_value_equal_whole_column(rows: int) -> None:
    from incidents.ingest import adapters
    from incidents.vocabularies import map_acled_time_precision

    for seed in range(5):
        codes = _sample(_CODES, rows, seed)
        codes.index = codes.index + 10  # the adapter keeps the raw frame's index
        date_precision = map_acled_time_precision(codes).where(adapters._codes(codes).isin([1, 2, 3]))
        pd.testing.assert_series_equal(
            adapters._per_distinct(codes, adapters._acled_date_precision), date_precision, check_names=False
        )
        geo = adapters._int_codes(codes, {1: 1, 2: 2, 3: 3})
        pd.testing.assert_series_equal(
            adapters._per_distinct(codes, adapters._acled_geo_precision), geo, check_names=False
        )
        flags = _sample(_FLAGS, rows, seed)
        civilian = adapters._fold(flags).eq("civilian targeting").fillna(False).astype("boolean")
        pd.testing.assert_series_equal(
            adapters._per_distinct(flags, adapters._acled_civilian_targeting), civilian, check_names=False
        )


def test_code_columns_without_missing_or_all_missing() -> None:
    from incidents.ingest import adapters

    for values in (["1", "2", "2"], [None, None], ["x"]):
        codes = pd.Series(values, dtype="string")
        expected = adapters._int_codes(codes, {1: 1, 2: 2, 3: 3})
        pd.testing.assert_series_equal(adapters._per_distinct(codes, adapters._acled_geo_precision), expected)


@pytest.mark.parametrize("rows", [0, 1, 9, 500])
def test_event_types_by_distinct_pair_equal_the_key_lookup(rows: int) -> None:
    from incidents.ingest import adapters

    for seed in range(5):
        types, subs = _sample(_TYPES, rows, seed), _sample(_SUBS, rows, seed + 100)
        pd.testing.assert_series_equal(
            adapters._acled_event_types(types, subs), _old_acled_event_types(types, subs), check_names=False
        )
    missing = pd.Series([None] * 3, dtype="string")
    pd.testing.assert_series_equal(
        adapters._acled_event_types(missing, missing),
        _old_acled_event_types(missing, missing),
        check_names=False,
    )


def test_actor_groups_equal_the_object_array_build() -> None:
    from incidents.ingest.adapters import _actor_groups
    from incidents.vocabularies import derive_actor_group

    for seed in range(5):
        first, second = _sample(_ACTORS, 300, seed), _sample(_ACTORS, 300, seed + 50)
        expected = _old_derive_actor_group(first.fillna(""), second.fillna(""))
        pd.testing.assert_series_equal(_actor_groups(first, second), expected)
        pd.testing.assert_series_equal(
            derive_actor_group(first, second), _old_derive_actor_group(first, second)
        )
        objects = (first.astype(object), second.astype(object))
        pd.testing.assert_series_equal(derive_actor_group(*objects), _old_derive_actor_group(*objects))
    empty = pd.Series([], dtype="string")
    pd.testing.assert_series_equal(derive_actor_group(empty, empty), _old_derive_actor_group(empty, empty))
