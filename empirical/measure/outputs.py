"""Sections 3-4 output integrity: one writer per output folder, atomic files, markers written last.

``OutputLock(folder)`` creates ``folder/_lock.json`` with ``O_CREAT | O_EXCL``
(pid, host and start time of the holder); a second writer finds it and is
refused with one line naming the holder. A lock whose pid no longer runs on
this host (a crashed or killed run) is stale and is taken over; a lock from
another host is never judged stale (its pid means nothing here): remove it by
hand once that run is gone. A lock file that is empty or not JSON (a crash
between creating and writing it) is stale once it is older than
``DAMAGED_LOCK_AGE_S`` seconds (a live writer fills it within microseconds of
creating it); a younger one is waited for. Every file is written to a unique temporary file
in the same folder and moved into place with ``os.replace``, so a reader sees
either the old file or the new one, never half of one.
"""
from __future__ import annotations

import datetime
import errno
import json
import os
import socket
import tempfile
import time
from pathlib import Path

from infogeo.validation import ValidationError

__all__ = ["LOCK", "OutputLockedError", "OutputLock", "atomic_write_bytes", "atomic_write_text", "check_writable"]

LOCK = "_lock.json"
#: An empty or unreadable lock file older than this (seconds) is left from a crash: taken over.
DAMAGED_LOCK_AGE_S = 5.0


class OutputLockedError(ValidationError):
    """Another live run holds the output folder's lock."""


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a unique temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def check_writable(folder) -> Path:
    """Create ``folder`` (and parents) and check a file can be made in it; an error names the folder."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"--out {folder} exists and is not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PermissionError(f"cannot write into output folder {folder}: {exc.strerror or exc}") from None
    return folder


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class OutputLock:
    """Exclusive lock on an output folder for the duration of a ``with`` block (see the module docstring)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.record = None

    def _holder(self) -> dict | None:
        try:
            holder = json.loads(self.path.read_text())
            return holder if isinstance(holder, dict) and holder else {}
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # being written (young) or left damaged by a crash (old): see acquire

    def acquire(self) -> OutputLock:
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        deadline = time.monotonic() + 2 * DAMAGED_LOCK_AGE_S
        while time.monotonic() < deadline:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:
                    continue  # released in between: try again
                if holder == {} and not self._damaged_and_old():
                    time.sleep(0.05)  # being written right now: wait for its content
                    continue
                if holder == {} or (holder.get("host") == record["host"] and isinstance(holder.get("pid"), int)
                                    and not _pid_alive(holder["pid"])):
                    # stale: its process is gone on this host, or a crash left it empty. Remove and retry
                    # (O_EXCL decides any race).
                    self._remove_stale()
                    continue
                raise OutputLockedError(
                    f"{self.folder} is being written by another run (pid {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')} since {holder.get('started', '?')}); wait for it, or delete "
                    f"{self.path} if that run is gone") from None
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                    raise PermissionError(f"cannot write into output folder {self.folder}: {exc.strerror}") from None
                raise
            with os.fdopen(fd, "w") as fh:
                json.dump(record, fh)
            self.record = record
            return self
        raise OutputLockedError(f"{self.folder}: could not take the lock {self.path} (it keeps changing hands)")

    def _damaged_and_old(self) -> bool:
        try:
            return time.time() - self.path.stat().st_mtime > DAMAGED_LOCK_AGE_S
        except FileNotFoundError:
            return True

    def _remove_stale(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def release(self) -> None:
        if self.record is not None and self._holder() == self.record:
            os.unlink(self.path)
        self.record = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
