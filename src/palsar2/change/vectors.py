"""Class rasters to polygons (rasterio.features.shapes + shapely), block by block, and their files.

Polygons are made per window and those touching an inner window edge are merged across windows, so
a full frame is vectorised in bounded memory. Areas are exact pixel counts times the pixel area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from shapely.geometry import shape

from palsar2.change.classes import BY_CODE, NO_CHANGE

WindowReader = Callable[[int, int, int, int], tuple[np.ndarray, np.ndarray | None]]


def polygonize(classes: np.ndarray, transform: Affine, change_db: np.ndarray | None = None,
               codes: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """Polygons of each change class: dicts with geometry, code, class, n_pixels, sum_db, area_m2.

    One labelling of same-class 8-connected regions (skimage) for all classes at once, then one
    ``rasterio.features.shapes`` pass over the labels.
    """
    from skimage.measure import label

    px_area = abs(transform.a * transform.e - transform.b * transform.d)
    m = classes > NO_CHANGE
    if codes is not None:
        m &= np.isin(classes, codes)
    if not m.any():
        return []
    lab, n = label(np.where(m, classes, 0), background=0, connectivity=2, return_num=True)
    lab = lab.astype(np.int32)  # what shapes() takes; drops the int64 labels (8 bytes a pixel)
    # per-region sums over the change pixels only: per-pixel float64 weights of a 4096 x 4096
    # window cost 134 MB each and made this the peak of a full-frame run
    lab_m = lab[m]
    cnt = np.bincount(lab_m, minlength=n + 1)
    code_of = np.zeros(n + 1, np.int64)
    code_of[lab_m] = classes[m]  # every pixel of a region holds the same code
    if change_db is not None:
        v = change_db[m]
        ok = np.isfinite(v)
        sdb = np.bincount(lab_m[ok], weights=v[ok].astype(np.float64), minlength=n + 1)
        ndb = np.bincount(lab_m[ok], minlength=n + 1).astype(np.float64)
    del lab_m
    parts: dict[int, list] = defaultdict(list)
    for geom, val in shapes(lab, mask=m, connectivity=8, transform=transform):
        parts[int(val)].append(shape(geom))
    out: list[dict[str, Any]] = []
    for i, ps in parts.items():
        code = int(code_of[i])
        g = ps[0] if len(ps) == 1 else shapely.union_all(ps)
        rec = {"geometry": g, "code": code, "class": BY_CODE[code].name if code in BY_CODE else str(code),
               "n_pixels": int(cnt[i]), "area_m2": float(cnt[i] * px_area)}
        if change_db is not None:
            rec["sum_db"], rec["n_db"] = float(sdb[i]), float(ndb[i])
        out.append(rec)
    return out


def _windows(shape_: tuple[int, int], block: int) -> Iterator[tuple[int, int, int, int]]:
    for r0 in range(0, shape_[0], block):
        for c0 in range(0, shape_[1], block):
            yield r0, min(r0 + block, shape_[0]), c0, min(c0 + block, shape_[1])


def polygonize_blocks(read: WindowReader, shape_: tuple[int, int], transform: Affine, *,
                      block: int = 4096, progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """:func:`polygonize` window by window (``read(r0, r1, c0, c1) -> (classes, change_db)``), merged at seams."""
    done: list[dict[str, Any]] = []
    seam: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r0, r1, c0, c1 in _windows(shape_, block):
        cls, db = read(r0, r1, c0, c1)
        t = transform @ Affine.translation(c0, r0)
        # an inner window edge, as map coordinates, for the seam test
        edges = []
        if r0 > 0:
            edges.append(("y", (transform @ (0, r0))[1]))
        if r1 < shape_[0]:
            edges.append(("y", (transform @ (0, r1))[1]))
        if c0 > 0:
            edges.append(("x", (transform @ (c0, 0))[0]))
        if c1 < shape_[1]:
            edges.append(("x", (transform @ (c1, 0))[0]))
        for rec in polygonize(cls, t, db):
            x0, y0, x1, y1 = rec["geometry"].bounds
            on_seam = any((a == "x" and (abs(x0 - v) < 1e-6 or abs(x1 - v) < 1e-6))
                          or (a == "y" and (abs(y0 - v) < 1e-6 or abs(y1 - v) < 1e-6)) for a, v in edges)
            (seam[rec["code"]].append(rec) if on_seam else done.append(rec))
        if progress:
            progress(1)
    for code, recs in seam.items():
        merged = shapely.union_all([r["geometry"] for r in recs])
        geoms = list(getattr(merged, "geoms", [merged]))
        tree = shapely.STRtree([r["geometry"] for r in recs])
        for g in geoms:
            idx = tree.query(g, predicate="intersects")
            members = [recs[i] for i in idx if recs[i]["geometry"].intersection(g).area > 0]
            rec = {"geometry": g, "code": code, "class": members[0]["class"],
                   "n_pixels": sum(m["n_pixels"] for m in members),
                   "area_m2": float(sum(m["area_m2"] for m in members))}
            if "sum_db" in members[0]:
                rec["sum_db"] = sum(m["sum_db"] for m in members)
                rec["n_db"] = sum(m["n_db"] for m in members)
            done.append(rec)
    return done


def finish(records: list[dict[str, Any]], *, pair: str, gazetteer=None) -> list[dict[str, Any]]:
    """Final polygon properties: class, code, area_m2, mean_change_db, pair, place (nearest town)."""
    if gazetteer is not None and records:
        c = shapely.centroid(np.array([r["geometry"] for r in records], dtype=object))
        names, dist = gazetteer.nearest(shapely.get_x(c), shapely.get_y(c))
    out = []
    for i, r in enumerate(records):
        n = r.get("n_db", 0.0)
        out.append({"geometry": r["geometry"], "class": r["class"], "code": int(r["code"]),
                    "area_m2": round(float(r["area_m2"]), 2),
                    "mean_change_db": round(r["sum_db"] / n, 3) if n else None,
                    "pair": pair,
                    "place": names[i] if gazetteer is not None else None,
                    "place_distance_m": round(float(dist[i]), 1) if gazetteer is not None else None})
    return out


def write_vectors(records: list[dict[str, Any]], crs: str, gpkg: Path | None, geojson: Path | None) -> None:
    """Write polygons to GeoPackage (layer "changes", map CRS) and GeoJSON (WGS 84, RFC 7946)."""
    from pyogrio.raw import write
    from pyproj import Transformer

    _, cols = to_columns(records)
    fields = list(cols)
    data = [cols[k] for k in fields]
    gtype = "MultiPolygon"
    if gpkg is not None:
        multi = np.array([shapely.to_wkb(_multi(r["geometry"])) for r in records], dtype=object)
        write(str(gpkg), multi, data, fields, layer="changes", driver="GPKG", geometry_type=gtype, crs=crs)
    if geojson is not None:
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        def fwd(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

        ll = [shapely.transform(_multi(r["geometry"]), fwd) for r in records]
        wkb = np.array([shapely.to_wkb(g) for g in ll], dtype=object)
        write(str(geojson), wkb, data, fields, driver="GeoJSON", geometry_type=gtype, crs="EPSG:4326",
              layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 7})


def _multi(g):
    return g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])


def to_columns(records: list[dict[str, Any]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Geometry WKB array and attribute columns (for pyogrio.write_arrow-free writing)."""
    keys = ["class", "code", "area_m2", "mean_change_db", "pair", "place", "place_distance_m"]
    geoms = np.array([shapely.to_wkb(r["geometry"]) for r in records], dtype=object)
    cols = {}
    for k in keys:
        vals = [r.get(k) for r in records]
        if k in ("code",):
            cols[k] = np.array(vals, dtype=np.int32)
        elif k in ("area_m2", "mean_change_db", "place_distance_m"):
            cols[k] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        else:
            cols[k] = np.array(["" if v is None else v for v in vals], dtype=object)
    return geoms, cols
