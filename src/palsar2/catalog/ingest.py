"""Ingest: products -> catalog items, with their imagery copied as Cloud-Optimised GeoTIFFs.

Idempotent (an item is its ID plus the SHA-256 of its image bytes: the same product twice is one
item, the same ID with other bytes is a :class:`~palsar2.errors.ConflictError` unless ``replace``),
atomic (see :mod:`palsar2.catalog._files`), and safe with several processes at once (SQLite's write
lock orders the commits; each process converts into its own temporary folder). One bad product does
not stop a batch: it is reported with its file and the reason.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from xml.sax.saxutils import escape

from palsar2.catalog._build import COG_TYPE, TIFF_TYPE, build_item, item_row
from palsar2.catalog._files import ItemMove, checksum, copy_href, crashpoint
from palsar2.catalog.collections import assign_collection
from palsar2.catalog.items import Asset
from palsar2.errors import (
    ConflictError,
    Palsar2Error,
    ParameterError,
    ProductError,
)

if TYPE_CHECKING:
    from palsar2.catalog.catalog import Catalog

#: GDAL COG driver options: 512 px tiles, ZSTD with horizontal differencing, overviews computed in
#: power (RMS of amplitude = sqrt of mean DN^2), nodata 0 excluded from them.
COG_OPTIONS: dict[str, str] = {
    "BLOCKSIZE": "512", "COMPRESS": "ZSTD", "LEVEL": "9", "PREDICTOR": "YES",
    "OVERVIEW_RESAMPLING": "RMS", "BIGTIFF": "IF_SAFER",
}


SAME = "already in the catalog (same image bytes)"
Footprint = Literal["data", "summary"]


@dataclass
class IngestReport:
    """What a batch did: item IDs ingested, (ID, reason) skipped, (file, reason) failed."""

    ingested: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[Palsar2Error] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """One line: counts of ingested, skipped and failed products."""
        return (f"ingested {len(self.ingested)}, skipped {len(self.skipped)}, "
                f"failed {len(self.failed)}")

    def merge(self, other: IngestReport) -> None:
        for name in ("ingested", "replaced", "skipped", "failed", "errors"):
            getattr(self, name).extend(getattr(other, name))


def vrt_xml(href: str, geobox: Any, polarisation: str, tags: Mapping[str, str]) -> str:
    """A VRT over one image with the product's normalised grid and nodata 0 (GDAL opens the text)."""
    a = geobox.affine
    rows, cols = int(geobox.shape[0]), int(geobox.shape[1])
    meta = "".join(f'<MDI key="{escape(k)}">{escape(str(v))}</MDI>' for k, v in tags.items())
    return (
        f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">'
        f'<SRS dataAxisToSRSAxisMapping="1,2">{escape(geobox.crs.to_wkt())}</SRS>'
        f"<GeoTransform>{a.c!r}, {a.a!r}, {a.b!r}, {a.f!r}, {a.d!r}, {a.e!r}</GeoTransform>"
        f"<Metadata>{meta}</Metadata>"
        f'<VRTRasterBand dataType="UInt16" band="1"><NoDataValue>0</NoDataValue>'
        f"<Description>{escape(polarisation)}</Description>"
        f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(href)}</SourceFilename>'
        f"<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    )


def write_cog(href: str, geobox: Any, dest: Path, *, polarisation: str,
              tags: Mapping[str, str] | None = None, threads: str | int = "ALL_CPUS") -> None:
    """Copy one uint16 DN image to a COG (GDAL's COG driver; the source is only read)."""
    import rasterio
    import rasterio.shutil
    from rasterio.errors import RasterioError

    all_tags = {"UNITS": "DN (amplitude)", "POLARISATION": polarisation, "NODATA": "0",
                "OVERVIEWS": "RMS of DN (mean in power)", **(tags or {})}
    try:
        # NUM_THREADS compresses tiles in parallel. Not GDAL_NUM_THREADS: it also threads the
        # reading of JAXA's one-row strips and the nodata-aware overviews, 3-5x slower here.
        with rasterio.Env(GDAL_CACHEMAX=256):
            with rasterio.open(href) as src:
                if src.dtypes[0] != "uint16":
                    raise ProductError(f"{href}: image is {src.dtypes[0]}, expected uint16 DN")
            rasterio.shutil.copy(vrt_xml(href, geobox, polarisation, all_tags), str(dest),
                                 driver="COG", NUM_THREADS=str(threads), **COG_OPTIONS)
    except RasterioError as exc:
        raise ProductError(f"{href}: cannot convert to COG ({exc})") from exc


