"""Typed errors for reference geography.

Callers catch :class:`GeodataError`; the dashboard shows its message with ``st.error``.
"""

from __future__ import annotations

from pathlib import Path

from geodata.messages import _


class GeodataError(Exception):
    """Base class for every error raised by :mod:`geodata`."""


class DataFileError(GeodataError):
    """A reference data file is missing, unreadable or malformed.

    The message names the file, says what is wrong and how to fix it.
    """

    def __init__(self, path: Path | str, problem: str, hint: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.hint = hint or _(
            "Restore the file from the repository (git checkout -- geodata/data) "
            "or rebuild it with `python -m geodata.build_data`."
        )
        super().__init__(
            _("{path}: {problem}. {hint}").format(path=self.path, problem=problem, hint=self.hint)
        )


class CorridorFileError(DataFileError):
    """An uploaded corridor file (GeoJSON, KML or waypoint CSV) cannot be used.

    Raised by :mod:`geodata.corridor_files`; the message quotes the bad value and what
    is allowed. Nothing is stored when it is raised.
    """

    def __init__(self, path: Path | str, problem: str, hint: str = "") -> None:
        super().__init__(
            path,
            problem,
            hint
            or _(
                "Upload GeoJSON with LineString/MultiLineString features, KML with LineString "
                "placemarks, or a CSV in the layout of geodata/data/corridors_waypoints.csv."
            ),
        )
