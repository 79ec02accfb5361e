"""The FastAPI app: routers, the one exception -> HTTP status table, body limit, CORS, web map.

Library code raises :mod:`palsar2.errors`; this module alone turns them into HTTP answers, using
each class's ``http_status``. Every error answer, including FastAPI's own 404/405/422 and our 413,
is a JSON body ``{"code": ..., "description": ...}`` (the STAC API error shape).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palsar2 import __version__
from palsar2 import errors as perr
from palsar2.server.state import ServerState

log = logging.getLogger("palsar2.server")

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 1_000_000


def _error_table() -> dict[type[BaseException], int]:
    """Exception class -> status: every palsar2 error by its ``http_status``, plus rio-tiler's."""
    table: dict[type[BaseException], int] = {}
    for obj in vars(perr).values():
        if isinstance(obj, type) and issubclass(obj, perr.Palsar2Error):
            table[obj] = int(obj.http_status)
    try:
        from rio_tiler import errors as rte

        table[rte.TileOutsideBounds] = 404
        table[rte.PointOutsideBounds] = 404
        table[rte.EmptyMosaicError] = 404
        table[rte.InvalidColorMapName] = 400
        table[rte.RioTilerError] = 422
    except ImportError:  # pragma: no cover - rio-tiler is a dependency
        pass
    return table


ERROR_STATUS: dict[type[BaseException], int] = _error_table()


def status_for(exc: BaseException) -> int:
    """The HTTP status of an exception: the nearest class of the table in its MRO, else 500."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def error_body(code: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "description": description, **extra}


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %r", request.method, request.url.path, exc)
    return JSONResponse(error_body(type(exc).__name__, str(exc)), status_code=status)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Name each bad parameter in the description, keep FastAPI's detail list as well.
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
    detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse(error_body("RequestValidationError", "; ".join(parts), detail=detail),
                        status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
    description = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and description == "Not Found":
        description = f"{request.url.path}: no such endpoint"
    return JSONResponse(error_body(names.get(exc.status_code, "HTTPError"), description),
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return JSONResponse(error_body("InternalError", f"{type(exc).__name__}: {exc}"),
                        status_code=500)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with a JSON 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        import json

        body = json.dumps(error_body(
            "PayloadTooLarge", f"request body: larger than the limit of {self.max_bytes} bytes"
        )).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(catalog: Any, *, results_dir: str | Path | None = None,
               cors_origins: Sequence[str] = (), max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """Build the server over a catalog (read-only) and an optional directory of change results."""
    from palsar2.server import basemap, queries, stac_api, tiles, webmap

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.palsar2.pool.close()  # close every open COG on shutdown

    app = FastAPI(
        lifespan=lifespan,
        title="palsar2",
        version=__version__,
        description="Tiles, a STAC API, point and area queries and a web map for ALOS-2 PALSAR-2 "
        "StripMap products (JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401), served offline.",
        docs_url=None,  # Swagger UI would load from the internet; /docs is our offline page
        redoc_url=None,
        openapi_url="/api",
    )
    app.state.palsar2 = ServerState(catalog=catalog,
                                    results_dir=Path(results_dir) if results_dir else None)
    for cls in (perr.Palsar2Error, *[c for c in ERROR_STATUS if not issubclass(c, perr.Palsar2Error)]):
        app.add_exception_handler(cls, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

    app.include_router(stac_api.router)
    app.include_router(tiles.router)
    app.include_router(queries.router)
    app.include_router(basemap.router)
    app.include_router(webmap.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def _docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", headers={"Cache-Control": "no-cache"})

    @app.get("/map", include_in_schema=False)
    def _map_redirect() -> RedirectResponse:
        return RedirectResponse("/map/")

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"],
                           expose_headers=["ETag"])

    return app
