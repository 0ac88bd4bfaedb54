"""Source vocabularies mapped onto the canonical incident (docs/architecture.md, 'Canonical incident').

ACLED and UCDP code the same world differently; these tables and functions are the
one place where that translation lives, so readers, demo data and tests agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from geodata.text import fold_accents

ACLED_EVENT_TYPES: Final[Mapping[str, str]] = {
    "battles": "battle",
    "explosions/remote violence": "explosion_remote_violence",
    "violence against civilians": "violence_against_civilians",
    "protests": "protest_riot",
    "riots": "protest_riot",
    "strategic developments": "strategic_development",
}
ACLED_ABDUCTION_SUB_EVENT: Final = "abduction/forced disappearance"

#: ACLED's event types before its 2019 revision -> the canonical types (docs/methodology.md).
#: Matched like the current ones, by :func:`acled_label_key`.
ACLED_PRE_2019_EVENT_TYPES: Final[Mapping[str, str]] = {
    "Battle-No change of territory": "battle",
    "Battle-Government regains territory": "battle",
    "Battle-Non-state actor overtakes territory": "battle",
    "Remote violence": "explosion_remote_violence",
    "Riots/Protests": "protest_riot",
    "Violence against civilians": "violence_against_civilians",
    "Strategic development": "strategic_development",
    "Headquarters or base established": "strategic_development",
    "Non-violent transfer of territory": "strategic_development",
}

#: ACLED's actor type codes (``inter1``/``inter2``; the API's numeric form) -> actor family,
#: used when the actor's name alone says nothing (:func:`derive_actor_group`).
ACLED_INTER_GROUPS: Final[Mapping[int, str]] = {
    1: "state forces",
    2: "rebels",
    3: "militia",
    4: "militia",
    5: "civilians",  # rioters
    6: "civilians",  # protesters
    7: "civilians",
    8: "foreign forces",  # external/other forces
}
#: The same codes as the API's text form writes them.
ACLED_INTER_LABELS: Final[Mapping[str, int]] = {
    "State forces": 1,
    "Rebel groups": 2,
    "Political militias": 3,
    "Identity militias": 4,
    "Rioters": 5,
    "Protesters": 6,
    "Civilians": 7,
    "External/Other forces": 8,
}

#: ACLED time_precision 1/2/3 -> canonical date precision.
ACLED_TIME_PRECISION: Final[Mapping[int, str]] = {1: "day", 2: "week", 3: "month"}

#: UCDP type_of_violence: 1 state-based, 2 non-state -> battle; 3 one-sided -> civilians.
UCDP_TYPE_OF_VIOLENCE: Final[Mapping[int, str]] = {
    1: "battle",
    2: "battle",
    3: "violence_against_civilians",
}

#: UCDP date_prec 1 (exact day) .. 5 (year or longer) -> canonical precision.
UCDP_DATE_PRECISION: Final[Mapping[int, str]] = {1: "day", 2: "week", 3: "month", 4: "month", 5: "month"}

#: UCDP where_prec 1 (exact) .. 7 (international waters) -> geo_precision 1/2/3.
UCDP_WHERE_PRECISION: Final[Mapping[int, int]] = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 3}


def _fold(text: str) -> str:
    return fold_accents(text).casefold().strip()


def acled_label_key(label: str) -> str:
    """How ACLED labels are compared: case, accents, spacing, hyphens, slashes and plurals ignored.

    ``"Riots/Protests"``, ``"riot / protest"`` and ``"RIOTS-PROTESTS"`` give one key, as do
    ``"Strategic development"`` (before 2019) and ``"Strategic developments"`` (since).
    """
    words = re.split(r"[\s\-/_,;:]+", _fold(label))
    return " ".join(_singular(word) for word in words if word)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


#: Every ACLED event type label, current and pre-2019, by :func:`acled_label_key`.
_ACLED_EVENT_TYPE_KEYS: Final[Mapping[str, str]] = {
    acled_label_key(label): name
    for label, name in (*ACLED_EVENT_TYPES.items(), *ACLED_PRE_2019_EVENT_TYPES.items())
}
_ACLED_INTER_KEYS: Final[Mapping[str, int]] = {
    **{acled_label_key(label): code for label, code in ACLED_INTER_LABELS.items()},
    "rebel": 2,  # "Rebel group" keyed is "rebel group"; "Rebels" keyed is "rebel"
    "external force": 8,
    "other force": 8,
}


def acled_event_type(label: str | None) -> str | None:
    """The canonical type of one ACLED event type label (current or pre-2019), else ``None``."""
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return None
    return _ACLED_EVENT_TYPE_KEYS.get(acled_label_key(str(label)))


def acled_inter_code(value: str | None) -> int | None:
    """ACLED actor type code 1-8 from its numeric (``"3"``, ``"3.0"``) or text form, else ``None``.

    0 (no second actor) and anything unknown are ``None``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return _ACLED_INTER_KEYS.get(acled_label_key(text))
    code = int(number) if number.is_integer() else None
    return code if code in ACLED_INTER_GROUPS else None


