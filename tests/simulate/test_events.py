import numpy as np
import shapely

from palsar2.simulate import events as ev
from palsar2.simulate.dem import gradient, render_dem
from palsar2.simulate.geography import PLACES, land_utm


def _by(cls):
    return [e for e in ev.earthquake_events(0) if e.cls == cls]


def test_fire_area_and_place():
    (burnt,) = _by("burnt")
    assert abs(burnt.area_m2 - 49_000) < 500
    x, y = PLACES["Wajima Asaichi"].xy
    assert burnt.geometry.centroid.distance(shapely.Point(x, y)) < 1000
    assert land_utm().buffer(1).contains(burnt.geometry)


def test_new_land_strip_along_north_coast():
    strips = _by("new_land")
    total = sum(e.area_m2 for e in strips)
    assert 2e6 < total < 8e6                     # published ~4.4 km2
    land = land_utm()
    union = shapely.unary_union([e.geometry for e in strips])
    assert union.intersection(land).area < 0.01 * total   # on the old sea
    pts = shapely.get_coordinates(union.boundary)
    d = shapely.distance(land, shapely.points(pts))
    assert d.max() <= 250 and np.percentile(d, 99) > 100   # up to ~200-250 m seaward
    c = union.centroid
    assert c.y > PLACES["Anamizu"].xy[1]                   # north coast, not Toyama Bay
    # within 1 km of Monzen's coast and of Wajima's
    for place in ("Monzen", "Wajima"):
        assert union.distance(shapely.Point(*PLACES[place].xy)) < 5000


def test_landslide_size_distribution_and_slopes():
    slides = _by("landslide")
    a = np.array([e.area_m2 for e in slides])
    assert len(slides) >= 300
    assert 1200 < np.median(a) < 2500 and a.max() <= 5.5e5 and a.min() > 50
    assert np.percentile(a, 99) > 10 * np.median(a)   # heavy tail
    # on steep slopes: sample the terrain at a few slide centroids
    from affine import Affine
    from odc.geo.geobox import GeoBox

    slopes = []
    for e in slides[:60]:
        c = e.geometry.centroid
        gb = GeoBox((5, 5), Affine(20, 0, c.x - 50, 0, -20, c.y + 50), "EPSG:32653")
        gx, gy = gradient(render_dem(gb, 0), 20.0)
        slopes.append(np.degrees(np.arctan(np.hypot(gx[2, 2], gy[2, 2]))))
    assert np.median(slopes) > 18


def test_inundation_and_collapse_at_real_places():
    water = _by("inundation")
    total_ha = sum(e.area_m2 for e in water) / 1e4
    assert 150 < total_ha < 230                      # 128 ha Suzu + 63 ha Noto town
    for place in ("Suzu", "Noto town"):
        p = shapely.Point(*PLACES[place].xy)
        assert min(e.geometry.distance(p) for e in water) < 1000
    blocks = _by("collapsed")
    assert len(blocks) >= 15
    for place in ("Wajima", "Suzu", "Anamizu"):
        p = shapely.Point(*PLACES[place].xy)
        assert min(e.geometry.distance(p) for e in blocks) < 1000


def test_false_changes_and_dates():
    import datetime as dt

    assert ev.paddies_flooded(dt.date(2023, 6, 6)) and not ev.paddies_flooded(dt.date(2024, 1, 2))
    assert ev.false_changes(0, dt.date(2022, 9, 26)) == []
    old = ev.false_changes(0, dt.date(2023, 6, 6))        # the 2023-05-05 Suzu slides only
    assert len(old) >= 30 and {f.cover for f in old} == {ev.LANDSLIDE}
    farms = [f for f in ev.false_changes(0, dt.date(2024, 1, 2)) if f.cover == ev.SOLAR]
    assert 2 <= len(farms) <= 8 and all(1e4 < f.geometry.area < 2e5 for f in farms)


def test_events_deterministic_by_seed():
    a = [e.geometry.wkb for e in ev.landslides(1)]
    assert a == [e.geometry.wkb for e in ev.landslides(1)]
    assert a != [e.geometry.wkb for e in ev.earthquake_events(0) if e.cls == "landslide"]
