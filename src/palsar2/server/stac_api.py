"""STAC API: core, collections, OGC API Features items with paging, item search with a filter.

Searches are catalog queries (``filter_bounds``, ``filter``); only STAC's own datetime semantics
(inclusive interval on the item's ``datetime``, open ends) and paging are applied here. The filter
extension accepts what the collection needs, equality on properties joined by AND, in CQL2 text
(``palsar2:frame = 750 AND sat:orbit_state = 'ascending'``) or CQL2 JSON; ``frame``, ``beam`` and
``pass`` also work as plain query parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from palsar2.errors import NotFoundError, ParameterError
from palsar2.server.deps import (
    ID_PATTERN,
    CollectionId,
    ItemId,
    PagingParams,
    PassDirection,
    check_id,
    parse_time,
)
from palsar2.server.selection import get_state, item_version
from palsar2.server.state import ServerState

router = APIRouter(tags=["STAC API"])

STAC_VERSION = "1.0.0"
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
]
MAX_LIMIT = 1000

# Friendly names -> the STAC property names items carry.
PROPERTY_ALIASES = {"frame": "palsar2:frame", "beam": "palsar2:beam",
                    "pass": "sat:orbit_state", "pass_direction": "sat:orbit_state",
                    "orbit_state": "sat:orbit_state", "look_side": "palsar2:look_side"}
_PROP_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.\-]{0,63}$")


# ---- collections -------------------------------------------------------------------------


def collection_ids(catalog: Any) -> list[str]:
    """IDs of the catalog's collections (those with items, plus the built-in one)."""
    for name in ("collection_ids", "collections"):
        fn = getattr(catalog, name, None)
        if callable(fn):
            values = fn()
            ids = [v if isinstance(v, str) else getattr(v, "id", None) for v in values]
            return sorted({i for i in ids if i})
    return sorted({i.collection for i in catalog.items()})


def _definition(catalog: Any, coll: Any, cid: str) -> dict[str, Any]:
    d = getattr(coll, "definition", None)
    if d is not None and hasattr(d, "to_dict"):
        return d.to_dict()
    try:
        from palsar2.catalog.collections import BUILTIN

        if cid in BUILTIN:
            return BUILTIN[cid].to_dict()
    except ImportError:
        pass
    return {"id": cid, "title": cid, "description": cid, "license": "other"}


def collection_document(state: ServerState, request: Request, cid: str) -> dict[str, Any]:
    """A STAC Collection for one collection, with links into this server."""
    check_id(cid, "collection_id")
    if cid not in state.cached(("collection_ids",), lambda: collection_ids(state.catalog)):
        raise NotFoundError(f"collection {cid!r}: not found")

    def build() -> dict[str, Any]:
        coll = state.catalog.collection(cid)
        items = coll.items()
        defn = _definition(state.catalog, coll, cid)
        doc = None
        if getattr(coll, "definition", None) is not None:
            try:
                from palsar2.catalog.stac import collection_to_stac

                doc = _stac_dict(collection_to_stac(coll.definition, items))
            except ImportError:
                doc = None
        if doc is None:
            doc = _collection_from_items(defn, items)
        # What the dataset page shows, under stable names whatever built the document.
        doc.update({"palsar2:terms": defn.get("terms"), "palsar2:citation": defn.get("citation"),
                    "palsar2:bands": defn.get("bands", []),
                    "palsar2:visualisation": defn.get("visualisation", {}),
                    "palsar2:default_view": defn.get("default_view", {}),
                    "palsar2:availability": availability(items)})
        return doc

    doc = dict(state.cached(("collection_doc", cid), build))
    base = _base(request)
    doc["links"] = [
        {"rel": "self", "href": f"{base}/collections/{cid}", "type": "application/json"},
        {"rel": "root", "href": f"{base}/", "type": "application/json"},
        {"rel": "parent", "href": f"{base}/", "type": "application/json"},
        {"rel": "items", "href": f"{base}/collections/{cid}/items", "type": GEOJSON},
        {"rel": "license", "href": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
         "title": "CC-BY-NC-SA-4.0 (JAXA: free for non-commercial use only)"},
        {"rel": "xyz", "href": f"{base}/tiles/mosaic/{cid}/{{z}}/{{x}}/{{y}}.png",
         "type": "image/png", "title": "Mosaic tiles (add start/end for a date range)"},
    ]
    return doc