def map_acled_event_type(event_type: pd.Series, sub_event_type: pd.Series) -> pd.Series:
    """ACLED event_type (+ sub_event_type for abductions) -> canonical event_type.

    Current and pre-2019 types (:data:`ACLED_PRE_2019_EVENT_TYPES`) are both understood,
    whatever their case, spacing, hyphens or plurals. Unknown types become ``other``; the
    validator reports them as ``unknown_event_type``.
    """
    labels = event_type.astype(object).where(event_type.notna(), None)
    mapped = labels.map(acled_event_type).fillna("other")
    abduction = sub_event_type.fillna("").astype(str).map(_fold) == ACLED_ABDUCTION_SUB_EVENT
    return mapped.where(~abduction, "abduction").astype("string")


def map_ucdp_event_type(type_of_violence: pd.Series) -> pd.Series:
    """UCDP type_of_violence -> canonical event_type (unknown codes -> ``other``)."""
    codes = pd.to_numeric(type_of_violence, errors="coerce")
    return codes.map(UCDP_TYPE_OF_VIOLENCE).fillna("other").astype("string")


def map_ucdp_geo_precision(where_prec: pd.Series) -> pd.Series:
    """UCDP where_prec 1-7 -> canonical geo_precision 1-3 (unknown -> 3, the cautious choice)."""
    codes = pd.to_numeric(where_prec, errors="coerce")
    return codes.map(UCDP_WHERE_PRECISION).fillna(3).astype("int8")


def map_ucdp_date_precision(date_prec: pd.Series) -> pd.Series:
    """UCDP date_prec 1-5 -> canonical date_precision (unknown -> ``month``)."""
    codes = pd.to_numeric(date_prec, errors="coerce")
    return codes.map(UCDP_DATE_PRECISION).fillna("month").astype("string")


def map_acled_time_precision(time_precision: pd.Series) -> pd.Series:
    """ACLED time_precision 1-3 -> canonical date_precision (unknown -> ``month``)."""
    codes = pd.to_numeric(time_precision, errors="coerce")
    return codes.map(ACLED_TIME_PRECISION).fillna("month").astype("string")


# Ordered: the first pattern that matches an actor name decides its family. Patterns are
# matched on accent-folded, lower-cased text. ACLED and UCDP rename groups over time, so
# these match on stable fragments rather than full names.
_ACTOR_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (
        r"\bjnim\b|nusrat al-islam|group for support of islam|katiba macina|ansaroul islam|ansar dine"
        r"|al-mourabitoun|aqim|al qaeda|al-qaeda",
        "JNIM",
    ),
    (r"islamic state|\bis\b|\bisgs\b|\beigs\b|\biswap\b|\bis sahel\b|\bisss\b|daesh", "IS Sahel"),
    (
        r"wagner|africa corps|france|french|barkhane|serval|minusma|united nations|\bun\b|russia"
        r"|ecowas|g5 sahel|takuba|united states",
        "foreign forces",
    ),
    (
        r"military forces|police forces|government of|armed forces|\bfama\b|gendarmerie"
        r"|national guard|vdp|volunteers for the defen[cs]e|army",
        "state forces",
    ),
    (r"\bmnla\b|\bcma\b|\bcsp\b|\bfla\b|azawad|rebel|\bhcua\b|\bmaa\b", "rebels"),
    (r"militia|dozo|dan na ambassagou|koglweogo|gatia|\bmsa\b|self-defen[cs]e|communal|ethnic", "militia"),
    (r"civilians|protesters|rioters|labou?r group|students|journalists|refugees", "civilians"),
)
_COMPILED: Final = tuple((re.compile(pattern), group) for pattern, group in _ACTOR_PATTERNS)


