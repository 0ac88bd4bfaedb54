"""The French catalogues: complete, placeholders kept, plurals, formats, and how a language is chosen."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from incidents.auth.accounts import account_language, create_user, set_account_language
from incidents.i18n import (
    _,
    catalogues,
    current_language,
    negotiate,
    ngettext,
    set_fallback,
    supported,
    use_language,
)
from incidents.i18n.formats import format_day, format_number, format_percent, plain_spaces
from incidents.i18n.maintain import check, extract, message_problems, placeholders
from incidents.model import EVENT_TYPE_LABELS
from incidents.settings import interface_language
from incidents.store import IncidentStore


def test_every_message_of_the_code_has_its_french_translation_with_the_same_placeholders() -> None:
    assert len(extract()) > 500  # the extractor really reads the code
    assert check("fr") == []


def test_the_check_sees_a_missing_translation_a_fuzzy_one_and_a_changed_placeholder() -> None:
    assert message_problems(Message("{n} rows", "{n} lignes"), "x") == []
    assert "no translation" in message_problems(Message("{n} rows", ""), "x")[0]
    assert "fuzzy" in message_problems(Message("{n} rows", "{n} lignes", flags=["fuzzy"]), "x")[0]
    assert "placeholders" in message_problems(Message("{n} rows", "{count} lignes"), "x")[0]
    plural = Message(("{n} row", "{n} rows"), ("{n} ligne", "{n} lignes", "{n} lignes"))
    assert message_problems(plural, "x") == []
    plural_broken = Message(("{n} row", "{n} rows"), ("une ligne", "{n} lignes", "{x} lignes"))
    assert len(message_problems(plural_broken, "x")) == 1  # "une ligne" may drop {n}; {x} may not
    assert placeholders("{count:,} of %(total)s, {{literal}}") == {"{count:,}", "%(total)s"}


def test_french_plurals_follow_the_count() -> None:
    singular, plural = "**{count} unread alert** in your Inbox", "**{count} unread alerts** in your Inbox"
    with use_language("fr"):
        assert (
            ngettext(singular, plural, 1).format(count=1)
            == "**1 alerte non lue** dans votre boîte de réception"
        )
        assert "alertes non lues" in ngettext(singular, plural, 2)
    assert ngettext(singular, plural, 2) == plural


def test_labels_of_codes_follow_the_language_at_each_lookup() -> None:
    assert EVENT_TYPE_LABELS["battle"] == "Battle"
    with use_language("fr"):
        assert EVENT_TYPE_LABELS["battle"] == "Affrontement"
        assert _("Map") == "Carte"
        assert EVENT_TYPE_LABELS.get("not_a_code", "not_a_code") == "not_a_code"
    assert EVENT_TYPE_LABELS.english("battle") == "Battle"


def test_dates_numbers_and_percentages_are_written_the_french_way() -> None:
    with use_language("fr"):
        assert format_day(date(2026, 12, 2)) == "2 déc. 2026"
        assert format_number(1234.5, digits=1) == "1\u202f234,5"
        assert format_percent(0.12) == "12\u00a0%"
    assert format_day(date(2026, 12, 2)) == "2 Dec 2026"
    assert format_number(1234.5, digits=1) == "1,234.5"
    assert format_percent(0.12) == "12%"
    assert plain_spaces("1\u202f234") == "1\u00a0234"


def test_the_language_comes_from_the_address_the_browser_or_the_environment() -> None:
    assert supported("fr_FR.UTF-8") == "fr" and supported("en-GB") == "en" and supported("de") is None
    assert negotiate("de-DE,fr;q=0.8,en;q=0.5") == "fr"
    assert negotiate("en-US,en;q=0.9,fr;q=0.8") == "en"
    assert negotiate("de, fr;q=0") is None
    assert interface_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert interface_language({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}) is None
    assert interface_language({}) is None


def test_a_callback_without_a_run_language_reads_the_fallback() -> None:
    seen: list[str] = []

    def fresh_context() -> None:  # a new thread starts with no language set, like a widget callback
        seen.append(current_language())
        seen.append(_("Map"))

    set_fallback(lambda: "fr")
    try:
        worker = threading.Thread(target=fresh_context)
        worker.start()
        worker.join()
    finally:
        set_fallback(None)
    assert seen == ["fr", "Carte"]


def test_an_account_remembers_its_language(sqlite_store: IncidentStore) -> None:
    create_user(sqlite_store, "Awa", "viewer", "a long enough password")
    assert account_language(sqlite_store, "awa") is None
    set_account_language(sqlite_store, "awa", "fr-FR")
    assert account_language(sqlite_store, "AWA") == "fr"
    assert account_language(sqlite_store, "nobody") is None


def test_the_check_sees_a_message_held_by_two_catalogues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for area, text in (("pages", "Évolution"), ("pack", "Changement")):
        (folder / f"{area}.po").write_text(f'msgid "Change"\nmsgstr "{text}"\n', encoding="utf-8")
    monkeypatch.setattr(catalogues, "LOCALES_DIR", tmp_path)
    problems = check("fr")
    assert any("'Change' is also in pack.po" in problem for problem in problems), problems[:3]
