"""Never a silently stale page: the "sedang menghitung ulang…" banner (issue 12).

A change applied through the browser or ``siapwisata import`` marks the workspace's scores
stale (metadata ``scores_stale``, set and cleared by :mod:`geo.io.history`'s callers: the
contribution steps and the score step). While it is set every page
and map carries a banner saying the scores are being recomputed, and a small script that
polls ``/api/status`` and reloads the page once they are current again.

Pages are cached per workspace version (:mod:`api.deps`); the flag lives in the workspace
metadata, so a page kept for a version shows the banner exactly when that version is
stale, and the version the recomputation writes starts the cache afresh.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup

from geo.exceptions import SiapError

if TYPE_CHECKING:
    from ..deps import WorkspaceStore

POLL_MS = 3000
BANNER_ID = "sw-stale"
BANNER_TEXT = ("Data baru saja berubah: skor dan prioritas sedang menghitung ulang… "
               "Halaman ini akan diperbarui sendiri.")
OLD_TEXT = ("Data baru saja berubah: ini tampilan dari versi data sebelumnya, versi terbaru "
            "sedang menghitung ulang… Halaman ini akan diperbarui sendiri.")
"""The banner of a page sent from an earlier workspace version while the current one is
built (stale-while-revalidate, :mod:`api.fastpath`)."""
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Freshness:
    """Whether the results shown are behind the data."""

    scores_stale: bool
    """The data changed since the scores were computed (metadata ``scores_stale``)."""
    priorities_stale: bool
    """The stored priorities were ranked before the current scores: the recomputation
    scores first and ranks after, and the scores' step clears ``scores_stale`` already."""

    @property
    def stale(self) -> bool:
        return self.scores_stale or self.priorities_stale


def _when(value: str | None) -> datetime | None:
    try:
        t = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _freshness(store: WorkspaceStore) -> Freshness:
    from geo.io.history import scores_stale as stale

    meta = store.ws.metadata()
    scored, ranked = _when(meta.get("scores_at")), _when(meta.get("priorities_at"))
    behind = (scored is not None and ranked is not None and ranked < scored
              and store.ws.has("priorities"))
    return Freshness(stale(store.ws), behind)


def freshness(store: WorkspaceStore) -> Freshness:
    """How current the workspace's scores and priorities are (cached per version)."""
    try:
        return store.cached(("freshness",), lambda: _freshness(store))
    except SiapError:  # no workspace yet: nothing to be stale
        return Freshness(False, False)


def scores_stale(store: WorkspaceStore) -> bool:
    """Whether the scores or the priorities shown are behind the data."""
    return freshness(store).stale


def banner(version: str, *, old: bool = False) -> Markup:
    """The stale banner and its poll script (safe HTML: no user text in it).

    ``version`` is the workspace version the page was built on; ``old`` says the page was
    sent from that earlier version while the current one is built (:data:`OLD_TEXT`).
    The script reloads the page once ``/api/status`` reports current scores on another
    version than the page's: then the page of the current version is built or being
    built, and a reload too early gets this banner again and polls on. It names a failed
    recomputation instead of waiting silently forever.
    """
    script = (
        "(function(){var v=" + _js(version) + ",t=document.getElementById('sw-stale-text');"
        "function poll(){fetch('/api/status',{cache:'no-store',credentials:'same-origin'})"
        ".then(function(r){return r.json();}).then(function(s){"
        "if(!s.stale){if(s.version!==v){location.reload();}return;}"
        "if(s.last_error&&t){t.textContent='Penghitungan ulang gagal: '+s.last_error;}"
        f"setTimeout(poll,{POLL_MS});}}).catch(function(){{setTimeout(poll,{2 * POLL_MS});}});}}"
        f"setTimeout(poll,{POLL_MS});}})();"
    )
    return Markup(
        f'<div id="{BANNER_ID}" role="status" aria-live="polite" style="position:fixed;top:0;'
        "left:50%;transform:translateX(-50%);z-index:10000;background:#e65100;color:#fff;"
        "font:600 14px/1.4 system-ui,sans-serif;padding:8px 14px;border-radius:0 0 6px 6px;"
        'box-shadow:0 2px 6px rgba(0,0,0,.3);max-width:90vw">'
        f'<span id="sw-stale-text">{OLD_TEXT if old else BANNER_TEXT}</span></div>'
        f"<script>{script}</script>"
    )


def _js(value: str) -> str:
    """A string as a JavaScript literal safe inside a ``<script>`` element."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def page_banner(store: WorkspaceStore) -> Markup:
    """The banner for a page template: empty when the scores are current."""
    return banner(store.version()) if scores_stale(store) else Markup("")


def with_banner(store: WorkspaceStore, html: str) -> str:
    """A whole page (a Folium map) with the stale banner right after ``<body>`` when the
    scores are stale; unchanged otherwise."""
    if not scores_stale(store):
        return html
    return after_body(html, str(banner(store.version())))


def after_body(html: str, snippet: str) -> str:
    """``html`` with ``snippet`` right after its ``<body>`` tag (at the start without one)."""
    m = _BODY.search(html)
    if m is None:
        return snippet + html
    return html[:m.end()] + snippet + html[m.end():]
