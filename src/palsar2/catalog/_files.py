"""File plumbing of the catalog: streaming reads of GDAL paths, checksums, two-phase item folders.

Copying ingest and delete move whole item folders (``items/<id>/``) with a plan kept in
``items/.incoming/<token>/`` and a lock file beside it, so that a crash or SIGKILL at any moment is
undone or completed by the next process that opens the catalog:

1. lock ``.incoming/<token>.lock`` (flock), make ``<token>/new/`` and write the COGs there;
2. write ``<token>/plan.json`` (item ID, revision);
3. in one SQLite write transaction: move the current ``items/<id>`` to ``<token>/old``, move
   ``new`` to ``items/<id>``, write the row with ``revision = token``, commit;
4. delete ``plan.json`` (the point of no return), then the rest of ``<token>``.

Recovery of an unlocked plan: if the row's revision equals the plan's, the move committed and only
the leftovers go; otherwise the new folder is moved aside and the old one put back.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from palsar2.errors import CatalogError

INCOMING = ".incoming"
CHUNK = 4 << 20
_CRASH_ENV = "PALSAR2_TEST_CRASH_AT"


def crashpoint(name: str) -> None:
    """Kill this process at a named step when a test asks for it (atomicity tests only)."""
    if os.environ.get(_CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def split_vsizip(href: str) -> tuple[str, str] | None:
    """``/vsizip/{archive}/{member}`` or ``/vsizip/a.zip/member`` -> (archive, member)."""
    if not href.startswith("/vsizip/"):
        return None
    rest = href[len("/vsizip/"):]
    if rest.startswith("{"):
        end = rest.find("}")
        return rest[1:end], rest[end + 2:]
    i = rest.lower().find(".zip/")
    return (rest, "") if i < 0 else (rest[: i + 4], rest[i + 5:])


@contextmanager
def open_href(href: str) -> Iterator[IO[bytes]]:
    """A binary stream over a local path or a zip member given as a GDAL ``/vsizip/`` path."""
    parts = split_vsizip(href)
    try:
        if parts is None:
            if href.startswith("/vsi"):
                raise CatalogError(f"{href}: only local files and /vsizip/ members can be read "
                                   "for checksums and copies")
            with open(href, "rb") as f:
                yield f
        else:
            with zipfile.ZipFile(parts[0]) as z, z.open(parts[1]) as f:
                yield f
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise CatalogError(f"{href}: cannot read ({exc})") from None


def checksum(hrefs: list[tuple[str, str]]) -> str:
    """SHA-256 over the bytes of each (polarisation, image) in order: the identity of a product."""
    total = hashlib.sha256()
    for pol, href in hrefs:
        h = hashlib.sha256()
        with open_href(href) as f:
            while block := f.read(CHUNK):
                h.update(block)
        total.update(f"{pol}:{h.hexdigest()}\n".encode())
    return "sha256:" + total.hexdigest()


def copy_href(href: str, dest: Path) -> None:
    """Copy a small file (LUT, summary) from a local path or zip member."""
    with open_href(href) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)


class ItemMove:
    """One two-phase change of an item folder (see the module docstring)."""

    def __init__(self, items_dir: Path, item_id: str | None, revision: str | None,
                 has_new: bool) -> None:
        self.items_dir = items_dir
        self.item_id = item_id  # may be set later, before write_plan (known once a product is open)
        self.revision = revision
        self.has_new = has_new
        inc = items_dir / INCOMING
        try:
            inc.mkdir(parents=True, exist_ok=True)
            while True:
                token = uuid.uuid4().hex
                lock_path = inc / f"{token}.lock"
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _same_file(fd, lock_path):  # a cleaner did not remove it under us
                    break
                os.close(fd)
            self.token, self.lock_path, self._fd = token, lock_path, fd
            self.dir = inc / token
            self.dir.mkdir()
            self.new = self.dir / "new"
            if has_new:
                self.new.mkdir()
        except OSError as exc:
            raise CatalogError(f"{inc}: cannot make a temporary folder ({exc.strerror})") from None

    @property
    def final(self) -> Path:
        assert self.item_id is not None
        return self.items_dir / self.item_id

    def write_plan(self) -> None:
        """Record what this move will do, before anything outside ``.incoming`` changes."""
        plan = {"id": self.item_id, "revision": self.revision, "has_new": self.has_new}
        tmp = self.dir / "plan.tmp"
        tmp.write_text(json.dumps(plan))
        os.replace(tmp, self.dir / "plan.json")
        crashpoint("after_plan")

    def swap(self) -> None:
        """Inside the write transaction: old folder aside, new folder in place."""
        if self.final.exists():
            os.replace(self.final, self.dir / "old")
            crashpoint("after_move_old")
        if self.has_new:
            os.replace(self.new, self.final)
            crashpoint("after_move_new")

    def finish(self) -> None:
        """After commit: drop the plan (point of no return), the old folder and the lock."""
        _forget(self.dir)
        self.release()

    def abort(self, store: Any) -> None:
        """After a failure: put things back as the committed state says, then clean up."""
        recover(store, self.items_dir, self.dir)
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            try:
                self.lock_path.unlink()
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _forget(txn: Path) -> None:
    try:
        (txn / "plan.json").unlink()
    except FileNotFoundError:
        pass
    shutil.rmtree(txn, ignore_errors=True)


def recover(store: Any, items_dir: Path, txn: Path) -> None:
    """Complete or undo one interrupted move (the caller holds its lock)."""
    plan_path = txn / "plan.json"
    if not plan_path.exists():  # nothing outside .incoming was touched yet, or all is done
        shutil.rmtree(txn, ignore_errors=True)
        return
    plan = json.loads(plan_path.read_text())
    final = items_dir / plan["id"]
    with store.transaction():  # the write lock: no other process is between swap and commit
        state = store.item_state(plan["id"])
        revision = state[1] if state is not None else None
        if revision != plan["revision"]:
            new, old, discard = txn / "new", txn / "old", txn / "discard"
            if plan["has_new"] and not new.exists() and not discard.exists() and final.exists():
                os.replace(final, discard)  # the uncommitted new folder
            if old.exists():
                os.replace(old, final)
        _forget(txn)


def clean_incoming(store: Any, items_dir: Path) -> int:
    """Recover every move whose process died (unlocked plan); returns how many were recovered."""
    inc = items_dir / INCOMING
    if not inc.is_dir():
        return 0
    n = 0
    for lock_path in sorted(inc.glob("*.lock")):
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue  # a live process owns it
                raise
            if not _same_file(fd, lock_path):
                continue
            recover(store, items_dir, inc / lock_path.name[: -len(".lock")])
            lock_path.unlink(missing_ok=True)
            n += 1
        finally:
            os.close(fd)
    return n
