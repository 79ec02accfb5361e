"""GeoTIFF georeferencing of PALSAR-2 images (FORMAT.md section 4) as an odc-geo GeoBox.

JAXA's files tie the centre of the first pixel, ``ModelTiepointTag = (0.5, 0.5, 0, X, Y, 0)``,
so the image corner is half a pixel up-left of (X, Y). Their CRS is user-defined
(``ProjectedCSTypeGeoKey = 32767``, ``ProjectionGeoKey = 16000 + zone``, ITRF97 / GRS80), which
GDAL reports as a projection on an "ITRF97 (geocentric)" geographic CRS with no EPSG code. Within
palsar2 that grid is treated as the WGS 84 UTM zone (EPSG:326zz / 327zz): the two differ by
centimetres. The substitution is recorded in ``crs_note``.

GDAL (rasterio) opens the file; the raw TIFF tags are read with tifffile where the file can be
reached without decompressing a whole archive, to apply the tie point exactly as the format says
and to report geokeys, nodata tag, data type and truncation.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from odc.geo import CRS
from odc.geo.geobox import GeoBox
from pyproj import CRS as ProjCRS
from pyproj.exceptions import CRSError

from palsar2.errors import GeoreferenceError, ProductError
from palsar2.products._vsi import split_vsizip

__all__ = [
    "Georef",
    "TiffInfo",
    "normalise_crs",
    "read_georef",
    "read_tiff_info",
    "transform_from_tiepoint",
    "utm_epsg",
]

# GeoTIFF tag and key numbers
TAG_PIXEL_SCALE = 33550
TAG_TIEPOINT = 33922
TAG_TRANSFORMATION = 34264
TAG_GEOKEYS = 34735
TAG_GEO_DOUBLES = 34736
TAG_GEO_ASCII = 34737
TAG_GDAL_NODATA = 42113
GEOKEY_NAMES = {
    1024: "GTModelTypeGeoKey", 1025: "GTRasterTypeGeoKey", 1026: "GTCitationGeoKey",
    2048: "GeographicTypeGeoKey", 2049: "GeogCitationGeoKey", 2050: "GeogGeodeticDatumGeoKey",
    2051: "GeogPrimeMeridianGeoKey", 2052: "GeogLinearUnitsGeoKey", 2054: "GeogAngularUnitsGeoKey",
    2056: "GeogEllipsoidGeoKey", 2057: "GeogSemiMajorAxisGeoKey", 2058: "GeogSemiMinorAxisGeoKey",
    2059: "GeogInvFlatteningGeoKey", 3072: "ProjectedCSTypeGeoKey", 3073: "PCSCitationGeoKey",
    3074: "ProjectionGeoKey", 3075: "ProjCoordTransGeoKey", 3076: "ProjLinearUnitsGeoKey",
    3080: "ProjNatOriginLongGeoKey", 3081: "ProjNatOriginLatGeoKey",
    3082: "ProjFalseEastingGeoKey", 3083: "ProjFalseNorthingGeoKey",
    3092: "ProjScaleAtNatOriginGeoKey",
}


class _Itrf97Deprecation(logging.Filter):
    """GDAL logs that EPSG:4338 (JAXA's GeographicTypeGeoKey) is deprecated on every open; that is
    the format, not a problem, so the message is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "EPSG:4338 is deprecated" not in record.getMessage()


logging.getLogger("rasterio._env").addFilter(_Itrf97Deprecation())

RASTER_PIXEL_IS_AREA = 1
RASTER_PIXEL_IS_POINT = 2
#: Read a compressed zip member with tifffile only when it is this small (seeking in a deflated
#: member means decompressing up to that point).
_MAX_DEFLATED_TAG_READ = 64 * 2**20


@dataclass(frozen=True)
class TiffInfo:
    """The raw TIFF facts of one image that GDAL does not report."""

    href: str
    shape: tuple[int, int]
    dtype: str
    samples: int
    byteorder: str
    bigtiff: bool
    description: str | None
    is_tiled: bool
    compression: int
    has_nodata_tag: bool
    geokeys: dict[str, Any] = field(default_factory=dict)
    tiepoint: tuple[float, ...] | None = None
    pixel_scale: tuple[float, ...] | None = None
    transformation: tuple[float, ...] | None = None
    truncated: bool = False


@dataclass(frozen=True)
class Georef:
    """Grid of an image plus how it was read."""

    geobox: GeoBox
    crs_note: str | None
    gdal_transform: Affine
    tiff: TiffInfo | None
    nodata: float | None
    dtype: str
    count: int
    descriptions: tuple[str | None, ...]


def utm_epsg(zone: int, south: bool) -> int:
    """EPSG code of WGS 84 / UTM ``zone`` north (326zz) or south (327zz)."""
    if not 1 <= zone <= 60:
        raise GeoreferenceError(f"UTM zone {zone}: not in 1..60")
    return (32700 if south else 32600) + zone


def transform_from_tiepoint(tiepoint: tuple[float, ...], scale: tuple[float, ...],
                            raster_type: int = RASTER_PIXEL_IS_AREA) -> Affine:
    """Affine (corner of first pixel) from one tie point (I, J, K, X, Y, Z) and pixel scale.

    With PixelIsArea, raster (0, 0) is the outer corner of the first pixel, so a tie point at
    raster (0.5, 0.5) - JAXA's - is the pixel centre and the corner is half a pixel up-left of it.
    With PixelIsPoint, raster (0, 0) is the centre of the first pixel (GDAL's reading too).
    """
    i, j, _k, x, y, _z = tiepoint[:6]
    sx, sy = scale[0], scale[1]
    if raster_type == RASTER_PIXEL_IS_POINT:
        i, j = i + 0.5, j + 0.5
    return Affine(sx, 0.0, x - i * sx, 0.0, -sy, y + j * sy)


def _decode_geokeys(tags: dict[int, Any]) -> dict[str, Any]:
    raw = tags.get(TAG_GEOKEYS)
    if raw is None:
        return {}
    d = [int(v) for v in raw]
    doubles = list(tags.get(TAG_GEO_DOUBLES) or [])
    ascii_ = tags.get(TAG_GEO_ASCII) or ""
    if isinstance(ascii_, bytes):
        ascii_ = ascii_.decode("latin-1")
    out: dict[str, Any] = {}
    n = d[3] if len(d) >= 4 else 0
    for k in range(n):
        key, loc, count, off = d[4 + 4 * k: 8 + 4 * k]
        name = GEOKEY_NAMES.get(key, str(key))
        if loc == 0:
            out[name] = off
        elif loc == TAG_GEO_DOUBLES:
            vals = doubles[off: off + count]
            out[name] = vals[0] if count == 1 else tuple(vals)
        elif loc == TAG_GEO_ASCII:
            out[name] = ascii_[off: off + count].rstrip("|\x00")
        else:
            out[name] = (loc, count, off)
    return out


def _open_tiff_stream(href: str) -> tuple[Any, str] | None:
    """A seekable binary stream of the TIFF for tifffile, or None when that would be too costly."""
    parts = split_vsizip(href)
    if parts is None:
        if href.startswith("/vsi"):
            return None
        return open(href, "rb"), os.path.basename(href)
    archive, member = parts
    z = zipfile.ZipFile(archive)
    info = z.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > _MAX_DEFLATED_TAG_READ:
        z.close()
        return None
    return z.open(member), member


def read_tiff_info(href: str) -> TiffInfo | None:
    """Raw tags of the first image with tifffile; None when the file cannot be reached cheaply."""
    import tifffile

    try:
        opened = _open_tiff_stream(href)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ProductError(f"{href}: cannot open ({exc})") from None
    if opened is None:
        return None
    stream, name = opened
    try:
        with stream, tifffile.TiffFile(stream, name=name) as tf:
            page = tf.pages.first
            tags = {t.code: t.value for t in page.tags}
            offsets, counts = page.dataoffsets, page.databytecounts
            size = tf.filehandle.size
            end = int((np.asarray(offsets, np.int64) + np.asarray(counts, np.int64)).max(initial=0))
            desc = tags.get(270)
            if isinstance(desc, bytes):
                desc = desc.decode("latin-1")
            return TiffInfo(
                href=href, shape=(int(page.imagelength), int(page.imagewidth)),
                dtype=str(page.dtype) if page.dtype is not None else "unknown",
                samples=int(page.samplesperpixel), byteorder=tf.byteorder,
                bigtiff=bool(tf.is_bigtiff), description=desc, is_tiled=bool(page.is_tiled),
                compression=int(page.compression), has_nodata_tag=TAG_GDAL_NODATA in tags,
                geokeys=_decode_geokeys(tags),
                tiepoint=tuple(float(v) for v in tags[TAG_TIEPOINT]) if TAG_TIEPOINT in tags else None,
                pixel_scale=(tuple(float(v) for v in tags[TAG_PIXEL_SCALE])
                             if TAG_PIXEL_SCALE in tags else None),
                transformation=(tuple(float(v) for v in tags[TAG_TRANSFORMATION])
                                if TAG_TRANSFORMATION in tags else None),
                truncated=end > size,
            )
    except (tifffile.TiffFileError, ValueError, IndexError, struct.error) as exc:
        raise ProductError(f"{href}: not a readable TIFF ({exc})") from None


def _tm_params(crs: ProjCRS) -> dict[str, float] | None:
    op = crs.coordinate_operation
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    names = {"latitude of natural origin": "lat0", "longitude of natural origin": "lon0",
             "scale factor at natural origin": "k", "false easting": "fe", "false northing": "fn"}
    out: dict[str, float] = {}
    for p in op.params:
        key = names.get(p.name.lower())
        if key:
            out[key] = float(p.value)
    return out if len(out) == 5 else None


def utm_from_geokeys(geokeys: dict[str, Any]) -> tuple[int, bool] | None:
    """(zone, south) when the geokeys name a UTM zone: an EPSG UTM code, or JAXA's user-defined
    ``ProjectedCSTypeGeoKey = 32767`` with ``ProjectionGeoKey = 16000 + zone`` / ``16100 + zone``."""
    pcs = geokeys.get("ProjectedCSTypeGeoKey")
    proj = geokeys.get("ProjectionGeoKey")
    for code, base in ((pcs, 32600), (pcs, 32700), (proj, 16000), (proj, 16100)):
        user_defined_ok = base in (32600, 32700) or pcs == 32767
        if isinstance(code, int) and base < code <= base + 60 and user_defined_ok:
            return code - base, base in (32700, 16100)
    return None


def _grs80_or_wgs84(pcrs: ProjCRS) -> bool:
    ell = pcrs.ellipsoid
    return (ell is not None and abs(ell.semi_major_metre - 6378137.0) < 1e-3
            and abs(ell.inverse_flattening - 298.2572) < 1e-3)


def _utm_note(pcrs: ProjCRS, zone: int, south: bool, how: str) -> tuple[CRS, str]:
    code = utm_epsg(zone, south)
    hemi = "S" if south else "N"
    datum = pcrs.datum.name if pcrs.datum is not None else "unknown datum"
    ell = pcrs.ellipsoid.name if pcrs.ellipsoid is not None else "unknown ellipsoid"
    note = (f"user-defined UTM zone {zone}{hemi} on {datum} / {ell} ({how}) read as EPSG:{code} "
            f"(WGS 84 / UTM zone {zone}{hemi}); the two grids differ by centimetres")
    return CRS(f"EPSG:{code}"), note


@functools.lru_cache(maxsize=256)
def normalise_crs(crs_wkt: str, utm_hint: tuple[int, bool] | None = None) -> tuple[CRS, str | None]:
    """A CRS as palsar2 uses it, and a note when a user-defined UTM was read as its EPSG zone.

    Transverse Mercator with UTM parameters on a GRS80 or WGS 84 ellipsoid (JAXA's user-defined
    ITRF97 geokeys) becomes EPSG:326zz / 327zz; other CRSs are kept as they are. ``utm_hint``
    (zone, south) from the raw geokeys decides when GDAL's parameters are garbled: without a
    GeogAngularUnitsGeoKey GDAL takes the "ITRF97 (geocentric)" CRS's metre for the angular unit
    and reports the central meridian in radians.
    """
    try:
        pcrs = ProjCRS.from_wkt(crs_wkt)
    except CRSError as exc:
        raise GeoreferenceError(f"CRS cannot be interpreted ({exc})") from None
    epsg = pcrs.to_epsg(min_confidence=100)
    if epsg is not None:
        return CRS(f"EPSG:{epsg}"), None
    tm = _tm_params(pcrs) if pcrs.is_projected else None
    unit_ok = bool(pcrs.axis_info) and all(a.unit_name in ("metre", "meter") for a in pcrs.axis_info)
    if tm is not None and unit_ok and _grs80_or_wgs84(pcrs):
        if utm_hint is not None and abs(tm["k"] - 0.9996) < 1e-9 and abs(tm["fe"] - 500000.0) < 1e-6:
            return _utm_note(pcrs, *utm_hint, how="ProjectionGeoKey")
        for lon0 in (tm["lon0"], math.degrees(tm["lon0"])):  # degrees, or GDAL's radians
            zone_f = (lon0 + 183.0) / 6.0
            zone = round(zone_f)
            utm_like = (abs(tm["lat0"]) < 1e-9 and abs(tm["k"] - 0.9996) < 1e-9
                        and abs(tm["fe"] - 500000.0) < 1e-6 and abs(zone_f - zone) < 1e-7
                        and 1 <= zone <= 60 and tm["fn"] in (0.0, 10000000.0))
            if utm_like:
                return _utm_note(pcrs, zone, tm["fn"] == 10000000.0, how="projection parameters")
    epsg_low = pcrs.to_epsg(min_confidence=70)
    if epsg_low is not None:
        return CRS(f"EPSG:{epsg_low}"), f"CRS matched EPSG:{epsg_low} with less than full confidence"
    return CRS(pcrs.to_wkt()), None


def check_dn_image(georef: Georef, href: str, *, expected: str) -> None:
    """ProductError unless the image is one band of uint16 DN and not truncated.

    ``expected`` says what the file should have been, for the message (e.g. "a PALSAR-2 image").
    """
    if georef.count != 1:
        raise ProductError(f"{href}: {georef.count} bands; {expected} has one")
    if georef.dtype != "uint16":
        raise ProductError(f"{href}: data type {georef.dtype}; {expected} holds uint16 DN")
    if georef.tiff is not None and georef.tiff.truncated:
        raise ProductError(f"{href}: truncated (image data runs past the end of the file)")


def read_georef(href: str, *, tiff: TiffInfo | None = None, use_tifffile: bool = True) -> Georef:
    """Open one GeoTIFF (local or GDAL path) and return its grid as a GeoBox with a CRS note."""
    try:
        with warnings.catch_warnings():
            # we raise GeoreferenceError ourselves, with the file name
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(href)
        with src:
            gdal_transform = src.transform
            crs_wkt = src.crs.to_wkt() if src.crs else None
            shape = (src.height, src.width)
            nodata, dtype, count = src.nodata, src.dtypes[0], src.count
            descriptions = tuple(src.descriptions)
            has_gcps = bool(src.gcps[0])
    except rasterio.errors.RasterioIOError as exc:
        raise ProductError(f"{href}: cannot open as a raster ({exc})") from None
    if crs_wkt is None:
        raise GeoreferenceError(f"{href}: no CRS (no GeoTIFF geokeys)")
    if gdal_transform.is_identity:
        what = "only ground control points" if has_gcps else "no tie point or transformation"
        raise GeoreferenceError(f"{href}: not georeferenced ({what})")
    if tiff is None and use_tifffile:
        tiff = read_tiff_info(href)
    transform = gdal_transform
    if tiff is not None and tiff.tiepoint is not None and tiff.pixel_scale is not None \
            and tiff.transformation is None and len(tiff.tiepoint) == 6:
        raster_type = int(tiff.geokeys.get("GTRasterTypeGeoKey", RASTER_PIXEL_IS_AREA))
        # FORMAT.md's reading of the tie point; GDAL agrees for PixelIsArea files
        transform = transform_from_tiepoint(tiff.tiepoint, tiff.pixel_scale, raster_type)
    hint = utm_from_geokeys(tiff.geokeys) if tiff is not None else None
    crs, note = normalise_crs(crs_wkt, hint)
    if not all(math.isfinite(v) for v in transform[:6]):
        raise GeoreferenceError(f"{href}: transform has non-finite values {tuple(transform)[:6]}")
    geobox = GeoBox(shape, transform, crs)
    return Georef(geobox=geobox, crs_note=note, gdal_transform=gdal_transform, tiff=tiff,
                  nodata=nodata, dtype=dtype, count=count, descriptions=descriptions)
