"""``<workdir>/train.lock``: one training process writes a workdir at a time."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import sys
import time
import warnings

LOCK_FILE = "train.lock"


class WorkdirLockedError(RuntimeError):
    """Another training process writes the workdir (its lock file names it)."""


_HELD = set()  # lock files this process holds


def _read_lock(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _holder(text):
    try:
        holder = json.loads(text)
        return holder if isinstance(holder, dict) else {}
    except ValueError:
        return {}


def _process_started(pid):
    """Unix time the process ``pid`` started (Linux ``/proc``), or None where that cannot be told."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _stale(holder, path):
    """Whether a lock's holder is known to be gone: its host is this one and its PID is dead or reused."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    if pid == os.getpid():
        return path not in _HELD  # a lock of an earlier process that had this PID
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    started = _process_started(pid)
    return started is not None and started > holder.get("started_unix", float("inf")) + 1.0


def _take_over(path, text):
    """Removes the stale lock ``path`` if it still holds ``text`` (another process may have taken it over first)."""
    grave = f"{path}.stale-{os.getpid()}"
    try:
        os.rename(path, grave)  # atomic: of two processes taking over, one moves the stale file
    except FileNotFoundError:
        return
    if _read_lock(grave) != text:  # moved the fresh lock of the process that took over first: put it back
        with contextlib.suppress(FileExistsError):
            os.link(grave, path)
    os.unlink(grave)


def _acquire(path):
    now = time.time()
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": datetime.datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"),
          "started_unix": now, "command": " ".join(sys.argv)}
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            text = _read_lock(path)
            if text is None:
                continue  # released meanwhile
            holder = _holder(text)
            if not _stale(holder, path):
                who = (f"PID {holder.get('pid')} on host {holder.get('host')}, started {holder.get('started')}"
                       f"\n  ({holder.get('command', '')})" if holder else "a process that did not record itself")
                raise WorkdirLockedError(
                    f"{os.path.dirname(path)} is being trained by another process: {who}.\nTwo writers would "
                    f"corrupt its checkpoints. Wait for that run to end, or stop it (`kill "
                    f"{holder.get('pid', '<pid>')}` on its host writes a checkpoint and exits); if it is gone (a "
                    f"lock left on another host, or a PID reused), delete {path}.") from None
            warnings.warn(f"Taking over the stale lock {path}: PID {holder['pid']} on this host, started "
                          f"{holder.get('started')}, is gone (the run was killed); its checkpoints are kept.",
                          RuntimeWarning, stacklevel=3)
            _take_over(path, text)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(me))
        _HELD.add(path)
        return me
    raise WorkdirLockedError(f"Could not take the lock {path}: other processes take and release it concurrently.")


@contextlib.contextmanager
def locked(directory):
    """Holds ``directory/train.lock`` (created atomically) while the block runs: one writer per workdir.

    A lock held by a live process raises ``WorkdirLockedError`` naming it (PID, host, start time,
    command). A lock whose process is gone (same host, PID dead or reused) is taken over with a
    ``RuntimeWarning``; a lock from another host is never taken over (its process cannot be seen
    from here). The lock is removed when the block ends, and so is ``directory`` if this call
    created it and it is still empty (a fresh workdir of a run that failed).
    """
    created = not os.path.isdir(directory)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, LOCK_FILE)
    me = _acquire(path)
    try:
        yield path
    finally:
        _HELD.discard(path)
        if _holder(_read_lock(path) or "") == me:
            os.unlink(path)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(directory)
