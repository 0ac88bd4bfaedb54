"""The on-disk cache of the assignment lookup structures (geodata/assign_cache.py).

A warm cache must give exactly what building in memory gives, a changed boundary file must
never be answered from an old entry, and a damaged file or an unusable directory must only
cost the build, never an error. Every test points ``SAHEL_CACHE_DIR`` at its own directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from geodata import assign, assign_cache
from geodata.boundaries import ADMIN1_FILE, ADMIN2_FILE, load_admin1
from incidents.settings import CACHE_DIR_ENV

Layers = dict[int, assign._Layer]
PATHS = {1: ADMIN1_FILE, 2: ADMIN2_FILE}


def _build(path: Path, level: int) -> assign._Layer:
    """A layer built now, as a new process would (not the process-wide one)."""
    return assign._layer_at.__wrapped__(path, level)


def _must_not_build(*_args: object) -> None:
    raise AssertionError("built although the cache holds it")


def _unusable_dir(tmp_path: Path) -> Path:
    """A cache path below a regular file: it can be neither created nor written."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    return blocker / "cache"


def _points(layer: assign._Layer, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points around the layer, on cell edges and grid lines, on unit vertices, NaN, inf, far away."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = layer.frame.total_bounds
    n = 20_000
    lon, lat = rng.uniform(minx - 1, maxx + 1, n), rng.uniform(miny - 1, maxy + 1, n)
    cell = assign.CELL_DEGREES
    nudges = np.array([0, 1e-7, -1e-7, 5e-8, 1e-12, -1e-12])
    lon[:3000] = np.round(lon[:3000] / cell) * cell + rng.choice(nudges, 3000)
    lat[2000:5000] = np.round(lat[2000:5000] / cell) * cell + rng.choice(nudges, 3000)
    lon[5000:6000] = np.round(lon[5000:6000] * 2) / 2  # the pieces' 0.5-degree cuts
    vertices = shapely.get_coordinates(layer.frame.geometry.boundary.to_numpy())
    pick = vertices[rng.choice(len(vertices), 5000)]
    lon[7000:12000], lat[7000:12000] = pick[:, 0], pick[:, 1]
    lon[12000:12010], lat[12010:12020] = np.nan, np.nan
    lon[12020:12025], lat[12025:12030] = np.inf, -np.inf
    lon[12030:12040], lat[12030:12040] = -30.0, 10.0  # the Atlantic
    lon[12040:12045], lat[12040:12045] = 1e300, -1e300
    return lon, lat


def _answers(index: assign._GridIndex, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units through the STRtree alone and through the cell table."""
    return assign._units(index, lon, lat, None), assign._units(index, lon, lat, assign._cell_grid(lon, lat))


def _assert_same_structures(first: assign._GridIndex, second: assign._GridIndex) -> None:
    assert np.array_equal(shapely.to_wkb(first.tree.geometries), shapely.to_wkb(second.tree.geometries))
    assert np.array_equal(first.piece_unit, second.piece_unit)
    assert first.piece_unit.dtype == second.piece_unit.dtype == np.int64
    assert np.array_equal(first.cells.unit, second.cells.unit)
    assert first.cells.unit.dtype == second.cells.unit.dtype == np.int16
    assert (first.cells.kx0, first.cells.ky0) == (second.cells.kx0, second.cells.ky0)


def _assert_same_answers(first: assign._Layer, second: assign._Layer, seed: int) -> None:
    lon, lat = _points(first, seed)
    for x, y in ((lon, lat), (lat, lon)):
        tree_1, cells_1 = _answers(first.index, x, y)
        tree_2, cells_2 = _answers(second.index, x, y)
        assert np.array_equal(tree_1, tree_2)
        assert np.array_equal(cells_1, cells_2)
        assert np.array_equal(tree_1, cells_1)


# --- the shipped layers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layers, Layers, Layers, Path]:
    """Both shipped layers built in memory only, built into an empty cache, then loaded from it."""
    root = tmp_path_factory.mktemp("shipped")
    cache = root / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(_unusable_dir(root)))
        memory = {level: _build(path, level) for level, path in PATHS.items()}
        patch.setenv(CACHE_DIR_ENV, str(cache))
        cold = {level: _build(path, level) for level, path in PATHS.items()}
        patch.setattr(assign, "_subdivide", _must_not_build)
        patch.setattr(assign, "_build_cell_table", _must_not_build)
        warm = {level: _build(path, level) for level, path in PATHS.items()}
    return memory, cold, warm, cache


def test_the_first_build_stores_one_file_per_layer(shipped: tuple[Layers, Layers, Layers, Path]) -> None:
    memory, cold, warm, cache = shipped
    names = sorted(path.name for path in cache.iterdir())
    assert len(names) == 2 and all(name.endswith(".npz") for name in names)
    assert names[0].startswith("sahel_admin1_level1-") and names[1].startswith("sahel_admin2_level2-")
    assert not any(layer.index.has_cells for layer in memory.values())  # no cache: lazy, as before
    assert all(layer.index.has_cells for layer in (*cold.values(), *warm.values()))


@pytest.mark.parametrize("level", [1, 2])
def test_warm_cache_holds_exactly_what_building_gives(
    shipped: tuple[Layers, Layers, Layers, Path], level: int
) -> None:
    memory, cold, warm, _ = shipped
    _assert_same_structures(memory[level].index, warm[level].index)
    _assert_same_structures(cold[level].index, warm[level].index)


@pytest.mark.parametrize("level", [1, 2])
def test_warm_cache_gives_the_same_unit_for_every_point(
    shipped: tuple[Layers, Layers, Layers, Path], level: int
) -> None:
    memory, _, warm, _ = shipped
    _assert_same_answers(memory[level], warm[level], seed=level)


def test_assign_admin_units_is_the_same_with_a_warm_cache(
    shipped: tuple[Layers, Layers, Layers, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    memory, _, warm, _ = shipped
    lon, lat = _points(memory[1], seed=5)
    lon = np.concatenate([lon, _points(memory[2], seed=6)[0]])
    lat = np.concatenate([lat, _points(memory[2], seed=6)[1]])
    frames = []
    for layers in (memory, warm):
        monkeypatch.setattr(assign, "_admin1_layer", lambda layers=layers: layers[1])
        monkeypatch.setattr(assign, "_admin2_layer", lambda layers=layers: layers[2])
        small = assign.assign_admin_units(lon[:1000], lat[:1000])  # below CELL_TABLE_MIN_POINTS
        frames.append((small, assign.assign_admin_units(lon, lat)))
    (small_memory, all_memory), (small_warm, all_warm) = frames
    pd.testing.assert_frame_equal(small_memory, small_warm, check_exact=True)
    pd.testing.assert_frame_equal(all_memory, all_warm, check_exact=True)
    assert all_memory["country_iso3"].notna().any() and all_memory["admin2_code"].notna().any()


# --- small boundary files ------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(directory))
    return directory


def _small_layer_file(directory: Path, shift: float = 0.0) -> Path:
    """Four Burkina Faso regions as a GeoJSON file; ``shift`` moves the first one east (degrees)."""
    frame = load_admin1()
    frame = frame[frame["iso3"] == "BFA"].head(4).reset_index(drop=True)
    if shift:
        frame.loc[0, "geometry"] = shapely.affinity.translate(frame.geometry.iloc[0], xoff=shift)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "admin1.geojson"
    gpd.GeoDataFrame(frame, geometry="geometry", crs=4326).to_file(path, driver="GeoJSON")
    return path


def _in_memory(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> assign._Layer:
    with monkeypatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(_unusable_dir(tmp_path)))
        return _build(path, 1)


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.npz"))


def test_a_changed_boundary_file_does_not_reuse_the_old_entry(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_path = _small_layer_file(tmp_path / "old")
    new_path = _small_layer_file(tmp_path / "new", shift=0.3)  # same name and layer, other geometry
    _build(old_path, 1)
    assert len(_entries(cache)) == 1
    new = _build(new_path, 1)
    assert len(_entries(cache)) == 2
    _assert_same_structures(new.index, _in_memory(new_path, tmp_path, monkeypatch).index)
    # And served from its own entry afterwards, still without the old geometry.
    monkeypatch.setattr(assign, "_subdivide", _must_not_build)
    warm_new, warm_old = _build(new_path, 1), _build(old_path, 1)
    _assert_same_structures(new.index, warm_new.index)
    old_wkb = shapely.to_wkb(warm_old.index.tree.geometries)
    assert not np.array_equal(old_wkb, shapely.to_wkb(warm_new.index.tree.geometries))


def test_the_key_follows_every_input() -> None:
    frame = load_admin1()
    geometries = frame.geometry.to_numpy()[:5]
    fingerprint = {"GRID_DEGREES": 0.5, "builder": "abc"}
    key = assign_cache.cache_key(geometries, fingerprint)
    assert key == assign_cache.cache_key(geometries.copy(), dict(fingerprint))

    def one_ulp_east(coords: np.ndarray) -> np.ndarray:
        coords = coords.copy()
        coords[1, 0] = np.nextafter(coords[1, 0], np.inf)  # not a ring's closing point
        return coords

    nudged = geometries.copy()
    nudged[0] = shapely.transform(geometries[0], one_ulp_east)
    assert not shapely.equals_exact(nudged[0], geometries[0], tolerance=0)
    others = [
        assign_cache.cache_key(nudged, fingerprint),
        assign_cache.cache_key(geometries[::-1].copy(), fingerprint),
        assign_cache.cache_key(geometries[:4], fingerprint),
        assign_cache.cache_key(geometries, {**fingerprint, "GRID_DEGREES": 0.5000000001}),
        assign_cache.cache_key(geometries, {**fingerprint, "builder": "abd"}),
    ]
    assert len({key, *others}) == 6


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00garbage" * 100)


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _rewritten(path: Path, **changes: Callable[[np.ndarray], np.ndarray | None]) -> None:
    """The entry with some arrays changed (or dropped, where the change gives ``None``)."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    for name, change in changes.items():
        changed = change(arrays.pop(name))
        if changed is not None:
            arrays[name] = changed
    with path.open("wb") as file:
        np.savez(file, **arrays)


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "garbage": _garbage,
    "truncated": _truncated,
    "empty": _empty,
    "other key": lambda path: _rewritten(path, key=lambda _: np.array("0" * 64)),
    "other format": lambda path: _rewritten(path, format=lambda value: value + 1),
    "cells as int64": lambda path: _rewritten(path, cell_unit=lambda value: value.astype(np.int64)),
    "unit out of range": lambda path: _rewritten(path, piece_unit=lambda value: value + 10),
    "cell out of range": lambda path: _rewritten(path, cell_unit=lambda value: value - 5),
    "offsets off": lambda path: _rewritten(path, wkb_offsets=lambda value: value[:-1]),
    "damaged wkb": lambda path: _rewritten(path, wkb=lambda value: np.where(value == 3, 9, value)),
    "origin not finite": lambda path: _rewritten(path, k0=lambda value: value * np.nan),
    "array missing": lambda path: _rewritten(path, piece_unit=lambda _: None),
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_a_damaged_entry_is_ignored_and_rewritten(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corrupt: Callable[[Path], None]
) -> None:
    path = _small_layer_file(tmp_path / "layer")
    _build(path, 1)
    [entry] = _entries(cache)
    corrupt(entry)
    damaged = entry.read_bytes()
    rebuilt = _build(path, 1)
    _assert_same_structures(rebuilt.index, _in_memory(path, tmp_path, monkeypatch).index)
    assert _entries(cache) == [entry] and entry.read_bytes() != damaged
    monkeypatch.setattr(assign, "_subdivide", _must_not_build)
    _assert_same_structures(rebuilt.index, _build(path, 1).index)  # the rewritten entry loads


def test_an_unusable_cache_directory_still_assigns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _small_layer_file(tmp_path / "layer")
    monkeypatch.setenv(CACHE_DIR_ENV, str(_unusable_dir(tmp_path)))
    layer = _build(path, 1)
    assert not layer.index.has_cells  # nothing to store it for: left lazy
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    _assert_same_answers(layer, _build(path, 1), seed=9)


def test_a_read_only_entry_is_still_used(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_layer_file(tmp_path / "layer")
    built = _build(path, 1)
    monkeypatch.setattr(assign_cache, "writable_cache_dir", lambda: None)
    monkeypatch.setattr(assign, "_subdivide", _must_not_build)
    _assert_same_structures(built.index, _build(path, 1).index)


def test_writing_leaves_no_temporary_file_and_keeps_a_few_entries_per_layer(cache: Path) -> None:
    lookup = assign_cache.LayerLookup(
        np.array([shapely.box(0, 0, 1, 1)]), np.zeros(1, dtype=np.int64), np.zeros((2, 2), np.int16), 0.0, 0.0
    )
    for number in range(assign_cache.KEEP_PER_LAYER + 3):
        assert assign_cache.store_lookup("layer", f"{number:064x}", lookup)
    assert assign_cache.store_lookup("other", "f" * 64, lookup)
    names = sorted(path.name for path in cache.iterdir())
    assert len([name for name in names if name.startswith("layer-")]) == assign_cache.KEEP_PER_LAYER
    assert f"layer-{assign_cache.KEEP_PER_LAYER + 2:064x}.npz" in names  # the newest is kept
    assert "other-" + "f" * 64 + ".npz" in names
    assert all(name.endswith(".npz") for name in names)
    loaded = assign_cache.load_lookup("other", "f" * 64, units=1)
    assert loaded is not None and shapely.equals(loaded.pieces[0], lookup.pieces[0])
    assert assign_cache.load_lookup("other", "f" * 64, units=0) is None  # unit 0 does not exist then


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert assign_cache.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert assign_cache.cache_dir() == tmp_path / "xdg" / "sahel-dashboard"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert assign_cache.cache_dir() == tmp_path / "home" / ".cache" / "sahel-dashboard"
