"""GDAL's WMS/TMS driver (what QGIS uses for XYZ layers) reads our tiles from a live server."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from tests.server.conftest import CENTRE, SCENES

BEFORE = SCENES[0][0]
ORIGIN = 20037508.342789244


def wms_xml(url_template: str, level: int, bands: int = 4) -> str:
    return f"""<GDAL_WMS>
  <Service name="TMS"><ServerUrl>{url_template}</ServerUrl></Service>
  <DataWindow>
    <UpperLeftX>{-ORIGIN}</UpperLeftX><UpperLeftY>{ORIGIN}</UpperLeftY>
    <LowerRightX>{ORIGIN}</LowerRightX><LowerRightY>{-ORIGIN}</LowerRightY>
    <TileLevel>{level}</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY>
    <YOrigin>top</YOrigin>
  </DataWindow>
  <Projection>EPSG:3857</Projection>
  <BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY>
  <BandsCount>{bands}</BandsCount>
  <ZeroBlockHttpCodes>204,404</ZeroBlockHttpCodes>
</GDAL_WMS>"""


@pytest.mark.parametrize("route, palette", [
    (f"/tiles/items/{BEFORE}/${{z}}/${{x}}/${{y}}.png", "viridis"),
    ("/tiles/mosaic/StripMap_202401/${z}/${x}/${y}.png", None),
])
def test_gdal_reads_our_xyz_tiles(live_server, route, palette):
    from pyproj import Transformer

    url = live_server.url + route + (f"?palette={palette}" if palette else "")
    cx, cy = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(*CENTRE)
    half = 3000.0
    with rasterio.Env(GDAL_HTTP_TIMEOUT="20", GDAL_HTTP_MAX_RETRY="0"), \
            rasterio.open(wms_xml(url, 14)) as ds:
        assert ds.crs.to_epsg() == 3857 and ds.count == 4
        win = from_bounds(cx - half, cy - half, cx + half, cy + half, ds.transform)
        data = ds.read(window=win, out_shape=(4, 200, 200))
    alpha = data[3]
    assert (alpha == 255).mean() > 0.9  # the scene covers the centre of the map
    rgb = data[:3][:, alpha == 255]
    assert rgb.std() > 5  # real imagery, not a flat fill
    if palette:
        assert (rgb[0] != rgb[2]).mean() > 0.5  # colour palette reached GDAL
    else:
        assert np.array_equal(rgb[0], rgb[1])  # greyscale
