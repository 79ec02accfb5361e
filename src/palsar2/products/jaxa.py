"""Assemble a :class:`Product` from a directory in JAXA's layout (local, or inside a zip)."""

from __future__ import annotations

import os
import posixpath
import re
import warnings

from palsar2.errors import GeoreferenceError, IdentifierError, ProductError, SummaryError
from palsar2.products._vsi import read_bytes
from palsar2.products.checks import warn_corners_outside_grid
from palsar2.products.georef import Georef, check_dn_image, read_georef
from palsar2.products.ids import POLARISATIONS, ProductFileName, product_key
from palsar2.products.lut import DEFAULT_CALIBRATION_DB, read_lut
from palsar2.products.model import Band, Product
from palsar2.products.summary import Summary, parse_summary_bytes

__all__ = ["MissingLutWarning", "is_jaxa_listing", "open_jaxa", "summary_name"]

_SUMMARY_RE = re.compile(r"ALOS2\d{9}-\d{6}_[A-Z]{3}[LR]\d\.\d[GR_][UPML_][AD]_summary\.txt")


class MissingLutWarning(UserWarning):
    """summary.txt lists a LUT that is not in the product: -83.0 dB is used instead."""


def summary_name(names: list[str]) -> str | None:
    """The summary file among a directory's names: ``summary.txt``, or a renamed copy such as
    ``<SceneID>_<ProductID>_summary.txt``."""
    if "summary.txt" in names:
        return "summary.txt"
    renamed = sorted(n for n in names if _SUMMARY_RE.fullmatch(n))
    return renamed[0] if len(renamed) == 1 else None


def is_jaxa_listing(names: list[str]) -> bool:
    """Whether the file names of one directory look like a JAXA product."""
    return summary_name(names) is not None or any(_img_name(n) for n in names)


def _img_name(name: str) -> ProductFileName | None:
    if not name.upper().startswith("IMG-"):
        return None
    try:
        parsed = ProductFileName.parse(name)
    except IdentifierError:
        return None
    return parsed if parsed.kind == "IMG" else None


def open_jaxa(base: str, names: list[str], *, source: str) -> Product:
    """Open the product whose files ``names`` sit in ``base`` (a directory or /vsizip/ prefix)."""
    join = posixpath.join if base.startswith("/vsi") else os.path.join
    name = summary_name(names)
    if name is None:
        raise SummaryError(f"{join(base, 'summary.txt')}: missing summary.txt")
    summary_href = join(base, name)
    summary: Summary = parse_summary_bytes(read_bytes(summary_href), source=summary_href)
    summary.validate()
    sid, pid = summary.scene_id, summary.product_id
    listed = summary.image_files
    present = {n for n in names if _img_name(n)}
    for name in listed:
        if name not in names:
            raise ProductError(f"{join(base, name)}: listed in summary.txt but missing")
    images = list(dict.fromkeys(listed + sorted(present - set(listed))))
    if not images:
        raise ProductError(f"{base}: no IMG-*.tif image in the product")
    bands: list[Band] = []
    georefs: list[Georef] = []
    for name in images:
        href = join(base, name)
        parsed = _img_name(name)
        if parsed is None:
            raise ProductError(f"{href}: not an IMG-<pol>-<SceneID>-<ProductID>.tif name")
        if parsed.scene_id != sid or parsed.product_id != pid:
            raise ProductError(
                f"{href}: IDs in the file name ({parsed.scene_id}, {parsed.product_id}) disagree "
                f"with summary.txt ({sid}, {pid})")
        georef = read_georef(href)
        check_dn_image(georef, href, expected="a PALSAR-2 image")
        desc = georef.tiff.description if georef.tiff is not None else None
        if desc and desc.strip() in POLARISATIONS and desc.strip() != parsed.polarisation:
            warnings.warn(f"{href}: ImageDescription {desc!r} disagrees with the file name's "
                          f"polarisation {parsed.polarisation}", stacklevel=3)
        lut_name = ProductFileName.build("LUT", parsed.polarisation, sid, pid)
        lut_path = join(base, lut_name)
        if lut_name in names:
            bands.append(Band(parsed.polarisation, href, lut_path, read_lut(lut_path).calibration_db))
        else:
            if lut_name in summary.lut_files:
                warnings.warn(f"{lut_path}: listed in summary.txt but missing; using "
                              f"{DEFAULT_CALIBRATION_DB} dB", MissingLutWarning, stacklevel=3)
            bands.append(Band(parsed.polarisation, href, None, DEFAULT_CALIBRATION_DB))
        georefs.append(georef)
    first = georefs[0]
    for b, g in zip(bands[1:], georefs[1:]):
        if g.geobox != first.geobox:
            raise GeoreferenceError(f"{b.href}: grid differs from {bands[0].href}")
    order = {p: i for i, p in enumerate(POLARISATIONS)}
    bands.sort(key=lambda b: order[b.polarisation])
    geobox = first.geobox
    _cross_check(summary, first, bands[0].href)
    return Product(
        id=product_key(sid, pid), kind="jaxa", source=source, scene_id=sid, product_id=pid,
        bands=tuple(bands), geobox=geobox, crs_note=first.crs_note,
        start_time=summary.start_time, end_time=summary.end_time, center_time=summary.center_time,
        orbit=sid.orbit, frame=sid.frame, path=sid.path, look_side=pid.look_side,
        pass_direction=pid.pass_direction, off_nadir_deg=summary.off_nadir_deg, mode=pid.mode,
        level=summary.level, pixel_spacing=summary.pixel_spacing, summary=summary)


def _cross_check(summary: Summary, georef: Georef, href: str) -> None:
    """Warnings for disagreements between summary.txt and the GeoTIFF that do not stop reading."""
    gb = georef.geobox
    if (summary.records.get("Pdi_NoOfLines_0") and summary.records.get("Pdi_NoOfPixels_0")
            and (summary.n_lines, summary.n_pixels) != gb.shape):
        warnings.warn(f"{href}: {gb.shape[0]} x {gb.shape[1]} pixels but summary.txt says "
                      f"{summary.n_lines} x {summary.n_pixels}", stacklevel=4)
    epsg = summary.utm_epsg
    if epsg is not None and gb.crs.epsg is not None and gb.crs.epsg != epsg:
        warnings.warn(f"{href}: CRS EPSG:{gb.crs.epsg} but summary.txt says UTM zone "
                      f"{summary.utm_zone} (EPSG:{epsg})", stacklevel=4)
    res = abs(gb.affine.a) if not gb.crs.geographic else summary.pixel_spacing
    warn_corners_outside_grid(gb, summary.image_corners, res, href)
