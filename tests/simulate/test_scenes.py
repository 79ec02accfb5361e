import datetime as dt

import pytest

from palsar2.errors import SimulationError
from palsar2.simulate import scenes as sc


def test_collection_table():
    s = sc.collection_scenes()
    assert len(s) == 18
    paths = {(x.geometry.beam, x.path) for x in s}
    assert paths == {("U2-6L", 121), ("U2-8L", 26), ("U2-9R", 127), ("U3-13R", 128)}
    ids = {x.key for x in s}
    assert "ALOS2518900760-240101_UBSL2.1GUA" in ids        # JAXA's example orbit minus 16 cycles
    assert all(x.product_id in ("UBSL2.1GUA", "UBSL2.1GUD", "UBSR2.1GUA") for x in s)


def test_orbits_consistent_with_repeat_cycle():
    s = sc.collection_scenes()
    by_path: dict[int, list] = {}
    for x in s:
        by_path.setdefault(x.path, []).append(x)
        assert x.center_time.date() == x.date
    for group in by_path.values():
        for a in group:
            for b in group:
                assert (a.orbit - b.orbit) % 207 == 0
                assert (a.date - b.date).days % 14 == 0
    # one orbit model for all: orbit numbers grow with time at 207 per 14 days
    first = min(s, key=lambda x: x.center_time)
    for x in s:
        dt_days = (x.center_time - first.center_time).total_seconds() / 86400
        assert abs((x.orbit - first.orbit) - dt_days * 207 / 14) < 1.0
    # ascending passes at night (23:10 JST), descending around noon JST
    for x in s:
        jst = (x.center_time + dt.timedelta(hours=9)).hour
        assert jst in (23, 0) if x.geometry.pass_direction == "ascending" else 11 <= jst <= 13


def test_no_path_127_orbit_on_2024_01_08():
    with pytest.raises(SimulationError, match="path 127"):
        sc.orbit_for(dt.date(2024, 1, 8), 127, 720)


def test_tracks_on_the_look_side():
    for x in sc.collection_scenes():
        lon_sat, _ = sc.subsatellite(x.orbit, x.frame)
        lon, lat = x.center_lonlat
        east = lon_sat > lon
        asc = x.geometry.pass_direction == "ascending"
        # ascending right-looking and descending left-looking see east: satellite to the west
        looks_east = (x.geometry.look_side == "R") == asc
        assert east != looks_east, x.key
        g = sc.haversine_m(lon_sat, lat, lon, lat)
        assert 300e3 < g < 700e3
