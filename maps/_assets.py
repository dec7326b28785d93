"""Offline front-end assets: every JS/CSS file a map needs is served by our own API.

Folium points its pages at CDNs (jsdelivr, cdnjs, code.jquery.com, ...). Mimika's offices
often have no usable internet, so before rendering we rewrite each element's
``default_js`` / ``default_css`` to ``/static/...`` paths that the API serves from:

- ``npm/<package>/...``: packages installed with ``npm ci`` from ``package.json`` +
  ``package-lock.json`` into ``node_modules/`` (never committed), which ``maps/npm``
  links to and the wheel copies (:data:`NPM_FOLDER`);
- ``folium/...``: files that the folium wheel from PyPI ships itself (its patched heatmap);
- ``app/...``: this project's own small CSS/JS (``maps/siapwisata.css|js``).

A resource we do not know raises :class:`AssetError` instead of silently falling back to
a CDN, and :func:`external_urls` lets tests and the renderer prove that a page loads
nothing from outside.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Final

import folium
from branca.element import Element

from geo.exceptions import SiapError


class AssetError(SiapError):
    """A map needs a front-end file that is not mapped to a local path or not installed."""


# npm packages whose files may be served (the "dependencies" of package.json).
NPM_PACKAGES: Final = (
    "leaflet",
    "leaflet-measure",
    "leaflet-search",
    "leaflet.fullscreen",
    "leaflet.markercluster",
    "protomaps-leaflet",
    "swagger-ui-dist",
)

# Folium resource name -> path below the static root. Only what our maps use.
LOCAL_ASSETS: Final[dict[str, str]] = {
    "leaflet": "npm/leaflet/dist/leaflet.js",
    "leaflet_css": "npm/leaflet/dist/leaflet.css",
    "Control.Fullscreen.js": "npm/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "npm/leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_js": "npm/leaflet-measure/dist/leaflet-measure.js",
    "leaflet_measure_css": "npm/leaflet-measure/dist/leaflet-measure.css",
    "markerclusterjs": "npm/leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "npm/leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "npm/leaflet.markercluster/dist/MarkerCluster.Default.css",
    "Leaflet.Search.js": "npm/leaflet-search/dist/leaflet-search.min.js",
    "Leaflet.Search.css": "npm/leaflet-search/dist/leaflet-search.min.css",
    "leaflet-heat.js": "folium/leaflet_heat.min.js",
    # only on pages with a local vector basemap (maps._basemaps.VectorTiles)
    "protomaps_leaflet": "npm/protomaps-leaflet/dist/protomaps-leaflet.js",
    "siapwisata_css": "app/siapwisata.css",
    "siapwisata_js": "app/siapwisata.js",
}

# Folium's Map loads these by default; our maps use none of them (no Bootstrap widgets,
# no awesome-marker icons), so they are dropped rather than served.
UNUSED: Final = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

# Our own page furniture, added to every map.
APP_JS: Final = ("siapwisata_js",)
APP_CSS: Final = ("siapwisata_css",)


NPM_FOLDER: Final = "npm"
"""Folder of the ``maps`` package holding the npm packages. In the repository it links to
``node_modules/`` (filled by ``npm ci``); a built wheel holds real copies of the files the
maps use (see ``pyproject.toml``), so an installed SIAP Wisata needs no npm."""


def _package_folder(package: str) -> Path:
    root = resources.files(package)
    if not isinstance(root, Path):  # e.g. a zipped install: files cannot be served from it
        raise AssetError(f"paket {package} tidak terpasang sebagai folder "
                         f"(package {package} is not installed as a folder: {root})")
    return root


def asset_roots() -> dict[str, Path]:
    """Folders behind each static prefix.

    The setting ``assets_dir`` (``SIAPWISATA_ASSETS_DIR``) replaces the npm packages shipped
    in the package with another folder laid out as ``npm ci`` does.
    """
    from geo.settings import get_settings

    maps_folder = _package_folder("maps")
    return {
        "npm": get_settings().assets_dir or maps_folder / NPM_FOLDER,
        "folium": _package_folder("folium") / "templates",
        "app": maps_folder,
    }


def resolve(relpath: str) -> Path | None:
    """Map a path below the static root to a file, refusing anything outside the roots.

    Returns ``None`` for unknown prefixes, npm packages we do not depend on, path
    traversal and missing files.
    """
    prefix, _, rest = relpath.partition("/")
    roots = asset_roots()
    if prefix not in roots or not rest:
        return None
    if prefix == "npm" and rest.split("/", 1)[0] not in NPM_PACKAGES:
        return None
    if prefix == "app" and ("/" in rest or Path(rest).suffix not in {".css", ".js"}):
        return None  # the maps package folder also holds Python sources and npm/
    root = roots[prefix].resolve()
    path = (root / rest).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


# --- precompiled templates ------------------------------------------------------------
# leaflet-measure compiles its underscore templates when it loads, with ``new Function``:
# a Content-Security-Policy without 'unsafe-eval' (the API sends one) would stop the
# script. We compile them here instead, exactly as underscore does (its ``template.source``
# exists for this precompilation), and serve the file with the functions written out.

_UNDERSCORE_CALL = re.compile(r'_\.template\((?P<lit>"(?:[^"\\\n]|\\.)*")\)')
# underscore's default delimiters, in its order: escape, interpolate, evaluate.
_UNDERSCORE_DELIMS = re.compile(r"<%-([\s\S]+?)%>|<%=([\s\S]+?)%>|<%([\s\S]+?)%>")
_JS_STRING_ESCAPES = {"'": "\\'", "\\": "\\\\", "\r": "\\r", "\n": "\\n",
                      "\u2028": "\\u2028", "\u2029": "\\u2029"}


def underscore_template_source(text: str) -> str:
    """The JS function underscore's ``_.template(text)`` builds, as source code.

    Same algorithm as underscore 1.x with the default settings (no ``variable``): the
    result takes ``(obj, _)`` and reads the template's names through ``with (obj)``.
    """
    source = ["__p+='"]
    index = 0
    for m in _UNDERSCORE_DELIMS.finditer(text):
        source.append(re.sub(r"[\\'\r\n\u2028\u2029]",
                             lambda c: _JS_STRING_ESCAPES[c.group(0)], text[index:m.start()]))
        index = m.end()
        escape, interpolate, evaluate = m.groups()
        if escape is not None:
            source.append(f"'+\n((__t=({escape}))==null?'':_.escape(__t))+\n'")
        elif interpolate is not None:
            source.append(f"'+\n((__t=({interpolate}))==null?'':__t)+\n'")
        else:
            source.append(f"';\n{evaluate}\n__p+='")
    source.append(re.sub(r"[\\'\r\n\u2028\u2029]",
                         lambda c: _JS_STRING_ESCAPES[c.group(0)], text[index:]))
    body = "with(obj||{}){\n" + "".join(source) + "';\n}\n"
    return ("function(obj,_){\nvar __t,__p='',__j=Array.prototype.join,"
            "print=function(){__p+=__j.call(arguments,'');};\n" + body + "return __p;\n}")


def precompile_underscore_templates(js: str) -> str:
    """Replace every ``_.template("literal")`` call of a script by the compiled function.

    Each call becomes ``function(data){ return render.call(this, data, _); }`` around the
    precompiled ``render``, which is what ``_.template`` returns at run time.
    """
    import json

    def compiled(m: re.Match[str]) -> str:
        try:
            text = json.loads(m.group("lit"))
        except ValueError:  # a JS-only escape: keep the call rather than guess
            return m.group(0)
        return ("(function(render){return function(data){return render.call(this,data,_);};})"
                f"({underscore_template_source(text)})")

    return _UNDERSCORE_CALL.sub(compiled, js)


# Static files served with a build step applied: path below the static root -> step.
TRANSFORMS: Final[dict[str, Callable[[str], str]]] = {
    LOCAL_ASSETS["leaflet_measure_js"]: precompile_underscore_templates,
}


@functools.lru_cache(maxsize=8)
def _transformed(path: Path, mtime_ns: int, relpath: str) -> bytes:
    return TRANSFORMS[relpath](path.read_text(encoding="utf-8")).encode("utf-8")


def asset_bytes(path: Path) -> bytes | None:
    """The content to serve for a resolved static file when it needs a build step
    (:data:`TRANSFORMS`), else ``None`` (serve the file as it is)."""
    for relpath in TRANSFORMS:
        if resolve(relpath) == path:
            return _transformed(path, path.stat().st_mtime_ns, relpath)
    return None


def asset_text(path: Path) -> str:
    """A resolved static file's content as served (see :func:`asset_bytes`)."""
    built = asset_bytes(path)
    return built.decode("utf-8") if built is not None else path.read_text(encoding="utf-8")


