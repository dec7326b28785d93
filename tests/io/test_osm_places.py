"""Kampung origins and gateways from OSM (issue 9 section 4), on a hand-made .osm file.

The file holds a mainland road and an island road joined by a ferry line that stops at
each pier a few dozen metres from the road (as OSM ferry routes often do), a ferry
terminal right beside the mainland end of the ferry line, a viewpoint on the island, and
places mapped as nodes and as boundary relations (with a ``label`` node, with an
``admin_centre`` node that is itself a place, without either, and cut off by the
extract). Expected positions are the coordinates written in the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from geo.access import populated_places
from geo.io.workspace import Workspace
from geo.steps import compute_access, ingest_osm

LON0, LAT0 = 136.80, -4.50


def _node(i: int, dx: float, dy: float, **tags: str) -> str:
    body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return (f'<node id="{i}" version="1" timestamp="2024-01-01T00:00:00Z" '
            f'lat="{LAT0 + dy:.7f}" lon="{LON0 + dx:.7f}">{body}</node>')


def _way(i: int, nodes: list[int], **tags: str) -> str:
    nds = "".join(f'<nd ref="{n}"/>' for n in nodes)
    body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{i}" version="1" timestamp="2024-01-01T00:00:00Z">{nds}{body}</way>'


def _rel(i: int, members: list[tuple[str, int, str]], **tags: str) -> str:
    mem = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
    body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<relation id="{i}" version="1" timestamp="2024-01-01T00:00:00Z">{mem}{body}</relation>'


def _ring(first: int, x0: float, y0: float, size: float) -> tuple[list[str], list[int]]:
    ids = [first, first + 1, first + 2, first + 3]
    xy = [(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)]
    return [_node(i, x, y) for i, (x, y) in zip(ids, xy, strict=True)], [*ids, first]


def make_osm(path: Path) -> Path:
    nodes = [
        # mainland road (about 2.2 km) and island road (about 2.2 km)
        _node(1, 0.000, 0.0), _node(2, 0.010, 0.0), _node(3, 0.020, 0.0),
        _node(10, 0.050, 0.0), _node(11, 0.060, 0.0), _node(12, 0.070, 0.0),
        # the ferry line stops ~44 m off each road end
        _node(20, 0.0204, 0.0), _node(21, 0.0496, 0.0),
        # places as nodes: the admin centre of a relation, and a hamlet
        _node(42, 0.045, 0.025, place="village", name="Kampung Pusat"),
        _node(43, 0.060, 0.025, place="hamlet", name="Dusun Kecil"),
        # untagged label node of relation 200
        _node(41, 0.002, 0.022),
        # the ferry terminal: ~11 m from the ferry line's end, ~35 m from the road end
        _node(50, 0.0203, 0.0001, amenity="ferry_terminal", name="Pelabuhan Uji"),
        # an airstrip ~5.5 km from any road: a gateway that reaches nothing; its name is
        # console markup, which must reach the terminal as text
        _node(55, 0.000, -0.050, aeroway="aerodrome", name="[bold]Lapangan[/bold]"),
        # a viewpoint on the island, ~22 m from its road
        _node(60, 0.069, 0.0002, tourism="viewpoint", name="Bukit Pandang"),
        # an open outline (the rest of the relation is outside the extract)
        _node(70, 0.000, 0.040), _node(71, 0.010, 0.040), _node(72, 0.010, 0.050),
    ]
    ways = [
        _way(1000, [1, 2, 3], highway="primary"),
        _way(1001, [10, 11, 12], highway="secondary"),
        _way(1002, [20, 21], route="ferry"),
        _way(1103, [70, 71, 72]),
    ]
    rings = {}
    for wid, (first, x0) in {1100: (30, 0.0), 1101: (80, 0.020), 1102: (90, 0.040)}.items():
        ns, ref = _ring(first, x0, 0.020, 0.010)
        nodes += ns
        ways.append(_way(wid, ref))
        rings[wid] = ref
    rels = [
        _rel(200, [("w", 1100, "outer"), ("n", 41, "label")], type="boundary",
             boundary="administrative", place="village", name="Kampung Label"),
        _rel(201, [("w", 1101, "outer")], type="boundary", boundary="administrative",
             place="hamlet", name="Dusun Tengah"),
        _rel(202, [("w", 1102, "outer"), ("n", 42, "admin_centre")], type="boundary",
             boundary="administrative", place="village", name="Kampung Pusat"),
        _rel(203, [("w", 1103, "outer"), ("w", 9999, "outer")], type="boundary",
             boundary="administrative", place="village", name="Kampung Terpotong"),
    ]
    nodes.sort(key=lambda t: int(t.split('"')[1]))  # ids in order, as osmium requires
    ways.sort(key=lambda t: int(t.split('"')[1]))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" '
                    'generator="test">\n' + "\n".join(nodes + ways + rels) + "\n</osm>\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def places_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("places")
    src = make_osm(tmp / "pulau.osm")
    ws = tmp / "pulau.gpkg"
    ingest_osm(src, Workspace(ws))
    return ws


def _pois(ws: Path) -> dict[str, shapely.Point]:
    pois = pyogrio.read_dataframe(ws, layer="pois")
    p = pois[pois["place"].notna()]
    assert p["name"].is_unique
    return dict(zip(p["name"], p.geometry, strict=True))


def test_villages_and_hamlets_become_kampung_origins(places_ws: Path) -> None:
    got = _pois(places_ws)
    assert set(got) == {"Kampung Label", "Dusun Tengah", "Kampung Pusat", "Dusun Kecil",
                        "Kampung Terpotong"}
    ws = Workspace(places_ws)
    k = populated_places(None, ws.read("pois"))
    assert sorted(k["nama"]) == sorted(got)
    assert set(k["level"]) == {"village", "hamlet"}
    # the kampung view of the access engine starts from each of them
    res = compute_access(ws)
    assert sorted(res.kampung["nama"]) == sorted(got)


def test_place_relation_sits_at_its_label_node_or_inside_its_area(places_ws: Path) -> None:
    got = _pois(places_ws)
    # label node: exactly its coordinates
    assert got["Kampung Label"].x == pytest.approx(LON0 + 0.002, abs=1e-7)
    assert got["Kampung Label"].y == pytest.approx(LAT0 + 0.022, abs=1e-7)
    # admin_centre that is itself a place node: one place, at the node, not two
    assert got["Kampung Pusat"].x == pytest.approx(LON0 + 0.045, abs=1e-7)
    assert got["Kampung Pusat"].y == pytest.approx(LAT0 + 0.025, abs=1e-7)
    pois = pyogrio.read_dataframe(places_ws, layer="pois")
    assert (pois["name"] == "Kampung Pusat").sum() == 1
    # no label: inside the area, well away from its boundary line
    square = shapely.box(LON0 + 0.020, LAT0 + 0.020, LON0 + 0.030, LAT0 + 0.030)
    p = got["Dusun Tengah"]
    assert square.contains(p)
    assert square.exterior.distance(p) > 1e-4  # > ~11 m inside
    # an outline cut by the extract: not on its remaining line either
    line = shapely.LineString([(LON0, LAT0 + 0.04), (LON0 + 0.01, LAT0 + 0.04),
                               (LON0 + 0.01, LAT0 + 0.05)])
    assert line.distance(got["Kampung Terpotong"]) > 1e-4


def test_ferry_terminal_joins_the_roads_and_the_ferry_connects_there(places_ws: Path) -> None:
    ws = Workspace(places_ws)
    gws = ws.read("gateways")
    assert sorted(gws["kind"]) == ["bandara", "pelabuhan"]
    t = int(np.flatnonzero(gws["kind"] == "pelabuhan")[0])
    res = compute_access(ws)
    net = res.graph.network
    snap = res.graph.snap("gateways")
    # the terminal snaps onto the mainland road, not the end of the ferry line
    assert snap.connected[t] and net.mode[snap.edge[t]] == "road"
    assert net.roads.loc[snap.edge[t], "osm_way_id"] == 1000
    d = res.destinations.iloc[0]
    assert np.isfinite(d["access_minutes"])
    assert d["route_modes"] == "road+water" and bool(d["reach_water"])
    # independent lower bound: the ferry alone takes its boarding time plus the crossing
    cfg = res.config
    ferry_m = float(net.roads.loc[net.mode == "water", "length_m"].sum())
    assert ferry_m > 3000
    assert d["access_minutes"] > cfg.water.boarding_min + ferry_m / (cfg.water.speed_kmh * 1000 / 60)
    assert d["access_gateway"] == gws["id"].iloc[t]
    report = res.gateways.set_index("kind")
    assert report.loc["pelabuhan", "destinations_reached"] == 1
    assert report.loc["bandara", "destinations_reached"] == 0


def test_score_and_info_report_destinations_reached_per_gateway(
        places_ws: Path, tmp_path: Path) -> None:
    ws = tmp_path / "pulau.gpkg"
    shutil.copyfile(places_ws, ws)
    env = {**os.environ, "COLUMNS": "400"}

    def cli(*args: str) -> str:
        res = subprocess.run([sys.executable, "-m", "geo.cli", *args, "--workspace", str(ws)],
                             capture_output=True, text=True, timeout=600, env=env,
                             cwd=Path(__file__).resolve().parents[2])
        assert res.returncode == 0, res.stderr
        return res.stdout

    for out in (cli("score"), cli("info")):
        assert "Gerbang: jumlah destinasi terjangkau" in out
        assert "Pelabuhan Uji (osm-n50): 1" in out
        assert "[bold]Lapangan[/bold] (osm-n55): 0" in out
        assert ("PERINGATAN: gerbang [bold]Lapangan[/bold] (osm-n55) tidak menjangkau "
                "destinasi mana pun") in out
        assert "Pelabuhan Uji (osm-n50) tidak menjangkau" not in out
    scores = pyogrio.read_dataframe(ws, layer="scores")
    row = scores.iloc[0]
    assert row["snap_m"] == pytest.approx(row["nearest_reachable_road_m"])
    assert 15 < row["snap_m"] < 30  # the viewpoint stands ~22 m from the island road
