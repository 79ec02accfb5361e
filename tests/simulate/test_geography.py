import shapely

from palsar2.simulate.geography import (
    PLACES,
    coastline_lonlat,
    land_utm,
    noto_towns,
    peninsula_utm,
    towns,
)


def test_coastline_is_the_real_noto_shore():
    land = coastline_lonlat()
    for lon, lat in [(136.90, 37.38), (136.97, 37.04), (137.25, 37.43), (136.91, 37.23)]:
        assert land.contains(shapely.Point(lon, lat)), (lon, lat)  # Wajima, Nanao, Suzu, Anamizu
    for lon, lat in [(136.90, 37.50), (137.20, 37.10), (136.60, 37.10), (137.00, 37.56)]:
        assert not land.contains(shapely.Point(lon, lat)), (lon, lat)  # Sea of Japan, Toyama Bay
    # Noto island (Notojima) is an island in Nanao Bay.
    assert land.contains(shapely.Point(136.97, 37.12))


def test_peninsula_size_and_coast_length():
    pen = peninsula_utm()
    assert 1500e6 < pen.area < 2600e6        # Noto peninsula north of 36.85 N, ~2,000 km2
    assert 250e3 < pen.length < 800e3        # GSHHG full-resolution coast within the box
    assert land_utm().area > pen.area


def test_towns_from_geonames():
    names = {t.name for t in towns()}
    assert {"Wajima", "Nanao", "Anamizu", "Suzu"} <= names
    wajima = next(t for t in towns() if t.name == "Wajima")
    assert abs(wajima.lat - PLACES["Wajima"].lat) < 0.03 and wajima.population > 10_000
    drawn = noto_towns()
    assert {"Wajima", "Suzu", "Monzen", "Anamizu"} <= {t.name for t in drawn}
    for t in drawn:  # every drawn town sits on land (Suzu's GeoNames point is snapped)
        assert land_utm().contains(shapely.Point(*t.xy)), t
