"""GeoTIFF georeferencing: half-pixel tie point, user-defined ITRF97 UTM, CRS normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import tifffile
from affine import Affine
from odc.geo.geobox import GeoBox
from pyproj import CRS

from palsar2.errors import GeoreferenceError, ProductError
from palsar2.products.georef import (
    normalise_crs,
    read_georef,
    read_tiff_info,
    transform_from_tiepoint,
)
from palsar2.products.writer import jaxa_geotiff_tags

X0, Y0, PX = 690000.0, 4120000.0, 2.5


def _write(path, extratags, shape=(20, 30)):
    tifffile.imwrite(path, np.ones(shape, np.uint16), byteorder="<", photometric="minisblack",
                     description="HH", metadata=None, software=False, extratags=extratags)
    return str(path)


def _geokeys(keys, doubles=(), ascii_=""):
    directory = [1, 1, 0, len(keys)] + [v for k in keys for v in k]
    tags = [(34735, "H", len(directory), directory, True)]
    if doubles:
        tags.append((34736, "d", len(doubles), list(doubles), True))
    if ascii_:
        tags.append((34737, "s", 0, ascii_, True))
    return tags


def _tie(x, y, i=0.5, j=0.5):
    return [(33550, "d", 3, (PX, PX, 0.0), True), (33922, "d", 6, (i, j, 0.0, x, y, 0.0), True)]


def test_transform_from_tiepoint():
    a = transform_from_tiepoint((0.5, 0.5, 0, 100.0, 200.0, 0), (2.0, 2.0, 0))
    assert (a.c, a.f, a.a, a.e) == (99.0, 201.0, 2.0, -2.0)
    b = transform_from_tiepoint((0, 0, 0, 100.0, 200.0, 0), (2.0, 2.0, 0))
    assert (b.c, b.f) == (100.0, 200.0)
    # PixelIsPoint: raster (0, 0) is the centre of the first pixel
    c = transform_from_tiepoint((0, 0, 0, 100.0, 200.0, 0), (2.0, 2.0, 0), raster_type=2)
    assert (c.c, c.f) == (99.0, 201.0)


def test_half_pixel_corner_agrees_with_gdal(tmp_path):
    gb = GeoBox((20, 30), Affine(PX, 0, X0, 0, -PX, Y0), "EPSG:32653")
    href = _write(tmp_path / "a.tif", jaxa_geotiff_tags(gb, 53, False))
    info = read_tiff_info(href)
    assert info.tiepoint == (0.5, 0.5, 0.0, X0 + PX / 2, Y0 - PX / 2, 0.0)
    g = read_georef(href)
    assert g.geobox.affine == Affine(PX, 0, X0, 0, -PX, Y0)  # corner = tie point - half a pixel
    with rasterio.open(href) as src:
        assert src.transform == g.geobox.affine == g.gdal_transform
        assert src.xy(0, 0) == (X0 + PX / 2, Y0 - PX / 2)  # centre of the first pixel
    # a reader taking the tie point for the corner would be off by half a pixel (1.25 m)
    wrong = Affine(PX, 0, *info.tiepoint[3:4], 0, -PX, info.tiepoint[4])
    assert (wrong.c - g.geobox.affine.c, g.geobox.affine.f - wrong.f) == (1.25, 1.25)


@pytest.mark.parametrize("zone,south", [(53, False), (40, True), (1, False), (60, True)])
def test_user_defined_itrf97_utm_normalised(tmp_path, zone, south):
    gb = GeoBox((20, 30), Affine(PX, 0, 500000.0, 0, -PX, 7700000.0 if south else 4100000.0),
                f"EPSG:{(32700 if south else 32600) + zone}")
    href = _write(tmp_path / "u.tif", jaxa_geotiff_tags(gb, zone, south))
    with rasterio.open(href) as src:  # GDAL: no EPSG, an ITRF97 "geocentric" geographic CRS
        assert src.crs.to_epsg() is None and "ITRF97" in src.crs.to_wkt()
    g = read_georef(href)
    code = (32700 if south else 32600) + zone
    assert g.geobox.crs.epsg == code
    assert g.crs_note and f"EPSG:{code}" in g.crs_note and "centimetres" in g.crs_note
    assert g.tiff.geokeys["ProjectedCSTypeGeoKey"] == 32767
    assert g.tiff.geokeys["ProjectionGeoKey"] == (16100 if south else 16000) + zone


def test_normalise_crs_cases():
    crs, note = normalise_crs(CRS.from_epsg(32653).to_wkt())
    assert crs.epsg == 32653 and note is None
    crs, note = normalise_crs(CRS.from_epsg(4326).to_wkt())
    assert crs.epsg == 4326 and note is None
    # WGS 84 UTM spelled out as a custom projection
    custom = CRS.from_proj4("+proj=tmerc +lon_0=135 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m")
    crs, note = normalise_crs(custom.to_wkt())
    assert crs.epsg == 32653 and "read as EPSG:32653" in note
    # a Transverse Mercator that is not UTM (Japan plane rectangular zone VII) stays itself
    crs, note = normalise_crs(CRS.from_epsg(6675).to_wkt())
    assert crs.epsg == 6675 and note is None
    not_utm = CRS.from_proj4("+proj=tmerc +lon_0=137 +k=0.9999 +x_0=0 +y_0=0 +ellps=GRS80 +units=m")
    crs, note = normalise_crs(not_utm.to_wkt())
    assert crs.epsg is None
    with pytest.raises(GeoreferenceError):
        normalise_crs("not a crs")


def test_epsg_geokeys_and_model_transformation(tmp_path):
    # EPSG code in ProjectedCSTypeGeoKey and a ModelTransformationTag instead of tie point + scale
    keys = _geokeys([(1024, 0, 1, 1), (1025, 0, 1, 1), (3072, 0, 1, 32653)])
    m = [PX, 0, 0, X0, 0, -PX, 0, Y0, 0, 0, 0, 0, 0, 0, 0, 1]
    href = _write(tmp_path / "m.tif", keys + [(34264, "d", 16, m, True)])
    g = read_georef(href)
    assert g.geobox.crs.epsg == 32653 and g.crs_note is None
    assert g.geobox.affine == Affine(PX, 0, X0, 0, -PX, Y0)


def test_no_crs_or_no_transform(tmp_path):
    href = _write(tmp_path / "n.tif", [])
    with pytest.raises(GeoreferenceError) as e:
        read_georef(href)
    assert str(href) in str(e.value)
    keys = _geokeys([(1024, 0, 1, 1), (1025, 0, 1, 1), (3072, 0, 1, 32653)])
    href2 = _write(tmp_path / "k.tif", keys)
    with pytest.raises(GeoreferenceError, match="not georeferenced"):
        read_georef(href2)


def test_not_a_tiff(tmp_path):
    p = tmp_path / "x.tif"
    p.write_bytes(b"hello world, not a tiff at all")
    with pytest.raises(ProductError) as e:
        read_georef(str(p))
    assert str(p) in str(e.value)


def test_minimal_user_defined_geokeys(tmp_path):
    # only the projection code, no explicit parameters: GDAL fills them in from ProjectionGeoKey
    keys = _geokeys([(1024, 0, 1, 1), (1025, 0, 1, 1), (2048, 0, 1, 4338), (3072, 0, 1, 32767),
                     (3074, 0, 1, 16053), (3076, 0, 1, 9001)])
    href = _write(tmp_path / "min.tif", keys + _tie(X0 + PX / 2, Y0 - PX / 2))
    g = read_georef(href)
    assert g.geobox.crs.epsg == 32653 and "53N" in g.crs_note
    assert g.geobox.affine == Affine(PX, 0, X0, 0, -PX, Y0)


def test_big_endian_tiff(tmp_path):
    gb = GeoBox((20, 30), Affine(PX, 0, X0, 0, -PX, Y0), "EPSG:32653")
    href = str(tmp_path / "be.tif")
    tifffile.imwrite(href, np.arange(600, dtype=">u2").reshape(20, 30), byteorder=">",
                     photometric="minisblack", metadata=None, extratags=jaxa_geotiff_tags(gb, 53, False))
    g = read_georef(href)
    assert g.tiff.byteorder == ">" and g.geobox == read_georef(href).geobox
    assert g.geobox.crs.epsg == 32653 and g.dtype == "uint16"


def test_garbled_gdal_crs_without_geokey_hint(tmp_path):
    # GDAL's reading of the minimal keys reports the central meridian in radians: still UTM 53N
    keys = _geokeys([(1024, 0, 1, 1), (1025, 0, 1, 1), (2048, 0, 1, 4338), (3072, 0, 1, 32767),
                     (3074, 0, 1, 16053), (3076, 0, 1, 9001)])
    href = _write(tmp_path / "min.tif", keys + _tie(X0, Y0))
    with rasterio.open(href) as src:
        wkt = src.crs.to_wkt()
    assert "2.356" in wkt  # 135 degrees, in radians
    crs, note = normalise_crs(wkt)
    assert crs.epsg == 32653 and "projection parameters" in note
    crs, note = normalise_crs(wkt, (53, False))
    assert crs.epsg == 32653 and "ProjectionGeoKey" in note
