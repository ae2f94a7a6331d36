"""Execute one submission's program in a fresh, confined kernel and judge every test cell.

The driver (this module, outside the sandbox) holds the program, hidden tests included, in memory
and sends it cell by cell over the kernel's channels; the tests never exist as a file the student's
code could read. A test cell passes when the kernel's ``execute_reply`` says ``ok`` and it emitted
no error, and it scores by nbgrader's own rule applied to the outputs the kernel sent
(:mod:`dlcourse.autograder.scoring`): printed text ("All tests passed!") cannot fake a pass, and a
number the cell returns as its result is its partial credit. One kernel is started per
submission; a timeout, a dead kernel or a resource limit stops the run and keeps the results so far.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from dlcourse.autograder.assemble import Assignment, Step, StepKind
from dlcourse.autograder.datasets import StagedData
from dlcourse.autograder.scoring import KEPT_DATA
from dlcourse.autograder.status import Status
from dlcourse.autograder.sandbox import Limits, job_uid, kernel_command

MESSAGE_CHARS = 400          # an error message kept for feedback
TOTAL_OUTPUT_BYTES = 256_000  # output kept per notebook
MAX_OUTPUTS = 1000           # outputs kept per cell (a print in a loop makes one per line)


@dataclass
class CellResult:
    """What one executed cell did."""

    step: Step
    ok: bool
    error: str = ""           # "Name: message" of the first error, shortened
    output: str = ""          # capped text output
    seconds: float = 0.0
    outputs: list = field(default_factory=list)  # nbformat outputs, in order (what nbgrader would store)


@dataclass
class RunResult:
    """The outcome of running one submission's program."""

    status: Status = Status.GRADED   # or TIMEOUT, RESOURCE_LIMIT, KERNEL_DIED
    reason: str = ""
    cells: list[CellResult] = field(default_factory=list)
    seconds: float = 0.0

    def test_results(self) -> dict[str, CellResult]:
        """The result of every test cell that ran, by its grade_id (a test cell not run is absent)."""
        return {c.step.grade_id: c for c in self.cells if c.step.kind == StepKind.TEST}

    def failed_answers(self) -> dict[str, list[CellResult]]:
        """For each test cell, the answer cells between it and the previous test cell that raised:
        the usual cause of the test's own error (a name the answer cell never got to define)."""
        failed, pending = {}, []
        for cell in self.cells:
            if cell.step.kind == StepKind.ANSWER and not cell.ok:
                pending.append(cell)
            elif cell.step.kind == StepKind.TEST:
                failed[cell.step.grade_id], pending = pending, []
        return failed


class KernelDied(Exception):
    """The kernel process exited while the driver waited for it."""


class CellTimeout(Exception):
    """A cell ran past its time limit."""


def _kernel_env(scratch: Path) -> dict:
    """A small environment for the kernel: nothing of the grader's own variables leaks in."""
    import sys

    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(scratch), "TMPDIR": str(scratch), "IPYTHONDIR": str(scratch / ".ipython"),
        "MPLCONFIGDIR": str(scratch / ".matplotlib"), "JUPYTER_RUNTIME_DIR": str(scratch / ".jupyter"),
        # No PYTHONWARNINGS: the kernel shows warnings as nbgrader's kernel does, and a test cell
        # that writes to stderr scores 0 under both graders alike.
        "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


