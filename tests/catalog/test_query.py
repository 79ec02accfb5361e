"""Queries with Earth Engine's meanings, on items built directly."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import Point, box

from palsar2.errors import QueryError


@pytest.fixture
def coll(catalog, item_factory):
    items = [
        item_factory(item_id="a", start="2024-01-01T02:59:59Z", frame=750, lon=137.0, lat=37.0),
        item_factory(item_id="b", start="2024-01-01T03:00:00Z", frame=760, lon=137.2, lat=37.2),
        item_factory(item_id="c", start="2024-01-02T00:00:00Z", frame=2820, lon=137.4, lat=37.0,
                     pass_direction="descending", beam="U2-8L", orbit=55100),
        item_factory(item_id="d", start="2023-12-06T03:00:00Z", frame=720, lon=136.8, lat=37.3,
                     look_side="R", beam="U2-9R", polarisations=("HH", "HV")),
        item_factory(item_id="e", start="2022-09-26T03:00:00Z", frame=750, lon=137.0, lat=37.0,
                     extra={"view:off_nadir": 45.5}),
    ]
    catalog.add_items(items)
    return catalog.collection("StripMap_202401")


def test_filter_date_is_start_inclusive_end_exclusive(coll):
    assert coll.filter_date("2024-01-01", "2024-01-02").ids() == ["a", "b"]
    assert coll.filter_date("2024-01-01T03:00:00Z", "2024-01-02").ids() == ["b"]
    assert coll.filter_date("2024-01-01", "2024-01-01T03:00:00Z").ids() == ["a"]
    # end exclusive: an item starting exactly at end is out
    assert coll.filter_date("2024-01-01", "2024-01-02T00:00:00").ids() == ["a", "b"]
    assert coll.filter_date(dt.date(2024, 1, 2), dt.datetime(2024, 1, 3)).ids() == ["c"]
    jst = dt.timezone(dt.timedelta(hours=9))
    assert coll.filter_date(dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=jst),
                            dt.datetime(2024, 1, 1, 12, 0, 1, tzinfo=jst)).ids() == ["b"]
    # without end: one millisecond, as ee
    assert coll.filter_date("2024-01-01T03:00:00Z").ids() == ["b"]


@pytest.mark.parametrize("start,end,name", [("2024-13-01", "2024-01-02", "start"),
                                            ("2024-01-01", "tomorrow", "end"),
                                            (None, "2024-01-02", "start"),
                                            ("2024-01-02", "2024-01-01", "end")])
def test_bad_dates_name_the_parameter(coll, start, end, name):
    with pytest.raises(QueryError, match=rf"^{name}:"):
        coll.filter_date(start, end)


def test_filter_bounds_tests_the_footprint_not_only_its_bbox(coll):
    # Footprint of "a" is a diamond centred (137.0, 37.0), half-diagonal 0.1: the corner of its
    # bbox at (137.09, 37.09) is outside the diamond.
    assert "a" not in coll.filter_bounds((137.09, 37.09)).ids()
    assert coll.filter_bounds((137.0, 37.0)).ids() == ["e", "a"]
    assert coll.filter_bounds([137.08, 37.08, 137.095, 37.095]).size() == 0
    assert set(coll.filter_bounds(box(137.0, 36.95, 137.25, 37.2)).ids()) == {"a", "b", "e"}
    geojson = {"type": "Point", "coordinates": [137.4, 37.0]}
    assert coll.filter_bounds(geojson).ids() == ["c"]
    assert coll.filter_bounds(Point(0, 0).buffer(1)).size() == 0


@pytest.mark.parametrize("bbox", [[1, 2, 3], [10, 0, 5, 1], [0, 10, 1, 5], [0, 0, 200, 1],
                                  ["a", 0, 1, 1], [0, 0, float("nan"), 1], "1,2,x,4"])
def test_bad_bbox_is_a_query_error(coll, bbox):
    with pytest.raises(QueryError, match="^bounds:"):
        coll.filter_bounds(bbox)


def test_shortcuts_and_their_aliases(coll):
    assert coll.filter(frame=750).ids() == ["e", "a"]
    assert coll.filter(frame="0750").size() == 2
    assert coll.filter(beam="u2-8l").ids() == ["c"]
    assert coll.filter(pass_direction="descending").ids() == ["c"]
    assert coll.filter(orbit_direction="D").ids() == ["c"]
    assert coll.filter(look_side="R").ids() == ["d"]
    assert coll.filter(look_side="right").ids() == ["d"]
    assert coll.filter(polarisation="HV").ids() == ["d"]
    assert coll.filter(polarization="hh").size() == 5
    assert coll.filter(orbit=55100).ids() == ["c"]
    assert coll.filter(path=(14 * 55100 + 24) % 207).ids() == ["c"]
    assert coll.filter(frame=[720, 2820]).ids() == ["d", "c"]
    assert coll.filter(frame=750, pass_direction="ascending").size() == 2


def test_filter_metadata_operators(coll):
    off = "view:off_nadir"
    assert coll.filter_metadata(off, "gt", 45).ids() == ["e"]
    assert coll.filter_metadata(off, "gte", 45.5).ids() == ["e"]
    assert coll.filter_metadata(off, "lt", 45).size() == 4
    assert coll.filter_metadata(off, "lte", 45.5).size() == 5
    assert coll.filter_metadata("frame", "neq", 750).size() == 3
    assert coll.filter_metadata("frame", "eq", 760).ids() == ["b"]
    assert coll.filter_metadata("frame", "in", [760, 2820]).ids() == ["b", "c"]
    assert coll.filter_metadata("sat:orbit_state", "eq", "descending").ids() == ["c"]
    assert coll.filter_metadata("start_time", "gte", "2024-01-01").size() == 3


@pytest.mark.parametrize("name,op,value,param", [
    ("frame", "like", 1, "operator"), ("frame", "in", 750, "frame"),
    ("pass_direction", "eq", "north", "pass_direction"), ("look_side", "eq", "up", "look_side"),
    ("x'; DROP TABLE items; --", "eq", 1, "property name"), ("frame", "eq", "seven", "frame"),
])
def test_bad_filters_name_what_is_wrong(coll, name, op, value, param):
    with pytest.raises(QueryError, match=f"^{param}"):
        coll.filter_metadata(name, op, value)


def test_values_are_parameters_not_sql(coll, catalog):
    assert coll.filter(beam="U2-6L' OR '1'='1").size() == 0
    assert coll.filter_metadata("palsar2:beam", "eq", "x') OR 1=1 --").size() == 0
    assert len(catalog) == 5


def test_sort_limit_first_and_ee_semantics_after_limit(coll):
    assert coll.sort("start_time").ids() == ["e", "d", "a", "b", "c"]
    assert coll.sort("start_time", ascending=False).ids() == ["c", "b", "a", "d", "e"]
    assert coll.sort("view:off_nadir", ascending=False).first().id == "e"
    assert coll.limit(2).ids() == ["e", "d"]
    # operations after a limit apply to the limited set
    assert coll.limit(2).filter(frame=750).ids() == ["e"]
    assert coll.limit(3).sort("start_time", ascending=False).ids() == ["a", "d", "e"]
    assert coll.sort("start_time", False).limit(3).sort("frame").ids() == ["a", "b", "c"]
    assert coll.limit(3).limit(10).size() == 3
    assert coll.limit(2, "start_time", ascending=False).ids() == ["c", "b"]
    assert coll.filter(frame=9999).first() is None
    with pytest.raises(QueryError, match="^limit"):
        coll.limit(-1)


def test_size_items_dates_iteration_and_immutability(coll):
    before = coll.filter(frame=750)
    narrowed = before.filter_date("2024-01-01", "2024-02-01")
    assert before.size() == 2 and narrowed.size() == 1  # the first query is unchanged
    assert coll.size() == 5 == len(coll.items()) == len(list(coll))
    assert coll.dates() == [dt.date(2022, 9, 26), dt.date(2023, 12, 6), dt.date(2024, 1, 1),
                            dt.date(2024, 1, 2)]
    assert coll.aggregate_array("frame") == [750, 720, 750, 760, 2820]
    item = coll.filter(frame=720).first()
    assert item.start_time.tzinfo is not None and item.start_time.utcoffset() == dt.timedelta(0)
    assert (item.frame, item.beam, item.look_side, item.polarisations) == \
        (720, "U2-9R", "R", ("HH", "HV"))


def test_collection_by_earth_engine_id_and_unknown(catalog, coll):
    from palsar2.errors import NotFoundError

    ee = catalog.collection("JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401")
    assert ee.size() == 5
    with pytest.raises(NotFoundError, match="collection: unknown 'Nope'"):
        catalog.collection("Nope")
    assert catalog.collection(None).size() == 5


def test_queries_and_items_pickle_for_dask_workers(coll):
    import pickle

    q = coll.filter(frame=750).sort("start_time", ascending=False)
    back = pickle.loads(pickle.dumps(q))
    assert back.ids() == q.ids() == ["a", "e"]
    item = q.first()
    assert pickle.loads(pickle.dumps(item)) == item and hash(item) == hash(q.first())


def test_pairs_never_mix_geometries(catalog, item_factory):
    # pre-event scenes of two geometries, and a decoy with another look side on the same frame
    pre_a = item_factory(item_id="preA", start="2022-09-26T03:00:00Z", frame=750, orbit=44000)
    older_a = item_factory(item_id="oldA", start="2021-09-26T03:00:00Z", frame=750, orbit=44000)
    pre_d = item_factory(item_id="preD", start="2023-06-06T15:00:00Z", frame=2820, orbit=44100,
                         pass_direction="descending", beam="U2-8L")
    decoy = item_factory(item_id="decoy", start="2023-12-06T03:00:00Z", frame=750, orbit=44000,
                         look_side="R", beam="U2-9R")
    post_a = item_factory(item_id="postA", start="2024-01-01T03:00:00Z", frame=750, orbit=44000)
    post_d = item_factory(item_id="postD", start="2024-01-02T15:00:00Z", frame=2820,
                          orbit=44100, pass_direction="descending", beam="U2-8L")
    lonely = item_factory(item_id="lonely", start="2024-01-08T03:00:00Z", frame=720, orbit=44000,
                          look_side="R", beam="U2-9R")
    catalog.add_items([pre_a, older_a, pre_d, decoy, post_a, post_d, lonely])
    pairs = catalog.collection("StripMap_202401").pairs("2024-01-01")
    assert [(b.id, a.id) for b, a in pairs] == [("preA", "postA"), ("preD", "postD")]
    with pytest.raises(QueryError, match="^event_date"):
        catalog.collection("StripMap_202401").pairs("yesterday")


def test_queries_from_many_threads_agree(coll):
    from concurrent.futures import ThreadPoolExecutor

    q = coll.filter_bounds([136.9, 36.9, 137.3, 37.3]).filter_date("2022-01-01", "2025-01-01")
    expected = q.ids()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: q.ids(), range(64)))
    assert all(r == expected for r in results) and expected