def _stac_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict(include_self_link=False, transform_hrefs=False) \
        if hasattr(obj, "to_dict") else dict(obj)


def _collection_from_items(defn: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    if items:
        bbox = [min(i.bbox[0] for i in items), min(i.bbox[1] for i in items),
                max(i.bbox[2] for i in items), max(i.bbox[3] for i in items)]
        t0 = min(i.start_time for i in items).isoformat().replace("+00:00", "Z")
        t1 = max(i.end_time for i in items).isoformat().replace("+00:00", "Z")
    else:
        bbox, t0, t1 = [-180.0, -90.0, 180.0, 90.0], None, None
    doc: dict[str, Any] = {
        "type": "Collection", "stac_version": STAC_VERSION, "id": defn["id"],
        "title": defn.get("title", defn["id"]), "description": defn.get("description", ""),
        "license": defn.get("license", "other"), "keywords": defn.get("keywords", []),
        "providers": defn.get("providers", []),
        "extent": {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[t0, t1]]}},
        "summaries": _summaries(items),
        "links": [],
    }
    return doc


def _summaries(items: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, set[Any]] = {}
    for i in items:
        for key in ("palsar2:frame", "palsar2:beam", "sat:orbit_state", "sar:instrument_mode",
                    "sar:polarizations", "platform"):
            v = i.properties.get(key)
            if v is None:
                continue
            for x in (v if isinstance(v, list | tuple) else [v]):
                out.setdefault(key, set()).add(x)
    return {k: sorted(v, key=str) for k, v in out.items()}


