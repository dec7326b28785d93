"""The workspace: one GeoPackage per region that opens as-is in QGIS.

All layers are stored in EPSG:4326. Every change goes through :meth:`Workspace.update`,
which works on a private copy and swaps it in atomically with :func:`os.replace` only when
the whole block succeeded: a failed import or update leaves the original file untouched,
byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from . import schema
from .crs import metric_crs
from .exceptions import WorkspaceError
from .settings import software_version


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Source:
    """Provenance of one data set in the workspace (listed by ``siapwisata info``)."""

    name: str
    layer: str
    date: str
    licence: str
    url: str = ""
    synthetic: bool = False
    note: str = ""


class _Reader:
    """Read access shared by the workspace and its staging copy."""

    path: Path
    _layers_cache: tuple[tuple[int, int], list[str]] | None = None

    def layers(self) -> list[str]:
        """Layer names; cached until the file changes (listing opens the GeoPackage)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (st.st_mtime_ns, st.st_size)
        if self._layers_cache is None or self._layers_cache[0] != stamp:
            names = [str(name) for name in pyogrio.list_layers(self.path)[:, 0]]
            self._layers_cache = (stamp, names)
        return list(self._layers_cache[1])

    def has(self, layer: str) -> bool:
        return layer in self.layers()

    def read(self, layer: str, **kwargs: Any) -> gpd.GeoDataFrame:
        """Read a spatial layer. Raises :class:`WorkspaceError` if it is missing."""
        if not self.has(layer):
            raise WorkspaceError(
                f"{self.path}: layer '{layer}' tidak ada (missing); layers present: "
                f"{', '.join(self.layers()) or 'none'}"
            )
        gdf = pyogrio.read_dataframe(self.path, layer=layer, **kwargs)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise WorkspaceError(f"{self.path}: layer '{layer}' has no geometry")
        return gdf

    def synthetic_rows(self, layer: str) -> int:
        """Rows of ``layer`` with ``provenance = 'synthetic'`` (0 when absent or no column).

        Counted by GDAL's SQL filter, so big layers are not read into memory.
        """
        if not self.has(layer):
            return 0
        if "provenance" not in pyogrio.read_info(self.path, layer=layer)["fields"]:
            return 0
        rows = pyogrio.read_dataframe(self.path, layer=layer, columns=["provenance"],
                                      read_geometry=False, where="provenance = 'synthetic'")
        return len(rows)

    def any_synthetic(self, *layers: str) -> bool:
        """Whether any of ``layers`` holds a synthetic row (outputs derived from them are
        labelled synthetic)."""
        return any(self.synthetic_rows(layer) > 0 for layer in layers)

    def read_table(self, layer: str) -> pd.DataFrame:
        """Read a non-spatial table (``metadata``, ``sources``)."""
        if not self.has(layer):
            return pd.DataFrame()
        return pyogrio.read_dataframe(self.path, layer=layer, read_geometry=False)

    def metadata(self) -> dict[str, str]:
        df = self.read_table(schema.METADATA)
        if df.empty:
            return {}
        return dict(zip(df["key"].astype(str), df["value"].astype(str), strict=True))

    def sources(self) -> pd.DataFrame:
        return self.read_table(schema.SOURCES)

    def boundary(self) -> BaseGeometry:
        """The region polygon (union of the ``boundary`` layer)."""
        b = self.read(schema.BOUNDARY)
        return b.geometry.union_all()

    def metric_crs(self) -> CRS:
        """UTM CRS of the boundary's centroid (or of the roads when there is no boundary)."""
        if self.has(schema.BOUNDARY):
            return metric_crs(self.boundary())
        if self.has("roads"):
            return metric_crs(self.read("roads").geometry.union_all().envelope)
        raise WorkspaceError(f"{self.path}: no boundary or roads to choose a metric CRS")


