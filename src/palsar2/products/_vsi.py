"""Small file access over local paths and GDAL ``/vsizip/`` paths, without GDAL's Python bindings."""

from __future__ import annotations

import os
import zipfile

from palsar2.errors import ProductError

VSIZIP = "/vsizip/"


def split_vsizip(href: str) -> tuple[str, str] | None:
    """``/vsizip/{archive}/{member}`` -> (archive, member), or None for other paths."""
    if not href.startswith(VSIZIP):
        return None
    rest = href[len(VSIZIP):]
    if rest.startswith("{"):
        end = rest.find("}")
        return rest[1:end], rest[end + 2:]
    low = rest.lower()
    i = low.find(".zip/")
    if i < 0:
        return rest, ""
    return rest[: i + 4], rest[i + 5:]


def vsizip_href(archive: str | os.PathLike, member: str) -> str:
    """GDAL path of a member of a zip archive (braces protect odd archive names)."""
    a = os.path.abspath(os.fspath(archive))
    return f"{VSIZIP}{a}/{member}" if a.endswith(".zip") else f"{VSIZIP}{{{a}}}/{member}"


def read_bytes(href: str) -> bytes:
    """The bytes of a small file (summary, LUT): a local path or a member of a zip."""
    parts = split_vsizip(href)
    try:
        if parts is None:
            with open(href, "rb") as f:
                return f.read()
        archive, member = parts
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ProductError(f"{href}: cannot read ({exc})") from None


def exists(href: str) -> bool:
    """Whether a local file or a zip member exists."""
    parts = split_vsizip(href)
    if parts is None:
        return os.path.isfile(href)
    archive, member = parts
    try:
        with zipfile.ZipFile(archive) as z:
            z.getinfo(member)
        return True
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
