"""HTTP for palsar2: STAC API, XYZ tiles, point/area queries, thumbnails and the offline web map.

``create_app(catalog, results_dir=..., cors_origins=...)`` builds the FastAPI app; ``palsar2 serve``
runs it on uvicorn. Only this package knows HTTP.
"""

from __future__ import annotations

from palsar2.server.app import create_app

__all__ = ["create_app"]
