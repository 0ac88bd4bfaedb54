"""On-disk cache of the lookup structures :mod:`geodata.assign` derives from a boundary layer.

Cutting the admin polygons into grid pieces and classifying the lookup cells costs about a
second per process, and both are pure functions of the layer's geometries and of the code
and constants that build them. So the first process stores them, one ``.npz`` file per layer,
and later processes load them in milliseconds.

Correctness comes first, so the cache can only ever save time:

* The file name holds a SHA-256 of everything the structures depend on (:func:`cache_key`):
  the layer's geometries as WKB (so a changed boundary file, even at the same path, gets a
  new entry), the caller's fingerprint (grid constants, the builder's source, the shapely,
  GEOS and NumPy versions) and :data:`CACHE_FORMAT`. The key is stored inside the file too
  and checked on load.
* Files are written to a temporary name in the cache directory and renamed into place
  (``os.replace``), so a concurrent reader sees the old file, the new one or none, never
  half of one.
* A missing, unreadable, corrupt or mismatched file, or a directory that cannot be written,
  only means the structures are built in memory as before: nothing here raises.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import ShapelyError

logger = logging.getLogger(__name__)

#: Layout of the cache files; bump it whenever the arrays stored (or their meaning) change.
CACHE_FORMAT: Final = 1
#: Cache files kept per layer (newest first), so a few versions side by side do not keep
#: evicting each other while old ones do not pile up.
KEEP_PER_LAYER: Final = 4
#: Temporary files older than this (seconds) were left by a killed writer and are removed.
STALE_TEMP_SECONDS: Final = 3600
#: What reading a damaged or foreign file can raise (``np.load`` with pickles refused, zip, WKB).
_READ_ERRORS: Final = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    RuntimeError,
    MemoryError,
    struct.error,
    zipfile.BadZipFile,
    zlib.error,
    ShapelyError,
)


@dataclass(frozen=True)
class LayerLookup:
    """What :mod:`geodata.assign` builds for one layer, as plain arrays.

    ``pieces`` are the polygon pieces, ``piece_unit`` the unit (row) of the layer each piece
    belongs to, ``cell_unit`` the lookup table (unit, -1 or -2 per cell) whose first cell is
    (``kx0``, ``ky0``).
    """

    pieces: npt.NDArray[np.object_]
    piece_unit: npt.NDArray[np.int64]
    cell_unit: npt.NDArray[np.int16]
    kx0: float
    ky0: float


#: Where the cache lives, asked at each use; ``None`` (or a hook answering ``None``): no disk cache.
#: geodata reads no environment variable and must not import ``incidents``, so
#: ``incidents/__init__.py`` sets this to :func:`incidents.settings.cache_dir`
#: (``$SAHEL_CACHE_DIR``, else the user's cache folder).
cache_dir_setting: Callable[[], Path | None] | None = None


def cache_dir() -> Path | None:
    """Where cache files live (see :data:`cache_dir_setting`); ``None`` when there is none.

    The directory need not exist (it is created on first write) and is safe to delete.
    """
    return cache_dir_setting() if cache_dir_setting is not None else None


def cache_key(geometries: npt.NDArray[np.object_], fingerprint: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the geometries, the builder's ``fingerprint`` and :data:`CACHE_FORMAT`.

    ``fingerprint`` values must have a stable ``repr`` (numbers, strings); floats are
    written with ``repr`` so 0.1 and 0.1000000001 differ.
    """
    digest = hashlib.sha256()
    header = {"format": CACHE_FORMAT, **{name: repr(value) for name, value in fingerprint.items()}}
    digest.update(json.dumps(header, sort_keys=True).encode())
    wkb = shapely.to_wkb(geometries)
    digest.update(np.array([len(blob) for blob in wkb], dtype=np.int64).tobytes())  # unambiguous split
    for blob in wkb:
        digest.update(blob)
    return digest.hexdigest()


def cache_path(directory: Path, label: str, key: str) -> Path:
    """File of ``label``'s layer under ``key`` (the label only makes the name readable)."""
    return directory / f"{_safe_label(label)}-{key}.npz"


def load_lookup(label: str, key: str, units: int) -> LayerLookup | None:
    """The stored lookup of a layer with ``units`` units, or ``None`` if absent or not usable."""
    directory = cache_dir()
    if directory is None:
        return None
    path = cache_path(directory, label, key)
    try:
        with np.load(path, allow_pickle=False) as data:
            lookup = _decode(data, key, units)
    except FileNotFoundError:
        return None
    except _READ_ERRORS as exc:
        logger.debug("ignoring unreadable lookup cache %s: %s", path, exc)
        return None
    if lookup is None:
        logger.debug("ignoring lookup cache %s: contents do not match", path)
    return lookup


