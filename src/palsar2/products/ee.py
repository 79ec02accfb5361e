"""GeoTIFFs exported from Earth Engine's StripMap_202401 collection (FORMAT.md section 6).

Such a file is band ``b1`` in DN, in whatever CRS the user chose, with no summary.txt. Its metadata
comes, in increasing precedence, from the file name (a scene ID such as the EE ``system:index``
``ALOS2552020760-240812``, a product ID, a date, ``frame0750``, ``asc``/``desc``), a JSON sidecar
(``<file>.json`` or ``<stem>.json``: EE properties such as ``system:time_start`` in epoch ms), and
keyword options. The date, frame and pass direction are required; the pass follows from the frame
number when nothing else gives it (frames 1800..5399 are descending).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from palsar2.errors import IdentifierError, ParameterError, ProductError
from palsar2.products._vsi import exists, read_bytes
from palsar2.products.georef import check_dn_image, read_georef
from palsar2.products.ids import (
    ORBIT_DIRECTIONS,
    POLARISATIONS,
    PRODUCT_IN_TEXT_RE,
    SCENE_IN_TEXT_RE,
    ProductId,
    SceneId,
    pass_from_frame,
    product_key,
)
from palsar2.products.lut import DEFAULT_CALIBRATION_DB
from palsar2.products.model import Band, Product

__all__ = ["EE_OPTIONS", "normalise_metadata", "open_ee_export", "parse_ee_name"]

#: Canonical metadata names and the spellings accepted for them (sidecar keys and options).
_ALIASES: dict[str, tuple[str, ...]] = {
    "time_start": ("system:time_start", "time_start", "start_time", "datetime", "date", "time",
                   "acquisition_date", "observation_date", "center_time", "start"),
    "time_end": ("system:time_end", "time_end", "end_time", "end"),
    "frame": ("frame", "frame_number", "palsar2:frame", "frame_no"),
    "pass_direction": ("pass_direction", "pass", "orbit_direction", "orbitdirection",
                       "sat:orbit_state", "orbit_state", "passdirection"),
    "look_side": ("look_side", "look_direction", "lookdirection", "sar:observation_direction",
                  "observation_direction", "lookside"),
    "orbit": ("orbit", "absolute_orbit", "sat:absolute_orbit", "orbit_number"),
    "path": ("path", "sat:relative_orbit", "relative_orbit", "track"),
    "off_nadir_deg": ("off_nadir_deg", "off_nadir", "view:off_nadir", "off_nadir_angle",
                      "offnadirangle", "img_offnadirangle"),
    "polarisation": ("polarisation", "polarization", "polarisations", "polarizations",
                     "sar:polarizations"),
    "scene_id": ("scene_id", "system:index", "sceneid", "scs_sceneid"),
    "product_id": ("product_id", "productid", "pds_productid"),
    "beam": ("beam", "palsar2:beam", "beam_name"),
    "mode": ("mode", "sar:instrument_mode_code"),
    "level": ("level", "processing_level", "lbi_processlevel"),
    "pixel_spacing": ("pixel_spacing", "sar:pixel_spacing_range", "pds_pixelspacing", "gsd"),
    "calibration_db": ("calibration_db", "palsar2:calibration_db", "cf", "calibration_factor"),
}
_LOOKUP = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}
#: Option names open_product accepts for Earth Engine exports.
EE_OPTIONS = tuple(_ALIASES)

_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
_FRAME_IN_NAME = re.compile(r"(?:frame|^f|[_-]f)[_-]?(\d{4})(?!\d)", re.IGNORECASE)
_PASS_IN_NAME = re.compile(r"(?<![a-z])(asc|ascending|desc|descending)(?![a-z])", re.IGNORECASE)


def _norm_key(key: str) -> str:
    return key.strip().lower().replace(" ", "_").replace("-", "_")


def normalise_metadata(raw: dict[str, Any], *, strict: bool, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Map accepted spellings to canonical names; return (known, unknown)."""
    known: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for k, v in raw.items():
        if v is None:
            continue
        canon = _LOOKUP.get(_norm_key(k)) or _LOOKUP.get(k.strip().lower())
        if canon is None:
            if strict:
                raise ParameterError(f"{where}: unknown option {k!r} (accepted: {', '.join(EE_OPTIONS)})")
            unknown[k] = v
        else:
            known[canon] = v
    return known, unknown