def missing_assets() -> list[str]:
    """Static paths a map needs that are not installed (empty when all is well)."""
    return [p for p in LOCAL_ASSETS.values() if resolve(p) is None]


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _rewrite(resources: list[tuple[str, str]], static_url: str, owner: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, _url in resources:
        if name in UNUSED:
            continue
        if name not in LOCAL_ASSETS:
            raise AssetError(
                f"{owner} memerlukan aset '{name}' yang tidak tersedia lokal "
                f"(front-end asset '{name}' has no local copy; add it to maps/_assets.py)"
            )
        out.append((name, f"{static_url}/{LOCAL_ASSETS[name]}"))
    return out


def localize(m: folium.Map, static_url: str = "/static") -> folium.Map:
    """Point every JS/CSS resource of ``m`` and its children at ``static_url``.

    Also adds this project's own stylesheet and script. Mutates and returns ``m``.
    """
    static_url = static_url.rstrip("/")
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            res = getattr(el, attr, None)
            if res:
                # An instance attribute shadows folium's class-level CDN list.
                setattr(el, attr, _rewrite(list(res), static_url, type(el).__name__))
    m.default_js = [*m.default_js, *((n, f"{static_url}/{LOCAL_ASSETS[n]}") for n in APP_JS)]
    m.default_css = [*m.default_css, *((n, f"{static_url}/{LOCAL_ASSETS[n]}") for n in APP_CSS)]
    return m


_LOAD_ATTR = re.compile(
    r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.IGNORECASE)


def external_urls(html: str) -> list[str]:
    """URLs that a page would *load* from another host (scripts, styles, images, CSS).

    Plain ``<a href>`` links (such as the OpenStreetMap copyright link) are not loads and
    are ignored.
    """
    found = [*_LOAD_ATTR.findall(html), *_CSS_URL.findall(html)]
    return sorted({u for u in found if re.match(r"^(?:[a-z]+:)?//", u, re.IGNORECASE)})


_SCRIPT_TAG = re.compile(r"""<script\b[^>]*?\bsrc\s*=\s*["'](?P<url>[^"']+)["'][^>]*>\s*</script>""",
                         re.IGNORECASE)
_STYLESHEET_TAG = re.compile(
    r"""<link\b(?=[^>]*\brel\s*=\s*["']stylesheet["'])[^>]*?\bhref\s*=\s*["'](?P<url>[^"']+)["'][^>]*>""",
    re.IGNORECASE,
)
_RELATIVE_CSS_URL = re.compile(r"""url\(\s*["']?(?!data:|[a-z]+:|/|#)(?P<ref>[^"')?#]+)[^)]*\)""",
                               re.IGNORECASE)


def _data_uri(path: Path) -> str:
    import base64
    import mimetypes

    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    """A stylesheet with its relative images (Leaflet's icons, layer control) as data URIs."""
    def swap(match: re.Match[str]) -> str:
        ref = (path.parent / match.group("ref")).resolve()
        return f'url("{_data_uri(ref)}")' if ref.is_file() else match.group(0)

    return _RELATIVE_CSS_URL.sub(swap, path.read_text(encoding="utf-8"))


def inline_assets(html: str, static_url: str = "/static") -> str:
    """Turn a page rendered for the API into one self-contained file.

    Every ``<script src>`` and stylesheet ``<link>`` under ``static_url`` is replaced by
    the file's content, so the page works where no server runs: a notebook output, an
    HTML file mailed to an office without internet.

    Raises
    ------
    AssetError
        If a referenced local file is not installed (in a source checkout: run
        ``make assets``).
    """
    prefix = static_url.rstrip("/") + "/"

    def local(url: str) -> Path:
        path = resolve(url[len(prefix):]) if url.startswith(prefix) else None
        if path is None:
            raise AssetError(f"aset lokal tidak ditemukan: {url}; dari "
                             "repositori jalankan 'make assets' (npm ci), atau setel "
                             "SIAPWISATA_ASSETS_DIR")
        return path

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        if not url.startswith(prefix):
            return match.group(0)
        code = asset_text(local(url)).replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match[str]) -> str:
        url = match.group("url")
        if not url.startswith(prefix):
            return match.group(0)
        return f"<style>{_inline_css(local(url))}</style>"

    return _STYLESHEET_TAG.sub(style, _SCRIPT_TAG.sub(script, html))
