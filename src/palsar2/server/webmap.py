"""The web map's pages and its configuration: layer presets from the catalog's availability.

The sample script of the Earth Engine collection adds one layer per observation date
(``filterDate(d, d + 1 day)`` with ``{min: 0, max: 8000}``) and compares before with after; the
presets here are those layers for the dates the catalog actually holds, plus before/after pairs of
the same geometry (beam and pass) for the swipe and the change layers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from palsar2.server.render import CLASS_COLOURS, CLASS_NAMES
from palsar2.server.selection import DEFAULT_COLLECTION, get_state
from palsar2.server.state import ServerState

router = APIRouter(tags=["web map"])

STATIC = Path(__file__).parent / "static"
EVENT_DATE = dt.date(2024, 1, 1)  # the Noto Peninsula earthquake (Mw 7.5), 16:10 JST
DEFAULT_VIEW = {"lon": 137.2228, "lat": 37.1204, "zoom": 8}
DEFAULT_VIS = {"min": 0, "max": 8000}
NO_STORE = {"Cache-Control": "no-cache"}


@router.get("/map/", include_in_schema=False)
def map_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=NO_STORE)


@router.get("/map/dataset", include_in_schema=False)
def dataset_page() -> FileResponse:
    return FileResponse(STATIC / "dataset.html", headers=NO_STORE)


def _date_layers(items: list[Any], collection: str) -> list[dict[str, Any]]:
    by_date: dict[tuple[dt.date, Any, Any], list[Any]] = {}
    for i in items:
        by_date.setdefault((i.start_time.date(), i.beam, i.pass_direction), []).append(i)
    layers = []
    for (day, beam, pdir), group in sorted(by_date.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        role = "before" if day < EVENT_DATE else "after"
        start, end = day.isoformat(), (day + dt.timedelta(days=1)).isoformat()
        query = f"start={start}&end={end}"
        if beam:
            query += f"&beam={beam}"
        layers.append({
            "id": f"{role}-{start}-{beam or 'any'}", "kind": "mosaic", "role": role,
            "name": f"{role.capitalize()}-{start}" + (f" {beam} {pdir or ''}".rstrip() if beam else ""),
            "date": start, "beam": beam, "pass": pdir,
            "frames": sorted({i.frame for i in group if i.frame is not None}),
            "items": sorted(i.id for i in group),
            "sources": [f"/tiles/mosaic/{collection}/{{z}}/{{x}}/{{y}}.png?{query}"],
        })
    return layers


def _pairs(items: list[Any], layers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                    list[dict[str, Any]]]:
    """Swipe pairs (same beam and pass) and change layers built from frame-matched item pairs."""
    pairs, change = [], []
    befores = [lay for lay in layers if lay["role"] == "before"]
    for after in (lay for lay in layers if lay["role"] == "after"):
        same = [b for b in befores if b["beam"] == after["beam"] and b["pass"] == after["pass"]]
        if not same:
            continue
        before = max(same, key=lambda b: b["date"])  # the latest pre-event scene of that geometry
        pid = f"{before['date']}_{after['date']}_{after['beam']}"
        pairs.append({"id": pid, "name": f"{before['date']} vs {after['date']} {after['beam']}",
                      "before": before["id"], "after": after["id"]})
        b_items = {i.frame: i for i in items if i.id in before["items"]}
        a_items = {i.frame: i for i in items if i.id in after["items"]}
        frames = sorted(set(b_items) & set(a_items), key=str)
        if not frames:
            continue
        for layer, label in (("rgb", "change RGB"), ("log_ratio", "log-ratio")):
            change.append({
                "id": f"{pid}-{layer}", "kind": layer, "name": f"{label} {pairs[-1]['name']}",
                "sources": [f"/tiles/pairs/{b_items[f].id}/{a_items[f].id}/{{z}}/{{x}}/{{y}}.png"
                            f"?layer={layer}" for f in frames],
            })
    return pairs, change


@router.get("/map/config.json", name="map_config")
def map_config(request: Request,
               state: Annotated[ServerState, Depends(get_state)]) -> dict[str, Any]:
    """Everything the web map shows: view, presets, swipe pairs, change layers, legend."""
    from palsar2.server.stac_api import collection_ids

    ids = state.cached(("collection_ids",), lambda: collection_ids(state.catalog))
    collection = DEFAULT_COLLECTION if DEFAULT_COLLECTION in ids or not ids else ids[0]
    items = sorted(state.catalog.collection(collection).items(), key=lambda i: i.start_time) \
        if ids else []
    layers = _date_layers(items, collection)
    pairs, change = _pairs(items, layers)
    for r in state.results().values():
        for layer in ("classes", "log_ratio"):
            path = r.classes if layer == "classes" else r.log_ratio
            if path is not None:
                change.append({"id": f"result-{r.id}-{layer}", "kind": layer,
                               "name": f"{r.id} {layer.replace('_', '-')}",
                               "sources": [(f"/tiles/results/{r.id}/{{z}}/{{x}}/{{y}}.png"
                                            f"?layer={layer}")]})
    legend = [{"code": c, "name": CLASS_NAMES[c], "rgba": list(CLASS_COLOURS[c])}
              for c in sorted(CLASS_NAMES) if c > 1]
    return {"collection": collection, "view": DEFAULT_VIEW, "vis": DEFAULT_VIS,
            "event_date": EVENT_DATE.isoformat(),
            "dates": sorted({lay["date"] for lay in layers}), "layers": layers, "pairs": pairs,
            "change_layers": change, "legend": legend,
            "log_ratio": {"min": -6, "max": 6, "palette": "RdBu_r"}}
