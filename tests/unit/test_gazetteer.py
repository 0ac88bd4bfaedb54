"""Gazetteer loading and place-name lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.errors import DataFileError
from geodata.gazetteer import GAZETTEER_COLUMNS, find_places, load_gazetteer, normalise_place_name

HEADER = ",".join(GAZETTEER_COLUMNS)


def _write(tmp_path: Path, rows: list[str], name: str = "places.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ménaka", "menaka"),
        ("Gorom-Gorom", "gorom gorom"),
        ("  FADA   N’Gourma ", "fada ngourma"),
        ("Fada N'Gourma", "fada ngourma"),
        ("Al Qaţrūn", "al qatrun"),
        ("Ségou", "segou"),
        ("Nioro du Sahel", "nioro du sahel"),
        ("Tin‑Zaouatène", "tin zaouatene"),  # non-breaking hyphen U+2011
        ("Œuvre", "oeuvre"),
        ("", ""),
    ],
)
def test_normalise_place_name(raw: str, expected: str) -> None:
    assert normalise_place_name(raw) == expected


def test_normalise_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="str"):
        normalise_place_name(None)  # type: ignore[arg-type]


def test_menaka_without_accent_finds_menaka_in_mali() -> None:
    found = find_places("Menaka", "MLI")
    assert found.loc[0, "name"] == "Ménaka"
    assert found.loc[0, "place_id"] == "gn:2453514"
    assert found.loc[0, "match"] == "name"
    assert set(found["country_iso3"]) == {"MLI"}


def test_lookup_ignores_case_and_accents() -> None:
    expected = list(find_places("Ménaka")["place_id"])
    assert expected
    assert list(find_places("MENAKA")["place_id"]) == expected
    assert list(find_places("ménaka")["place_id"]) == expected


def test_country_scope_excludes_other_countries() -> None:
    both = find_places("Bani")
    assert {"MLI", "NER"} <= set(both["country_iso3"])
    mali = find_places("Bani", "mli")
    assert len(mali) > 0
    assert set(mali["country_iso3"]) == {"MLI"}
    assert set(find_places("Bani", ["MLI", "NER"])["country_iso3"]) == {"MLI", "NER"}


def test_unknown_country_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="MAL"):
        find_places("Bani", "MAL")


def test_unknown_name_gives_empty_frame_with_columns() -> None:
    found = find_places("Xyzzy Nowhere")
    assert found.empty
    assert {"place_id", "name", "lat", "lon", "match_rank"} <= set(found.columns)


def test_known_bad_tessit_row_is_dropped() -> None:
    found = find_places("Tessit", "MLI")
    assert "gn:10343856" not in set(found["place_id"])
    assert found.loc[0, "place_id"] == "osm:node/2160169823"
    assert found.loc[0, "lon"] == pytest.approx(0.29, abs=0.01)


def test_spacing_variant_matches_after_exact_names() -> None:
    found = find_places("Banibangou", "NER")
    assert "gn:2447132" in set(found["place_id"])  # "Bani Bangou"
    assert list(found["match_rank"]) == sorted(found["match_rank"])


def test_order_name_then_populated_place_then_population(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            "a:1,Foo,Foo,,14.0,-1.0,MLI,Mopti,5,well,test",
            "a:2,Foo,Foo,,14.1,-1.1,MLI,Mopti,10,populated_place,test",
            "a:3,Bar,Bar,Foo|Fou,14.2,-1.2,MLI,Mopti,90000,populated_place,test",
            "a:4,Foo,Foo,,14.3,-1.3,MLI,Mopti,900,populated_place,test",
            "a:5,Foo,Foo,,12.0,2.0,NER,Tillabéri,99999,populated_place,test",
        ],
    )
    found = find_places("FOO", "MLI", path=path)
    assert list(found["place_id"]) == ["a:4", "a:2", "a:1", "a:3"]
    assert list(found["match"]) == ["name", "name", "name", "alternate"]


def test_load_adds_normalised_name_and_returns_copy() -> None:
    first = load_gazetteer()
    assert "name_norm" in first.columns
    assert first.loc[first["place_id"] == "gn:2360372", "name_norm"].item() == "gorom gorom"
    first.loc[:, "name"] = "changed"
    assert (load_gazetteer()["name"] != "changed").any()


def test_missing_file_raises_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_gazetteer.csv"
    with pytest.raises(DataFileError, match=r"no_such_gazetteer\.csv"):
        load_gazetteer(missing)


def test_missing_column_raises_error_naming_file(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("place_id,name\na:1,Foo\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"short\.csv.*lat"):
        load_gazetteer(path)


def test_non_numeric_latitude_raises_error_naming_file(tmp_path: Path) -> None:
    path = _write(tmp_path, ["a:1,Foo,Foo,,north,-1.0,MLI,Mopti,5,well,test"], name="bad_lat.csv")
    with pytest.raises(DataFileError, match=r"bad_lat\.csv"):
        load_gazetteer(path)


def test_duplicate_place_id_raises(tmp_path: Path) -> None:
    row = "a:1,Foo,Foo,,14.0,-1.0,MLI,Mopti,5,well,test"
    path = _write(tmp_path, [row, row], name="dupes.csv")
    with pytest.raises(DataFileError, match="a:1"):
        load_gazetteer(path)
