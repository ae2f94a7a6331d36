"""Mutation pass: how many small, behaviour-changing edits of each solution do the hidden tests catch?

``dlcourse mutate [--all] [SLUG ...]``: one chapter's pass (mutants, the differential check, the
grading), its summary and table, and the command. :mod:`dlcourse.course.mutation` describes the pass.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlcourse.autograder.markers import Markers
from dlcourse.course.chapters import Layout
from dlcourse.course.mutation.differential import (NEGLIGIBLE, Timeout, build_namespace, defined_names, differential,
                                                   record_calls, time_limit)
from dlcourse.course.mutation.grading import grade, grade_directly, grade_with_nbgrader
from dlcourse.course.mutation.mutants import Mutant, generate_mutants
from dlcourse.course.notebooks import nbgrader_meta, read, submission_from_release


@dataclass
class Outcome:
    """What became of one mutant: its verdict, how it differed, and the points it lost."""
    mutant: Mutant
    verdict: str     # equivalent, negligible (differs by < rtol 1e-6), killed, survived, broken (not graded)
    difference: str | None = None
    score: float | None = None
    max_score: float | None = None
    lost: list[str] = field(default_factory=list)


def run_chapter(layout: Layout, slug: str, per_cell: int | None, seed: int, jobs: int, grade_equivalent: bool,
                only: list[str] | None = None, grader: str = "dlcourse", log=print) -> dict:
    """Mutate, check and grade one chapter of the course at ``layout``; its summary (the JSON written)."""
    solution = read(layout.solution(slug))
    release = read(layout.exercise(slug))
    markers = Markers.for_course(layout.root)
    start = time.perf_counter()
    mutants = generate_mutants(solution, per_cell, seed)
    if only:
        mutants = [m for m in mutants if m.grade_id in only]
    log(f"{slug}: {len(mutants)} mutants; recording the test cells' calls on the solution ...")
    calls = record_calls(solution)
    solution_ns = build_namespace(solution)
    answer_sources = {nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells
                      if nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    outcomes = []
    for number, mutant in enumerate(mutants):
        names = defined_names(answer_sources[mutant.grade_id])
        cell_calls = [c for key, recorded in calls.items() for c in recorded
                      if key.split(".")[0] in names]
        try:
            with time_limit(60):
                mutant_ns = build_namespace(solution, {mutant.grade_id: mutant.source})
            difference = differential(solution_ns, mutant_ns, cell_calls, seed)
        except Timeout:
            difference = "defining the cell ran too long"
        except Exception as error:  # noqa: BLE001 - a mutant that breaks at definition time
            difference = f"defining the cell raised {type(error).__name__}"
        if difference is not None and not difference.startswith("defining") and differential(
                solution_ns, mutant_ns, cell_calls, seed, rtol=NEGLIGIBLE[0], atol=NEGLIGIBLE[1]) is None:
            outcomes.append(Outcome(mutant, "negligible", difference))    # differs only below the contract's precision
            continue
        if difference is None and not cell_calls:
            difference = "no recorded calls to compare (treated as behaviour-changing)"
        outcomes.append(Outcome(mutant, "equivalent" if difference is None else "pending", difference))
        if (number + 1) % 25 == 0:
            log(f"  differential check: {number + 1}/{len(mutants)}")
    to_grade = {f"m{i:04d}": o for i, o in enumerate(outcomes) if o.verdict == "pending" or grade_equivalent}
    log(f"{slug}: grading {len(to_grade)} submissions with {grader} ...")
    submissions = {student: submission_from_release(release, solution, {o.mutant.grade_id: o.mutant.source},
                                                    markers=markers)
                   for student, o in to_grade.items()} if grader != "direct" else {}
    submissions["solution"] = submission_from_release(release, solution, markers=markers)
    if grader == "direct":
        tasks = {student: (o.mutant.grade_id, o.mutant.source) for student, o in to_grade.items()}
        results = grade_directly(layout, slug, {**tasks, "solution": (None, None)}, jobs)
    else:
        with tempfile.TemporaryDirectory(prefix=f"mutation-{slug}-") as work:
            grader_of = grade if grader == "dlcourse" else grade_with_nbgrader
            results = grader_of(layout, slug, submissions, Path(work), jobs)
    reference = results["solution"]
    if reference["score"] < reference["max_score"]:
        raise RuntimeError(f"{slug}: the solution itself scored {reference['score']}/{reference['max_score']} "
                           f"({reference['status']}: {reference['reason']}; lost {reference['lost']})")
    for student, outcome in to_grade.items():
        result = results.get(student)
        if result is None:
            outcome.verdict = "broken"
            continue
        outcome.score, outcome.max_score, outcome.lost = result["score"], result["max_score"], result["lost"]
        killed = result["score"] < result["max_score"]
        if outcome.verdict == "equivalent":
            if killed:       # it lost points, so it was not equivalent: the battery missed a difference
                outcome.verdict = "killed"
                outcome.difference = "lost points although the differential check found no difference"
        else:
            outcome.verdict = "killed" if killed else "survived"
    changing = [o for o in outcomes if o.verdict in ("killed", "survived")]
    killed = [o for o in changing if o.verdict == "killed"]
    summary = {
        "slug": slug, "grader": grader, "seed": seed, "per_cell": per_cell,
        "seconds": round(time.perf_counter() - start, 1),
        "generated": len(outcomes), "equivalent": sum(o.verdict == "equivalent" for o in outcomes),
        "negligible": sum(o.verdict == "negligible" for o in outcomes),
        "behaviour_changing": len(changing), "killed": len(killed),
        "kill_rate": round(len(killed) / len(changing), 4) if changing else None,
        "per_cell_counts": {},
        "survivors": [{"cell": o.mutant.grade_id, "kind": o.mutant.kind, "mutation": o.mutant.description,
                       "line": o.mutant.line, "difference": o.difference} for o in outcomes if o.verdict == "survived"],
        "mutants": [dict(asdict(o.mutant), verdict=o.verdict, difference=o.difference, score=o.score,
                         max_score=o.max_score, lost=o.lost) for o in outcomes],
    }
    for o in outcomes:
        counts = summary["per_cell_counts"].setdefault(o.mutant.grade_id, {"generated": 0, "equivalent": 0,
                                                                            "negligible": 0, "killed": 0, "survived": 0,
                                                                            "broken": 0})
        counts["generated"] += 1
        counts[o.verdict] += 1
    return summary


def print_summary(summary: dict) -> None:
    """Print a chapter's mutation summary line: mutants, verdicts, kill rate and time."""
    rate = f"{100 * summary['kill_rate']:.1f} %" if summary["kill_rate"] is not None else "-"
    print(f"\n{summary['slug']} (graded with {summary['grader']}): {summary['generated']} mutants, "
          f"{summary['equivalent']} equivalent, "
          f"{summary['negligible']} negligible, "
          f"{summary['behaviour_changing']} behaviour-changing, {summary['killed']} killed ({rate}); "
          f"{summary['seconds']:.0f} s")
    print(f"  {'answer cell':28} {'mutants':>7} {'equiv.':>7} {'neglig.':>7} {'killed':>7} {'survived':>8}")
    for cell, c in summary["per_cell_counts"].items():
        print(f"  {cell:28} {c['generated']:7d} {c['equivalent']:7d} {c['negligible']:7d} {c['killed']:7d} "
              f"{c['survived']:8d}")
    for s in summary["survivors"]:
        print(f"  SURVIVES  {s['cell']}:{s['line']}  [{s['kind']}]  {s['mutation']}  ({s['difference']})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``dlcourse mutate``."""
    parser.add_argument("slugs", nargs="*", help="chapters (default: every chapter with an exercise)")
    parser.add_argument("--per-cell", type=int, default=25, help="mutants sampled per answer cell (default 25)")
    parser.add_argument("--all", action="store_true", help="every mutant (no sampling)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample and of the input variants")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell", action="append", help="only this answer cell (grade_id); repeatable")
    parser.add_argument("--grade-equivalent", action="store_true",
                        help="grade the mutants found equivalent too (a kill then shows a weak differential check)")
    parser.add_argument("--list", action="store_true", help="only list the mutants, grade nothing")
    parser.add_argument("--grader", choices=("dlcourse", "nbgrader", "direct"), default="dlcourse",
                        help="grade with the instructor's `dlcourse grade` (default), plain nbgrader autograde, "
                             "or directly: the solution's cells in forked processes (quick, for writing tests)")
    parser.add_argument("--out", type=Path, help="the folder of the JSON results (default: benchmarks/results of "
                                                 "the course repository)")
    parser.add_argument("--course", type=Path, help="the course repository (default: found above the current folder)")


def run(args: argparse.Namespace) -> int:
    """Run the pass as ``args`` say: a table per chapter on stdout, progress on stderr, JSON in ``--out``."""
    # Cells run in this process while calls are recorded: their plots must not look for a screen. (Set
    # here, not at import: the tests import this module, and every kernel they start would inherit it.)
    os.environ.setdefault("MPLBACKEND", "Agg")
    layout = Layout.find(args.course)
    slugs = args.slugs or layout.chapter_slugs()
    per_cell = None if args.all else args.per_cell
    out = (args.out or layout.results).resolve()
    out.mkdir(parents=True, exist_ok=True)
    below = []
    for slug in slugs:
        if args.list:
            solution = read(layout.solution(slug))
            for m in generate_mutants(solution, per_cell, args.seed):
                if not args.cell or m.grade_id in args.cell:
                    print(f"{slug} {m.grade_id}:{m.line} [{m.kind}] {m.description}")
            continue
        summary = run_chapter(layout, slug, per_cell, args.seed, args.jobs, args.grade_equivalent, args.cell,
                              args.grader, log=lambda *a: print(*a, file=sys.stderr, flush=True))
        (out / f"mutation-{slug}.json").write_text(json.dumps(summary, indent=1))
        print_summary(summary)
        if summary["kill_rate"] is not None and summary["kill_rate"] < 0.9:
            below.append(slug)
    if not args.list:
        shown = out.relative_to(layout.root) if out.is_relative_to(layout.root) else out
        print(f"\nJSON in {shown}/; chapters below 90 %: {', '.join(below) or 'none'}")
    return 0

