"""The data an assignment reads, verified before grading and visible read-only in the sandbox.

A student's kernel has no network and sees no folder of the grader's, so a notebook that calls
``dlcourse.data.load_mnist()`` would fail there and cost the student the points of every test that
needs it. Before anyone is graded, :func:`stage` finds each file of the data sets the assignment
reads (``DLCOURSE_DATA``, then the user cache, then a download, all outside the sandbox) and checks
its SHA-256; the kernel then gets the files bound read-only under :data:`SANDBOX_DATA` and
``DLCOURSE_DATA`` pointing there. A file that cannot be had stops the command before grading.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

#: Where the data files appear inside the sandbox.
SANDBOX_DATA = "/course-data"


class DataUnavailable(RuntimeError):
    """A data file the assignment reads is missing, corrupt or cannot be downloaded."""


@dataclass
class StagedData:
    """The verified files of the assignment's data sets: name -> path on this machine."""

    files: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None   # a folder of links to the files, for kernels run without the sandbox

    @staticmethod
    def _inside_name(name: str, path: Path) -> str:
        return name + ".gz" if path.suffix == ".gz" else name

    def bwrap_args(self) -> list[str]:
        """bubblewrap arguments binding every file read-only under SANDBOX_DATA."""
        if not self.files:
            return []
        args = ["--perms", "0755", "--dir", SANDBOX_DATA]  # folders any kernel user may search
        for dataset in sorted({name.split("/", 1)[0] for name in self.files}):
            args += ["--perms", "0755", "--dir", f"{SANDBOX_DATA}/{dataset}"]
        for name, path in sorted(self.files.items()):
            args += ["--ro-bind", str(path), f"{SANDBOX_DATA}/{self._inside_name(name, path)}"]
        return args

    def kernel_env(self, sandbox: bool) -> dict[str, str]:
        """The kernel's DLCOURSE_DATA (nothing when the assignment reads no data)."""
        if not self.files:
            return {}
        return {"DLCOURSE_DATA": SANDBOX_DATA if sandbox else str(self.folder)}


def stage(datasets: list[str], workdir: Path) -> StagedData:
    """Find and verify every file of ``datasets``; raises DataUnavailable naming the first one that
    cannot be had and how to get it."""
    from dlcourse.data.files import DataError, checksums, locate

    known = checksums()
    staged = StagedData(folder=workdir / "data")
    for dataset in datasets:
        names = sorted(n for n in known if n.split("/", 1)[0] == dataset)
        if not names:
            raise DataUnavailable(f"the assignment reads the data set {dataset!r}, which the course does not know "
                                  f"(known: {sorted({n.split('/', 1)[0] for n in known})})")
        for name in names:
            try:
                path = locate(name).resolve()
            except DataError as error:
                raise DataUnavailable(str(error)) from None
            staged.files[name] = _readable_by_all(path, workdir / "copies" / name)
    for name, path in staged.files.items():
        link = staged.folder / StagedData._inside_name(name, path)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path)
    return staged


def _readable_by_all(path: Path, copy: Path) -> Path:
    """``path`` when every user may read it (the sandboxed kernel runs as a user of its own), else a
    read-only copy at ``copy`` (plus ``path``'s ``.gz`` suffix) in the grader's working folder."""
    if path.stat().st_mode & stat.S_IROTH and all(p.stat().st_mode & stat.S_IXOTH for p in path.parents):
        return path
    target = copy.with_name(copy.name + path.suffix) if path.suffix == ".gz" else copy
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    os.chmod(target, 0o444)
    return target