class Kernel:
    """A sandboxed kernel with a blocking client, killed (with all its processes) on close."""

    def __init__(self, workdir: Path, limits: Limits, slot: int, sandbox: bool, data: StagedData | None = None):
        self.limits, self.slot, self.sandbox = limits, slot, sandbox
        self.scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=workdir))
        # A user of its own per job, inside the sandbox only: outside it, that user may not even be able to
        # read the Python installation (e.g. one under /root).
        self.uid = job_uid(slot) if os.geteuid() == 0 and sandbox else None
        connection = self.scratch / "kernel.json"
        write_connection_file(str(connection), transport="ipc", ip=str(self.scratch / "k"),
                              key=secrets.token_hex(16).encode())
        if self.uid is not None:
            os.chown(self.scratch, self.uid, self.uid)
            os.chown(connection, self.uid, self.uid)
        self.stderr_path = workdir / f"kernel-{self.scratch.name}.log"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                kernel_command(connection, self.scratch, limits, slot, sandbox, data.bwrap_args() if data else []),
                cwd=self.scratch, env=_kernel_env(self.scratch) | (data.kernel_env(sandbox) if data else {}),
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                start_new_session=True)
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(connection))
        self.client.start_channels()

    def alive(self) -> bool:
        """Whether the kernel process is still running."""
        return self.process.poll() is None

    def wait_ready(self, deadline: float) -> None:
        """Wait for the kernel to answer a kernel_info request."""
        msg_id = self.client.kernel_info()
        while True:
            self._check(deadline)
            try:
                reply = self.client.get_shell_msg(timeout=0.1)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        while True:  # drain the start-up iopub messages
            try:
                self.client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                return

    def _check(self, deadline: float) -> None:
        if not self.alive():
            raise KernelDied(self.process.returncode)
        if time.monotonic() > deadline:
            raise CellTimeout()

    def execute(self, code: str, deadline: float, output_cap: int) -> tuple[bool, str, str, list]:
        """Run ``code``; return (ok, first error, capped output, nbformat outputs). Raises CellTimeout,
        KernelDied. The outputs keep what scoring needs: each stream's name (its text capped), each
        error, and of results and displays only their text and check results."""
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        error, chunks, size, truncated, idle, reply = "", [], 0, False, False, None
        outputs: list[dict] = []
        while not (idle and reply is not None):
            self._check(deadline)
            try:
                msg = self.client.get_iopub_msg(timeout=0.05) if not idle else None
            except queue.Empty:
                msg = None
            if msg is not None and msg["parent_header"].get("msg_id") == msg_id:
                kind, content = msg["msg_type"], msg["content"]
                text = ""
                if kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                elif kind == "stream":
                    text = content.get("text", "")
                    _add_stream(outputs, content.get("name", "stdout"), text)
                elif kind in ("execute_result", "display_data"):
                    data = content.get("data", {})
                    text = str(data.get("text/plain", ""))[:output_cap] + "\n"
                    kept = {k: data[k] for k in KEPT_DATA if k in data and len(str(data[k])) <= output_cap}
                    outputs.append({"output_type": kind, "data": kept, "metadata": {}}
                                   | ({"execution_count": None} if kind == "execute_result" else {}))
                elif kind == "error":
                    error = error or f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
                    text = error + "\n"
                    outputs.append({"output_type": "error", "ename": str(content.get("ename", "Error")),
                                    "evalue": str(content.get("evalue", ""))[:MESSAGE_CHARS], "traceback": []})
                if text and not truncated:
                    room = output_cap - size
                    if len(text) > room:
                        text, truncated = text[:max(room, 0)] + "\n[output truncated]\n", True
                    chunks.append(text)
                    size += len(text)
            if reply is None:
                try:
                    shell = self.client.get_shell_msg(timeout=0 if not idle else 0.05)
                except queue.Empty:
                    continue
                if shell["parent_header"].get("msg_id") == msg_id:
                    reply = shell["content"]
                    if reply.get("status") != "ok" and not error:
                        error = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
        ok = reply.get("status") == "ok" and not error
        return ok, error[:MESSAGE_CHARS], "".join(chunks), _capped(outputs)

    def close(self) -> None:
        """Stop the kernel and every process of its sandbox; remove the scratch folder."""
        try:
            self.client.stop_channels()
        except Exception:  # noqa: BLE001 - closing must never fail the run
            pass
        for kill in (lambda: os.killpg(self.process.pid, signal.SIGKILL), self.process.kill):
            try:
                kill()
            except (ProcessLookupError, PermissionError, OSError):
                pass
        try:
            self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001
            pass
        if self.uid is not None:
            _kill_user(self.uid)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _add_stream(outputs: list[dict], name: str, text: str) -> None:
    """Append a stream output, merged with the previous one of the same stream (as nbclient does)."""
    if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == name:
        outputs[-1]["text"] = (outputs[-1]["text"] + text)[:MESSAGE_CHARS]
    else:
        outputs.append({"output_type": "stream", "name": name, "text": text[:MESSAGE_CHARS]})


def _capped(outputs: list[dict]) -> list[dict]:
    """At most MAX_OUTPUTS outputs: beyond that, stdout text and plain displays are left out, never
    what scores the cell (errors, stderr, results, the checks' report)."""
    if len(outputs) <= MAX_OUTPUTS:
        return outputs
    def scores(o):
        return o["output_type"] in ("error", "execute_result") or o.get("name") == "stderr" or (
            o["output_type"] == "display_data" and len(o["data"]) > 1)
    return [o for o in outputs if scores(o)][-MAX_OUTPUTS:]