def availability(items: list[Any]) -> list[dict[str, Any]]:
    """The collection table: one row per observation date with frames, beam and pass."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for i in items:
        key = (i.start_time.date().isoformat(), i.properties.get("palsar2:beam"),
               i.properties.get("sat:orbit_state"))
        row = rows.setdefault(key, {"date": key[0], "beam": key[1], "pass": key[2],
                                    "frames": set(), "items": []})
        if i.properties.get("palsar2:frame") is not None:
            row["frames"].add(int(i.properties["palsar2:frame"]))
        row["items"].append(i.id)
    return [{**r, "frames": sorted(r["frames"]), "items": sorted(r["items"])}
            for _, r in sorted(rows.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]


# ---- items -------------------------------------------------------------------------------


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def item_document(state: ServerState, request: Request, item: Any) -> dict[str, Any]:
    """A STAC Item with links into this server (self, collection, tiles)."""
    doc = dict(state.cached(("item_doc", item.id, item_version(item)),
                            lambda: _stac_dict(item.to_stac())))
    base = _base(request)
    cid = item.collection
    doc["collection"] = cid
    doc["links"] = [
        {"rel": "self", "href": f"{base}/collections/{cid}/items/{item.id}", "type": GEOJSON},
        {"rel": "parent", "href": f"{base}/collections/{cid}", "type": "application/json"},
        {"rel": "collection", "href": f"{base}/collections/{cid}", "type": "application/json"},
        {"rel": "root", "href": f"{base}/", "type": "application/json"},
        {"rel": "xyz", "href": f"{base}/tiles/items/{item.id}/{{z}}/{{x}}/{{y}}.png",
         "type": "image/png", "title": "Tiles (min 0, max 8000 DN by default)"},
        {"rel": "tilejson", "href": f"{base}/tiles/items/{item.id}/tilejson.json",
         "type": "application/json"},
    ]
    return doc


def _feature_collection(state: ServerState, request: Request, items: list[Any], matched: int,
                        links: list[dict[str, Any]]) -> JSONResponse:
    body = {"type": "FeatureCollection",
            "features": [item_document(state, request, i) for i in items],
            "links": links, "numberMatched": matched, "numberReturned": len(items),
            "context": {"returned": len(items), "matched": matched}}
    return JSONResponse(body, media_type=GEOJSON)


# ---- search ------------------------------------------------------------------------------


@dataclass
class Search:
    """A parsed item search (from GET query parameters or a POST body)."""

    collections: list[str] | None = None
    ids: list[str] | None = None
    bbox: list[float] | None = None
    intersects: dict[str, Any] | None = None
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    limit: int = 10
    offset: int = 0


def parse_bbox(value: Any, name: str = "bbox") -> list[float]:
    """A 2D (or 3D) bbox; ParameterError names ``bbox`` when it is not one."""
    if isinstance(value, str):
        parts = value.split(",")
    else:
        parts = list(value) if isinstance(value, list | tuple) else [value]
    try:
        nums = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected 4 numbers west,south,east,north, got {value!r}") \
            from None
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4 or not all(abs(v) < 1e9 for v in nums):
        raise ParameterError(f"{name}: expected 4 numbers west,south,east,north, got {value!r}")
    w, s, e, n = nums
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90) or w > e:
        raise ParameterError(f"{name}: {nums} is not a lon/lat box with west <= east, "
                             "south <= north")
    return nums


def parse_datetime(value: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """STAC datetime: an instant, or ``start/end`` with ``..`` or empty for an open end."""
    text = value.strip()
    if "/" in text:
        a, _, b = text.partition("/")
        start = None if a in ("", "..") else parse_time(a, "datetime")
        end = None if b in ("", "..") else parse_time(b, "datetime", end=True)
        if start is None and end is None:
            raise ParameterError("datetime: an interval needs at least one end")
        if start and end and end < start:
            raise ParameterError(f"datetime: end before start in {value!r}")
        if end is not None and len(b.strip()) == 10:
            end = end + dt.timedelta(days=1) - dt.timedelta(microseconds=1)  # whole last day
        return start, end
    t = parse_time(text, "datetime")
    if len(text) == 10:  # a date means that whole day
        return t, t + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return t, t


def _property_name(name: Any) -> str:
    if not isinstance(name, str) or not _PROP_RE.match(name):
        raise ParameterError(f"filter: invalid property name {name!r}")
    return PROPERTY_ALIASES.get(name, name)


_CQL_TERM = re.compile(
    r"""\s*(?P<prop>[A-Za-z_][A-Za-z0-9_:.\-]*)\s*=\s*
        (?:'(?P<str>(?:[^']|'')*)'|(?P<num>-?\d+(?:\.\d+)?)|(?P<bool>true|false))\s*$""",
    re.VERBOSE | re.IGNORECASE)


def parse_cql2_text(text: str) -> dict[str, Any]:
    """``a = 1 AND b = 'x'`` -> {a: 1, b: 'x'}: the equality subset of CQL2 text."""
    props: dict[str, Any] = {}
    if len(text) > 2000:
        raise ParameterError("filter: longer than 2000 characters")
    for term in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        m = _CQL_TERM.match(term)
        if not m:
            raise ParameterError(f"filter: cannot parse {term.strip()!r}; this server supports "
                                 "property = value terms joined by AND")
        if m["str"] is not None:
            value: Any = m["str"].replace("''", "'")
        elif m["num"] is not None:
            value = float(m["num"]) if "." in m["num"] else int(m["num"])
        else:
            value = m["bool"].lower() == "true"
        props[_property_name(m["prop"])] = value
    return props


def parse_cql2_json(node: Any) -> dict[str, Any]:
    """CQL2 JSON ``{"op": "and", "args": [{"op": "=", "args": [{"property": p}, v]}, ...]}``."""
    if not isinstance(node, dict) or "op" not in node or not isinstance(node.get("args"), list):
        raise ParameterError("filter: expected a CQL2 JSON object with op and args")
    op = str(node["op"]).lower()
    if op == "and":
        props: dict[str, Any] = {}
        for arg in node["args"]:
            props.update(parse_cql2_json(arg))
        return props
    if op in ("=", "eq"):
        args = node["args"]
        if len(args) != 2 or not isinstance(args[0], dict) or "property" not in args[0]:
            raise ParameterError("filter: '=' needs [{'property': name}, value]")
        value = args[1]
        if not isinstance(value, str | int | float | bool) or value is None:
            raise ParameterError(f"filter: value for {args[0]['property']!r} must be a string, "
                                 "number or boolean")
        return {_property_name(args[0]["property"]): value}
    raise ParameterError(f"filter: operator {node['op']!r} not supported (use = and AND)")


