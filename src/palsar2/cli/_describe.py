"""``palsar2 info TARGET``: describe a product path or a catalog item as a JSON-ready dict."""

from __future__ import annotations

import os
from typing import Any

from palsar2.config import Settings
from palsar2.errors import NotFoundError


def describe(target: str, settings: Settings) -> dict[str, Any]:
    """A product (path, zip, /vsizip/ path) or an item ID of the catalog at ``settings.home``."""
    if target.startswith("/vsi") or os.path.exists(target):
        from palsar2.products import open_product

        product = open_product(target)
        out: dict[str, Any] = {"kind": "product", "source": target, **product.properties()}
        out["bands"] = [{"polarisation": b.polarisation, "href": b.href, "lut": b.lut_href,
                         "calibration_db": b.calibration_db} for b in product.bands]
        return out
    from palsar2.catalog import open_catalog

    cat = open_catalog(settings.home)
    try:
        item = cat.get(target)
    except NotFoundError:
        raise NotFoundError(f"{target}: neither an existing path nor an item of the catalog "
                            f"{cat.path}") from None
    return {"kind": "item", **item.to_dict()}