def normalise_actor_group(actor: str | None) -> str:
    """Map a reported actor name onto the canonical actor family.

    See docs/architecture.md, 'Canonical incident'.
    """
    if actor is None or (isinstance(actor, float) and np.isnan(actor)):
        return "unidentified"
    folded = _fold(str(actor))
    if not folded:
        return "unidentified"
    for pattern, group in _COMPILED:
        if pattern.search(folded):
            return group
    return "unidentified"


#: Actor names that say the actor is not known: ACLED's actor type code must not name a family.
_NAMED_UNKNOWN: Final = re.compile(r"unidentified|unknown")


def derive_actor_group(
    actor1: pd.Series,
    actor2: pd.Series,
    inter1: pd.Series | None = None,
    inter2: pd.Series | None = None,
) -> pd.Series:
    """The incident's actor family: actor1's, unless it is state/foreign/unknown and actor2 is armed.

    Security managers filter by the non-state group involved, so an army-vs-JNIM battle
    is attributed to JNIM rather than to state forces. ``inter1``/``inter2`` (ACLED's actor
    type codes, numeric or text) give the family of an actor whose name matches no family,
    unless the name says the actor is unknown ("Unidentified Armed Group (Mali)" stays
    ``unidentified`` although ACLED codes it a political militia).
    """
    # Classify each distinct name once (actor names repeat a lot), then broadcast by code.
    # Missing names (code -1) and empty ones are "unidentified", as normalise_actor_group says.
    armed = {"JNIM", "IS Sahel", "rebels", "militia"}
    names: dict[str, int] = {}

    def classify(actor: pd.Series, inter: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
        codes, uniques = pd.factorize(actor)  # missing -> -1 -> the trailing "unidentified"
        groups = [normalise_actor_group(name) for name in uniques] + ["unidentified"]
        if inter is not None:
            # A name with no family may take its type code's: classified per distinct
            # (name, code) pair. Position -1 (a missing name or code) is each list's last entry.
            open_name = [
                group == "unidentified" and not _NAMED_UNKNOWN.search(_fold(str(name)))
                for name, group in zip(uniques, groups, strict=False)
            ] + [True]
            inter_codes, inter_values = pd.factorize(inter)
            inter_groups = [ACLED_INTER_GROUPS.get(acled_inter_code(value) or 0) for value in inter_values]
            inter_groups.append(None)
            width = len(inter_values) + 1
            codes, pair_keys = pd.factorize((codes.astype(np.int64) + 1) * width + (inter_codes + 1))
            pair_names, pair_inters = np.divmod(np.asarray(pair_keys, dtype=np.int64), width)
            pair_groups = []
            for name, kind in zip((pair_names - 1).tolist(), (pair_inters - 1).tolist(), strict=True):
                by_type = inter_groups[kind]
                pair_groups.append(by_type if open_name[name] and by_type is not None else groups[name])
            groups = [*pair_groups, "unidentified"]
        group_codes = np.array([names.setdefault(group, len(names)) for group in groups], dtype=np.int64)
        is_armed = np.array([group in armed for group in groups], dtype=bool)
        return group_codes[codes], is_armed[codes]

    first, first_armed = classify(actor1, inter1)
    second, second_armed = classify(actor2, inter2)
    prefer_second = ~first_armed & second_armed
    # Built from the few group names by position: no million-element object array to convert.
    vocabulary = pd.array(list(names), dtype="string")
    return pd.Series(vocabulary.take(np.where(prefer_second, second, first)), index=actor1.index)
