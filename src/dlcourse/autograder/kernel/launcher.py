"""Start an IPython kernel for one submission, after limiting what it may consume.

Run inside the sandbox as ``python -m dlcourse.autograder.kernel.launcher [limits] -- -f CONNECTION``.
Limits are set with ``setrlimit`` in this process before ipykernel starts, so they hold for the
student's code and everything it forks. When started as root, the process then switches to the
unprivileged ``--uid`` (RLIMIT_NPROC is not enforced for root).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys


def apply_limits(memory_mb: int, processes: int, file_mb: int) -> None:
    """Cap address space, number of processes (threads included), file size; disable core dumps."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * mb, memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * mb, file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (and group ``uid``) with no supplementary groups; irreversible."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def main(argv: list[str] | None = None) -> None:
    """Parse the limits and the kernel's arguments, drop to ``--uid`` (as root), apply the limits,
    then start ipykernel in this process (single-threaded numerics, no plot windows)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.uid is not None and os.geteuid() == 0:
        drop_privileges(args.uid)
    apply_limits(args.memory_mb, args.processes, args.file_mb)
    kernel_args = [a for a in args.kernel_args if a != "--"]
    # Single-threaded numerical libraries: parallel jobs already use every core.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"
    os.environ["MPLBACKEND"] = "agg"
    from ipykernel import kernelapp

    sys.argv = ["ipykernel", *kernel_args, "--HistoryManager.enabled=False", "--IPKernelApp.quiet=True"]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
