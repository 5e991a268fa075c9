"""Measure and remove directory trees that a student's processes could write to.

The run's output and IPC dirs (and, with ``--no-sandbox``, its scratch dir) are written
by the kernel, which may plant symlinks and swap them in while we work
(``renameat2(RENAME_EXCHANGE)``). A root grader that follows one of them chmods or
deletes a host path. So every operation here is relative to a directory descriptor
opened with ``O_NOFOLLOW``: a link is never followed, only removed, and a component
swapped for a link makes that step fail instead of escaping the tree. No permission is
ever changed as root (root needs none); a non-root grader, whose kernel shares its uid
in a user namespace and may have closed a directory to it, reopens it only through a
descriptor of that very directory (``/proc/self/fd``), never through a path.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

MAX_DEPTH = 128  # deeper trees count as over budget in ``usage``: no run needs them
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_flat_names = itertools.count()


def open_directory(name: str | Path, dir_fd: int | None = None) -> int:
    """A descriptor of the directory ``name`` (relative to ``dir_fd``), refusing a link in its place.

    A directory its owner closed (mode 000) is reopened after giving the owner access back,
    through a descriptor of the directory itself; as root that never happens.
    """
    try:
        return os.open(name, _DIRECTORY, dir_fd=dir_fd)
    except PermissionError:
        if os.geteuid() == 0:
            raise
    handle = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        if not stat.S_ISDIR(os.fstat(handle).st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(name))
        os.chmod(f"/proc/self/fd/{handle}", 0o700)
        return os.open(f"/proc/self/fd/{handle}", _DIRECTORY)
    finally:
        os.close(handle)


def _entries(directory: int) -> Iterator[tuple[str, bool]]:
    """(name, is a real directory) of each entry; links are not directories here."""
    with os.scandir(directory) as scan:
        for entry in scan:
            try:
                yield entry.name, entry.is_dir(follow_symlinks=False)
            except OSError:
                continue


def remove(path: Path) -> None:
    """Remove ``path`` and everything under it, following no link; never raises (a failure is logged).

    Subdirectories are renamed up into ``path`` before they are emptied, so the tree is
    taken apart level by level with two descriptors open, however deep the student made it.
    """
    try:
        parent = os.open(path.parent, _DIRECTORY)
    except OSError as error:
        log.warning("cannot remove %s: %s", path, error)
        return
    try:
        top = open_directory(path.name, parent)
        with _closing(top):
            _empty(top)
        os.rmdir(path.name, dir_fd=parent)
    except FileNotFoundError:
        pass
    except OSError as error:
        log.warning("run directory %s not fully removed: %s", path, error)
    finally:
        os.close(parent)


def _empty(top: int) -> None:
    """Remove everything in the directory ``top``: files unlinked, subdirectories flattened into it."""
    while True:
        pending = list(_entries(top))
        if not pending:
            return
        for name, is_directory in pending:
            if not is_directory:
                _ignore_missing(os.unlink, name, dir_fd=top)
                continue
            try:
                child = open_directory(name, top)
            except (FileNotFoundError, NotADirectoryError):  # swapped meanwhile: the next pass sees what it is now
                continue
            with _closing(child):
                for inner, inner_is_directory in list(_entries(child)):
                    if inner_is_directory:
                        flat = f".flat-{next(_flat_names)}"
                        _ignore_missing(os.rename, inner, flat, src_dir_fd=child, dst_dir_fd=top)
                    else:
                        _ignore_missing(os.unlink, inner, dir_fd=child)
            with contextlib.suppress(OSError):  # not empty yet (written to meanwhile): the next pass again
                os.rmdir(name, dir_fd=top)


def usage(paths: list[Path], max_entries: int) -> tuple[int, int]:
    """Bytes allocated and entries found under ``paths``, following no link.

    Stops counting past ``max_entries``; a tree deeper than ``MAX_DEPTH`` counts as over
    that budget. Depth first, with one descriptor open per level.
    """
    total = _Usage(max_entries)
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        total.bytes += info.st_blocks * 512
        if stat.S_ISDIR(info.st_mode):
            with contextlib.suppress(OSError):
                total.walk(open_directory(path))
    return total.bytes, total.entries


class _Usage:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.bytes = 0
        self.entries = 0

    def walk(self, top: int) -> None:
        """Count the tree under the open directory ``top`` (closed when done)."""
        stack = [(top, iter(self._count(top)))]
        try:
            while stack and self.entries <= self.max_entries:
                directory, subdirectories = stack[-1]
                name = next(subdirectories, None)
                if name is None:
                    os.close(stack.pop()[0])
                elif len(stack) >= MAX_DEPTH:
                    self.entries = self.max_entries + 1
                else:
                    with contextlib.suppress(OSError):
                        child = open_directory(name, directory)
                        stack.append((child, iter(self._count(child))))
        finally:
            for directory, _ in stack:
                os.close(directory)

    def _count(self, directory: int) -> list[str]:
        """Count a directory's entries and their blocks; returns its subdirectories' names."""
        subdirectories = []
        for name, is_directory in _entries(directory):
            self.entries += 1
            if self.entries > self.max_entries:
                break
            with contextlib.suppress(OSError):
                self.bytes += os.stat(name, dir_fd=directory, follow_symlinks=False).st_blocks * 512
            if is_directory:
                subdirectories.append(name)
        return subdirectories


@contextlib.contextmanager
def _closing(descriptor: int) -> Iterator[int]:
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _ignore_missing(operation, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        operation(*args, **kwargs)