def writable_cache_dir() -> Path | None:
    """The cache directory, created if need be, when this process can write to it; else ``None``.

    Lets a caller skip building what it would only build to store.
    """
    directory = cache_dir()
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.debug("lookup cache directory %s unusable: %s", directory, exc)
        return None
    return directory if os.access(directory, os.W_OK | os.X_OK) else None


def store_lookup(label: str, key: str, lookup: LayerLookup) -> bool:
    """Write ``lookup`` atomically under ``key``; ``False`` (never an error) if it cannot be written."""
    directory = writable_cache_dir()
    if directory is None:
        return False
    path = cache_path(directory, label, key)
    wkb = shapely.to_wkb(lookup.pieces)
    offsets = np.zeros(len(wkb) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(blob) for blob in wkb])
    arrays = {
        "format": np.array(CACHE_FORMAT, dtype=np.int64),
        "key": np.array(key),
        "wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
        "wkb_offsets": offsets,
        "piece_unit": np.ascontiguousarray(lookup.piece_unit, dtype=np.int64),
        "cell_unit": np.ascontiguousarray(lookup.cell_unit, dtype=np.int16),
        "k0": np.array([lookup.kx0, lookup.ky0], dtype=np.float64),
    }
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{_safe_label(label)}-", suffix=".tmp")
        os.fchmod(handle, 0o644)  # derived from public data; other accounts may share the directory
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        logger.debug("could not write lookup cache %s: %s", path, exc)
        return False
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    _prune(directory, label, keep=path)
    return True


def _decode(data: Mapping[str, Any], key: str, units: int) -> LayerLookup | None:
    """Check every array's type, shape and range before trusting it; ``None`` on any mismatch."""
    if _scalar(data["format"], np.integer) != CACHE_FORMAT or _scalar(data["key"], np.str_) != key:
        return None
    wkb, offsets = data["wkb"], data["wkb_offsets"]
    piece_unit, cell_unit, k0 = data["piece_unit"], data["cell_unit"], data["k0"]
    pieces = len(offsets) - 1
    well_formed = (
        wkb.dtype == np.uint8
        and wkb.ndim == 1
        and offsets.dtype == np.int64
        and offsets.ndim == 1
        and pieces >= 1
        and offsets[0] == 0
        and offsets[-1] == len(wkb)
        and bool(np.all(np.diff(offsets) > 0))
        and piece_unit.dtype == np.int64
        and piece_unit.shape == (pieces,)
        and cell_unit.dtype == np.int16
        and cell_unit.ndim == 2
        and cell_unit.size > 0
        and k0.dtype == np.float64
        and k0.shape == (2,)
    )
    if not well_formed:
        return None
    if piece_unit.min() < 0 or piece_unit.max() >= units or cell_unit.min() < -2 or cell_unit.max() >= units:
        return None
    if not (np.all(np.isfinite(k0)) and np.array_equal(k0, np.floor(k0))):
        return None
    blob = wkb.tobytes()
    parts = np.empty(pieces, dtype=object)
    parts[:] = [
        blob[start:end] for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    ]
    geometries = shapely.from_wkb(parts)  # raises on a damaged blob
    if shapely.is_missing(geometries).any() or shapely.is_empty(geometries).any():
        return None
    return LayerLookup(geometries, piece_unit, cell_unit, float(k0[0]), float(k0[1]))


def _scalar(array: npt.NDArray[Any], kind: type[Any]) -> object:
    """The value of a 0-d array of ``kind`` (raises ``ValueError`` for anything else)."""
    if array.shape != () or not np.issubdtype(array.dtype, kind):
        raise ValueError(f"expected a scalar of kind {kind.__name__}, got {array.dtype} {array.shape}")
    return array.item()


def _safe_label(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", label) or "layer"


def _prune(directory: Path, label: str, keep: Path) -> None:
    """Drop all but the newest :data:`KEEP_PER_LAYER` files of ``label`` and stale temporary files."""
    safe = _safe_label(label)
    try:
        entries = sorted(
            (path for path in directory.glob(f"{safe}-*.npz") if path != keep),
            key=lambda path: path.stat().st_mtime_ns,
            reverse=True,
        )
        now = time.time()
        stale = [
            path
            for path in directory.glob(f".{safe}-*.tmp")
            if now - path.stat().st_mtime > STALE_TEMP_SECONDS
        ]
    except OSError as exc:  # a file vanished under a concurrent prune, say
        logger.debug("not pruning lookup cache %s: %s", directory, exc)
        return
    for path in [*entries[KEEP_PER_LAYER - 1 :], *stale]:
        with contextlib.suppress(OSError):
            path.unlink()