def parse_filter(value: Any, lang: str | None) -> dict[str, Any]:
    """A CQL2 filter (text or JSON) as property equalities."""
    if value is None or value == "":
        return {}
    if lang not in (None, "cql2-text", "cql2-json"):
        raise ParameterError(f"filter-lang: {lang!r} not supported (cql2-text or cql2-json)")
    if isinstance(value, dict):
        return parse_cql2_json(value)
    if isinstance(value, str):
        if lang == "cql2-json" or value.lstrip().startswith("{"):
            try:
                return parse_cql2_json(json.loads(value))
            except json.JSONDecodeError:
                raise ParameterError("filter: not valid CQL2 JSON") from None
        return parse_cql2_text(value)
    raise ParameterError("filter: expected CQL2 text or a CQL2 JSON object")


def _geometry(value: Any) -> dict[str, Any]:
    from shapely.geometry import shape

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ParameterError("intersects: not valid GeoJSON") from None
    if not isinstance(value, dict) or "type" not in value:
        raise ParameterError("intersects: expected a GeoJSON geometry")
    try:
        geom = shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several types for bad GeoJSON
        raise ParameterError("intersects: not a valid GeoJSON geometry") from None
    if geom.is_empty:
        raise ParameterError("intersects: the geometry is empty")
    w, s, e, n = geom.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise ParameterError("intersects: coordinates must be lon/lat degrees (EPSG:4326)")
    return value


def run_search(state: ServerState, search: Search) -> tuple[list[Any], int]:
    """The page of items a search asks for, and how many match in all."""
    known = state.cached(("collection_ids",), lambda: collection_ids(state.catalog))
    cids = [c for c in (search.collections or known) if c in known]
    props = dict(search.properties)
    if search.ids:
        props["id"] = list(search.ids)
    found: list[Any] = []
    for cid in cids:
        coll = state.catalog.collection(cid)
        if search.intersects is not None:
            coll = coll.filter_bounds(search.intersects)
        elif search.bbox is not None:
            coll = coll.filter_bounds(tuple(search.bbox))
        if props:
            coll = coll.filter(**props)
        found.extend(coll.items())
    if search.interval is not None:
        t0, t1 = search.interval
        found = [i for i in found if (t0 is None or i.datetime >= t0)
                 and (t1 is None or i.datetime <= t1)]
    found.sort(key=lambda i: (i.datetime, i.id))
    return found[search.offset:search.offset + search.limit], len(found)


def _ids(values: Any, name: str) -> list[str]:
    if isinstance(values, str):
        values = [v for v in values.split(",") if v]
    if not isinstance(values, list):
        raise ParameterError(f"{name}: expected a list of IDs")
    return [check_id(str(v), name) for v in values]


