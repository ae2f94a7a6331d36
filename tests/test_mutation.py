"""The mutation pass (``dlcourse mutate``, dlcourse.course.mutation): its mutants and its differential check,
on small cells, and its command line.

These tests grade nothing (the pass itself runs the instructor's grader and takes minutes); they
prove that the mutants are the realistic mistakes the pass claims to make and that the check which
sets equivalent mutants aside tells a harmless edit from a harmful one.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.course.mutation.differential import NEGLIGIBLE, Call, differential
from dlcourse.course.mutation.grading import grade_one_directly
from dlcourse.course.mutation.mutants import mutants_of_cell

CELL = '''def centre(x, axis=0, scale=1.0):
    """x minus its mean along axis, times scale."""
    ### BEGIN SOLUTION
    values = np.array(x, dtype=float)
    values = values - values.mean(axis=axis, keepdims=True)
    return scale * values
    ### END SOLUTION
'''


@pytest.fixture(scope="module")
def mutants():
    return mutants_of_cell("centre", CELL)


def descriptions(mutants, kind):
    return [m.description for m in mutants if m.kind == kind]


def test_mutations_stay_inside_the_solution_lines(mutants):
    assert mutants
    assert all(4 <= m.line <= 6 for m in mutants)
    assert all(m.source.startswith("def centre(x, axis=0, scale=1.0):") for m in mutants)


def test_mutants_are_distinct_and_differ_from_the_solution(mutants):
    import ast
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources)
    assert ast.unparse(ast.parse(CELL)) + "\n" not in sources


def test_operator_swaps_dropped_terms_and_changed_constants(mutants):
    assert "scale * values  ->  scale / values" in descriptions(mutants, "operator")
    assert "values - values.mean(axis=axis, keepdims=True)  ->  values" in descriptions(mutants, "dropped term")
    expected = "values.mean(axis=axis, keepdims=True)  ->  values.sum(axis=axis, keepdims=True)"
    assert expected in descriptions(mutants, "function")


def test_in_place_variants_edit_the_callers_array(mutants):
    in_place = descriptions(mutants, "in-place")
    assert any("values -= values.mean(axis=axis, keepdims=True)" in d for d in in_place)
    assert "np.array(x, dtype=float)  ->  x" in in_place


def test_ignored_parameters_and_removed_keywords(mutants):
    ignored = descriptions(mutants, "ignored parameter")
    assert "axis replaced by its default 0" in ignored and "scale replaced by its default 1.0" in ignored
    removed = descriptions(mutants, "removed keyword")
    assert any(d.endswith("values.mean(axis=axis)") for d in removed)
    assert any(d.endswith("values.mean(keepdims=True)") for d in removed)


def namespace(source):
    scope = {"np": np}
    exec(source, scope)
    return scope


def calls():
    x = np.arange(12.0).reshape(3, 4)
    return [Call("centre", None, None, (x,), {}), Call("centre", None, None, (x, 1, 2.0), {})]


def test_a_harmless_rewrite_is_equivalent():
    harmless = CELL.replace("return scale * values", "return values * scale")
    assert differential(namespace(CELL), namespace(harmless), calls(), seed=0) is None


@pytest.mark.parametrize("wrong, why", [
    ("values = values - values.mean(axis=axis, keepdims=True)", "values = values - values.mean(axis=0, keepdims=True)"),
    ("return scale * values", "return values"),
])
def test_an_ignored_parameter_is_a_difference(wrong, why):
    mutant = CELL.replace(wrong, why)
    assert differential(namespace(CELL), namespace(mutant), calls(), seed=0) is not None


def test_editing_the_callers_array_is_a_difference():
    mutant = CELL.replace("values = np.array(x, dtype=float)", "values = x").replace(
        "values = values - values.mean(", "values -= values.mean(")
    difference = differential(namespace(CELL), namespace(mutant), calls(), seed=0)
    assert difference is not None and "inputs" in difference


def test_a_tiny_numerical_difference_is_negligible_not_equivalent():
    mutant = CELL.replace("return scale * values", "return scale * values * (1 + 1e-8)")
    assert differential(namespace(CELL), namespace(mutant), calls(), seed=0) is not None
    assert differential(namespace(CELL), namespace(mutant), calls(), seed=0,
                        rtol=NEGLIGIBLE[0], atol=NEGLIGIBLE[1]) is None


def test_methods_are_replayed_from_the_recorded_state():
    layer = '''class Scale:
    def forward(self, x):
        ### BEGIN SOLUTION
        self.cached = np.asarray(x, dtype=float)
        return self.factor * self.cached
        ### END SOLUTION
'''
    call = Call("Scale", "forward", {"factor": 3.0}, (np.ones((2, 2)),), {})
    uncached = layer.replace("self.cached = np.asarray(x, dtype=float)", "self.kept = np.asarray(x, dtype=float)") \
                    .replace("self.factor * self.cached", "self.factor * self.kept")
    difference = differential(namespace(layer), namespace(uncached), [call], seed=0)
    assert difference is not None and "state" in difference
    same_thing = layer.replace("return self.factor * self.cached", "return self.cached * self.factor")
    assert differential(namespace(layer), namespace(same_thing), [call], seed=0) is None


def _notebook(answer: str) -> object:
    """A two-part exercise: an answer cell, then a test cell of two weighted checks (3 points)."""
    import nbformat

    def meta(**fields):
        return {"nbgrader": {"schema_version": 3, "locked": False, "solution": False, "grade": False, **fields}}
    test = ("from dlcourse.grading import Checks\nchecks = Checks(3)\nassert double(1) == 2, 'double(1)'\n"
            "with checks('positive', 2):\n    assert double(3) == 6\nwith checks('negative', 1):\n"
            "    assert double(-3) == -6, 'double(-3)'\nchecks.score()")
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(answer, metadata=meta(solution=True, grade_id="double")),
        nbformat.v4.new_code_cell(test, metadata=meta(grade=True, locked=True, grade_id="test-double", points=3))])


@pytest.mark.parametrize("answer, score", [
    ("def double(x):\n    return 2 * x", 3.0),
    ("def double(x):\n    return 2 * abs(x)", 2.0),          # a partial score is lost points
    ("def double(x):\n    return 2", 0.0)])                  # fails the gate: the cell raises
def test_the_direct_grader_counts_a_partial_score_as_lost_points(answer, score):
    notebook = _notebook("def double(x):\n    return 2 * x")
    result = grade_one_directly((notebook, "double", answer, 30.0))
    assert (result["score"], result["max_score"]) == (score, 3.0)
    assert result["lost"] == ([] if score == 3.0 else ["test-double"])
