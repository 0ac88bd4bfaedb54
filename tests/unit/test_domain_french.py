"""The domain's messages in French (issue #18): the same facts as in English, in the reader's language.

Each check reads the English first, then the same call inside ``use_language("fr")``: line numbers,
values and names stay, the words change. Dataset and licence names (ACLED's wording) never do.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from geodata.corridor_files import read_corridor_file
from geodata.errors import CorridorFileError
from incidents.credits import ACLED_ATTRIBUTION, incident_credits
from incidents.errors import BatchNotFoundError, SettingError, SiteFileError, SiteValueError, ViewError
from incidents.freshness import Freshness, anchored_period
from incidents.i18n import use_language
from incidents.query_links import bound_query_params
from incidents.settings import stale_after_days
from incidents.sites import read_sites, site_from_values
from incidents.sources import left_out_note
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, validate_view

SITES = "name,type,lat,lon\nBureau Mopti,bureau,14.49,-4.19\nCamp Gao,camp,abc,-0.04\n,camp,15.1,-1.2\n"
OLD = Freshness(date(2022, 12, 30), datetime(2026, 12, 2, 8, 5, tzinfo=UTC), today=date(2026, 12, 2))


def _issues(language: str) -> list[tuple[int | None, str, str]]:
    with use_language(language):
        read = read_sites(SITES.encode("utf-8"), file_name="sites.csv")
    return [(issue.line, issue.code, issue.message) for issue in read.issues]


def test_a_site_file_problem_reads_french_on_the_same_line() -> None:
    english, french = _issues("en"), _issues("fr")
    assert [(line, code) for line, code, _msg in english] == [(line, code) for line, code, _msg in french]
    assert (3, "bad_coordinate", "cannot read latitude 'abc' as decimal degrees") in english
    assert (3, "bad_coordinate", "impossible de lire la latitude « abc » en degrés décimaux") in french
    assert (4, "missing_required", "le nom est vide") in french


def test_a_whole_site_file_error_and_a_form_error_read_french() -> None:
    with use_language("fr"), pytest.raises(SiteFileError, match="n'a pas de colonne latitude, longitude"):
        read_sites(b"name,type\nA,b\n", file_name="sites.csv")
    with (
        use_language("fr"),
        pytest.raises(SiteValueError, match=re.escape("la latitude 95.0 n'est pas un nombre")),
    ):
        site_from_values("Bureau", "bureau", 95.0, 1.0)
    with pytest.raises(SiteValueError, match=re.escape("latitude 95.0 is not a number in -90..90")):
        site_from_values("Bureau", "bureau", 95.0, 1.0)


def test_data_dates_read_french_with_french_dates() -> None:
    assert OLD.summary() == "Data as of 30 Dec 2022 (newest incident) · last import 2 Dec 2026 08:05 UTC"
    with use_language("fr"):
        assert OLD.summary() == (
            "Données au 30 déc. 2022 (incident le plus récent) · dernier import : 2 déc. 2026 08:05 UTC"
        )
        assert OLD.warning() == (
            "L'incident le plus récent date du 30 déc. 2022, il y a 4 ans : "
            "les chiffres décrivent cette période, pas la situation actuelle."
        )
        assert anchored_period("365 derniers jours", date(2022, 12, 30)) == (
            "365 derniers jours jusqu'au 30 déc. 2022, incident le plus récent"
        )
        assert Freshness(None, None, today=date(2026, 12, 2)).summary() == (
            "Données : aucun incident enregistré · dernier import : jamais"
        )


def test_acled_credit_keeps_acleds_wording_around_a_french_sentence() -> None:
    batches = pd.DataFrame(
        {
            "batch_id": ["b1"],
            "file_name": ["acled_mali.csv"],
            "format": ["acled"],
            "created_at": pd.to_datetime(["2026-11-30 09:15"], utc=True),
        }
    )
    shown = pd.DataFrame({"source_dataset": ["acled", "demo"], "batch_id": ["b1", "d"]})
    with use_language("fr"):
        acled, demo = incident_credits(shown, batches)
    assert (
        acled.text
        == f"{ACLED_ATTRIBUTION}. Consulté au plus tard le 30 nov. 2026 (importé de acled_mali.csv)."
    )
    assert demo.label == "démonstration synthétique" and demo.text.startswith(
        "Les incidents de démonstration"
    )


def test_store_errors_read_french(sqlite_store: IncidentStore) -> None:
    with use_language("fr"), pytest.raises(BatchNotFoundError, match="aucun lot 'b-none' dans la base"):
        sqlite_store.undo_batch("b-none")
    with use_language("fr"), pytest.raises(ViewError, match="le nom de la vue est vide"):
        validate_view(SavedView(name="  ", query=""))


def test_setting_link_and_demo_messages_read_french() -> None:
    with use_language("fr"), pytest.raises(SettingError, match="doit être un nombre entier de jours"):
        stale_after_days({"SAHEL_STALE_AFTER_DAYS": "soon"})
    with use_language("fr"):
        notices = bound_query_params({"min_fatalities": "-3", "country": "Mali"}).notices
        note = left_out_note(1234)
    assert (
        "Le paramètre de lien min_fatalities='-3' n'est pas un nombre entier de 0 à 100\u202f000"
        in notices[0]
    )
    assert (
        notices[1]
        == "Le paramètre de lien country='Mali' n'est pas un code pays à trois lettres ; il a été ignoré."
    )
    assert note is not None and note.startswith(
        "note : 1\u202f234 lignes de démonstration synthétiques écartées"
    )


def test_a_corridor_upload_error_reads_french_through_the_geodata_hook() -> None:
    with use_language("fr"), pytest.raises(CorridorFileError) as raised:
        read_corridor_file("routes.txt", b"x")
    message = str(raised.value)
    assert message.startswith("routes.txt : l'extension '.txt' ne fait pas partie de")
    assert "Téléversez un GeoJSON" in message
    with pytest.raises(CorridorFileError, match="Upload GeoJSON with LineString"):
        read_corridor_file("routes.txt", b"x")
