"""geodata's messages in the reader's language, without importing :mod:`incidents`.

geodata must not import incidents (docs/architecture.md, 'Layers'), yet some of its errors reach a
person: an uploaded corridor file's problems (:mod:`geodata.corridor_files`, the Corridors page),
a damaged reference file. On its own geodata speaks English; ``incidents/__init__.py`` points
:data:`gettext_hook` and :data:`ngettext_hook` at :mod:`incidents.i18n` (as it points
:data:`geodata.assign_cache.cache_dir_setting` at the settings), so the messages are translated
in the run's language when they are raised. They live in the 'domain' catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

#: Set by ``incidents/__init__.py``: message -> message in the run's language.
gettext_hook: Callable[[str], str] | None = None
#: Set by ``incidents/__init__.py``: (singular, plural, n) -> the form for ``n`` in the run's language.
ngettext_hook: Callable[[str, str, int], str] | None = None


def _(message: str) -> str:
    """``message`` in the run's language (English when no hook is set)."""
    return gettext_hook(message) if gettext_hook is not None else message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` in the run's language (English rules when no hook is set)."""
    if ngettext_hook is not None:
        return ngettext_hook(singular, plural, count)
    return singular if count == 1 else plural
