"""Offline map assets: Leaflet and its plugins served by the app itself, never by a CDN.

folium points every map at public CDNs; in a field office with no internet the map iframe
then stays blank (docs/architecture.md, 'Maps: offline and fast'). This module copies the same
libraries from installed
Python packages (``xstatic-*`` and folium's own templates) into ``dashboard/static/vendor/``,
which Streamlit serves at ``/app/static/vendor/`` when ``server.enableStaticServing`` is on,
and says which local URL replaces which folium resource name.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from incidents.i18n import _

STATIC_DIR: Final = Path(__file__).resolve().parents[1] / "static"
VENDOR_SUBDIR: Final = "vendor"
#: URL under which Streamlit serves ``STATIC_DIR / "vendor"``.
ASSET_BASE_URL: Final = "/app/static/vendor"
_STAMP_FILE: Final = ".stamp.json"


class AssetError(RuntimeError):
    """A vendored map asset cannot be found in the installed packages or copied."""


@dataclass(frozen=True)
class _Source:
    """Files (or whole folders) of one installed package copied under ``vendor/<target>``."""

    package: str  # importable module whose folder holds the files
    subdir: str  # folder inside the package ("" = the package folder itself)
    target: str  # folder under vendor/
    files: tuple[str, ...]  # paths relative to subdir; a folder is copied whole


_SOURCES: Final = (
    _Source("xstatic.pkg.leaflet", "data", "leaflet", ("leaflet.js", "leaflet.css", "images")),
    _Source(
        "xstatic.pkg.leaflet_markercluster",
        "data",
        "leaflet.markercluster",
        ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
    ),
    _Source("xstatic.pkg.jquery", "data", "jquery", ("jquery.min.js",)),
    # all.min.css refers to ../webfonts/, so both keep their relative layout.
    _Source("xstatic.pkg.font_awesome", "data", "fontawesome", ("css/all.min.css", "webfonts")),
    _Source("folium", "templates", "leaflet-heat", ("leaflet_heat.min.js",)),
)

#: folium resource name -> path under vendor/. Names are folium's own, so a map element's
#: ``default_js``/``default_css`` entries can be swapped one for one.
LOCAL_RESOURCES: Final[dict[str, str]] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "jquery": "jquery/jquery.min.js",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "leaflet-heat/leaflet_heat.min.js",
}

#: folium resources a Leaflet map does not need and that have no installable offline copy
#: (Bootstrap does not build from its sdist here; awesome-markers is not packaged).
#: Elements needing them (folium.Icon markers) must not be used on offline maps.
DROPPED_RESOURCES: Final = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)


def _package_dir(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise AssetError(
            _(
                "package {package} is not installed; it provides offline map assets. Install the "
                "requirements: pip install -r requirements.txt"
            ).format(package=repr(package))
        ) from exc
    if module.__file__ is None:
        raise AssetError(
            _("package {package} has no folder on disk to copy map assets from").format(package=repr(package))
        )
    return Path(module.__file__).resolve().parent


def _package_version(package: str) -> str:
    module = importlib.import_module(package)
    return str(getattr(module, "VERSION", getattr(module, "__version__", "")))


def _expand(source: _Source) -> Iterator[tuple[Path, str]]:
    """(absolute source file, path relative to vendor/) for every file of ``source``."""
    root = _package_dir(source.package) / source.subdir
    for name in source.files:
        path = root / name
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield child, f"{source.target}/{child.relative_to(root).as_posix()}"
        elif path.is_file():
            yield path, f"{source.target}/{name}"
        else:
            raise AssetError(
                _(
                    "{path} is missing from the installed package {package}; reinstall it: pip install "
                    "--force-reinstall -r requirements.txt"
                ).format(path=path, package=repr(source.package))
            )


def _stamp(sources: Iterable[_Source]) -> dict[str, str]:
    return {source.package: _package_version(source.package) for source in sources}


def _copy_atomically(src: Path, dest: Path) -> None:
    # Several server processes may start at once: never let one serve a half-written file.
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_static_assets(static_dir: Path = STATIC_DIR, *, force: bool = False) -> Path:
    """Copy the vendored map assets into ``static_dir/vendor`` unless already there; return that folder.

    Idempotent and cheap when up to date (one small stamp file read plus existence checks),
    so the app calls it on every run. The stamp records package versions, so upgrading an
    ``xstatic`` package refreshes the copies.
    """
    vendor = static_dir / VENDOR_SUBDIR
    stamp_path = vendor / _STAMP_FILE
    wanted = _stamp(_SOURCES)
    if not force and stamp_path.is_file():
        try:
            current = json.loads(stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current == wanted and all((vendor / rel).is_file() for rel in LOCAL_RESOURCES.values()):
            return vendor
    try:
        for source in _SOURCES:
            for src, rel in _expand(source):
                _copy_atomically(src, vendor / rel)
        stamp_path.write_text(json.dumps(wanted, indent=1, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        raise AssetError(
            _("cannot copy map assets into {vendor}: {exc}. The folder must be writable by the app").format(
                vendor=vendor, exc=exc
            )
        ) from exc
    return vendor


def vendor_files() -> dict[str, Path]:
    """Path under ``vendor/`` -> the installed package file it is copied from.

    The same list :func:`ensure_static_assets` copies; :mod:`dashboard.builders.export_map` reads the
    files from here to inline them into a standalone map page.
    """
    return {rel: src for source in _SOURCES for src, rel in _expand(source)}


def asset_url(name: str, base: str = ASSET_BASE_URL) -> str:
    """Local URL of the folium resource ``name`` (a key of :data:`LOCAL_RESOURCES`)."""
    try:
        return f"{base.rstrip('/')}/{LOCAL_RESOURCES[name]}"
    except KeyError:
        raise AssetError(
            _("no offline copy of map resource {name}; available: {available}").format(
                name=repr(name), available=sorted(LOCAL_RESOURCES)
            )
        ) from None


def offline_js(base: str = ASSET_BASE_URL) -> list[tuple[str, str]]:
    """folium-style ``default_js`` for a :class:`folium.Map`: Leaflet and jQuery, served locally."""
    return [("leaflet", asset_url("leaflet", base)), ("jquery", asset_url("jquery", base))]


def offline_css(base: str = ASSET_BASE_URL) -> list[tuple[str, str]]:
    """folium-style ``default_css`` for a :class:`folium.Map`: Leaflet's stylesheet, served locally."""
    return [("leaflet_css", asset_url("leaflet_css", base))]


def localise_resources(
    resources: Iterable[tuple[str, str]], base: str = ASSET_BASE_URL
) -> list[tuple[str, str]]:
    """Swap folium CDN ``(name, url)`` pairs for local ones; drop those a Leaflet map does not need.

    Raises :class:`AssetError` for a resource with no offline copy, so a developer who adds
    a CDN-only plugin finds out in the unit tests, not in a field office.
    """
    out = []
    for name, _url in resources:
        if name in DROPPED_RESOURCES:
            continue
        out.append((name, asset_url(name, base)))
    return out
