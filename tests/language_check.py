"""Finding sentences of the wrong language in a page's visible text (the French interface's check).

A line of text is "English" when, once the names that stay as they are (places, actors, datasets,
licences: the allow-list) are taken out, it still has two words or more and one of them is a word
French never uses (``the``, ``with``, ``fatalities``, ``download``...). "French" likewise with words
English never uses (``les``, ``avec``, ``décès``, ``télécharger``...). Function words catch sentences,
the content words catch labels and headers ("Risk levels", « Niveaux de risque »).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

ENGLISH_ONLY: Final = frozenset(
    """the and of with from this that these those which is are was were has have had been will would can
    could should your you our not for to by or its than there their they each every after before since
    between when where what how here only all any none per into about over under within without show shows
    shown hide select choose download open see more less new in at one two three no yes
    data risk level levels events event fatalities fatal region regions map maps timeline outlook heatmap
    exposure inbox watch watches filter filters period country countries week weeks month months year years
    days day trend rising falling likely unlikely almost even sign password name
    latest last next first share analysis overview settings""".split()  # noqa: SIM905 - a word list reads better as text
)
FRENCH_ONLY: Final = frozenset(
    """le la les des du une est sont avec pour dans aux cette ces sur pas qui que depuis entre où sans sous
    selon vers chez très déjà être été aucun aucune niveau niveaux risque carte données télécharger afficher
    semaine semaines mois année années jours décès région régions tendance hausse baisse veille veilles
    connecter période pays quasi""".split()  # noqa: SIM905 - a word list reads better as text
)
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


#: References to the documentation, which is written in English: a file and its section title.
_DOC_REFERENCE: Final = re.compile(r"docs/[\w./-]+\.md(?:,? ?(?:section )?[«'\"“][^»'\"”]*[»'\"”])?")


def _without(text: str, allowed: Iterable[str]) -> str:
    text = _DOC_REFERENCE.sub(" ", text)
    for name in allowed:
        if name:
            text = text.replace(name, " ")
    return text


def _words(text: str) -> list[str]:
    # A word with an underscore is a code or an icon's ligature name ("notifications_none"): not language.
    kept = " ".join(token for token in text.split() if "_" not in token)
    return [word.casefold() for word in _WORD.findall(kept)]


def _lines_with(texts: Iterable[str], markers: frozenset[str], allowed: Iterable[str]) -> list[str]:
    names = sorted({name for name in allowed if name and len(name) > 1}, key=len, reverse=True)
    found: list[str] = []
    for text in texts:
        for line in text.splitlines():
            words = _words(_without(line, names))
            if len(words) >= 2 and any(word in markers for word in words) and line.strip() not in found:
                found.append(line.strip())
    return found


def english_lines(texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """The lines of ``texts`` that read as English once ``allowed`` names are taken out."""
    return _lines_with(texts, ENGLISH_ONLY, allowed)


def french_lines(texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """The lines of ``texts`` that read as French once ``allowed`` names are taken out."""
    return _lines_with(texts, FRENCH_ONLY, allowed)


#: Names that stay as they are in every language: datasets, publishers, licences, software.
NAMES_THAT_STAY: Final = (
    "Armed Conflict Location & Event Data",
    "ACLED",
    "Uppsala Conflict Data Program",
    "Georeferenced Event Dataset",
    "UCDP GED",
    "Creative Commons Attribution",
    "Open Database License",
    "OpenStreetMap contributors",
    "OpenStreetMap",
    "geoBoundaries",
    "GeoNames",
    "Natural Earth",
    "Leaflet",
    "Streamlit",
    "Who's On First",
    "Quattroshapes",
    "OCHA COD-AB",
    "ICD 203",
    "CC BY",  # the Creative Commons licences: CC BY 4.0, CC BY-IGO, CC BY 2.0
    # Streamlit's own file uploader line ("200MB per file • CSV, XLSX"): not the product's text.
    "MB per file",
    # Column names of the sites and routes files (a contract, like every data file's columns).
    "name, type, lat, lon",
    "route, seq, lat, lon",
)


def stored_names(db_url: str) -> set[str]:
    """Every name the store at ``db_url`` holds that a page may show as it is: places, actors,
    key developments and their sources, corridors, sites, saved views, towns of the map."""
    from geodata.boundaries import load_admin0, load_admin1, load_admin2
    from geodata.towns import label_towns
    from incidents.credits import UCDP_ANNUAL_ARTICLES, UCDP_SUNDBERG_MELANDER
    from incidents.store import open_store
    from incidents.store.corridors import list_corridor_versions
    from incidents.store.developments import list_developments
    from incidents.store.saved_views import list_views
    from incidents.store.sites import list_sites

    store = open_store(db_url)
    try:
        frame = store.load_analysis_frame()
        names: set[str] = set()
        for column in ("actor1", "actor2", "location", "admin1_name", "admin2_name", "country", "source"):
            if column in frame:
                names.update(str(value) for value in frame[column].dropna().unique())
        for table, columns in (
            (developments := list_developments(store), ("title", "source")),
            (list_corridor_versions(store), ("corridor_id", "name", "note", "sources")),
            (list_sites(store), ("name", "site_id")),
            (list_views(store), ("name", "title", "notes")),
        ):
            for column in columns:
                if column in table:
                    names.update(str(value) for value in table[column].dropna().unique())
        # Long titles are cut on charts ("Deadline for two Malian diplomats expel…"): cut forms stay too.
        for title in developments["title"].dropna().astype(str):
            names.update(title[:end].rstrip() + "…" for end in range(8, len(title)))
    finally:
        store.close()
    for boundaries in (load_admin0(), load_admin1(), load_admin2()):
        for column in boundaries.columns:
            if "name" in column:
                names.update(str(value) for value in boundaries[column].dropna().unique())
    towns = label_towns(["MLI", "BFA", "NER"])
    names.update(str(value) for value in towns["name"].dropna().unique())
    names.update(NAMES_THAT_STAY)
    # Bibliographic citations keep their language (the titles of articles are names).
    names.add(UCDP_SUNDBERG_MELANDER)
    names.update(UCDP_ANNUAL_ARTICLES.values())
    return names