def _sources(source: str) -> list[str]:
    """Every product under a source (product dir, zip, order folder, image or EE export)."""
    from palsar2 import products

    if not source.startswith("/vsi") and not os.path.exists(source):
        raise ProductError(f"{source}: no such file or directory")
    found = products.product_sources(source)
    if not found:
        raise ProductError(f"{source}: no PALSAR-2 product found")
    return list(found)


def ingest(catalog: Catalog, sources: str | os.PathLike | Iterable[str | os.PathLike], *,
           in_place: bool = False, replace: bool = False, progress: bool = False,
           collection: str | None = None, workers: int | None = None,
           footprint: Footprint = "data", **ee_metadata: Any) -> IngestReport:
    """Ingest products; failures are reported, not raised, so that the rest of a batch goes in.

    ``footprint="summary"`` takes the footprint from summary.txt's image corners instead of the
    valid pixels (metadata only: fast registration of large archives; EE exports still read data).

    Reading, checksums, footprints and COG conversion run in ``workers`` processes (default: one
    per core for 4 or more copies, or 64 or more in-place registrations); the calling process
    owns every temporary folder and commits one product at a time, in input order.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    report = IngestReport()
    todo: list[str] = []
    for source in (os.fspath(s) for s in sources):
        try:
            todo += [p for p in _sources(source) if not _inside(p, catalog.items_dir)]
        except Palsar2Error as exc:
            report.failed.append((source, str(exc)))
            report.errors.append(exc)
    cpus = os.cpu_count() or 1
    # Worker processes pay off at once for COG conversion; for in-place registration (~7 ms a
    # product) only for long batches, where the pool's start-up is amortised.
    n_workers = workers if workers is not None else (
        cpus if len(todo) >= (64 if in_place else 4) else 1)
    n_workers = max(1, min(n_workers, len(todo) or 1))
    threads = max(1, cpus // n_workers)
    job = partial(_work, str(catalog.path), ee_metadata, in_place, replace, collection, threads,
                  footprint)
    pool = _pool(n_workers) if n_workers > 1 else None
    bar = None
    if progress:  # after the pool: tqdm's monitor thread would rule out forking
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="product", file=sys.stderr, desc="ingest")
    pending: deque[tuple[str, ItemMove | None, Any]] = deque()
    queue = iter(todo)
    try:
        while True:
            while len(pending) < 2 * n_workers:  # bounded read-ahead
                src = next(queue, None)
                if src is None:
                    break
                try:
                    move = None if in_place else ItemMove(catalog.items_dir, None, None, True)
                except Palsar2Error as exc:
                    pending.append((src, None, exc))
                    continue
                args = (src, move.new if move else None, move.token if move else None)
                pending.append((src, move, pool.submit(job, *args) if pool else args))
            if not pending:
                break
            src, move, fut = pending.popleft()
            try:
                if isinstance(fut, Palsar2Error):
                    raise fut
                prep = fut.result() if pool else job(*fut, catalog=catalog)
            except BaseException as exc:
                if move is not None:
                    move.abort(catalog.store)
                if not isinstance(exc, Palsar2Error):
                    raise
                report.failed.append((src, str(exc)))
                report.errors.append(exc)
            else:
                prep.move = move
                try:
                    _commit(catalog, prep, report)  # aborts the move itself on failure
                except Palsar2Error as exc:
                    report.failed.append((src, str(exc)))
                    report.errors.append(exc)
            if bar is not None:
                bar.update(1)
    finally:
        if pool is not None:  # stop the workers before taking their folders away
            pool.shutdown(cancel_futures=True)
        for _, move, _ in pending:  # interrupted: give back what was not committed
            if move is not None:
                move.abort(catalog.store)
        if bar is not None:
            bar.close()
    return report


def _pool(n: int) -> ProcessPoolExecutor:
    """Worker processes: forked when this process runs no other thread (fast), else spawned."""
    method = "fork" if threading.active_count() == 1 and sys.platform == "linux" else "spawn"
    pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context(method))
    pool.submit(int).result()  # start the workers now, while this process has no other thread
    return pool


_WORKER: dict[str, Catalog] = {}


def _work(db: str, ee_metadata: Mapping[str, Any], in_place: bool, replace: bool,
          collection: str | None, threads: int, footprint: Footprint, src: str,
          new_dir: Path | None, revision: str | None, catalog: Catalog | None = None) -> _Prepared:
    """Open, checksum, footprint and convert one product (in a worker process or in the caller)."""
    from palsar2 import products
    from palsar2.catalog.catalog import Catalog

    cat = catalog or _WORKER.get(db)
    if cat is None:  # a fresh connection in this worker, never one inherited through fork
        cat = _WORKER[db] = Catalog(db, recover=False)
    product = products.open_product(src, **ee_metadata)
    return _prepare(cat, product, in_place=in_place, replace=replace, collection=collection,
                    threads=threads, new_dir=new_dir, revision=revision, footprint=footprint)


def _inside(source: str, items_dir: Path) -> bool:
    # The catalog's own COG copies are not products to ingest (a user may ingest a parent folder);
    # anything else under the home (e.g. the demo's simulation folder) is.
    if source.startswith("/vsi"):
        return False
    try:
        return Path(source).resolve().is_relative_to(items_dir.resolve())
    except (OSError, ValueError):
        return False


@dataclass
class _Prepared:
    """A product read, checksummed and (for copies) converted, ready to commit."""

    item_id: str
    digest: str
    skip: str | None = None
    row: dict[str, Any] | None = None
    move: ItemMove | None = None
    collection: str | None = None
    definition: Any = None
    replace: bool = False


def ingest_product(catalog: Catalog, product: Any, *, in_place: bool = False,
                   replace: bool = False, collection: str | None = None,
                   footprint: Footprint = "data", report: IngestReport | None = None) -> str:
    """Ingest one opened product; returns its item ID (raises on failure)."""
    report = report if report is not None else IngestReport()
    move = None if in_place else ItemMove(catalog.items_dir, None, None, has_new=True)
    try:
        prep = _prepare(catalog, product, in_place=in_place, replace=replace,
                        collection=collection, new_dir=move.new if move else None,
                        revision=move.token if move else None, footprint=footprint)
    except BaseException:
        if move is not None:
            move.abort(catalog.store)
        raise
    prep.move = move
    _commit(catalog, prep, report)
    return prep.item_id


def _prepare(catalog: Catalog, product: Any, *, in_place: bool, replace: bool,
             collection: str | None, threads: int | str = "ALL_CPUS",
             new_dir: Path | None = None, revision: str | None = None,
             footprint: Footprint = "data") -> _Prepared:
    """Everything but the commit: checksum, footprint, COGs into ``new_dir``, the row."""

    store = catalog.store
    item_id = product.id
    digest = checksum([(b.polarisation, b.href) for b in product.bands])
    state = store.item_state(item_id)
    if state is not None and not replace:
        if state[0] == digest:
            return _Prepared(item_id, digest, skip=SAME)
        raise _conflict(item_id)
    cid = collection or assign_collection(product.start_time.date(), product.frame)
    definition = catalog.definition(cid)
    geometry, source = _footprint(product, footprint)
    if new_dir is None:
        assets = _source_assets(product)
        revision = revision or uuid.uuid4().hex
    else:
        assets = _copy_assets(product, new_dir, catalog.items_dir / item_id, item_id, threads)
        crashpoint("after_cog")
    item = build_item(product, collection=cid, definition=definition, geometry=geometry,
                      assets=assets, checksum=digest, in_place=in_place,
                      footprint_source=source)
    row = item_row(item, revision=revision, in_place=in_place, now=time.time())
    return _Prepared(item_id, digest, row=row, collection=cid, definition=definition,
                     replace=replace)


def _footprint(product: Any, how: Footprint) -> tuple[Any, str]:
    """The footprint and where it came from: valid pixels, or summary.txt's image corners."""
    if how == "summary" and product.summary is not None:
        import shapely
        from shapely.geometry import Polygon
        from shapely.geometry.polygon import orient

        poly = Polygon(product.summary.image_corners.ring())
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        return orient(poly, 1.0), "summary.txt image corners"
    if how not in ("data", "summary"):
        raise ParameterError(f"footprint: {how!r} is not 'data' or 'summary'")
    from palsar2.products import footprint

    return footprint(product), "valid data"


