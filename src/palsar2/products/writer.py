"""Write products in JAXA's layout (FORMAT.md): the test factories and the simulator use this.

``write_product`` streams the image into a pre-allocated strip GeoTIFF (little-endian, uncompressed
uint16, ImageDescription = polarisation, JAXA's user-defined ITRF97 UTM geokeys, tie point at the
centre of the first pixel, no nodata tag, BigTIFF past 4 GB), then writes the LUT, summary.txt and
KML, all in a temporary directory inside ``out_root`` that is renamed into place at the end.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from odc.geo.geobox import GeoBox

from palsar2.errors import ParameterError
from palsar2.products.checks import pixel_to_lonlat
from palsar2.products.ids import POLARISATIONS, ProductFileName, ProductId, SceneId, product_key
from palsar2.products.lut import format_lut
from palsar2.products.summary import Corners, LonLat, Summary, format_utc

__all__ = ["BlockSource", "ProductSpec", "jaxa_geotiff_tags", "write_product"]

#: An image given whole, or as a function returning rows ``row0 <= r < row1``.
BlockSource = np.ndarray | Callable[[int, int], np.ndarray]

_BIGTIFF_LIMIT = 2**32 - 2**25  # leave room for the header and strip tables
GEOID_FOR_DEM = {"GISMAP_Terrain": "GSIGEO2000", "SRTM90m_v4.1": "EGM96"}


@dataclass(frozen=True)
class ProductSpec:
    """What a product is: IDs, grid, times, acquisition geometry, calibration, extra records."""

    scene_id: SceneId
    product_id: ProductId
    geobox: GeoBox
    start_time: datetime
    end_time: datetime
    off_nadir_deg: float
    polarisations: tuple[str, ...] = ("HH",)
    calibration_db: float = -83.0
    dem: str = "GISMAP_Terrain"
    #: more summary.txt records; an existing key is replaced in place, a new one appended
    extra: Mapping[str, str] = field(default_factory=dict)
    #: corners (lon, lat) of the valid data; None: found from the data while writing
    corners: Corners | None = None
    #: scene centre time; None: midway between start and end
    center_time: datetime | None = None
    #: processing time in Odi_SiteDateTime; None: one hour after end_time (deterministic output)
    processing_time: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.scene_id, str):
            object.__setattr__(self, "scene_id", SceneId.parse(self.scene_id))
        if isinstance(self.product_id, str):
            object.__setattr__(self, "product_id", ProductId.parse(self.product_id))
        object.__setattr__(self, "polarisations", tuple(self.polarisations))
        for pol in self.polarisations:
            if pol not in POLARISATIONS:
                raise ParameterError(f"polarisations: {pol!r} not in {', '.join(POLARISATIONS)}")
        if len(set(self.polarisations)) != len(self.polarisations) or not self.polarisations:
            raise ParameterError(f"polarisations: {self.polarisations} must be distinct, at least one")
        for name in ("start_time", "end_time"):
            t = getattr(self, name)
            if not isinstance(t, datetime) or t.tzinfo is None:
                raise ParameterError(f"{name}: must be a timezone-aware datetime (UTC), got {t!r}")
        if self.end_time < self.start_time:
            raise ParameterError(f"end_time {self.end_time} is before start_time {self.start_time}")
        if not math.isfinite(self.calibration_db):
            raise ParameterError(f"calibration_db: {self.calibration_db} is not finite")

    @property
    def key(self) -> str:
        """``<SceneID>_<ProductID>``: the product's ID and directory name."""
        return product_key(self.scene_id, self.product_id)

    @property
    def utm(self) -> tuple[int, bool]:
        """(zone, south) of the grid; ParameterError unless it is a WGS 84 UTM EPSG code."""
        epsg = self.geobox.crs.epsg if self.geobox.crs is not None else None
        if epsg is None or not (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
            raise ParameterError(f"geobox: CRS {self.geobox.crs} is not a UTM zone "
                                 "(EPSG:326zz/327zz); JAXA's geocoded products are in UTM")
        return epsg % 100, epsg >= 32700

    @property
    def pixel_spacing(self) -> float:
        a = self.geobox.affine
        if a.b != 0 or a.d != 0 or not math.isclose(abs(a.a), abs(a.e)) or a.a <= 0 or a.e >= 0:
            raise ParameterError(f"geobox: needs square north-up pixels, got {tuple(a)[:6]}")
        return abs(a.a)


def jaxa_geotiff_tags(geobox: GeoBox, zone: int, south: bool) -> list[tuple]:
    """tifffile ``extratags`` of JAXA's georeferencing: pixel scale, centre tie point, geokeys."""
    a = geobox.affine
    sx, sy = a.a, -a.e
    # the tie point is the centre of the first pixel: raster (0.5, 0.5)
    x, y = a.c + 0.5 * sx, a.f - 0.5 * sy
    citation = "Datum=ITRF97 Ellipsoid=GRS80 Projection=UTM|"
    doubles = [-183.0 + 6.0 * zone, 0.0, 500000.0, 10000000.0 if south else 0.0, 0.9996]
    keys = [
        (1024, 0, 1, 1),            # GTModelTypeGeoKey: projected
        (1025, 0, 1, 1),            # GTRasterTypeGeoKey: PixelIsArea
        (2048, 0, 1, 4338),         # GeographicTypeGeoKey: ITRF97
        (2049, 34737, len(citation), 0),  # GeogCitationGeoKey
        (2050, 0, 1, 6655),         # GeogGeodeticDatumGeoKey: ITRF97
        (2054, 0, 1, 9102),         # GeogAngularUnitsGeoKey: degree
        (2056, 0, 1, 7019),         # GeogEllipsoidGeoKey: GRS 1980
        (3072, 0, 1, 32767),        # ProjectedCSTypeGeoKey: user-defined
        (3074, 0, 1, (16100 if south else 16000) + zone),  # ProjectionGeoKey: UTM zone
        (3075, 0, 1, 1),            # ProjCoordTransGeoKey: Transverse Mercator
        (3076, 0, 1, 9001),         # ProjLinearUnitsGeoKey: metre
        (3080, 34736, 1, 0),        # ProjNatOriginLongGeoKey
        (3081, 34736, 1, 1),        # ProjNatOriginLatGeoKey
        (3082, 34736, 1, 2),        # ProjFalseEastingGeoKey
        (3083, 34736, 1, 3),        # ProjFalseNorthingGeoKey
        (3092, 34736, 1, 4),        # ProjScaleAtNatOriginGeoKey
    ]
    directory = [1, 1, 0, len(keys)] + [v for k in keys for v in k]
    return [
        (274, "H", 1, 1, True),                                # Orientation: top-left
        (33550, "d", 3, (sx, sy, 0.0), True),                  # ModelPixelScaleTag
        (33922, "d", 6, (0.5, 0.5, 0.0, x, y, 0.0), True),     # ModelTiepointTag
        (34735, "H", len(directory), directory, True),         # GeoKeyDirectoryTag
        (34736, "d", len(doubles), doubles, True),             # GeoDoubleParamsTag
        (34737, "s", 0, citation, True),                       # GeoAsciiParamsTag
    ]


def _last_true(valid: np.ndarray, has: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Column of the last True of each row (-1 if none), searching back from the right edge a
    chunk at a time: argmax over a reversed view is ~10x slower than over a contiguous one."""
    out = np.full(valid.shape[0], -1, dtype=np.int64)
    todo = np.nonzero(has)[0]
    for c1 in range(valid.shape[1], 0, -chunk):
        if todo.size == 0:
            break
        c0 = max(0, c1 - chunk)
        seg = valid[todo, c0:c1]
        found = seg.any(axis=1)
        rows = todo[found]
        out[rows] = c1 - 1 - np.argmax(np.ascontiguousarray(seg[found, ::-1]), axis=1)
        todo = todo[~found]
    return out


class _Extent:
    """Per-row first and last valid column, gathered while streaming, for the data's corners."""

    def __init__(self, rows: int) -> None:
        self.first = np.full(rows, -1, dtype=np.int64)
        self.last = np.full(rows, -1, dtype=np.int64)

    def add(self, row0: int, block: np.ndarray) -> None:
        valid = block != 0
        has = valid.any(axis=1)
        first = np.argmax(valid, axis=1)
        last = _last_true(valid, has)
        r = np.arange(row0, row0 + block.shape[0])
        self.first[r[has]] = first[has]
        self.last[r[has]] = last[has]

    def quad(self, width: int, height: int) -> np.ndarray | None:
        """Four corners (x, y) in pixel-edge coordinates ordered LT, RT, RB, LB, or None if empty."""
        from shapely import MultiPoint

        rows = np.nonzero(self.first >= 0)[0]
        if rows.size == 0:
            return None
        f, la = self.first[rows], self.last[rows] + 1
        pts = np.concatenate([np.c_[f, rows], np.c_[f, rows + 1], np.c_[la, rows],
                              np.c_[la, rows + 1]]).astype(float)
        hull = MultiPoint(pts).convex_hull
        hull_pts = np.asarray(hull.exterior.coords)[:-1] if hull.geom_type == "Polygon" else pts
        rect = np.asarray(hull.minimum_rotated_rectangle.exterior.coords)[:-1]
        if len(rect) < 4:
            rect = np.array([pts.min(0), [pts[:, 0].max(), pts[:, 1].min()], pts.max(0),
                             [pts[:, 0].min(), pts[:, 1].max()]])
        # the swath corners: the hull vertices nearest the corners of its bounding rectangle
        corners = np.array([hull_pts[np.argmin(np.hypot(*(hull_pts - c).T))] for c in rect[:4]])
        centre = corners.mean(axis=0)
        ang = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
        # sorted by angle with y down: clockwise on screen, the cyclic order LT, RT, RB, LB; then
        # rotated so that each corner is matched with the grid corner it lies nearest to
        corners = corners[np.argsort(ang)]
        grid = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)
        best = min(range(4), key=lambda k: np.hypot(*(np.roll(corners, -k, 0) - grid).T).sum())
        return np.roll(corners, -best, 0)


def _as_block_source(data: BlockSource, shape: tuple[int, int], pol: str) -> Callable[[int, int], np.ndarray]:
    if callable(data):
        return data
    arr = np.asarray(data)
    if arr.shape != shape:
        raise ParameterError(f"data[{pol}]: shape {arr.shape} differs from the geobox {shape}")
    return lambda r0, r1: arr[r0:r1]


def _check_block(block: np.ndarray, r0: int, r1: int, width: int, pol: str) -> np.ndarray:
    block = np.asarray(block)
    if block.shape != (r1 - r0, width):
        raise ParameterError(f"data[{pol}]({r0}, {r1}): returned shape {block.shape}, "
                             f"expected {(r1 - r0, width)}")
    if block.dtype != np.uint16:
        raise ParameterError(f"data[{pol}]({r0}, {r1}): dtype {block.dtype}, expected uint16 DN")
    return block


def _write_image(path: Path, spec: ProductSpec, source: Callable[[int, int], np.ndarray],
                 pol: str, block_rows: int, extent: _Extent | None) -> int:
    import tifffile

    h, w = spec.geobox.shape
    zone, south = spec.utm
    nbytes = h * w * 2
    rowsperstrip = max(1, 8192 // (2 * w))  # ~8 KB strips, like GDAL's default
    with tifffile.TiffWriter(path, byteorder="<", bigtiff=nbytes > _BIGTIFF_LIMIT) as tw:
        offset, size = tw.write(
            None, shape=(h, w), dtype="uint16", photometric="minisblack", rowsperstrip=rowsperstrip,
            description=pol, metadata=None, software=False, resolution=None,
            extratags=jaxa_geotiff_tags(spec.geobox, zone, south), returnoffset=True)
    if size != nbytes:
        raise RuntimeError(f"{path}: tifffile reserved {size} bytes for {nbytes}")
    with open(path, "r+b") as f:
        f.seek(offset)
        for r0 in range(0, h, block_rows):
            r1 = min(h, r0 + block_rows)
            block = _check_block(source(r0, r1), r0, r1, w, pol)
            if extent is not None:
                extent.add(r0, block)
            f.write(np.ascontiguousarray(block, dtype="<u2").data)
    return os.path.getsize(path)


def _lonlat(geobox: GeoBox, xy: np.ndarray) -> list[LonLat]:
    """Pixel-edge coordinates (x=col, y=row) to lon/lat."""
    return [LonLat(float(lon), float(lat)) for lon, lat in pixel_to_lonlat(geobox, xy)]


def _corners_from_xy(geobox: GeoBox, quad: np.ndarray) -> Corners:
    """Corners LT, RT, RB, LB (pixel-edge x, y) and their mean as JAXA's Corners (lon, lat)."""
    lt, rt, rb, lb, centre = _lonlat(geobox, np.vstack([quad, quad.mean(axis=0, keepdims=True)]))
    return Corners(centre, lt, rt, lb, rb)


def _frame_corners(geobox: GeoBox) -> Corners:
    h, w = geobox.shape
    return _corners_from_xy(geobox, np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float))


def _f3(v: float) -> str:
    return f"{v:.3f}"


def build_summary(spec: ProductSpec, corners: Corners, files: list[str], data_bytes: int) -> Summary:
    """Every record of an L2.1 (or L1.5) summary.txt, in JAXA's order."""
    sid, pid = spec.scene_id, spec.product_id
    zone, _south = spec.utm
    level_tag = "L" + pid.level.replace(".", "")
    centre_t = spec.center_time or spec.start_time + (spec.end_time - spec.start_time) / 2
    proc_t = (spec.processing_time or spec.end_time + timedelta(hours=1)).astimezone(UTC)
    frame = _frame_corners(spec.geobox)
    h, w = spec.geobox.shape
    r: dict[str, str] = {
        "Odi_SceneId": f"SARD{sid.orbit:012d}-{sid.frame:05d}-001-000",
        "Odi_SiteDateTime": f"PROCESS:JAPAN-JAXA-ALOS2-EICS  {proc_t:%Y%m%d %H%M%S}",
        "Scs_SceneID": str(sid),
        "Scs_SceneShift": "0",
        "Pds_ProductID": str(pid),
        "Pds_ResamplingMethod": "CC",
        "Pds_UTM_ZoneNo": str(zone),
        "Pds_MapDirection": "MapNorth",
        "Pds_PixelSpacing": f"{spec.pixel_spacing:.6f}",
        "Pds_OrbitDataPrecision": "Onboard",
        "Pds_AttitudeDataPrecision": "Onboard",
    }
    if pid.level in ("2.1", "3.1"):
        r["Pds_DigitalElevationModel"] = spec.dem
        r["Pds_GeoidModel"] = GEOID_FOR_DEM.get(spec.dem, "EGM96")
    r["Img_SceneCenterDateTime"] = format_utc(centre_t)
    r["Img_SceneStartDateTime"] = format_utc(spec.start_time)
    r["Img_SceneEndDateTime"] = format_utc(spec.end_time)
    names = ("Center", "LeftTop", "RightTop", "LeftBottom", "RightBottom")
    for prefix, cs in (("Img_ImageScene", corners), ("Img_FrameScene", frame)):
        for name, p in zip(names, cs):
            r[f"{prefix}{name}Latitude"] = _f3(p.lat)
            r[f"{prefix}{name}Longitude"] = _f3(p.lon)
    r["Img_OffNadirAngle"] = f"{spec.off_nadir_deg:.1f}"
    r["Pdi_ProductDataSize"] = f"{data_bytes / 2**20:.1f}"
    r[f"Pdi_CntOf{level_tag}ProductFileName"] = str(len(files))
    for i, name in enumerate(files, start=1):
        r[f"Pdi_{level_tag}ProductFileName{i:02d}"] = name
    r.update({"Pdi_BitPixel": "16", "Pdi_NoOfPixels_0": str(w), "Pdi_NoOfLines_0": str(h),
              "Pdi_ProductFormat": "GeoTIFF"})
    for key in ("TimeCheck", "AttitudeCheck", "AbsoluteNavigationStatus", "HouseKeepingDataCheck",
                "OrbitCheck", "OnBoardAttitudeCheck", "LossLines", "AbsoluteNavigationTime",
                "PRF_Check", "CalibrationDataCheck"):
        r[f"Ach_{key}"] = "" if key in ("AbsoluteNavigationStatus", "AbsoluteNavigationTime",
                                        "PRF_Check", "CalibrationDataCheck") else "GOOD"
    r.update({"Rad_PracticeResultCode": "GOOD", "Lbi_Satellite": "ALOS2", "Lbi_Sensor": "SAR",
              "Lbi_ProcessLevel": pid.level, "Lbi_ProcessFacility": "EICS",
              "Lbi_ObservationDate": f"{spec.start_time.astimezone(UTC):%Y%m%d}"})
    for k, v in spec.extra.items():
        r[k] = str(v)
    return Summary(r)


_KML = """<?xml version="1.0"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <name>kmlproduct</name>
  <Document>
    <name>Product</name>
    <Style id="transPoly">
      <LineStyle>
        <width>0.1</width>
      </LineStyle>
      <PolyStyle>
        <color>8864ff64</color>
      </PolyStyle>
    </Style>
    <Folder>
      <name>Scene Rectangle</name>
      <Placemark>
        <name>{scene}</name>
        <description><![CDATA[<br/> <table border="1" cellspacing="0" cellpadding="2" bordercolor="C0C0C0" ><tr><td>Satellite</td><td>ALOS2</td></tr><tr><td>Sensor</td><td>PALSAR-2</td></tr><tr><td>Scene ID</td><td>{scene}</td></tr><tr><td>Product ID</td><td>{product}</td></tr><tr><td>Observation Date</td><td>{date}</td></tr><tr><td>Path No</td><td>{path}</td></tr><tr><td>Frame(center)</td><td>{frame}</td></tr><tr><td>SceneShift</td><td>0</td></tr><tr><td>Offnadir Angle</td><td>{off_nadir}</td></tr></table>]]></description>
        <Snippet maxLines="2"/>
        <visibility>1</visibility>
        <styleUrl>#transPoly</styleUrl>
        <Polygon>
          <tessellate>1</tessellate>
          <altitudeMode>clampToGround</altitudeMode>
          <outerBoundaryIs>
            <LinearRing>
              <coordinates>{ring}</coordinates>
            </LinearRing>
          </outerBoundaryIs>
        </Polygon>
      </Placemark>
    </Folder>
    <Folder>
      <name>Scene Center</name>
      <Placemark>
        <name>{scene}</name>
        <description></description>
        <Snippet maxLines="2"/>
        <Point>
          <altitudeMode>clampToGround</altitudeMode>
          <coordinates>{clon},{clat},{frame}.0</coordinates>
        </Point>
      </Placemark>
    </Folder>
  </Document>
</kml>
"""


def build_kml(spec: ProductSpec, corners: Corners) -> str:
    """The footprint KML JAXA ships beside the images (corners of the valid data)."""
    ring = "".join(f"{lon:.3f},{lat:.3f},0.0 " for lon, lat in corners.ring())
    return _KML.format(scene=spec.scene_id, product=spec.product_id,
                       date=f"{spec.start_time.astimezone(UTC):%Y-%m-%d}",
                       path=spec.scene_id.path,
                       frame=f"{spec.scene_id.frame:04d}", off_nadir=f"{spec.off_nadir_deg:.1f}",
                       ring=ring, clon=f"{corners.center.lon:.3f}", clat=f"{corners.center.lat:.3f}")


def _data_by_pol(spec: ProductSpec, data: BlockSource | Mapping[str, BlockSource]) -> dict[str, BlockSource]:
    if isinstance(data, Mapping):
        missing = [p for p in spec.polarisations if p not in data]
        unknown = [p for p in data if p not in spec.polarisations]
        if missing or unknown:
            raise ParameterError(f"data: polarisations {sorted(data)} do not match the spec's "
                                 f"{list(spec.polarisations)}")
        return dict(data)
    if len(spec.polarisations) != 1:
        raise ParameterError(f"data: give a mapping polarisation -> data for "
                             f"{len(spec.polarisations)} polarisations")
    return {spec.polarisations[0]: data}


def write_product(out_root: str | os.PathLike, spec: ProductSpec,
                  data: BlockSource | Mapping[str, BlockSource], *, block_rows: int = 512,
                  overwrite: bool = False) -> Path:
    """Write ``out_root/<SceneID>_<ProductID>/`` in JAXA's layout and return its path.

    ``data`` is a uint16 array (rows, cols), or a callable ``(row0, row1) -> rows`` so that a full
    frame is streamed block by block in bounded memory; for several polarisations a mapping
    polarisation -> either. Atomic: on any failure nothing is left in ``out_root``.
    """
    out_root = Path(out_root)
    if block_rows < 1:
        raise ParameterError(f"block_rows: {block_rows} must be at least 1")
    zone, _ = spec.utm  # validates the CRS
    _ = spec.pixel_spacing, zone
    sources = _data_by_pol(spec, data)
    final = out_root / spec.key
    if final.exists() and not overwrite:
        raise ParameterError(f"{final}: already exists (use overwrite=True to replace it)")
    out_root.mkdir(parents=True, exist_ok=True)
    h, w = spec.geobox.shape
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.key}.", suffix=".partial", dir=out_root))
    try:
        files: list[str] = []
        total = 0
        extent = _Extent(h) if spec.corners is None else None
        for i, pol in enumerate(spec.polarisations):
            img = ProductFileName.build("IMG", pol, spec.scene_id, spec.product_id)
            lut = ProductFileName.build("LUT", pol, spec.scene_id, spec.product_id)
            source = _as_block_source(sources[pol], (h, w), pol)
            total += _write_image(tmp / img, spec, source, pol, block_rows,
                                  extent if i == 0 else None)
            lut_text = format_lut(spec.calibration_db, w)
            (tmp / lut).write_text(lut_text, encoding="ascii")
            total += len(lut_text)
            files += [img, lut]
        if spec.corners is not None:
            corners = spec.corners
        else:
            assert extent is not None
            quad = extent.quad(w, h)
            corners = _frame_corners(spec.geobox) if quad is None else _corners_from_xy(spec.geobox, quad)
        summary = build_summary(spec, corners, files, total)
        (tmp / "summary.txt").write_bytes(summary.to_bytes())
        (tmp / f"{spec.key}.kml").write_text(build_kml(spec, corners), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if final.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{spec.key}.", suffix=".old", dir=out_root))
            os.rename(final, trash / "old")
            os.rename(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
