"""The 'data' area in French: the import report, watches, roles, alert e-mails (issue #18).

The import report's reason codes, line numbers and JSON keys are contracts: only the message
text follows the language. All rows are SYNTHETIC (ACLED-like layout, invented values).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard.builders import importing as imp
from dashboard.builders import watches as wb
from incidents.alerts.messages import email_message
from incidents.alerts.watches import Area, Filters, Recipients, Watch, check_watch
from incidents.auth import LOCAL_ADMIN, Role, User, require
from incidents.auth.accounts import create_user, set_account_language
from incidents.errors import PermissionDenied, WatchError
from incidents.i18n import use_language
from incidents.ingest.issues import fill
from incidents.ingest.pipeline import PreparedImport, prepare_import
from incidents.store import IncidentStore, open_store

TODAY = date(2026, 1, 1)
HEADER = "event_id_cnty,event_date,event_type,actor1,country,location,latitude,longitude,notes,fatalities"
#: Invented ACLED-like rows: one good, then a bad date, a bad count, a negative count, no place at all.
BAD_CSV = (
    HEADER
    + "\n"
    + "\n".join(
        [
            "SYN1,2024-03-01,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,2",
            "SYN2,31/31/2024,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,1",
            "SYN3,2024-03-02,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,many",
            "SYN4,2024-03-03,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,-3",
            "SYN5,2024-03-04,Battles,JNIM,Mali,,,,SYNTHETIC,0",
        ]
    )
    + "\n"
).encode("utf-8")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncidentStore]:
    opened = open_store(f"sqlite:///{tmp_path_factory.mktemp('fr') / 'fr.db'}")
    yield opened
    opened.close()


def _prepare(store: IncidentStore, language: str) -> PreparedImport:
    with use_language(language):
        return prepare_import(BAD_CSV, store, file_name="synthetic.csv", today=TODAY)


def test_the_import_report_speaks_french_with_the_same_codes_and_lines(store: IncidentStore) -> None:
    english = _prepare(store, "en").report
    french = _prepare(store, "fr").report
    as_rows = [(issue.line, issue.code, issue.severity, issue.column) for issue in english.issues]
    assert as_rows == [(issue.line, issue.code, issue.severity, issue.column) for issue in french.issues]
    assert {"bad_date", "bad_fatalities", "negative_fatalities", "missing_required"} <= {
        row[1] for row in as_rows
    }
    assert sorted(english.to_dict()) == sorted(french.to_dict())  # the JSON keys do not move
    by_code = {issue.code: issue.message for issue in french.issues}
    assert by_code["bad_date"] == (
        "date «\u00a031/31/2024\u00a0» illisible\u00a0; utilisez par exemple 2022-09-12 ou 12/09/2022"
    )
    assert "n'est pas un nombre entier" in by_code["bad_fatalities"] and "many" in by_code["bad_fatalities"]
    assert "est négatif" in by_code["negative_fatalities"]
    english_by_code = {issue.code: issue.message for issue in english.issues}
    assert english_by_code["bad_date"] == "cannot read date '31/31/2024'; use e.g. 2022-09-12 or 12/09/2022"
    # line 3 of the file (the header is line 1) holds the bad date, in both languages
    assert [issue.line for issue in french.issues if issue.code == "bad_date"] == [3]
    with use_language("fr"):
        summary = french.summary()
    assert summary.startswith("essai à blanc\u00a0: 5 lignes lues, 1 acceptées, 4 rejetées")
    assert english.summary().startswith("dry run: 5 rows read, 1 accepted, 4 rejected")


def test_fill_puts_series_where_the_translation_wants_them() -> None:
    values = pd.Series(["a", "b"], index=[4, 9], dtype="string")
    filled = fill("{value} then {n}, {value}", value=values, n=3)
    assert isinstance(filled, pd.Series) and filled.tolist() == ["a then 3, a", "b then 3, b"]
    assert list(filled.index) == [4, 9]
    assert fill("no {what} here", what="series") == "no series here"


def test_import_figures_headers_and_batches_in_french() -> None:
    report = _empty_report()
    with use_language("fr"):
        figures = imp.summary_figures(report)
        issues = imp.shown_issues(
            pd.DataFrame(
                [
                    {
                        "line": 3,
                        "column": "x",
                        "code": "bad_date",
                        "severity": "error",
                        "message": "m",
                        "value": "v",
                    }
                ]
            )
        )
        label = imp.batch_label(
            {"batch_id": "b1", "file_name": "f.csv", "rows_accepted": 1, "created_at": "2025-11-02 10:04"}
        )
    assert list(figures) == [
        "Lignes lues",
        "Acceptées (nouvelles)",
        "Rejetées",
        "Doublons ignorés",
        "Hors zone (ignorées)",
    ]
    assert list(issues.columns) == ["Ligne", "Colonne", "Code de motif", "Gravité", "Problème", "Valeur"]
    assert issues.iloc[0]["Code de motif"] == "bad_date" and issues.iloc[0]["Gravité"] == "erreur"
    assert label == "b1 — f.csv (1 incident, 2025-11-02 10:04 UTC)"
    assert imp.FORMAT_LABELS["generic"] == "My own spreadsheet (map the columns)"  # English outside the block


def _empty_report() -> imp.ImportReport:
    return imp.ImportReport("f.csv", "0" * 64, "acled", None, 5, 1, 4, 0)


def test_roles_are_named_in_french_and_refusals_too() -> None:
    viewer = User(name="ana", role=Role.VIEWER)
    with use_language("fr"), pytest.raises(PermissionDenied) as refused:
        require(viewer, "import")
    assert str(refused.value) == (
        "lecteur 'ana' ne peut pas importer des fichiers\u00a0; il faut le rôle analyste\u00a0; "
        "demandez à un administrateur"
    )
    with pytest.raises(PermissionDenied) as english:
        require(viewer, "import")
    assert "viewer 'ana' may not import files; that needs the analyst role" in str(english.value)


def test_watch_table_and_errors_in_french() -> None:
    watch = check_watch(
        Watch(
            name="Bureau",
            area=Area(kind="admin", admin1=("ML-7",)),
            filters=Filters(min_fatalities=2),
            recipients=Recipients(users=("local",)),
            delivery="weekly@MON,07:00",
        )
    )
    with use_language("fr"):
        assert wb.describe_delivery(watch.delivery) == "chaque semaine, lun. 07:00 UTC"
        assert wb.describe_filters(watch.filters) == "≥ 2 décès"
        assert watch.describe_area() == "unités ML-7"
        with pytest.raises(WatchError, match=r"^une veille doit avoir un nom$"):
            check_watch(Watch(name=" ", area=watch.area, filters=watch.filters, recipients=watch.recipients))
        title = wb.inbox_title(
            {
                "kind": "alert",
                "watch_name": "W",
                "read": False,
                "created_at": datetime(2026, 12, 2, 14, 5, tzinfo=UTC),
                "payload": {"incidents": [{}, {}]},
            }
        )
    assert title == "Alerte · W · 2 incidents · 2 déc. 2026 14:05 UTC · nouveau"
    assert wb.describe_delivery(watch.delivery) == "weekly, MON 07:00 UTC"


PAYLOAD = {
    "kind": "alert",
    "watch": "Mopti office",
    "area": "25 km around Mopti office",
    "incidents": [{"event_date": "2024-03-01", "location": "Sofara", "fatalities": 2, "notes": "<b>x</b>"}],
    "link": "http://dash.example/map?period=custom",
}


def test_an_alert_mail_is_written_in_the_owners_language() -> None:
    french = email_message(
        PAYLOAD, sender="a@example.org", recipient="b@example.org", message_id=1, language="fr"
    )
    english = email_message(PAYLOAD, sender="a@example.org", recipient="b@example.org", message_id=1)
    assert french["Subject"] == "[Alertes Sahel] Mopti office\u00a0: 1 nouvel incident"
    assert english["Subject"] == "[Sahel alerts] Mopti office: 1 new incident"
    text = french.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Décès\u00a0: 2" in text and "Les ouvrir sur la carte" in text
    html = french.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<th>Lieu</th>" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_the_outbox_looks_up_the_owners_language(tmp_path: Path) -> None:
    from incidents.alerts.outbox import owner_language
    from incidents.alerts.store import add_watch

    opened = open_store(f"sqlite:///{tmp_path / 'owner.db'}")
    try:
        create_user(opened, "amina", "analyst", "a long enough password", by=LOCAL_ADMIN)
        watch = Watch(
            name="Veille",
            area=Area(kind="admin", admin1=("ML-7",)),
            filters=Filters(),
            recipients=Recipients(users=("amina",)),
        )
        add_watch(opened, watch, by=User("amina", Role.ANALYST))
        assert owner_language(opened, "Veille") is None
        set_account_language(opened, "amina", "fr")
        assert owner_language(opened, "Veille") == "fr"
        assert owner_language(opened, "no such watch") is None
    finally:
        opened.close()


def test_the_report_json_stays_english_keyed(store: IncidentStore, tmp_path: Path) -> None:
    report = _prepare(store, "fr").report
    path = tmp_path / "r.json"
    report.write_json(path)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert set(loaded["issues"][0]) == {"line", "column", "code", "severity", "message", "value"}
    assert any("illisible" in issue["message"] for issue in loaded["issues"])


def test_a_file_level_refusal_reads_in_french() -> None:
    from incidents.errors import FileLevelError
    from incidents.ingest.file_reader import read_raw_table

    with use_language("fr"), pytest.raises(FileLevelError) as refused:
        read_raw_table(b"%PDF-1.7 not a table", file_name="rapport.pdf")
    assert str(refused.value).startswith("rapport.pdf est un document PDF, pas un tableau\u00a0; exportez")
    with pytest.raises(FileLevelError, match=r"^rapport\.pdf is a PDF document, not a table; export"):
        read_raw_table(b"%PDF-1.7 not a table", file_name="rapport.pdf")
