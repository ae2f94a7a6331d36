"""Mutation pass: how many small, behaviour-changing edits of each solution do the hidden tests catch?

For a chapter, every answer cell's solution code (between ``### BEGIN SOLUTION`` and ``### END
SOLUTION`` of solutions/SLUG/SLUG.ipynb) is mutated the way a hurried student's code differs from
the right one: swapped operators and comparisons, dropped terms, changed constants, in-place
variants (``x = x - m`` becomes ``x -= m``, a copy removed), ignored parameters (a parameter
replaced by its default), removed ``axis=``/``keepdims=``, swapped arguments, ``sum``/``mean`` and
``max``/``min`` confused, a statement left out.

Each mutant is first compared with the solution by a differential check that does not use the
hidden tests: the calls the chapter's test cells make to the answer cell's functions and methods
are recorded while the solution runs, then replayed on the solution and on the mutant with those
inputs and with seeded variants of them (random values of the same shapes, integer and float32
inputs, rows of very different scales, a single row, a fresh generator). A mutant whose outputs,
inputs after the call and object state all agree (rtol 1e-9) is *equivalent*; one that differs
only below any test's precision (rtol 1e-6, e.g. a tolerance 1e-8 made 1e-7) is *negligible*; the
others are *behaviour-changing*. Each behaviour-changing mutant becomes a student submission (the released
exercise with every answer cell filled from the solution except the mutated one) and the whole
class is graded with the instructor's command ``dlcourse grade``. A mutant is *killed* when it
loses points; the others *survive* and are listed.

    dlcourse mutate 05-outputs-activations          # at most 25 mutants per answer cell
    dlcourse mutate --all 04-mlp                    # every mutant
    dlcourse mutate                                 # every chapter with an exercise

Prints a table per chapter and writes benchmarks/results/mutation-SLUG.json of the course
repository (``--out`` another folder). Not a test: a full chapter takes minutes to tens of minutes
on two cores (every submission runs the hidden tests).

The modules: :mod:`.mutants` makes the mutants, :mod:`.differential` sets the equivalent ones
aside, :mod:`.grading` grades the others as a class, and :mod:`.command` runs a chapter, reports it
and is the ``dlcourse mutate`` command. This ``__init__`` imports nothing.
"""