class SearchBody(BaseModel):
    """POST /search body (STAC item search)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    collections: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(None, max_length=100)
    ids: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(None, max_length=1000)
    bbox: list[float] | None = Field(None, min_length=4, max_length=6)
    intersects: dict[str, Any] | None = None
    datetime: str | None = Field(None, max_length=100)
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    token: str | None = Field(None, pattern=r"^[0-9]{1,9}$")
    filter: dict[str, Any] | str | None = None
    filter_lang: str | None = Field(None, alias="filter-lang", max_length=20)
    frame: int | None = Field(None, ge=0, le=9999)
    beam: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,16}$")
    pass_direction: PassDirection | None = Field(None, alias="pass")


def search_from_body(body: SearchBody) -> Search:
    """Validate a POST body into a :class:`Search`."""
    s = Search(limit=body.limit, offset=int(body.token) if body.token else 0)
    s.collections = body.collections
    s.ids = body.ids
    if body.bbox is not None:
        s.bbox = parse_bbox(body.bbox)
    if body.intersects is not None:
        s.intersects = _geometry(body.intersects)
    if body.datetime:
        s.interval = parse_datetime(body.datetime)
    s.properties = parse_filter(body.filter, body.filter_lang)
    for key, value in (("frame", body.frame), ("beam", body.beam), ("pass", body.pass_direction)):
        if value is not None:
            s.properties[PROPERTY_ALIASES[key]] = value
    return s


@dataclass
class SearchQuery:
    """GET /search query parameters."""

    collections: Annotated[str | None, Query(max_length=2000,
                                             description="Comma-separated collection IDs.")] = None
    ids: Annotated[str | None, Query(max_length=20000,
                                     description="Comma-separated item IDs.")] = None
    bbox: Annotated[str | None, Query(max_length=200,
                                      description="west,south,east,north (degrees).")] = None
    intersects: Annotated[str | None, Query(max_length=100000,
                                            description="GeoJSON geometry.")] = None
    datetime: Annotated[str | None, Query(
        max_length=100, description="Instant or interval start/end (.. for open).")] = None
    filter: Annotated[str | None, Query(max_length=2000, description=(
        "CQL2 text, e.g. palsar2:frame = 750 AND sat:orbit_state = 'ascending'."))] = None
    filter_lang: Annotated[str | None, Query(alias="filter-lang", max_length=20)] = None
    frame: Annotated[int | None, Query(ge=0, le=9999)] = None
    beam: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9-]{1,16}$")] = None
    pass_direction: Annotated[PassDirection | None, Query(alias="pass")] = None

    def to_search(self, paging: PagingParams) -> Search:
        """Validate into a :class:`Search`."""
        s = Search(limit=paging.limit, offset=paging.offset)
        if self.collections:
            s.collections = _ids(self.collections, "collections")
        if self.ids:
            s.ids = _ids(self.ids, "ids")
        if self.bbox:
            s.bbox = parse_bbox(self.bbox)
        if self.intersects:
            s.intersects = _geometry(self.intersects)
        if self.datetime:
            s.interval = parse_datetime(self.datetime)
        s.properties = parse_filter(self.filter, self.filter_lang)
        for key, value in (("frame", self.frame), ("beam", self.beam),
                           ("pass", self.pass_direction)):
            if value is not None:
                s.properties[PROPERTY_ALIASES[key]] = value
        return s


def _next_get_link(request: Request, offset: int) -> dict[str, Any]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    params.append(("token", str(offset)))
    from urllib.parse import urlencode

    return {"rel": "next", "type": GEOJSON, "method": "GET",
            "href": f"{_base(request)}{request.url.path}?{urlencode(params)}"}


# ---- routes ------------------------------------------------------------------------------


@router.get("/", name="landing_page")
def landing_page(request: Request,
                 state: Annotated[ServerState, Depends(get_state)]) -> dict[str, Any]:
    """STAC API landing page: what this server offers, as links."""
    base = _base(request)
    links = [
        {"rel": "self", "href": f"{base}/", "type": "application/json"},
        {"rel": "root", "href": f"{base}/", "type": "application/json"},
        {"rel": "conformance", "href": f"{base}/conformance", "type": "application/json"},
        {"rel": "data", "href": f"{base}/collections", "type": "application/json"},
        {"rel": "search", "href": f"{base}/search", "type": GEOJSON, "method": "GET"},
        {"rel": "search", "href": f"{base}/search", "type": GEOJSON, "method": "POST"},
        {"rel": "service-desc", "href": f"{base}/api",
         "type": "application/vnd.oai.openapi+json;version=3.0"},
        {"rel": "service-doc", "href": f"{base}/docs", "type": "text/html"},
        {"rel": "alternate", "href": f"{base}/map/", "type": "text/html", "title": "Web map"},
    ]
    for cid in state.cached(("collection_ids",), lambda: collection_ids(state.catalog)):
        links.append({"rel": "child", "href": f"{base}/collections/{cid}",
                      "type": "application/json", "title": cid})
    return {"type": "Catalog", "stac_version": STAC_VERSION, "id": "palsar2",
            "title": "palsar2", "description": "ALOS-2 PALSAR-2 StripMap products served offline: "
            "STAC API, XYZ tiles, point and area queries, web map.",
            "conformsTo": CONFORMANCE, "links": links}


@router.get("/conformance", name="conformance")
def conformance() -> dict[str, list[str]]:
    """Conformance classes this API implements."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", name="collections")
