"""Keeping the catalogues in step with the code: extract, update, check (Babel).

``python -m incidents.i18n update`` reads every ``_()``, ``ngettext()``, ``pgettext()`` and
``N_()`` call in ``dashboard/``, ``incidents/`` and ``geodata/``, writes the template
``locales/messages.pot``, adds each new message to its area's catalogue of every language
(:data:`incidents.i18n.catalogues.DOMAIN_RULES`) with an empty translation, and drops messages the
code no longer has. ``python -m incidents.i18n check`` lists what a translator still owes:
untranslated or fuzzy entries and translations whose ``{placeholders}`` differ from the English;
tests/unit/test_i18n_catalogues.py fails on the same list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from incidents.i18n.catalogues import LOCALES_DIR, catalogue_files, domain_of

REPOSITORY: Final = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS: Final = ("dashboard", "incidents", "geodata")
KEYWORDS: Final = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
#: ``{name}``, ``{name:,}``, ``{0}`` (str.format fields) and ``%(name)s`` / ``%s`` (printf).
PLACEHOLDER: Final = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdifr]")

MessageKey = str | tuple[str, str]  # msgid, or (msgid, msgctxt) when there is a context


@dataclass(frozen=True)
class Extracted:
    """One message the code asks for, with where it was first seen."""

    msgid: str | tuple[str, str]  # (singular, plural) for ngettext
    context: str | None
    path: str  # relative to the repository root
    line: int

    @property
    def key(self) -> MessageKey:
        singular = self.msgid[0] if isinstance(self.msgid, tuple) else self.msgid
        return singular if self.context is None else (singular, self.context)


def _source_files() -> list[Path]:
    files: list[Path] = []
    for folder in SOURCE_FOLDERS:
        files.extend(p for p in sorted((REPOSITORY / folder).rglob("*.py")) if "static" not in p.parts)
    return files


def extract() -> list[Extracted]:
    """Every message of the code, first occurrence first, in file order."""
    seen: dict[MessageKey, Extracted] = {}
    for path in _source_files():
        relative = path.relative_to(REPOSITORY).as_posix()
        for line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, strip_comment_tags=True
        ):
            msgid = message if isinstance(message, str) else (str(message[0]), str(message[1]))
            found = Extracted(msgid, context, relative, line)
            seen.setdefault(found.key, found)
    return list(seen.values())


def write_template(messages: list[Extracted]) -> Path:
    """``locales/messages.pot``: every message with where it is used (for translation tools)."""
    template = Catalog(project="Sahel Security Dashboard", fuzzy=False)
    for found in messages:
        template.add(found.msgid, locations=[(found.path, found.line)], context=found.context)
    target = LOCALES_DIR / "messages.pot"
    with target.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=False)
    return target


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=path.stem)


def update(language: str) -> dict[str, int]:
    """Bring ``language``'s catalogues in step with the code; return how many were added, dropped."""
    messages = extract()
    write_template(messages)
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    catalogues = {path.stem: _read(path, language) for path in catalogue_files(language)}
    wanted = {found.key for found in messages}
    present: set[MessageKey] = set()
    dropped = 0
    for catalogue in catalogues.values():
        for message in list(catalogue):
            if not message.id:
                continue
            key = _key(message)
            if key not in wanted:
                catalogue.delete(message.id, context=message.context)
                dropped += 1
            else:
                present.add(key)
    added = 0
    for found in messages:
        if found.key in present:
            continue
        domain = domain_of(found.path)
        catalogue = catalogues.setdefault(domain, _new_catalogue(language, domain))
        catalogue.add(
            found.msgid,
            string=("", "") if isinstance(found.msgid, tuple) else "",
            locations=[(found.path, found.line)],
            context=found.context,
        )
        added += 1
    for domain, catalogue in catalogues.items():
        with (folder / f"{domain}.po").open("wb") as handle:
            write_po(
                handle, catalogue, width=100, sort_output=False, include_previous=False, no_location=True
            )
    return {"added": added, "dropped": dropped}


def _new_catalogue(language: str, domain: str) -> Catalog:
    return Catalog(
        locale=language,
        domain=domain,
        project="Sahel Security Dashboard",
        version="",
        copyright_holder="the Sahel Security Dashboard contributors (MIT licence)",
        header_comment=f"# {language} translations of the Sahel Security Dashboard: the '{domain}' area.\n"
        "# Edit the msgstr lines; `python -m incidents.i18n update` adds and drops msgids.",
        fuzzy=False,
    )


def _key(message: Message) -> MessageKey:
    singular = _singular(message.id)
    return singular if message.context is None else (singular, message.context)


def _singular(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def placeholders(text: str) -> set[str]:
    """The placeholders of a message (``{n}``, ``{count:,}``, ``%(name)s``), as a set."""
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def message_problems(message: Message, where: str) -> list[str]:
    """What is wrong with one translated entry: missing, fuzzy, or placeholders that differ.

    A plain message keeps exactly the English placeholders. A plural form may leave the count
    out ("une ligne" for 1) but may not bring a placeholder the English lacks.
    """
    name = _singular(message.id)
    if message.fuzzy:
        return [f"{where}: fuzzy (check and remove the flag): {name!r}"]
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if not all(strings):
        return [f"{where}: no translation for {name!r}"]
    sources = message.id if isinstance(message.id, tuple | list) else (message.id,)
    expected = set().union(*(placeholders(str(source)) for source in sources))
    plural = len(sources) > 1
    problems = []
    for translated in strings:
        found = placeholders(str(translated))
        if (found - expected) if plural else (found != expected):
            problems.append(
                f"{where}: placeholders {sorted(placeholders(str(translated)))} differ from the English "
                f"{sorted(expected)} in {name!r}"
            )
    return problems


def check(language: str) -> list[str]:
    """What ``language`` still lacks: missing, untranslated, fuzzy or placeholder-mismatched messages,
    and messages held by two catalogues (merged, one would silently win over the other)."""
    problems: list[str] = []
    translated: dict[MessageKey, str] = {}
    for path in catalogue_files(language):
        for message in _read(path, language):
            if not message.id:
                continue
            if (key := _key(message)) in translated:  # two catalogues: which one wins is an accident
                problems.append(f"{language}/{path.name}: {key!r} is also in {translated[key]}; keep one")
            translated[key] = path.name
            problems.extend(message_problems(message, f"{language}/{path.name}"))
    for found in extract():
        if found.key not in translated:
            problems.append(f"{found.path}:{found.line}: not in any {language} catalogue: {found.key!r}")
    return problems


def translate(language: str, translations: dict[str, str | tuple[str, ...]]) -> list[str]:
    """Write translations (English msgid -> text, or plural forms) into whichever catalogue holds each.

    For translators working from a script; returns the msgids that no catalogue holds (run
    ``update`` first). Context-bound messages are keyed ``"context\\x04msgid"``.
    """
    unknown = set(translations)
    for path in catalogue_files(language):
        catalogue = _read(path, language)
        changed = False
        for message in catalogue:
            if not message.id:
                continue
            singular = _singular(message.id)
            name = singular if message.context is None else f"{message.context}\x04{singular}"
            if name in translations:
                text = translations[name]
                message.string = tuple(text) if isinstance(message.id, tuple | list) else str(text)
                message.flags.discard("fuzzy")
                unknown.discard(name)
                changed = True
        if changed:
            with path.open("wb") as handle:
                write_po(
                    handle, catalogue, width=100, sort_output=False, include_previous=False, no_location=True
                )
    return sorted(unknown)