def _commit(catalog: Catalog, prep: _Prepared, report: IngestReport) -> None:
    """One write transaction: re-check, move the folders, write the row; then clean up."""
    store = catalog.store
    move = prep.move
    if move is not None:
        move.item_id = prep.item_id
        move.revision = prep.row["revision"] if prep.row else None
    if prep.skip:
        if move is not None:
            move.abort(store)
        report.skipped.append((prep.item_id, prep.skip))
        return
    assert prep.row is not None and prep.definition is not None
    try:
        with store.transaction() as con:
            # Re-check under the write lock: another process may have ingested it meanwhile.
            state = store.item_state(prep.item_id)
            if state is not None and not prep.replace:
                if state[0] == prep.digest:
                    raise _Skip
                raise _conflict(prep.item_id)
            if move is None and (catalog.items_dir / prep.item_id).exists():
                # In-place replacement of a copied item: its folder goes, two-phase as well.
                move = ItemMove(catalog.items_dir, prep.item_id, revision=None, has_new=False)
                move.revision = prep.row["revision"]
            if move is not None:
                move.write_plan()
            store.ensure_collection(con, prep.collection, prep.definition.to_dict())
            if move is not None:
                move.swap()
            store.write_item(con, prep.row)
            crashpoint("before_commit")
        crashpoint("after_commit")
    except _Skip:
        if move is not None:
            move.abort(store)
        report.skipped.append((prep.item_id, SAME))
        return
    except BaseException:
        if move is not None:
            move.abort(store)
        raise
    if move is not None:
        move.finish()
    report.ingested.append(prep.item_id)
    if state is not None:
        report.replaced.append(prep.item_id)