def parse_ee_name(name: str) -> dict[str, Any]:
    """Metadata a file name carries: scene ID, product ID, date, frame, pass."""
    stem = name
    out: dict[str, Any] = {}
    m = SCENE_IN_TEXT_RE.search(stem)
    if m:
        try:
            out["scene_id"] = SceneId.parse(m.group(0))
        except IdentifierError:
            pass
    m = PRODUCT_IN_TEXT_RE.search(stem)
    if m:
        try:
            out["product_id"] = ProductId.parse(m.group(0))
        except IdentifierError:
            pass
    rest = SCENE_IN_TEXT_RE.sub("", stem)
    if "scene_id" not in out:
        m = _DATE_IN_NAME.search(rest)
        if m:
            try:
                out["time_start"] = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                pass
        m = _FRAME_IN_NAME.search(rest)
        if m:
            out["frame"] = int(m.group(1))
    m = _PASS_IN_NAME.search(rest)
    if m and "product_id" not in out:
        out["pass_direction"] = "ascending" if m.group(1).lower().startswith("asc") else "descending"
    return out


def _sidecar(href: str) -> tuple[str | None, dict[str, Any]]:
    """(path, JSON object) of ``<file>.json`` or ``<stem>.json`` beside an export, if any."""
    root = posixpath.splitext(href)[0]
    for cand in (href + ".json", root + ".json"):
        if exists(cand):
            try:
                doc = json.loads(read_bytes(cand).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ProductError(f"{cand}: sidecar is not valid JSON ({exc})") from None
            if not isinstance(doc, dict):
                raise ProductError(f"{cand}: sidecar must hold a JSON object")
            props = doc.get("properties")
            if isinstance(props, dict):  # an EE Image description: {"type": "Image", "properties": ...}
                doc = {**{k: v for k, v in doc.items() if k != "properties"}, **props}
                if "id" in doc and "system:index" not in doc and isinstance(doc["id"], str):
                    doc["system:index"] = doc["id"].rsplit("/", 1)[-1]
            return cand, doc
    return None, {}


def _to_time(value: Any, key: str, where: str) -> tuple[datetime, bool]:
    """(aware UTC datetime, date_only) from epoch ms, ISO text, YYYYMMDD, date or datetime."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC), False
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC), True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=float(value)), False
    if isinstance(value, str):
        s = value.strip()
        if re.fullmatch(r"\d{8}", s):
            return _to_time(date(int(s[:4]), int(s[4:6]), int(s[6:])), key, where)
        if re.fullmatch(r"-?\d{11,}(\.\d*)?", s):
            return _to_time(float(s), key, where)
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
                return _to_time(date.fromisoformat(s), key, where)
            return _to_time(datetime.fromisoformat(s), key, where)
        except ValueError:
            pass
    raise ProductError(f"{where}: {key}={value!r} is not a date or time")


def _pass(value: Any, where: str) -> str:
    v = str(value).strip().lower()
    for code, name in ORBIT_DIRECTIONS.items():
        if v in (code.lower(), name, name[:3], name[:4]):
            return name
    raise ProductError(f"{where}: pass direction {value!r} is not ascending/descending (A/D)")


def _look(value: Any, where: str) -> str:
    v = str(value).strip().lower()
    if v in ("l", "left"):
        return "L"
    if v in ("r", "right"):
        return "R"
    raise ProductError(f"{where}: look side {value!r} is not left/right (L/R)")


def _int(value: Any, key: str, where: str) -> int:
    try:
        f = float(value)
        if f != int(f):
            raise ValueError
        return int(f)
    except (TypeError, ValueError):
        raise ProductError(f"{where}: {key}={value!r} is not an integer") from None


def _float(value: Any, key: str, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProductError(f"{where}: {key}={value!r} is not a number") from None


def _pols(value: Any, where: str) -> str:
    v = value[0] if isinstance(value, (list, tuple)) and value else value
    v = str(v).strip().upper()
    if v not in POLARISATIONS:
        raise ProductError(f"{where}: polarisation {value!r} not in {', '.join(POLARISATIONS)}")
    return v


def open_ee_export(href: str, *, source: str | None = None, **options: Any) -> Product:
    """Open a plain GeoTIFF exported from Earth Engine as a :class:`Product`."""
    where = href
    name = posixpath.basename(href) if href.startswith("/vsi") else os.path.basename(href)
    stem = re.sub(r"\.tiff?$", "", name, flags=re.IGNORECASE)
    opts, _ = normalise_metadata(options, strict=True, where="open_product options")
    # the file itself first: an unreadable or non-DN file is the more useful error
    georef = read_georef(href)
    check_dn_image(georef, where, expected="an export of the collection's band b1")
    sidecar_path, sidecar_raw = _sidecar(href)
    side, side_extra = normalise_metadata(sidecar_raw, strict=False, where=sidecar_path or "")
    from_name = parse_ee_name(stem)
    meta: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for label, layer in (("file name", from_name), (f"sidecar {sidecar_path}", side),
                         ("options", opts)):
        for k, v in layer.items():
            meta[k] = v
            origin[k] = label

    scene_id = meta.get("scene_id")
    if scene_id is not None and not isinstance(scene_id, SceneId):
        m = SCENE_IN_TEXT_RE.search(str(scene_id))
        scene_id = SceneId.parse(m.group(0)) if m else None
    product_id = meta.get("product_id")
    if product_id is not None and not isinstance(product_id, ProductId):
        product_id = ProductId.parse(str(product_id).strip())

    orbit = _int(meta["orbit"], "orbit", where) if "orbit" in meta else (
        scene_id.orbit if scene_id else None)
    frame = _int(meta["frame"], "frame", where) if "frame" in meta else (
        scene_id.frame if scene_id else None)
    date_only = False
    start: datetime | None = None
    if "time_start" in meta:
        start, date_only = _to_time(meta["time_start"], "time_start", where)
    elif scene_id is not None:
        start, date_only = _to_time(scene_id.date, "date", where)
    end = _to_time(meta["time_end"], "time_end", where)[0] if "time_end" in meta else start
    pass_dir = (_pass(meta["pass_direction"], where) if "pass_direction" in meta
                else product_id.pass_direction if product_id else None)
    if pass_dir is None and frame is not None and 0 <= frame < 7200:
        pass_dir = pass_from_frame(frame)
        origin["pass_direction"] = "frame number (1800..5399 descending)"
    look = (_look(meta["look_side"], where) if "look_side" in meta
            else product_id.look_side if product_id else None)

    missing = [k for k, v in (("date", start), ("frame", frame), ("pass direction", pass_dir))
               if v is None]
    if missing:
        raise ProductError(
            f"{where}: Earth Engine export without {', '.join(missing)}: put the scene ID in the "
            f"file name (e.g. ALOS2552020760-240812), write a sidecar {name}.json "
            "(system:time_start, frame, pass) or pass them as options")
    assert start is not None and end is not None and frame is not None
    if not 0 <= frame < 7200:
        raise ProductError(f"{where}: frame {frame} not in 0..7199")
    if scene_id is None and orbit is not None:
        scene_id = SceneId(orbit, frame, start.date())

    gb = georef.geobox
    spacing = (_float(meta["pixel_spacing"], "pixel_spacing", where) if "pixel_spacing" in meta
               else abs(gb.affine.a) if gb.crs.units[0] in ("metre", "meter", "m") else None)
    cal = _float(meta["calibration_db"], "calibration_db", where) if "calibration_db" in meta \
        else DEFAULT_CALIBRATION_DB
    pol = _pols(meta["polarisation"], where) if "polarisation" in meta else "HH"
    pid = product_key(scene_id, product_id) if scene_id and product_id else stem
    path = (_int(meta["path"], "path", where) if "path" in meta
            else scene_id.path if scene_id else (14 * orbit + 24) % 207 if orbit is not None else None)
    extra: dict[str, Any] = {k: v for k, v in side_extra.items() if isinstance(v, (str, int, float, bool))}
    if "beam" in meta:
        extra["beam"] = str(meta["beam"])
    extra["metadata_origin"] = dict(origin)
    return Product(
        id=pid, kind="ee_export", source=source or href, scene_id=scene_id, product_id=product_id,
        bands=(Band(pol, href, None, cal),), geobox=gb, crs_note=georef.crs_note,
        start_time=start, end_time=end, center_time=start + (end - start) / 2,
        orbit=orbit, frame=frame, path=path, look_side=look, pass_direction=pass_dir,
        off_nadir_deg=(_float(meta["off_nadir_deg"], "off_nadir_deg", where)
                       if "off_nadir_deg" in meta else None),
        mode=str(meta["mode"]) if "mode" in meta else product_id.mode if product_id else None,
        level=str(meta["level"]) if "level" in meta else product_id.level if product_id else None,
        pixel_spacing=spacing, summary=None, time_precision="day" if date_only else "exact",
        extra=extra)
