"""The sandbox a student's kernel runs in, and the command line that starts it.

With bubblewrap (``bwrap``) the kernel sees a read-only view of the system libraries, the Python
installation and the course package (``src/``) only: no solutions, no hidden tests, no other
submission, no gradebook, and a private writable scratch folder. It has no network (its own
network namespace), its own PID namespace (a fork bomb stays inside and dies with it) and, when the
grader runs as root, an unprivileged user id per job slot. Inside, :mod:`kernel_launcher` sets
resource limits (address space, processes, file size, no core dumps) before starting ipykernel.

The kernel talks to the driver over Unix-domain sockets in the scratch folder (ZeroMQ's ``ipc``
transport), which work across network namespaces where TCP on localhost would not.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

#: System folders the kernel may read (those that exist on this machine).
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc")
#: First unprivileged user id given to sandboxed kernels (see job_uid).
BASE_UID = 61000
MAX_JOBS = 64


def job_uid(slot: int) -> int:
    """The unprivileged user id of job slot ``slot`` of this grading run.

    Each run gets its own block of ids (from its process id), so two runs on one machine never
    share a user, and killing one job's processes never touches another run's kernels.
    """
    if not 0 <= slot < MAX_JOBS:
        raise ValueError(f"job slot {slot} out of range: at most {MAX_JOBS} parallel jobs")
    return BASE_UID + (os.getpid() % 4096) * MAX_JOBS + slot


@dataclass(frozen=True)
class Limits:
    """Resource limits of one student's kernel."""

    memory_mb: int = 2048          # RLIMIT_AS: address space of the kernel process
    processes: int = 96            # RLIMIT_NPROC: processes and threads of the sandbox's user
    file_mb: int = 64              # RLIMIT_FSIZE: largest file the student's code may write
    cell_timeout: float = 60.0     # seconds per cell
    notebook_timeout: float = 300.0  # seconds per notebook, kernel start included
    output_bytes: int = 64_000     # output kept per cell (the rest is dropped)


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed."""
    return shutil.which("bwrap")


def python_roots() -> list[Path]:
    """Folders the kernel's Python needs: the virtual environment, the base installation and the
    folders of importable packages outside both (an editable install's ``src/``)."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    import dlcourse

    roots.add(Path(dlcourse.__file__).resolve().parent.parent)  # src/ of an editable install
    return sorted(roots)


def _parents_with_perms(path: Path, made: set) -> list[str]:
    """bwrap arguments creating every parent folder of ``path`` world-traversable (0755), so an
    unprivileged user can reach the folders bound below them (``made``: folders already there)."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) not in made:
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(str(parent))
    return args


def bwrap_command(scratch: Path, extra_binds: list[str] = ()) -> list[str]:
    """The bubblewrap prefix that confines a command to the read-only Python and system folders
    and the read-write ``scratch`` folder (also its home and temporary folder); ``extra_binds`` are
    more bubblewrap arguments (the read-only data files)."""
    args = [bwrap_path() or "bwrap", "--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/tmp"}
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    for root in python_roots():
        if any(str(root).startswith(d + "/") for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)):
            continue
        args += _parents_with_perms(root, made) + ["--ro-bind", str(root), str(root)]
    args += _parents_with_perms(scratch, made) + ["--bind", str(scratch), str(scratch)] + list(extra_binds)
    args += ["--dev", "/dev", "--proc", "/proc",
             "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--chdir", str(scratch)]
    return args


def kernel_command(connection_file: Path, scratch: Path, limits: Limits, slot: int, sandbox: bool,
                   extra_binds: list[str] = ()) -> list[str]:
    """The full command line starting one student's kernel (in the sandbox unless ``sandbox`` is
    False), with its resource limits and, when running as root in the sandbox, an unprivileged user id."""
    launcher = [sys.executable, "-m", "dlcourse.autograder.kernel.launcher",
                "--memory-mb", str(limits.memory_mb), "--processes", str(limits.processes),
                "--file-mb", str(limits.file_mb)]
    if os.geteuid() == 0 and sandbox:
        launcher += ["--uid", str(job_uid(slot))]
    launcher += ["--", "-f", str(connection_file)]
    return (bwrap_command(scratch, extra_binds) + ["--"] if sandbox else []) + launcher


def protections(sandbox: bool, limits: Limits) -> list[tuple[str, bool, str]]:
    """(protection, active, how) for the report: what the grader did to contain submissions."""
    root = os.geteuid() == 0 and sandbox   # a user of its own per job needs the sandbox (see runner.Kernel)
    rows = [
        ("Hidden tests rebuilt from the instructor's source", True,
         "the student's notebook only contributes its answer cells; test cells come from solutions/"),
        ("Test helpers restored before every test cell", True,
         "numpy, math, builtins, torch and dlcourse.grading are reset to their state at kernel start"),
        ("Pass/fail from the kernel's execute reply", True, "printed text cannot fake a pass"),
        ("Per-cell and per-notebook time limits", True,
         f"{limits.cell_timeout:g} s per cell, {limits.notebook_timeout:g} s per notebook; the kernel is killed"),
        ("Memory limit (RLIMIT_AS)", True, f"{limits.memory_mb} MB address space"),
        ("Process limit (RLIMIT_NPROC)", root,
         f"{limits.processes} processes/threads"
         + ("" if root else " (not enforced: needs root and the sandbox to give each kernel its own user id)")),
        ("File size limit (RLIMIT_FSIZE), no core dumps", True, f"{limits.file_mb} MB per file"),
        ("Outputs capped", True, f"{limits.output_bytes} bytes per cell"),
        ("Filesystem isolation (bubblewrap)", sandbox,
         "read-only system and Python folders; only a private scratch folder is writable; "
         "no course repository, solutions, other submissions or gradebook" if sandbox else "off (--no-sandbox)"),
        ("No network (network namespace)", sandbox, "--unshare-net" if sandbox else "off (--no-sandbox)"),
        ("Own PID namespace", sandbox, "--unshare-pid: every process of the submission dies with its kernel"
         if sandbox else "off (--no-sandbox)"),
        ("Unprivileged user id per job", root,
         "a user id of its own per job slot and run" if root
         else "off: runs as the grader's user (needs root and the sandbox)"),
    ]
    return rows