class _Skip(Exception):
    """Another process committed the same product first."""


def _conflict(item_id: str) -> ConflictError:
    return ConflictError(f"{item_id}: already in the catalog with different image bytes "
                         "(use replace=True / --replace to overwrite it)")


def _source_assets(product: Any) -> dict[str, Asset]:
    """Assets pointing at the original files (GDAL paths, possibly /vsizip/)."""
    assets: dict[str, Asset] = {}
    for band in product.bands:
        assets[band.polarisation] = Asset(band.href, TIFF_TYPE, ("data",),
                                          f"{band.polarisation} amplitude (DN)")
    first = product.bands[0]
    if first.lut_href:
        assets["lut"] = Asset(first.lut_href, "text/plain", ("metadata",), "Calibration LUT")
    summary_href = _summary_href(product)
    if summary_href:
        assets["summary"] = Asset(summary_href, "text/plain", ("metadata",), "summary.txt")
    return assets


def _summary_href(product: Any) -> str | None:
    s = getattr(product, "summary", None)
    src = getattr(s, "source", None) if s is not None else None
    return str(src) if src else None


def _copy_assets(product: Any, new: Path, final: Path, item_id: str,
                 threads: int | str = "ALL_CPUS") -> dict[str, Asset]:
    """Write COGs (and copy LUT, summary) into the move's new folder; hrefs name the final place."""
    assets: dict[str, Asset] = {}
    tags = {"PALSAR2_ITEM_ID": item_id, "SOURCE": str(product.source),
            "CALIBRATION_DB": repr(float(product.calibration_db))}
    for band in product.bands:
        name = f"{band.polarisation}.tif"
        write_cog(band.href, product.geobox, new / name, polarisation=band.polarisation,
                  tags={**tags, "CALIBRATION_DB": repr(float(band.calibration_db))},
                  threads=threads)
        assets[band.polarisation] = Asset(str(final / name), COG_TYPE, ("data",),
                                          f"{band.polarisation} amplitude (DN)")
    first = product.bands[0]
    if first.lut_href:
        copy_href(first.lut_href, new / "lut.txt")
        assets["lut"] = Asset(str(final / "lut.txt"), "text/plain", ("metadata",),
                              "Calibration LUT")
    summary = getattr(product, "summary", None)
    if summary is not None:
        (new / "summary.txt").write_bytes(summary.to_bytes())
        assets["summary"] = Asset(str(final / "summary.txt"), "text/plain", ("metadata",),
                                  "summary.txt")
    return assets


def delete_item(catalog: Catalog, item_id: str) -> None:
    """Remove an item and (for copies) its folder, atomically."""
    from palsar2.errors import NotFoundError

    store = catalog.store
    state = store.item_state(item_id)
    if state is None:
        raise NotFoundError(f"{item_id}: no such item in {store.path}")
    move = ItemMove(catalog.items_dir, item_id, revision=None, has_new=False)
    try:
        move.write_plan()
        with store.transaction() as con:
            if not store.delete_row(con, item_id):
                raise NotFoundError(f"{item_id}: no such item in {store.path}")
            move.swap()
            crashpoint("before_commit")
        crashpoint("after_commit")
    except BaseException:
        move.abort(store)
        raise
    move.finish()