class Workspace(_Reader):
    """A region's GeoPackage. Reading is direct; writing goes through :meth:`update`."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def require(self) -> Workspace:
        if not self.exists:
            raise WorkspaceError(
                f"workspace {self.path} tidak ditemukan (not found); create it with "
                "'siapwisata init', 'siapwisata ingest-osm' or 'siapwisata demo'"
            )
        return self

    def version(self) -> str:
        """A token that changes whenever the file changes (used by caches)."""
        st = self.path.stat()
        return f"{st.st_mtime_ns}-{st.st_size}-{self.metadata().get('revision', '0')}"

    @contextlib.contextmanager
    def update(self, *, create: bool = False) -> Iterator[Staging]:
        """Stage changes on a copy and swap it in atomically when the block succeeds.

        Parameters
        ----------
        create
            Allow the workspace not to exist yet (it is created on success).
        """
        if not self.exists and not create:
            self.require()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp.gpkg")
        try:
            if self.exists:
                shutil.copyfile(self.path, tmp)
            staging = Staging(tmp, fresh=not self.exists)
            yield staging
            staging._finish()
            os.replace(tmp, self.path)
        finally:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


class Staging(_Reader):
    """The private copy a :meth:`Workspace.update` block writes to."""

    def __init__(self, path: Path, *, fresh: bool):
        self.path = path
        self._fresh = fresh
        self._meta: dict[str, str] = {}
        self._sources: list[Source] = []
        self._replace_sources: set[str] = set()

    def write(self, layer: str, gdf: gpd.GeoDataFrame) -> None:
        """Write (replace) one spatial layer, in EPSG:4326, required columns first."""
        missing = [c for c in schema.REQUIRED.get(layer, ()) if c not in gdf.columns]
        if missing:
            raise WorkspaceError(f"layer '{layer}' lacks required columns: {', '.join(missing)}")
        if gdf.crs is None:
            raise WorkspaceError(f"layer '{layer}' has no CRS")
        out = gdf.to_crs(schema.WGS84) if not CRS(gdf.crs).equals(CRS(schema.WGS84)) else gdf
        req = [c for c in schema.REQUIRED.get(layer, ()) if c in out.columns]
        rest = [c for c in out.columns if c not in req and c != out.geometry.name]
        out = out[[*req, *rest, out.geometry.name]]
        geom_types = set(out.geom_type.dropna().unique())
        geometry_type = None
        if len(geom_types) > 1:
            geometry_type = "Unknown"
        elif not len(out):
            geometry_type = "Unknown"
        pyogrio.write_dataframe(
            out.reset_index(drop=True), self.path, layer=layer, geometry_type=geometry_type
        )

    def write_table(self, layer: str, df: pd.DataFrame) -> None:
        pyogrio.write_dataframe(df.reset_index(drop=True), self.path, layer=layer)

    def set_meta(self, **values: object) -> None:
        self._meta.update({k: str(v) for k, v in values.items()})

    def add_source(self, source: Source, *, replace_layer: bool = True) -> None:
        """Record a data source. By default it replaces earlier sources of the same layer."""
        if replace_layer:
            self._replace_sources.add(source.layer)
        self._sources.append(source)

    def _finish(self) -> None:
        meta = self.metadata()
        if self._fresh or "created_at" not in meta:
            meta["created_at"] = _now()
        meta["updated_at"] = _now()
        meta["software"] = "siapwisata"
        meta["software_version"] = software_version()
        meta["revision"] = str(int(meta.get("revision", "0")) + 1)
        meta.update(self._meta)
        self.write_table(
            schema.METADATA,
            pd.DataFrame({"key": list(meta), "value": [meta[k] for k in meta]}),
        )
        old = self.sources()
        if not old.empty and self._replace_sources:
            old = old[~old["layer"].isin(self._replace_sources)]
        new = pd.DataFrame([s.__dict__ for s in self._sources])
        both = pd.concat([old, new], ignore_index=True) if not old.empty else new
        if not both.empty:
            both["synthetic"] = both["synthetic"].astype(bool)
            self.write_table(schema.SOURCES, both)


def info(ws: Workspace) -> dict[str, Any]:
    """Summary used by ``siapwisata info`` and the API: layers, counts, sources, synthetic."""
    ws.require()
    layers: list[dict[str, Any]] = []
    any_synthetic = False
    for name, geom_type in pyogrio.list_layers(ws.path):
        name = str(name)
        n = int(pyogrio.read_info(ws.path, layer=name)["features"])
        synthetic = ws.synthetic_rows(name) if geom_type is not None and n else 0
        any_synthetic |= synthetic > 0
        layers.append(
            {"layer": name, "geometry": geom_type, "features": n, "synthetic": synthetic}
        )
    srcs = ws.sources()
    if not srcs.empty and "synthetic" in srcs:
        any_synthetic |= bool(srcs["synthetic"].astype(bool).any())
    gateways = ws.read_table(schema.GATEWAY_REPORT)
    return {
        "path": str(ws.path),
        "metadata": ws.metadata(),
        "layers": layers,
        "sources": srcs.to_dict("records") if not srcs.empty else [],
        "synthetic": any_synthetic,
        # written by `score`; empty until the workspace has been scored
        "gateways": gateways.to_dict("records") if not gateways.empty else [],
    }
