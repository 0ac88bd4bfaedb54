"""The interface's language: gettext catalogues (English source, French first translation).

Every user-facing sentence of the dashboard, the import report, the command lines and the
briefing pack goes through :func:`_` or :func:`ngettext`; strings defined at import time (labels
of canonical codes, page titles) are marked with :func:`N_` and translated where they are shown.
The language is a context variable, set once per Streamlit run or CLI call
(:func:`set_language`, :func:`use_language`), so pure builders and domain code translate without
a parameter on every function. Catalogues: :mod:`incidents.i18n.catalogues`; formats of dates
and numbers: :mod:`incidents.i18n.formats`; how to add a string or a language:
docs/architecture.md, 'Languages'.

Placeholders are named ``str.format`` fields written inside the message (``_("{n} rows")
.format(n=...)``), never f-strings: the extractor must see the whole sentence, and a translator
may move the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final, TypeVar

from incidents.i18n.catalogues import translations

#: The interface languages, English (the source) first; a new one is a catalogue folder.
LANGUAGES: Final = ("en", "fr")
DEFAULT_LANGUAGE: Final = "en"
#: How each language names itself in the selector.
LANGUAGE_NAMES: Final = {"en": "English", "fr": "Français"}

_current: ContextVar[str | None] = ContextVar("sahel_language", default=None)
#: Where to look when no run has set the language in this context: the dashboard points it at the
#: session's choice (Streamlit runs widget callbacks before the script sets the language).
_fallback: list[Callable[[], str | None]] = []


def set_fallback(read: Callable[[], str | None] | None) -> None:
    """Read the language from ``read()`` when no run has set one (``None`` removes the hook)."""
    _fallback[:] = [read] if read is not None else []


def supported(code: str | None) -> str | None:
    """The supported language a code such as ``fr``, ``fr-FR`` or ``fr_FR.UTF-8`` names, else None."""
    if not code:
        return None
    base = code.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best supported language of an HTTP ``Accept-Language`` header, or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if (language := supported(tag)) is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def current_language() -> str:
    """The language of this run (a Streamlit script run, a CLI call, a test's block)."""
    language = _current.get()
    if language is None and _fallback:
        language = supported(_fallback[0]())
    return language or DEFAULT_LANGUAGE


def set_language(code: str | None) -> str:
    """Make ``code`` (or English when it is not supported) this run's language; return it."""
    language = supported(code) or DEFAULT_LANGUAGE
    _current.set(language)
    return language


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Within the block, speak ``code``; the language before is restored after it."""
    language = supported(code) or DEFAULT_LANGUAGE
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` in the current language (itself when the catalogue has no translation)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count`` in the current language's plural rules."""
    return translations(current_language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context`` (one English word, two meanings: "Level" of risk or of map)."""
    return str(translations(current_language()).pgettext(context, message))


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it now (module-level labels)."""
    return message


Formatted = TypeVar("Formatted")


def bound(format_option: Callable[[Formatted], str]) -> Callable[[Formatted], str]:
    """``format_option`` that always speaks the language current now, wherever it is called later.

    Streamlit keeps a widget's ``format_func`` and may call it outside the run that drew the
    widget (its test harness formats options from the test's own thread).
    """
    language = current_language()

    def formatted(option: Formatted) -> str:
        with use_language(language):
            return format_option(option)

    return formatted


class LazyText(str):
    """A message marked with :func:`N_` that translates itself each time it is made text (``str()``).

    For strings a library fixes at import time but turns into text only when it shows them:
    Streamlit's cache spinners (``show_spinner=LazyText(N_("Loading incidents…"))``).
    """

    def __str__(self) -> str:
        return _(str.__str__(self))


class Labels(Mapping[str, str]):
    """Labels of canonical codes, read in the current language at each lookup.

    Module-level tables (``EVENT_TYPE_LABELS``) are built at import, before any language is
    chosen; this mapping keeps the English (marked with :func:`N_`) and translates when a page,
    chart or pack reads it, so every existing ``LABELS[code]`` and ``LABELS.get(code, code)``
    speaks the reader's language.
    """

    def __init__(self, english: Mapping[str, str]) -> None:
        self._english = dict(english)

    def __getitem__(self, code: str) -> str:
        return _(self._english[code])

    def __iter__(self) -> Iterator[str]:
        return iter(self._english)

    def __len__(self) -> int:
        return len(self._english)

    def label(self, code: str) -> str:
        """The label of ``code`` in the reader's language; an unknown code as it is."""
        return self[code] if code in self._english else code

    def english(self, code: str) -> str:
        """The English label (data files and contracts stay in English)."""
        return self._english[code]


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "Labels",
    "LazyText",
    "_",
    "bound",
    "current_language",
    "negotiate",
    "ngettext",
    "pgettext",
    "set_fallback",
    "set_language",
    "supported",
    "use_language",
]
