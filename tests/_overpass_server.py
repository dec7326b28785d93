"""A small Overpass API stand-in for tests, serving a real OSM extract on 127.0.0.1.

It understands the query shapes osmnx sends (``way[filters](poly:"...");>;`` for
networks, ``(node[k=v](poly:"...");(._;>;););`` for features): tag filters ``[k]``,
``[k=v]``, ``[k!=v]``, ``[k~re]``, ``[k!~re]``, the ``poly:`` spatial filter with
Overpass semantics (nodes inside; ways whose line meets the polygon; relations with a
member inside), and recursion down to member ways and nodes. Answers are Overpass JSON.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import osmium
import shapely

STATEMENT = re.compile(
    r"(node|way|relation)((?:\[[^\]]*\])*)\(poly:(['\"])([^'\"]*)\3\)"
)
FILTER = re.compile(
    r"\[\s*(['\"]?)(?P<key>[^'\"=!~\]]+)\1\s*"
    r"(?:(?P<op>!=|=|!~|~)\s*(['\"])(?P<val>.*?)\4)?\s*\]"
)
STATUS = (
    "Connected as: 1\nCurrent time: 2024-01-01T00:00:00Z\nAnnounced endpoint: none\n"
    "Rate limit: 2\n2 slots available now.\nCurrently running queries:\n"
)


class _Load(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
        self.ways: dict[int, tuple[list[int], dict[str, str]]] = {}
        self.relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = {}

    def node(self, n: Any) -> None:
        self.nodes[n.id] = (n.location.lon, n.location.lat, {t.k: t.v for t in n.tags})

    def way(self, w: Any) -> None:
        self.ways[w.id] = ([n.ref for n in w.nodes], {t.k: t.v for t in w.tags})

    def relation(self, r: Any) -> None:
        kinds = {"n": "node", "w": "way", "r": "relation"}
        self.relations[r.id] = (
            [(kinds[m.type], m.ref, m.role) for m in r.members], {t.k: t.v for t in r.tags}
        )


def _matches(tags: dict[str, str], filters: list[tuple[str, str | None, str | None]]) -> bool:
    for key, op, val in filters:
        have = tags.get(key)
        if op is None:
            ok = have is not None
        elif op == "=":
            ok = have == val
        elif op == "!=":
            ok = have != val
        elif op == "~":
            ok = have is not None and re.search(str(val), have) is not None
        else:  # "!~"
            ok = have is None or re.search(str(val), have) is None
        if not ok:
            return False
    return True


class OverpassData:
    """The extract in memory, with an Overpass-like query evaluator."""

    def __init__(self, osm_file: Path, timestamp: str = "2022-04-05T00:00:00Z") -> None:
        h = _Load()
        h.apply_file(str(osm_file))
        self.nodes, self.ways, self.relations = h.nodes, h.ways, h.relations
        self.timestamp = timestamp
        self._ids = np.array(list(self.nodes), dtype=np.int64)
        self._xy = np.array([(x, y) for x, y, _ in self.nodes.values()], dtype=float)
        self._inside: dict[bytes, set[int]] = {}

    def _way_line(self, wid: int) -> Any:
        pts = [self.nodes[r][:2] for r in self.ways[wid][0] if r in self.nodes]
        if not pts:
            return None
        return shapely.linestrings(pts) if len(pts) > 1 else shapely.points(pts[0])

    def select(self, kind: str, filters: list[tuple[str, str | None, str | None]],
               poly: Any) -> set[tuple[str, int]]:
        key = poly.wkb
        if key not in self._inside:
            shapely.prepare(poly)
            self._inside[key] = set(
                self._ids[shapely.intersects_xy(poly, self._xy[:, 0], self._xy[:, 1])].tolist())
        inside = self._inside[key]
        out: set[tuple[str, int]] = set()
        if kind == "node":
            out = {("node", i) for i in inside if _matches(self.nodes[i][2], filters)}
        elif kind == "way":
            for wid, (refs, tags) in self.ways.items():
                if _matches(tags, filters) and self._way_meets(wid, refs, inside, poly):
                    out.add(("way", wid))
        else:
            for rid, (members, tags) in self.relations.items():
                if not _matches(tags, filters):
                    continue
                for mtype, ref, _ in members:
                    if (mtype == "node" and ref in inside) or (
                        mtype == "way" and ref in self.ways
                        and self._way_meets(ref, self.ways[ref][0], inside, poly)
                    ):
                        out.add(("relation", rid))
                        break
        return out

    def _way_meets(self, wid: int, refs: list[int], inside: set[int], poly: Any) -> bool:
        if any(r in inside for r in refs):
            return True
        line = self._way_line(wid)
        return line is not None and bool(shapely.intersects(poly, line))

    def down(self, found: set[tuple[str, int]]) -> set[tuple[str, int]]:
        """Overpass ``>``: member ways and nodes of relations, nodes of ways."""
        out = set(found)
        ways = {i for t, i in found if t == "way"}
        for t, i in found:
            if t == "relation":
                for mtype, ref, _ in self.relations[i][0]:
                    if mtype == "node" and ref in self.nodes:
                        out.add(("node", ref))
                    elif mtype == "way" and ref in self.ways:
                        ways.add(ref)
                        out.add(("way", ref))
        for w in ways:
            out |= {("node", r) for r in self.ways[w][0] if r in self.nodes}
        return out

    def query(self, ql: str) -> dict[str, Any]:
        found: set[tuple[str, int]] = set()
        for m in STATEMENT.finditer(ql):
            kind, filt, _, coords = m.groups()
            filters = [(f["key"].strip(), f["op"], f["val"]) for f in FILTER.finditer(filt)]
            vals = [float(v) for v in coords.split()]
            poly = shapely.Polygon(list(zip(vals[1::2], vals[0::2], strict=True)))
            found |= self.down(self.select(kind, filters, poly))
        order = {"node": 0, "way": 1, "relation": 2}
        elements = [self._element(t, i) for t, i in sorted(found, key=lambda e: (order[e[0]],
                                                                                  e[1]))]
        return {"version": 0.6, "generator": "test Overpass", "elements": elements,
                "osm3s": {"timestamp_osm_base": self.timestamp,
                          "copyright": "The data included in this document is from "
                          "www.openstreetmap.org. The data is made available under ODbL."}}

    def _element(self, kind: str, i: int) -> dict[str, Any]:
        if kind == "node":
            lon, lat, tags = self.nodes[i]
            el: dict[str, Any] = {"type": "node", "id": i, "lat": lat, "lon": lon}
        elif kind == "way":
            refs, tags = self.ways[i]
            el = {"type": "way", "id": i, "nodes": refs}
        else:
            members, tags = self.relations[i]
            el = {"type": "relation", "id": i, "members": [
                {"type": t, "ref": r, "role": role} for t, r, role in members]}
        if tags:
            el["tags"] = tags
        return el


@contextmanager
def overpass_server(data: OverpassData, *, fail: bool = False) -> Iterator[tuple[str, Counter[str]]]:
    """Serve ``data`` on 127.0.0.1 (random port); yields the API base URL and hit counts."""
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            hits[self.path.split("?")[0]] += 1
            if self.path.startswith("/api/status"):
                self._send(200, STATUS.encode(), "text/plain")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            hits[path] += 1
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            if path != "/api/interpreter" or "data" not in form:
                self._send(400, b"bad request", "text/plain")
            elif fail:
                self._send(500, b"<html>runtime error: out of memory</html>", "text/html")
            else:
                body = json.dumps(data.query(form["data"][0])).encode()
                self._send(200, body, "application/json")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
