"""The landing page (Bahasa Indonesia): its context, rendered once per workspace version."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd
from fastapi.templating import Jinja2Templates

from geo.settings import software_version
from maps import CLASS_LABELS, CLASS_ORDER, class_color, fmt_num

from .._util import Body, credits, html_body
from ..deps import WorkspaceStore
from .freshness import page_banner

if TYPE_CHECKING:
    from geo.readiness import DimensionLabel

# The page templates ship inside the api package (package-data), found like every other
# packaged file through importlib.resources.
templates = Jinja2Templates(directory=str(resources.files("api") / "templates"))


def _agency(dimensions: Mapping[str, DimensionLabel], key: object) -> str:
    """The agency of a dimension key of the scores layer's configuration ('–' if none)."""
    label = dimensions.get(str(key)) if isinstance(key, str) else None
    return label.agency if label is not None else "–"


def context(store: WorkspaceStore) -> dict[str, Any]:
    """What the landing page template shows."""
    data = store.map_data()
    dis = data.distrik()
    destinations = []
    classes = []
    if data.scores is not None:
        s = data.scores.sort_values(["rank", "id"], na_position="last")
        for _, r in s.iterrows():  # tens of destinations
            minutes = r.get("access_minutes")
            gw = r.get("access_gateway_name") or r.get("access_gateway")
            destinations.append({
                "id": str(r["id"]), "name": str(r.get("name") or r["id"]),
                "rank": "–" if pd.isna(r.get("rank")) else int(r["rank"]),
                "class_label": CLASS_LABELS.get(str(r.get("class")), "–"),
                "color": class_color(r.get("class")),
                "score": fmt_num(r.get("score")),
                "bottleneck": r.get("bottleneck_agency") or _agency(data.dimensions,
                                                                    r.get("bottleneck")),
                "access": "tidak terjangkau" if pd.isna(minutes) else
                f"{fmt_num(minutes, 0)} menit dari {gw}",
            })
        counts = s["class"].astype(str).value_counts()
        classes = [{"label": CLASS_LABELS[c], "count": int(counts.get(c, 0))}
                   for c in reversed(CLASS_ORDER)]
    sources = data.sources.to_dict("records") if not data.sources.empty else []
    layers = (data.scores, data.roads, data.umkm, data.destinations, data.priorities,
              data.gateways)
    return {
        "region": data.region,
        "synthetic": store.synthetic(),
        "osm": bool(credits(*layers)),
        "distrik": [{"kode": str(k), "nama": str(n)}
                    for k, n in sorted(zip(dis["kode"], dis["nama"], strict=True),
                                       key=lambda t: str(t[1]))],
        "has_priorities": data.priorities is not None,
        # (query value, label): ``all`` is the API's value, "semua" what the officer reads
        "authorities": [("kabupaten", "kabupaten"), ("provinsi", "provinsi"),
                        ("nasional", "nasional"), ("all", "semua")],
        "destinations": destinations,
        "classes": classes,
        "sources": sources,
        "software_version": software_version(),
        "version": store.version(),
        "stale_banner": page_banner(store),
    }


def index(store: WorkspaceStore) -> Body:
    """The landing page."""

    def build() -> Body:
        html = templates.get_template("index.html").render(context(store))
        return html_body(html)

    return store.cached(("index",), build)
