"""Map builders: offline assets, what each layer shows, sizes, labels and banners.

References are independent of the code under test: the workspace layers read directly,
spatial joins done with geopandas here, lengths measured with pyproj/shapely here.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium import plugins

from geo.io.workspace import Workspace
from geo.readiness import dimension_labels, load_readiness_config
from maps import _style as st
from maps._assets import (
    LOCAL_ASSETS,
    NPM_PACKAGES,
    AssetError,
    asset_roots,
    external_urls,
    localize,
    missing_assets,
    resolve,
)
from maps._data import UnknownArea, load_map_data
from maps._geom import dissolve_lines, features, simplify
from maps._layers import render
from maps._popup import split_actions
from maps.readiness import destination_features, readiness_html, readiness_map
from tests._served import NO_PRIORITIES, has_priorities, served_workspace

MAX_PAGE_BYTES = 2 * 1024 * 1024  # the target for the Mimika demo map page


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    return served_workspace(tmp_path_factory, demo_ws)


@pytest.fixture(scope="module")
def data(served: Path):
    return load_map_data(Workspace(served))


@pytest.fixture(scope="module")
def html(data) -> str:
    return readiness_html(data)


def _has(page: str, text: str) -> bool:
    """``text`` is on the page, literally or \\u-escaped inside a JS string."""
    return text in page or json.dumps(text)[1:-1] in page


def _embedded_collections(page: str) -> list[dict]:
    """Every GeoJSON FeatureCollection folium embedded in the page."""
    out = []
    for m in re.finditer(r"_add\((\{\"features\".*?)\);\n", page):
        out.append(json.loads(m.group(1)))
    return out


# --- offline assets -------------------------------------------------------------------


def test_every_mapped_asset_is_installed() -> None:
    # make test runs `npm ci`; a missing file means the page would be broken offline.
    assert missing_assets() == []
    for rel in LOCAL_ASSETS.values():
        path = resolve(rel)
        assert path is not None and path.stat().st_size > 100, rel


def test_npm_packages_match_package_json() -> None:
    pkg = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text())
    assert set(pkg["dependencies"]) == set(NPM_PACKAGES)
    lock = json.loads((Path(__file__).resolve().parents[2] / "package-lock.json").read_text())
    for name, version in pkg["dependencies"].items():
        # package.json pins exact versions; the lock must agree and record an integrity hash
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version
        assert entry["integrity"].startswith("sha")


@pytest.mark.parametrize(
    "rel",
    [
        "npm/../../pyproject.toml",
        "npm/leaflet/../../package.json",
        "npm/brfs/package.json",  # installed, but not a dependency we serve
        "app/_assets.py",  # our Python sources are not static files
        "app/../api/main.py",
        "folium/../folium.py",
        "other/leaflet.js",
        "npm/",
        "",
    ],
)
def test_resolve_refuses_paths_outside_the_served_files(rel: str) -> None:
    assert resolve(rel) is None


def test_resolve_stays_inside_roots() -> None:
    roots = asset_roots()
    for rel in LOCAL_ASSETS.values():
        path = resolve(rel)
        assert path is not None
        prefix = rel.split("/", 1)[0]
        assert path.is_relative_to(roots[prefix].resolve())


def test_external_urls_finds_loads_not_links() -> None:
    page = (
        '<script src="https://cdn.jsdelivr.net/npm/leaflet.js"></script>'
        '<link rel="stylesheet" href="//cdnjs.cloudflare.com/x.css"/>'
        "<style>.a{background:url('https://example.org/i.png')}</style>"
        '<img src="http://127.0.0.1:9/x.png">'
        '<a href="https://www.openstreetmap.org/copyright">OSM</a>'
        '<script src="/static/npm/leaflet/dist/leaflet.js"></script>'
        "<style>.b{background:url(images/layers.png)}</style>"
    )
    assert external_urls(page) == [
        "//cdnjs.cloudflare.com/x.css",
        "http://127.0.0.1:9/x.png",
        "https://cdn.jsdelivr.net/npm/leaflet.js",
        "https://example.org/i.png",
    ]


def test_localize_rewrites_every_plugin_we_use() -> None:
    m = folium.Map(tiles=None)
    fg = folium.GeoJson({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [136.9, -4.5]},
         "properties": {"name": "x"}}]}).add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.MeasureControl().add_to(m)
    plugins.MarkerCluster().add_to(m)
    plugins.FastMarkerCluster([[-4.5, 136.9]]).add_to(m)
    plugins.HeatMap([[-4.5, 136.9]]).add_to(m)
    plugins.Search(fg, search_label="name").add_to(m)
    page = render(m, "/static")
    assert external_urls(page) == []
    assert "cdn" not in page.lower()
    srcs = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert srcs, "no local assets referenced"
    for src in srcs:
        assert resolve(src.removeprefix("/static/")) is not None, src


def test_unknown_plugin_is_refused_not_loaded_from_a_cdn() -> None:
    m = folium.Map(tiles=None)
    plugins.MiniMap().add_to(m)
    with pytest.raises(AssetError, match="Control_MiniMap"):
        localize(m)


def test_static_url_prefix_is_respected() -> None:
    m = folium.Map(tiles=None)
    page = render(m, "/siap/static/")
    assert '<script src="/siap/static/npm/leaflet/dist/leaflet.js"></script>' in page


# --- display geometry -----------------------------------------------------------------


def test_simplify_stays_within_tolerance_and_rounds(data) -> None:
    roads = data.roads[data.roads["mode"] == "road"]
    tol = 5.0
    out = simplify(roads, data.metric_crs, tol)
    a = roads.loc[out.index].to_crs(data.metric_crs).geometry.values
    b = out.to_crs(data.metric_crs).geometry.values
    # Hausdorff distance bounded by the tolerance plus the rounding grid (1e-5 deg < 1.2 m)
    assert float(np.max(shapely.hausdorff_distance(a, b))) <= tol + 1.6
    coords = shapely.get_coordinates(out.geometry.values)
    assert np.allclose(coords, np.round(coords, 5), atol=0, rtol=0)
    text = json.dumps(features(out.head(50)))
    assert not re.search(r"\d\.\d{6,}", text), "coordinates not rounded in the JSON"


def test_dissolve_keeps_total_length(data) -> None:
    roads = data.roads[data.roads["mode"] == "road"]
    merged = dissolve_lines(roads, ["surface_class", "condition"])
    assert len(merged) == roads.groupby(["surface_class", "condition"]).ngroups
    before = roads.to_crs(data.metric_crs).length.sum()
    after = merged.to_crs(data.metric_crs).length.sum()
    # union only removes overlapping duplicates; the demo has none of note
    assert after == pytest.approx(before, rel=1e-3)


# --- the readiness map ----------------------------------------------------------------


def test_page_is_offline_and_small(html: str) -> None:
    assert external_urls(html) == []
    for host in ("cdn.jsdelivr", "cdnjs", "code.jquery", "unpkg", "bootstrapcdn"):
        assert host not in html
    size = len(html.encode("utf-8"))
    assert size <= MAX_PAGE_BYTES, f"readiness map is {size / 1e6:.2f} MB"


def test_every_scored_destination_is_drawn_with_its_class_and_size(served: Path, data) -> None:
    scores = Workspace(served).read("scores")
    fc = destination_features(data, None)
    drawn = {f["properties"]["id"]: f for f in fc["features"]}
    assert set(drawn) == set(scores["id"].astype(str))
    expected_colors = {"rintisan": "#d7191c", "berkembang": "#fdae61", "maju": "#a6d96a",
                       "mandiri": "#1a9641"}
    for _, row in scores.iterrows():
        f = drawn[str(row["id"])]
        style = f["properties"]["style"]
        assert style["fillColor"] == expected_colors.get(row["class"], st.UNKNOWN_COLOR)
        lon, lat = f["geometry"]["coordinates"]
        assert lon == pytest.approx(row.geometry.x, abs=1e-5)
        assert lat == pytest.approx(row.geometry.y, abs=1e-5)
    # larger score -> larger (or equal) marker
    by_score = sorted(((r["score"], drawn[str(r["id"])]["properties"]["style"]["radius"])
                       for _, r in scores.iterrows() if pd.notna(r["score"])))
    radii = [r for _, r in by_score]
    assert radii == sorted(radii)
    assert radii[0] < radii[-1]


def _half_up(x: float, decimals: int = 0) -> str:
    """``x`` rounded half away from zero, as people (and geo.fmt) round."""
    return str(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals),
                                                rounding=ROUND_HALF_UP))


def test_popup_has_breakdown_bottleneck_actions_and_access(served: Path, data) -> None:
    ws = Workspace(served)
    scores = ws.read("scores")
    gateways = ws.read("gateways").set_index("id")["name"]
    fc = destination_features(data, None)
    drawn = {f["properties"]["id"]: f["properties"]["popup"] for f in fc["features"]}
    agencies = {"pariwisata": "Dinas Pariwisata", "pu": "Dinas PUPR",
                "umkm": "Dinas Koperasi dan UKM", "kominfo": "Diskominfo",
                "perhubungan": "Dinas Perhubungan"}
    for _, row in scores.iterrows():
        popup = drawn[str(row["id"])]
        assert popup.count("<tr") == 5  # one bar per agency
        for dim in agencies:
            v = row[f"score_{dim}"]
            shown = "?" if pd.isna(v) else _half_up(v)
            lo, hi = float(row[f"score_{dim}_low"]), float(row[f"score_{dim}_high"])
            # the bounds (unknown indicators at 0 / 100) follow when they differ
            span = (f' <small class="range">({_half_up(lo)}–{_half_up(hi)})</small>'
                    if hi - lo >= 0.05 else "")
            assert f'<td class="num">{shown}{span}</td>' in popup
        low, high = float(row["score_low"]), float(row["score_high"])
        assert (f"Skor terbukti {_half_up(low, 1)}".replace(".", ",") in popup
                and f"paling tinggi {_half_up(high, 1)}".replace(".", ",") in popup)
        if isinstance(row["bottleneck"], str):
            assert f"Hambatan utama: <b>{agencies[row['bottleneck']]}</b>" in popup
            assert '<tr class="bottleneck"' in popup
        for action in split_actions(row["actions"]):
            assert action.replace("&", "&amp;").replace("<", "&lt;") in popup
        if pd.notna(row["access_minutes"]):
            gw = gateways[row["access_gateway"]]
            assert f"{round(float(row['access_minutes']))} menit</b> dari {gw}" in popup
        else:
            assert "tidak terjangkau" in popup


def test_labels_are_indonesian_and_banner_shown_for_synthetic_data(html: str) -> None:
    for text in ("DATA CONTOH (SINTETIS)", "Legenda", "Kelas kesiapan destinasi",
                 "Cari destinasi", "Layar penuh", "Destinasi wisata (kelas kesiapan)",
                 "Jalan (permukaan dan kondisi)", "Jalur air (perahu dari pelabuhan)",
                 "Jalur udara (penerbangan perintis)",
                 "Gerbang (bandara, pelabuhan, terminal)", "UMKM (klaster)",
                 "UMKM (peta kepadatan)", "Kampung (waktu ke destinasi terdekat)",
                 "Batas distrik", "Jalan terjangkau ≤ 15 menit dari destinasi",
                 "Jalan terjangkau 15–30 menit dari destinasi", "Tidak ditemukan"):
        assert _has(html, text), text
    # the demo holds no OSM rows, so no OSM credit is claimed
    assert "OpenStreetMap" not in html


def test_umkm_cluster_and_heatmap_hold_every_umkm(served: Path, html: str) -> None:
    umkm = Workspace(served).read("umkm")
    m = re.search(r"var data = (\[\[.*?\]\]);", html)
    assert m is not None
    rows = json.loads(m.group(1))
    assert len(rows) == len(umkm)
    assert sorted(r[3] for r in rows) == sorted(umkm["type"].astype(str))
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", html, re.S)
    assert heat is not None and len(json.loads(heat.group(1))) == len(umkm)


def test_kampung_shading_follows_minutes_to_nearest_destination(served: Path) -> None:
    from geo.steps import compute_access

    ws = Workspace(served)
    access = compute_access(ws)
    d = load_map_data(ws, access=access)
    m = readiness_map(d, reach_url=None)
    page = m.get_root().render()
    layer = next(fc for fc in _embedded_collections(page)
                 if fc["features"] and "tip" in fc["features"][0]["properties"]
                 and fc["features"][0]["properties"]["tip"].startswith("Kampung"))
    minutes = access.kampung.set_index("nama")["minutes_to_nearest_destination"]
    colors = {"≤30": "#e8f5e9", "≤60": "#c8e6c9", "≤120": "#ffe0b2", ">120": "#ffccbc"}
    checked = 0
    for f in layer["features"]:
        nama = re.match(r"Kampung (.+?)(?:, Distrik|:)", f["properties"]["tip"]).group(1)
        if nama not in minutes.index or isinstance(minutes[nama], pd.Series):
            continue  # duplicate kampung names across distrik: skip the ambiguous ones
        v = minutes[nama]
        if not np.isfinite(v):
            want = "#eeeeee"
        elif v <= 30:
            want = colors["≤30"]
        elif v <= 60:
            want = colors["≤60"]
        elif v <= 120:
            want = colors["≤120"]
        else:
            want = colors[">120"]
        assert f["properties"]["style"]["fillColor"] == want, nama
        checked += 1
    assert checked > 100


def test_reach_layers_hold_the_engine_reach_of_all_destinations(served: Path) -> None:
    from geo.steps import compute_access

    ws = Workspace(served)
    access = compute_access(ws)
    d = load_map_data(ws, access=access)
    roads = ws.read("roads")
    ids = ws.read("destinations")["id"].astype(str).tolist()
    # independent union, with Python sets
    r15: set[int] = set()
    r30: set[int] = set()
    for i in ids:
        r15 |= set(access.reachable_edges(i, 15).tolist())
        r30 |= set(access.reachable_edges(i, 30).tolist())
    assert set(d.reach[15].tolist()) == r15
    assert set(d.reach[30].tolist()) == r30
    assert r15 <= r30
    road_only = roads["mode"].to_numpy() == "road"
    page = readiness_map(d, reach_url=None).get_root().render()
    metric = ws.metric_crs()
    lengths = []
    for fc in _embedded_collections(page):
        for f in fc["features"]:
            if f["properties"].get("style", {}).get("color") in ("#00897b", "#80cbc4") \
                    and f["properties"]["style"].get("weight") == 5.0:
                g = shapely.geometry.shape(f["geometry"])
                lengths.append(gpd.GeoSeries([g], crs=4326).to_crs(metric).length.iloc[0])
    rows = sorted(r30)
    want = roads.iloc[rows][road_only[rows]].to_crs(metric).length.sum()
    assert sum(lengths) == pytest.approx(want, rel=0.01)


def test_distrik_filter_shows_exactly_the_destinations_inside(served: Path, data) -> None:
    ws = Workspace(served)
    admin = ws.read("admin_areas")
    distrik = admin[admin["level"] == "distrik"]
    scores = ws.read("scores")
    joined = gpd.sjoin(scores, distrik[["kode", "nama", "geometry"]], predicate="intersects")
    busiest = joined["nama"].value_counts().index[0]
    expected = set(joined.loc[joined["nama"] == busiest, "id"].astype(str))
    kode = str(distrik.loc[distrik["nama"] == busiest, "kode"].iloc[0])
    for key in (busiest, busiest.upper(), kode):
        fc = destination_features(data, data.find_distrik(key))
        assert {f["properties"]["id"] for f in fc["features"]} == expected
    page = readiness_html(data, distrik=busiest)
    assert f"Distrik {busiest}" in page


def test_unknown_distrik_lists_the_choices(data) -> None:
    with pytest.raises(UnknownArea) as err:
        readiness_map(data, distrik="Atlantis")
    assert "Atlantis" in str(err.value)
    assert "Mimika Baru" in err.value.choices
    assert len(err.value.choices) == 18


def test_missing_scores_layer_is_a_clear_error(demo_ws: Path) -> None:
    from geo.exceptions import WorkspaceError

    d = load_map_data(Workspace(demo_ws), compute_access=False)
    with pytest.raises(WorkspaceError, match="siapwisata score"):
        readiness_map(d)


def test_basemap_is_optional(data) -> None:
    from maps._layers import Tiles

    assert "L.tileLayer" not in readiness_html(data)
    page = readiness_html(data, tiles=Tiles("http://127.0.0.1:8081/{z}/{x}/{y}.png", "© local"))
    assert "L.tileLayer" in page and "127.0.0.1:8081" in page


def test_osm_workspace_gets_the_credit_and_no_banner(menteng_ws: Path, tmp_path: Path) -> None:
    from geo.steps import score_workspace

    path = tmp_path / "menteng.gpkg"
    shutil.copyfile(menteng_ws, path)
    ws = Workspace(path)
    score_workspace(ws)
    page = readiness_html(load_map_data(ws))
    assert _has(page, "© OpenStreetMap contributors")
    assert not _has(page, "DATA CONTOH (SINTETIS)")
    assert external_urls(page) == []


# --- formatting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(1234.5, 1, "1.234,5"), (0.04, 1, "0,0"), (-2.5, 0, "-3"), (1e9, 0, "1.000.000.000"),
     (None, 1, "–"), (math.nan, 1, "–"), ("x", 1, "–")],
)
def test_indonesian_number_format(value, decimals: int, text: str) -> None:
    assert st.fmt_num(value, decimals) == text


def test_split_actions() -> None:
    assert split_actions("PU: 14 km jalan tanah, 52 menit; Kominfo: data belum tersedia") == [
        "PU: 14 km jalan tanah, 52 menit", "Kominfo: data belum tersedia"]
    assert split_actions(None) == []
    assert split_actions(float("nan")) == []
    assert split_actions("") == []


# --- the priorities map ---------------------------------------------------------------


def test_priorities_map_highlights_selection_and_colours_by_rank(served: Path, data) -> None:
    if not has_priorities(served):
        pytest.skip(NO_PRIORITIES)
    import geo.priorities as gp
    from maps.priorities import RANK_STEPS, priorities_html

    ws = Workspace(served)
    table = ws.read("priorities")
    costs = pd.to_numeric(table.sort_values("rank")["cost_rp"])
    budget = float(costs.iloc[: max(1, len(costs) // 10)].sum())
    from geo.steps import compute_access

    chosen = gp.priorities_frame(compute_access(ws), ws.read("destinations"),
                                 budget=budget, config=gp.load_priorities_config(),
                                 readiness=load_readiness_config()).table
    assert chosen["selected"].any() and not chosen["selected"].all()
    page = priorities_html(data, chosen, budget=budget)
    assert external_urls(page) == []
    assert len(page.encode()) <= MAX_PAGE_BYTES
    sections = next(fc for fc in _embedded_collections(page)
                    if fc["features"] and "ruas_id" in fc["features"][0]["properties"])
    assert len(sections["features"]) == len(chosen)
    by_id = {f["properties"]["ruas_id"]: f["properties"] for f in sections["features"]}
    best = chosen.sort_values("rank").iloc[0]
    assert by_id[str(best["ruas_id"])]["style"]["color"] == RANK_STEPS[0]
    selected = chosen[chosen["selected"]]
    for _, r in selected.iterrows():
        assert by_id[str(r["ruas_id"])]["style"]["weight"] == 6
        assert "<th>Terpilih dalam anggaran</th><td>Ya</td>" in by_id[str(r["ruas_id"])]["popup"]
        assert (f"<th>Urutan pilihan dalam program</th><td>{int(r['pick_order'])}</td>"
                in by_id[str(r["ruas_id"])]["popup"])
    assert "Prioritas Peningkatan Ruas Jalan" in page
    assert f"{len(selected)} dari {len(chosen)} ruas" in page


def test_priorities_popup_escapes_names_and_shortens_long_lists() -> None:
    from maps.priorities import section_popup

    names = "; ".join(["<img src=x onerror=alert(1)>"] + [f"Destinasi {i}" for i in range(14)])
    html = section_popup({"ruas_id": "R00001", "name": "Jalan <b>A</b>", "rank": 3,
                          "pick_order": pd.NA, "destinations": names,
                          "minutes_saved_alone": 2.5, "minutes_saved": 0.0})
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # ten names, then how many more (15 in all)
    assert "Destinasi 8 … (+5)" in html and "Destinasi 9" not in html
    assert "<th>Urutan pilihan dalam program</th><td>–</td>" in html


class _LoadTags(HTMLParser):
    """Every <script src> and stylesheet <link href> of a page (independent of our regexes)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.loads.append(str(a["src"]))
        if tag == "link" and (a.get("rel") or "").lower() == "stylesheet":
            self.loads.append(str(a["href"]))
        if tag == "style":
            self.inline_styles += 1


