"""What a user can hand over: product directories, zips, order folders, single images, EE exports.

:func:`open_product` opens exactly one product; :func:`find_products` every product under a path.
Zips are read in place through GDAL's ``/vsizip/``; nothing is extracted, and archives whose member
paths would escape an extraction target (absolute, ``..``) or whose sizes are absurd are rejected.
"""

from __future__ import annotations

import os
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from palsar2.errors import ProductError
from palsar2.products._vsi import split_vsizip, vsizip_href
from palsar2.products.jaxa import _img_name, is_jaxa_listing, open_jaxa, summary_name
from palsar2.products.model import Product

__all__ = ["ZIP_MEMBER_LIMIT", "check_zip", "find_products", "open_product", "product_sources"]

#: Largest member accepted in a zip (a quad-pol BigTIFF frame fits comfortably).
ZIP_MEMBER_LIMIT = 32 * 2**30
#: Compression ratio above which a large member is taken for a zip bomb (SAR data hardly compresses).
_ZIP_RATIO_LIMIT = 10_000
_TIF_RE = re.compile(r".*\.tiff?", re.IGNORECASE)
_SKIP_DIRS = {"__MACOSX", ".git"}


def _unsafe_member(name: str) -> bool:
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"[A-Za-z]:", n) or "\x00" in n:
        return True
    return ".." in n.split("/")


