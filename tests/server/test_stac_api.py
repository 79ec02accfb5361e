"""STAC API: landing, conformance, collections, items paging, search; pystac-client against it."""

from __future__ import annotations

import json

import pytest

from tests.server.conftest import CENTRE, SCENES

BEFORE, AFTER, LATER = (s[0] for s in SCENES)
ALL = {BEFORE, AFTER, LATER}


def test_landing_and_conformance(client):
    root = client.get("/").json()
    assert root["type"] == "Catalog" and root["conformsTo"]
    rels = {(lk["rel"], lk.get("method")) for lk in root["links"]}
    assert {("conformance", None), ("data", None), ("search", "GET"), ("search", "POST"),
            ("service-desc", None), ("child", None)} <= rels
    assert "https://api.stacspec.org/v1.0.0/item-search" in client.get("/conformance").json()[
        "conformsTo"]
    assert client.get("/api").json()["openapi"].startswith("3.")
    assert client.get("/docs").status_code == 200


def test_collection_document(client):
    c = client.get("/collections/StripMap_202401").json()
    assert c["type"] == "Collection" and c["id"] == "StripMap_202401"
    assert "sigma" in c["description"]
    w, s, e, n = c["extent"]["spatial"]["bbox"][0]
    assert w < CENTRE[0] < e and s < CENTRE[1] < n
    assert [r["date"] for r in c["palsar2:availability"]] == ["2022-09-26", "2024-01-01",
                                                             "2024-01-03"]
    assert c["palsar2:availability"][1]["frames"] == [750]
    assert "EORC" in c["palsar2:citation"] and "non-commercial" in c["palsar2:terms"]
    assert any(lk["rel"] == "items" for lk in c["links"])
    ids = [x["id"] for x in client.get("/collections").json()["collections"]]
    assert "StripMap_202401" in ids
    r = client.get("/collections/Nope")
    assert r.status_code == 404 and "Nope" in r.json()["description"]


def test_items_paging(client):
    seen, url, pages = [], "/collections/StripMap_202401/items?limit=1", 0
    while url:
        page = client.get(url).json()
        assert page["type"] == "FeatureCollection" and page["numberMatched"] == 3
        seen += [f["id"] for f in page["features"]]
        nxt = [lk for lk in page["links"] if lk["rel"] == "next"]
        url = nxt[0]["href"] if nxt else None
        pages += 1
    assert pages == 3 and seen == [BEFORE, AFTER, LATER]  # oldest first, no repeats
    one = client.get(f"/collections/StripMap_202401/items/{AFTER}").json()
    assert one["id"] == AFTER and one["collection"] == "StripMap_202401"
    assert one["assets"]["HH"]["href"]
    assert any(lk["rel"] == "xyz" for lk in one["links"])
    assert client.get("/collections/StripMap_202401/items/NOPE").status_code == 404


@pytest.mark.parametrize("params, expect", [
    ({"ids": AFTER}, {AFTER}),
    ({"datetime": "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"}, {AFTER}),
    ({"datetime": "2024-01-01/.."}, {AFTER, LATER}),
    ({"datetime": "../2023-12-31"}, {BEFORE}),
    ({"datetime": "2024-01-03"}, {LATER}),
    ({"frame": 750}, {BEFORE, AFTER}),
    ({"beam": "U2-9R"}, {LATER}),
    ({"pass": "ascending"}, ALL),
    ({"pass": "descending"}, set()),
    ({"filter": "palsar2:frame = 750 AND palsar2:beam = 'U2-6L'"}, {BEFORE, AFTER}),
    ({"filter": "frame = 730"}, {LATER}),
    ({"filter": json.dumps({"op": "=", "args": [{"property": "sat:orbit_state"}, "ascending"]}),
      "filter-lang": "cql2-json"}, ALL),
    ({"bbox": "100,0,101,1"}, set()),
    ({"bbox": f"{CENTRE[0] - 0.01},{CENTRE[1] - 0.01},{CENTRE[0] + 0.01},{CENTRE[1] + 0.01}"},
     ALL),
    ({"bbox": f"{CENTRE[0] - 0.065},{CENTRE[1] + 0.025},{CENTRE[0] - 0.055},{CENTRE[1] + 0.035}"},
     {BEFORE, AFTER}),
])
def test_search_get(client, params, expect):
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    assert {f["id"] for f in r.json()["features"]} == expect


def test_search_post_with_intersects_and_paging(client):
    body = {"intersects": {"type": "Point", "coordinates": [CENTRE[0] + 0.06, CENTRE[1] - 0.04]},
            "limit": 1}
    page = client.post("/search", json=body).json()
    assert page["numberMatched"] >= 1
    nxt = [lk for lk in page["links"] if lk["rel"] == "next"]
    if page["numberMatched"] > 1:
        assert nxt and nxt[0]["method"] == "POST" and nxt[0]["body"]["token"] == "1"
    body = {"filter": {"op": "and", "args": [
        {"op": "=", "args": [{"property": "palsar2:frame"}, 750]},
        {"op": "=", "args": [{"property": "sat:orbit_state"}, "ascending"]}]},
        "collections": ["StripMap_202401"], "datetime": "2022-01-01T00:00:00Z/.."}
    got = {f["id"] for f in client.post("/search", json=body).json()["features"]}
    assert got == {BEFORE, AFTER}


@pytest.mark.parametrize("params, word", [
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "10,50,0,60"}, "bbox"),
    ({"datetime": "not-a-date"}, "datetime"),
    ({"datetime": "2024-02-01/2024-01-01"}, "datetime"),
    ({"filter": "palsar2:frame > 3"}, "filter"),
    ({"filter": '{"op": "like", "args": []}'}, "filter"),
    ({"filter-lang": "sql", "filter": "a = 1"}, "filter-lang"),
    ({"intersects": "{nope"}, "intersects"),
    ({"ids": "../../etc"}, "ids"),
    ({"limit": 0}, "limit"),
    ({"limit": 100000}, "limit"),
    ({"token": "abc"}, "token"),
])
def test_bad_search_is_4xx_naming_the_parameter(client, params, word):
    r = client.get("/search", params=params)
    assert 400 <= r.status_code < 500, r.text
    assert word in r.json()["description"]


def test_pystac_client(live_server):
    from pystac_client import Client

    api = Client.open(live_server.url)
    assert api.conforms_to("ITEM_SEARCH")
    coll = api.get_collection("StripMap_202401")
    assert coll.id == "StripMap_202401"
    items = list(api.search(collections=["StripMap_202401"], max_items=10, limit=1).items())
    assert {i.id for i in items} == ALL  # followed next links one item a page
    hits = api.search(bbox=[CENTRE[0] - 0.01, CENTRE[1] - 0.01, CENTRE[0] + 0.01,
                            CENTRE[1] + 0.01], datetime="2024-01-01/2024-01-02")
    assert [i.id for i in hits.items()] == [AFTER]
    filtered = api.search(filter="palsar2:frame = 730", filter_lang="cql2-text")
    assert [i.id for i in filtered.items()] == [LATER]
    post = api.search(method="POST", ids=[BEFORE, LATER], limit=1)
    assert sorted(i.id for i in post.items()) == sorted([BEFORE, LATER])
    item = next(api.search(ids=[AFTER]).items())
    assert item.properties["palsar2:frame"] == 750 and item.datetime.year == 2024
    assert list(coll.get_items())  # OGC API Features items endpoint
