"""The one way an input file's bytes are loaded: size limit, unreadable path, empty file.

Used by the table reader (:func:`incidents.ingest.file_reader.read_raw_table`), the import
stream (:mod:`incidents.ingest.stream`) and the site/route reader (:mod:`incidents.sites`),
so every upload is refused for the same reasons with the same sentences. Each caller
keeps its own typed error (``error=``, a :class:`~incidents.errors.FileLevelError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from incidents.errors import FileLevelError
from incidents.i18n import N_, _

#: The largest file read, in bytes (``max_bytes=`` changes it per call).
DEFAULT_MAX_BYTES: Final = 200 * 2**20
#: What an empty table file is told to do.
EMPTY_TABLE_HINT: Final = N_("export the table again with its header row and data")


def load_bytes(
    source: Path | bytes,
    label: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    empty_hint: str = EMPTY_TABLE_HINT,
    error: type[FileLevelError] = FileLevelError,
) -> bytes:
    """The file's bytes, refusing oversized files before reading them into memory.

    Raises ``error`` (one sentence naming ``label``) when the path cannot be read, the
    file is over ``max_bytes`` or holds nothing but white space.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        check_size(len(source), label, max_bytes, error=error)
        data = bytes(source)
    else:
        path = Path(source)
        try:
            check_size(path.stat().st_size, label, max_bytes, error=error)
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise error(
                _("{label}: no file at {path}; check the path.").format(label=label, path=path)
            ) from exc
        except OSError as exc:
            raise error(
                _("{label} cannot be read ({strerror}); check that it is a file you may read.").format(
                    label=label, strerror=exc.strerror
                )
            ) from exc
    if not data or data.isspace():  # isspace: no copy of a 200 MB file, unlike strip()
        raise error(_("{label} is empty; {hint}.").format(label=label, hint=_(empty_hint)))
    return data


def check_size(
    size: int, label: str, max_bytes: int, *, error: type[FileLevelError] = FileLevelError
) -> None:
    """Raise ``error`` when ``size`` bytes are over ``max_bytes``."""
    if size > max_bytes:
        raise error(
            _(
                "{label} is {size}, over the import limit of {limit}; split it into smaller files (for "
                "example by year) and import them one by one."
            ).format(label=label, size=megabytes(size), limit=megabytes(max_bytes))
        )


def megabytes(size: int) -> str:
    """``size`` bytes as ``"1.5 MB (1,572,864 bytes)"``."""
    return f"{size / 2**20:.1f} MB ({size:,} bytes)"