def check_zip(path: str | os.PathLike) -> list[str]:
    """Member names of a zip that is safe to read; ProductError for escaping paths or zip bombs."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProductError(f"{path}: not a readable zip archive ({exc})") from None
    names: list[str] = []
    for info in infos:
        if _unsafe_member(info.filename):
            raise ProductError(f"{path}: member {info.filename!r} would escape the archive's "
                               "directory (absolute path or '..'); refusing the whole zip")
        if info.file_size > ZIP_MEMBER_LIMIT:
            raise ProductError(f"{path}: member {info.filename!r} claims {info.file_size} bytes, "
                               f"over the {ZIP_MEMBER_LIMIT // 2**30} GiB limit")
        if info.file_size > 2**30 and info.compress_size * _ZIP_RATIO_LIMIT < info.file_size:
            raise ProductError(f"{path}: member {info.filename!r} expands "
                               f"{info.file_size // max(info.compress_size, 1)}x: a zip bomb?")
        if not info.is_dir():
            names.append(info.filename)
    return names


def _group_by_dir(names: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for n in names:
        d, base = posixpath.split(n)
        if any(part in _SKIP_DIRS for part in d.split("/")) or base.startswith("._"):
            continue
        groups.setdefault(d, []).append(base)
    return groups


def _zip_sources(path: Path) -> list[str]:
    """GDAL paths of the products inside one zip (product directories and loose GeoTIFFs)."""
    out: list[str] = []
    for d, files in sorted(_group_by_dir(check_zip(path)).items()):
        prefix = vsizip_href(path, d) if d else vsizip_href(path, "").rstrip("/")
        if is_jaxa_listing(files):
            out.append(prefix)
        else:
            out += [vsizip_href(path, posixpath.join(d, f)) for f in sorted(files) if _TIF_RE.fullmatch(f)]
    return out


def product_sources(path: str | os.PathLike) -> list[str]:
    """Every product under ``path`` as a string :func:`open_product` accepts (nothing opened).

    Product directories, zips (each product directory inside one, as a ``/vsizip/`` path), and
    GeoTIFFs outside product directories (Earth Engine exports), recursively, in sorted order.
    """
    p = Path(path)
    if str(path).startswith("/vsizip/"):
        return [str(path)]
    if not p.exists():
        raise ProductError(f"{path}: does not exist")
    if p.is_file():
        if p.suffix.lower() == ".zip":
            return _zip_sources(p)
        return [str(p)]
    out: list[str] = []
    for root, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if is_jaxa_listing(files):
            out.append(root)
            dirs[:] = []  # a product directory holds no further products
            continue
        for f in sorted(files):
            fp = os.path.join(root, f)
            if f.lower().endswith(".zip"):
                out += _zip_sources(Path(fp))
            elif _TIF_RE.fullmatch(f) and not f.startswith("."):
                out.append(fp)
    return out


def _zip_listing(href: str) -> tuple[str, list[str]] | None:
    """(prefix, names in that directory of the zip) for a /vsizip/ directory path."""
    parts = split_vsizip(href)
    assert parts is not None
    archive, member = parts
    groups = _group_by_dir(check_zip(archive))
    d = member.strip("/")
    if d in groups and not _TIF_RE.fullmatch(d):
        return href.rstrip("/"), groups[d]
    return None


def _open_tif(path: str, source: str, ee_metadata: dict[str, Any]) -> Product:
    """A single GeoTIFF: an IMG-* inside a JAXA product directory, else an Earth Engine export."""
    name = posixpath.basename(path) if path.startswith("/vsi") else os.path.basename(path)
    if _img_name(name):
        if path.startswith("/vsizip/"):
            listing = _zip_listing(posixpath.dirname(path))
            if listing and summary_name(listing[1]):
                return open_jaxa(listing[0], listing[1], source=source)
        else:
            parent = os.path.dirname(os.path.abspath(path))
            files = os.listdir(parent)
            if summary_name(files):
                return open_jaxa(parent, files, source=source)
    from palsar2.products.ee import open_ee_export

    return open_ee_export(path, source=source, **ee_metadata)


def _open_one(sources: list[str], path: str, ee_metadata: dict[str, Any]) -> Product:
    if not sources:
        raise ProductError(f"{path}: no PALSAR-2 product found (no summary.txt, IMG-*.tif or GeoTIFF)")
    if len(sources) > 1:
        raise ProductError(f"{path}: holds {len(sources)} products; use find_products() "
                           f"(first: {sources[0]})")
    return open_product(sources[0], _source=path, **ee_metadata)


def open_product(path: str | os.PathLike, *, _source: str | None = None, **ee_metadata: Any) -> Product:
    """Open one product: a directory, zip, order folder, summary.txt, IMG tif or EE export tif.

    ``ee_metadata`` (date, frame, pass_direction, look_side, orbit, ...) completes Earth Engine
    exports, which carry no summary.txt; it is ignored for JAXA products.
    """
    spath = os.fspath(path)
    source = _source or spath
    if spath.startswith("/vsizip/"):
        if _TIF_RE.fullmatch(spath):
            return _open_tif(spath, source, ee_metadata)
        listing = _zip_listing(spath)
        if listing is None:
            raise ProductError(f"{spath}: no such product directory in the zip")
        return open_jaxa(listing[0], listing[1], source=source)
    if spath.startswith("/vsi"):
        # other GDAL paths (/vsicurl/, /vsis3/, ...): a single GeoTIFF read through GDAL
        if _TIF_RE.fullmatch(spath):
            from palsar2.products.ee import open_ee_export

            return open_ee_export(spath, source=source, **ee_metadata)
        raise ProductError(f"{spath}: only GeoTIFFs can be opened through {spath.split('/')[1]}")
    # absolute paths in hrefs, so that a catalog can find the files from anywhere
    p = Path(os.path.abspath(spath))
    if not p.exists():
        raise ProductError(f"{spath}: does not exist")
    if p.is_dir():
        try:
            files = os.listdir(p)
        except OSError as exc:
            raise ProductError(f"{spath}: cannot list ({exc.strerror})") from None
        if is_jaxa_listing(files):
            return open_jaxa(str(p), files, source=source)
        return _open_one(product_sources(p), spath, ee_metadata)
    if p.suffix.lower() == ".zip":
        return _open_one(_zip_sources(p), spath, ee_metadata)
    if p.name == "summary.txt" or p.name.endswith("_summary.txt"):
        return open_jaxa(str(p.parent), os.listdir(p.parent), source=source)
    if _TIF_RE.fullmatch(p.name):
        return _open_tif(str(p), source, ee_metadata)
    raise ProductError(f"{spath}: not a PALSAR-2 product (expected a directory, .zip or .tif)")


def iter_products(path: str | os.PathLike, *, errors: Literal["raise", "warn", "skip"] = "raise",
                  **ee_metadata: Any) -> Iterator[Product]:
    """Open each product under ``path`` in turn (see :func:`find_products`)."""
    for src in product_sources(path):
        try:
            yield open_product(src, **ee_metadata)
        except ProductError as exc:
            if errors == "raise":
                raise
            if errors == "warn":
                warnings.warn(str(exc), stacklevel=2)


def find_products(path: str | os.PathLike, *, errors: Literal["raise", "warn", "skip"] = "raise",
                  **ee_metadata: Any) -> list[Product]:
    """Every product under ``path``: order folders, folders of zips, zips of several products, ...

    ``errors="warn"`` or ``"skip"`` leaves out products that cannot be opened instead of raising.
    """
    return list(iter_products(path, errors=errors, **ee_metadata))