def test_notebook_view_inlines_every_asset(served: Path) -> None:
    from maps import show
    from maps.readiness import build_readiness_map

    view = show(build_readiness_map(Workspace(served)))
    standalone = _LoadTags()
    standalone.feed(view.page)
    assert standalone.loads == []  # nothing left to fetch, from a server or a CDN
    assert "DATA CONTOH (SINTETIS)" in view.page
    # Leaflet itself and its icons travel inside the page.
    leaflet = (asset_roots()["npm"] / "leaflet/dist/leaflet.js").read_text(encoding="utf-8")
    assert leaflet[:200] in view.page
    assert "data:image/png;base64," in view.page
    # The notebook frame holds the escaped page.
    frame = view._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;script&gt;" in frame


@pytest.mark.parametrize(("flag", "shown"), [(True, True), (1.0, True), (False, False),
                                             (0.0, False), (float("nan"), False), (None, False)])
def test_popup_marks_a_provisional_class(flag: object, shown: bool) -> None:
    from maps._popup import destination_popup

    row = {"id": "D1", "name": "Pantai X", "score": 85.0, "class": "mandiri", "coverage": 0.28,
           "class_provisional": flag}
    labels = dimension_labels(load_readiness_config())
    assert ("kelas sementara" in destination_popup(row, labels)) is shown