def collections(request: Request,
                state: Annotated[ServerState, Depends(get_state)]) -> dict[str, Any]:
    """All collections."""
    base = _base(request)
    ids = state.cached(("collection_ids",), lambda: collection_ids(state.catalog))
    return {"collections": [collection_document(state, request, c) for c in ids],
            "links": [{"rel": "self", "href": f"{base}/collections", "type": "application/json"},
                      {"rel": "root", "href": f"{base}/", "type": "application/json"}]}


@router.get("/collections/{collection_id}", name="collection")
def collection(request: Request, collection_id: CollectionId,
               state: Annotated[ServerState, Depends(get_state)]) -> dict[str, Any]:
    """One collection (with its availability table under ``palsar2:availability``)."""
    return collection_document(state, request, collection_id)


@router.get("/collections/{collection_id}/items", name="collection_items",
            response_class=JSONResponse)
def collection_items(request: Request, collection_id: CollectionId,
                     paging: Annotated[PagingParams, Depends()],
                     state: Annotated[ServerState, Depends(get_state)],
                     bbox: Annotated[str | None, Query(max_length=200)] = None,
                     datetime: Annotated[str | None, Query(max_length=100)] = None) -> JSONResponse:
    """Items of a collection, a page at a time (follow the ``next`` link)."""
    collection_document(state, request, collection_id)  # 404 for an unknown collection
    s = Search(collections=[collection_id], limit=paging.limit, offset=paging.offset)
    if bbox:
        s.bbox = parse_bbox(bbox)
    if datetime:
        s.interval = parse_datetime(datetime)
    page, matched = run_search(state, s)
    base = _base(request)
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON},
             {"rel": "collection", "href": f"{base}/collections/{collection_id}",
              "type": "application/json"},
             {"rel": "root", "href": f"{base}/", "type": "application/json"}]
    if s.offset + len(page) < matched:
        links.append(_next_get_link(request, s.offset + len(page)))
    return _feature_collection(state, request, page, matched, links)


@router.get("/collections/{collection_id}/items/{item_id}", name="collection_item",
            response_class=JSONResponse)
def collection_item(request: Request, collection_id: CollectionId, item_id: ItemId,
                    state: Annotated[ServerState, Depends(get_state)]) -> JSONResponse:
    """One item."""
    item = state.item(item_id)
    if item.collection != collection_id:
        raise NotFoundError(f"item {item_id!r}: not in collection {collection_id!r}")
    return JSONResponse(item_document(state, request, item), media_type=GEOJSON)


@router.get("/search", name="search_get", response_class=JSONResponse)
def search_get(request: Request, query: Annotated[SearchQuery, Depends()],
               paging: Annotated[PagingParams, Depends()],
               state: Annotated[ServerState, Depends(get_state)]) -> JSONResponse:
    """Item search by query parameters."""
    s = query.to_search(paging)
    page, matched = run_search(state, s)
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON},
             {"rel": "root", "href": f"{_base(request)}/", "type": "application/json"}]
    if s.offset + len(page) < matched:
        links.append(_next_get_link(request, s.offset + len(page)))
    return _feature_collection(state, request, page, matched, links)


@router.post("/search", name="search_post", response_class=JSONResponse)
def search_post(request: Request, body: Annotated[SearchBody, Body()],
                state: Annotated[ServerState, Depends(get_state)]) -> JSONResponse:
    """Item search with a JSON body; the ``next`` link carries the body with its token."""
    s = search_from_body(body)
    page, matched = run_search(state, s)
    links = [{"rel": "root", "href": f"{_base(request)}/", "type": "application/json"}]
    if s.offset + len(page) < matched:
        next_body = body.model_dump(by_alias=True, exclude_none=True)
        next_body["token"] = str(s.offset + len(page))
        links.append({"rel": "next", "href": f"{_base(request)}/search", "method": "POST",
                      "type": GEOJSON, "body": next_body, "merge": False})
    return _feature_collection(state, request, page, matched, links)