def _kill_user(uid: int) -> None:
    """SIGKILL every process of ``uid`` (a job slot's own user), scanning until none is left: a
    fork bomb's processes may still be forking during the first pass."""
    for _ in range(100):
        found = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                        found += 1
                except (FileNotFoundError, ProcessLookupError, PermissionError):
                    pass
        if not found:
            return
        time.sleep(0.05)


def _classify_error(error: str) -> str | None:
    """resource_limit when an error says a limit was hit (memory, processes, file size)."""
    if error.startswith("MemoryError") or "Cannot allocate memory" in error:
        return "ran out of memory"
    if "Resource temporarily unavailable" in error or error.startswith("BlockingIOError"):
        return "hit the limit on processes"
    if "File too large" in error:
        return "wrote a file over the size limit"
    return None


def run_program(assignment: Assignment, steps: list[Step], workdir: Path, limits: Limits, slot: int,
                sandbox: bool, data: StagedData | None = None) -> RunResult:
    """Run ``steps`` in a fresh kernel and record each cell's outcome (see the module docstring)."""
    start = time.monotonic()
    notebook_deadline = start + max(120.0, limits.notebook_timeout)  # start-up; reset once the kernel is ready
    result = RunResult()
    kernel = Kernel(workdir, limits, slot, sandbox, data)
    guard = ("import dlcourse.autograder.kernel.guard as __dlcourse_guard__\n"
             f"__dlcourse_guard__.snapshot({assignment.packages!r})\ndel __dlcourse_guard__")
    restore = ("import dlcourse.autograder.kernel.guard as __dlcourse_guard__\n"
               f"__dlcourse_guard__.restore(globals(), {assignment.import_code!r})\ndel __dlcourse_guard__")
    current: Step | None = None
    budget = TOTAL_OUTPUT_BYTES
    try:
        kernel.wait_ready(min(notebook_deadline, time.monotonic() + 60))
        ok, error, _, _ = kernel.execute(guard, notebook_deadline, 2000)
        if not ok:
            raise RuntimeError(f"the grader's set-up failed in the kernel: {error}")
        notebook_deadline = time.monotonic() + limits.notebook_timeout
        for step in steps:
            current = step
            cell_deadline = min(notebook_deadline, time.monotonic() + limits.cell_timeout)
            if step.kind == StepKind.TEST:
                kernel.execute(restore, cell_deadline, 2000)
            t0 = time.monotonic()
            ok, error, output, outputs = kernel.execute(step.source, cell_deadline, min(limits.output_bytes, budget))
            budget = max(budget - len(output), 1000)
            result.cells.append(CellResult(step=step, ok=ok, error=error, output=output, seconds=time.monotonic() - t0,
                                           outputs=outputs if step.kind == StepKind.TEST else []))
            limit = _classify_error(error)
            if limit:  # stop: a kernel at its limits (e.g. forked copies of itself) is not trustworthy
                result.status = Status.RESOURCE_LIMIT
                result.reason = f"{_where(step)} {limit} ({error[:120]}); later cells were not run"
                break
    except CellTimeout:
        per_cell = time.monotonic() < notebook_deadline - 0.5
        result.status = Status.TIMEOUT
        result.reason = (f"{_where(current)} ran past the time limit "
                         f"of {limits.cell_timeout:g} s per cell" if per_cell else
                         f"the notebook ran past its limit of {limits.notebook_timeout:g} s "
                         f"(stopped in {_where(current, lower=True)[len('while running '):]})")
    except KernelDied as died:
        code = died.args[0]
        what = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        log = kernel.stderr_path.read_text(errors="replace")[-2000:] if kernel.stderr_path.exists() else ""
        if "MemoryError" in log or "Cannot allocate memory" in log or "std::bad_alloc" in log:
            result.status = Status.RESOURCE_LIMIT
            result.reason = f"{_where(current)} ran out of memory and the kernel died"
        else:
            result.status = Status.KERNEL_DIED
            result.reason = f"the kernel died ({what}) {_where(current, lower=True)}"
    finally:
        kernel.close()
        kernel.stderr_path.unlink(missing_ok=True)
        result.seconds = time.monotonic() - start
    return result


def _where(step: Step | None, lower: bool = False) -> str:
    if step is None:
        text = "While starting, the kernel"
    elif step.kind == StepKind.ANSWER:
        text = f"The answer cell '{step.grade_id}'"
    elif step.kind == StepKind.TEST:
        text = f"The test cell '{step.grade_id}'"
    else:
        text = "A set-up cell"
    if lower:
        return "while starting" if step is None else "while running " + text[0].lower() + text[1:]
    return text