def test_side_panel_lists_the_selected_sections_by_rank(data) -> None:
    """Issue 14.4: the priorities panel holds the selected sections in rank order with
    their upgrade and cost; without a selection, the best-ranked ones."""
    from geo.fmt import parse_rupiah
    from maps.priorities import PANEL_TOP, panel_config

    if data.priorities is None:
        pytest.skip(NO_PRIORITIES)
    t = data.priorities.sample(frac=1.0, random_state=3)  # the table's order must not matter
    rng = np.random.default_rng(7)
    selected = rng.random(len(t)) < 0.2
    cfg = panel_config(t, selected)
    want = t[selected].sort_values("rank")
    assert [r["id"] for r in cfg["rows"]] == list(want["ruas_id"].astype(str))
    assert cfg["title"].endswith(f"({len(want)})")
    for r, (_, row) in zip(cfg["rows"], want.iterrows(), strict=True):
        assert r["rank"] == str(int(row["rank"]))
        assert r["name"] == (row["name"] if isinstance(row["name"], str) and row["name"]
                             else row["ruas_id"])
        assert row["upgrade"] in r["detail"]
        # "Rp 5,6 M": one decimal of a billion, read back by the budget parser
        assert abs(parse_rupiah(r["cost"]) - float(row["cost_rp"])) <= 0.051 * max(
            1e9, 10 ** math.floor(math.log10(float(row["cost_rp"]))))
    none = panel_config(t, np.zeros(len(t), bool))
    assert [r["id"] for r in none["rows"]] == list(
        t.sort_values("rank")["ruas_id"].astype(str)[:PANEL_TOP])
