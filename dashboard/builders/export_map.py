"""The interactive map as one self-contained HTML file, for e-mail and offline use.

The app's maps load Leaflet and its plugins from ``/app/static/vendor/...`` (served by
Streamlit). A file opened from a mail attachment has no server, so here every such
``<script src>`` and ``<link rel=stylesheet>`` is replaced by the file's content, read
from the installed packages (the same list :mod:`dashboard.builders.assets` copies); images and
fonts that stylesheets refer to become ``data:`` URIs. Pure: no Streamlit, no network.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
from pathlib import Path
from typing import Final

import folium

from dashboard.builders.assets import ASSET_BASE_URL, AssetError, vendor_files
from dashboard.builders.maps import localise_assets
from incidents.i18n import _, current_language

_TAG: Final = re.compile(
    r"<script\b[^>]*\bsrc=[\"'](?P<js>[^\"']+)[\"'][^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=[\"'](?P<css>[^\"']+)[\"'][^>]*/?>",
    re.IGNORECASE,
)
_HTML_TAG: Final = re.compile(r"<html(?![^>]*\blang=)", re.IGNORECASE)
_CSS_URL: Final = re.compile(r"url\(\s*(?P<q>[\"']?)(?P<url>[^)\"']+)(?P=q)\s*\)")
#: Font formats dropped from inlined stylesheets: every browser that runs Leaflet reads
#: woff2, and inlining the .ttf copies as well would double the file for nothing.
_SKIPPED_FONT_SUFFIXES: Final = (".ttf", ".eot", ".svg", ".woff")
_MIME_FALLBACK: Final = {
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _data_uri(path: Path) -> str:
    mime = _MIME_FALLBACK.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{payload}"


def _relative_path(url: str, base: str) -> str | None:
    prefix = base.rstrip("/") + "/"
    return url[len(prefix) :] if url.startswith(prefix) else None


def _inline_css(text: str, rel: str, files: dict[str, Path]) -> str:
    """Stylesheet ``rel`` with every ``url(...)`` to a vendored file as a data URI."""
    folder = posixpath.dirname(rel)

    def replace(match: re.Match[str]) -> str:
        url = match.group("url")
        if url.startswith(("data:", "#")):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(folder, url.split("?")[0].split("#")[0]))
        if target.lower().endswith(_SKIPPED_FONT_SUFFIXES):
            return "url(data:,)"  # an empty font: the browser falls through to the woff2 entry
        path = files.get(target)
        if path is None:
            raise AssetError(
                _("stylesheet {name} refers to {url}, which is not a vendored file").format(
                    name=repr(rel), url=repr(url)
                )
            )
        return f'url("{_data_uri(path)}")'

    return _CSS_URL.sub(replace, text)


def _script_text(text: str) -> str:
    # A literal "</script" inside the code would end the inline element early.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def standalone_map_html(fmap: folium.Map, asset_base: str = ASSET_BASE_URL) -> str:
    """The map's full HTML page with Leaflet, plugins, styles, images and fonts inlined.

    The map is first pointed at the vendored copies (:func:`dashboard.builders.maps.localise_assets`,
    idempotent), so a map built with folium's CDN defaults works too. Raises
    :class:`AssetError` when a script or stylesheet has no vendored copy, rather than
    returning a page that would stay blank offline. The ``<html>`` element carries the current
    language (``lang="fr"``); the map's texts are already in it (the map builders translate).
    """
    localise_assets(fmap, asset_base)
    page = fmap.get_root().render()
    files = vendor_files()

    def replace(match: re.Match[str]) -> str:
        url = match.group("js") or match.group("css")
        if match.group("css") and "stylesheet" not in match.group(0).lower():
            return match.group(0)  # <link rel=icon> and the like: not needed, left alone
        rel = _relative_path(url, asset_base)
        if rel is None or rel not in files:
            raise AssetError(
                _(
                    "the map loads {url}, which has no vendored copy to inline; vendored files: {files}"
                ).format(url=repr(url), files=sorted(files))
            )
        text = files[rel].read_text(encoding="utf-8")
        if match.group("js"):
            return f"<script>/* {rel} */\n{_script_text(text)}\n</script>"
        return f"<style>/* {rel} */\n{_inline_css(text, rel, files)}\n</style>"

    # The page says which language it speaks (screen readers, spell-checkers, translators).
    page = _HTML_TAG.sub(f'<html lang="{current_language()}"', page, count=1)
    return _TAG.sub(replace, page)
