"""Loading the gettext catalogues: every ``.po`` of a language, compiled in memory by Babel.

A language's folder, ``locales/<lang>/LC_MESSAGES/``, holds one catalogue per area of the code
(:data:`DOMAIN_RULES`), so the people translating pages, the import report or the briefing pack
each edit their own file. They are compiled at first use with Babel (``read_po`` then
``write_mo``) instead of committing ``.mo`` files that could fall behind their ``.po``.
English is the source language: it has no catalogue and every message is its own translation.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR: Final = Path(__file__).resolve().parent / "locales"

#: Which catalogue (gettext domain) a source file's messages belong to: the first matching
#: path prefix, relative to the repository root. Areas follow who edits them together.
DOMAIN_RULES: Final[tuple[tuple[str, str], ...]] = (
    ("dashboard/app_pages/briefing.py", "briefing"),
    ("dashboard/builders/briefing_pack.py", "briefing"),
    ("dashboard/builders/export_map.py", "briefing"),
    ("dashboard/builders/provenance.py", "briefing"),
    ("dashboard/cli.py", "briefing"),
    ("incidents/cli/", "cli"),
    ("incidents/__main__.py", "cli"),
    ("incidents/export.py", "cli"),
    ("dashboard/app_pages/overview.py", "situation"),
    ("dashboard/app_pages/map.py", "situation"),
    ("dashboard/app_pages/timeline.py", "situation"),
    ("dashboard/app_pages/risk_heatmap.py", "situation"),
    ("dashboard/builders/map", "situation"),
    ("dashboard/builders/charts.py", "situation"),
    ("dashboard/builders/tables.py", "situation"),
    ("dashboard/ui/incident_map.py", "situation"),
    ("dashboard/app_pages/risk.py", "analysis"),
    ("dashboard/app_pages/outlook.py", "analysis"),
    ("dashboard/app_pages/corridors.py", "analysis"),
    ("dashboard/app_pages/before_after.py", "analysis"),
    ("dashboard/app_pages/exposure.py", "analysis"),
    ("dashboard/builders/risk_map.py", "analysis"),
    ("dashboard/builders/charts_pivot.py", "analysis"),
    ("dashboard/builders/outlook", "analysis"),
    ("dashboard/ui/outlook.py", "analysis"),
    ("incidents/outlook/", "analysis"),
    ("incidents/risk/", "analysis"),
    ("incidents/analytics/", "analysis"),
    ("dashboard/app_pages/", "data"),
    ("dashboard/builders/", "data"),
    ("incidents/ingest/", "data"),
    ("incidents/readers/", "data"),
    ("incidents/alerts/", "data"),
    ("incidents/auth/", "data"),
    ("dashboard/", "shell"),
    ("incidents/", "domain"),
    ("geodata/", "domain"),
)


def domain_of(relative_path: str) -> str:
    """The catalogue a source file (path relative to the repository root, ``/``-separated) feeds."""
    for prefix, domain in DOMAIN_RULES:
        if relative_path.startswith(prefix):
            return domain
    return "domain"


def catalogue_files(language: str) -> list[Path]:
    """The ``.po`` files of a language, in a stable order (empty for English, the source)."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """Every catalogue of ``language`` compiled and merged (English: messages are their own text)."""
    merged: NullTranslations = NullTranslations()
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=language, domain=path.stem)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        loaded = Translations(compiled, domain=path.stem)
        if isinstance(merged, Translations):
            merged.merge(loaded)
        else:
            merged = loaded
    return merged
