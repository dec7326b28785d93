"""XSS in every field a user can type into the contribution pages (issue 12).

Hostile text goes in through each: the destination form's fields, a UMKM's name, the cells,
a header and the name of an uploaded file, the upload kind, a road form value, and the
query strings of the pages (ruas_id, agency, since, an id in the path). Every page that
shows it afterwards (forms, preview, history, the landing page) must show it as text: the
markup never appears unescaped, no element gets an event-handler attribute, and every
inline script of the page is one the page's Content-Security-Policy allows by hash (so
nothing injected could run even if it were parsed).
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

import httpx

from geo.io.workspace import Workspace
from tests.api._writers import Acting, copy_served, csv_bytes, editor, writer_client

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'><b onmouseover=alert(2)>"
ESCAPED = "&lt;script&gt;alert("


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self._open = False
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [f"{tag} {k}" for k, _ in attrs if k.startswith("on")]
        if tag == "script" and not dict(attrs).get("src"):
            self._open, self._buf = True, []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open:
            self.scripts.append("".join(self._buf))
            self._open = False


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _safe(r: httpx.Response, *, shown: bool = True) -> None:
    where = f"{r.request.method} {r.request.url}"
    assert r.headers["content-type"].startswith("text/html"), where
    assert XSS not in r.text and "<script>alert(" not in r.text, where
    page = _Page()
    page.feed(r.text)
    assert page.handlers == [], (where, page.handlers)
    policy = {p.split()[0]: p.split()[1:] for p in
              r.headers["content-security-policy"].split(";") if p.split()}
    assert set(policy["script-src"]) == {"'self'", *map(_hash, page.scripts)}, where
    for script in page.scripts:
        assert "alert(" not in script or "\\u003c" in script, where  # only as JSON data
    if shown:
        assert ESCAPED in r.text or "\\u003cscript\\u003e" in r.text, where


def test_every_typed_field_is_shown_as_text(served: Path, tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    acting = Acting(editor("pariwisata"))
    anchor = Workspace(path).read("destinations").sort_values("id").iloc[0]
    with writer_client(path, acting) as (client, _):
        # the destination form: text attributes and the name
        r = client.post("/kontribusi/destinasi?id=DST-001",
                        data={"name": "Pantai " + XSS, "fasilitas": XSS, "daya_tarik": XSS})
        assert r.status_code in (303, 422), r.text[:300]
        if r.status_code == 422:  # a number column refuses it, naming the value: as text
            _safe(r)
            r = client.post("/kontribusi/destinasi?id=DST-001",
                            data={"name": "Pantai " + XSS, "fasilitas": XSS})
            assert r.status_code == 303, r.text[:300]
        _safe(client.get("/kontribusi/destinasi?id=DST-001"))
        _safe(client.get("/kontribusi"))  # the destination picker
        _safe(client.get("/riwayat"))
        _safe(client.get("/"), shown=False)  # names come from the scores, not yet recomputed
        r = client.get("/kontribusi/destinasi", params={"id": XSS})
        assert r.status_code == 404
        _safe(r)

        # an uploaded file: cells, an unknown header, its name, the kind
        rows = [{"id": "DST-X", "nama": XSS, "kategori": "alam", "lintang": anchor.geometry.y
                 + 0.01, "bujur": anchor.geometry.x + 0.01, "fasilitas": XSS, XSS: "1"}]
        files = {"file": (XSS + ".csv", csv_bytes(rows), "text/csv")}
        r = client.post("/kontribusi/unggah", data={"kind": "destinations"}, files=files)
        assert r.status_code == 200, r.text[:300]
        _safe(r)
        assert "preview-points" in r.text  # the new point's name goes to the map as JSON
        r = client.post("/kontribusi/unggah", data={"kind": XSS[:40]}, files=files)
        assert r.status_code == 422
        _safe(r)
        bad = [{"id": "DST-Y", "nama": "Y", "kategori": XSS, "lintang": "utara " + XSS,
                "bujur": anchor.geometry.x}]
        r = client.post("/kontribusi/unggah", data={"kind": "destinations"},
                        files={"file": ("salah.csv", csv_bytes(bad), "text/csv")})
        _safe(r)  # row-level problems quote the values

        # UMKM name (add), road form values, query strings
        acting.user = editor("umkm")
        r = client.post("/kontribusi/umkm", data={
            "name": XSS, "type": "toko", "lon": f"{anchor.geometry.x + 0.002:.6f}",
            "lat": f"{anchor.geometry.y:.6f}"})
        assert r.status_code == 303, r.text[:300]
        umkm = Workspace(path).read_table("umkm")
        new_id = str(umkm.loc[umkm["name"] == XSS, "id"].iloc[0])
        _safe(client.get("/kontribusi/umkm", params={"id": new_id}))
        _safe(client.get("/kontribusi"))
        r = client.post("/kontribusi/umkm", data={"name": "x", "type": XSS[:40], "lon": XSS[:40],
                                                  "lat": "1"})
        assert r.status_code == 422
        _safe(r)
        acting.user = editor("pu")
        r = client.post("/kontribusi/jalan", data={"ruas_id": "R00264", "condition": XSS[:40]})
        assert r.status_code == 422
        _safe(r)
        r = client.get("/kontribusi/jalan", params={"ruas_id": XSS[:20]})
        assert r.status_code == 404
        _safe(r, shown=False)  # a ruas_id is at most 20 characters: the tag is cut
        r = client.get("/riwayat", params={"since": XSS[:40]})
        assert r.status_code == 422  # refused by the parameter check: JSON, never markup
        assert r.headers["content-type"].startswith("application/json")
        assert "default-src 'none'" in r.headers["content-security-policy"]
        _safe(client.get("/riwayat", params={"agency": XSS[:40]}), shown=False)
        _safe(client.get("/riwayat"))
        # the map shows the new names through the maps' own escaping (as text)
        page = client.get("/maps/readiness")
        assert page.status_code == 200 and "<script>alert(" not in page.text
