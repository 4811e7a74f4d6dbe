"""Tests of dslib.viz.progress: the bar of a long cell and the one stable line it leaves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dslib.testing.executors import map_seeds
from dslib.viz.progress import Progress, progress

LINE = "done: 6 seeds (usually about 3 s on a 2-core machine)"


def test_map_seeds_drives_it_to_one_line_on_stdout_and_nothing_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[int] = []

    def task(seed: int) -> int:
        seen.append(seed)
        return seed + 1

    bar = progress(6, "seeds", 3)
    assert map_seeds(task, range(6), progress=bar) == [1, 2, 3, 4, 5, 6]
    out, err = capsys.readouterr()
    assert (out, err) == (LINE + "\n", "")
    assert (bar.done, bar.closed, bar.line) == (6, True, LINE)
    bar.close()  # again: nothing
    assert capsys.readouterr() == ("", "")


def test_the_line_appears_only_when_the_last_step_is_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = progress(3, "gossip runs", 12.5)
    bar.update()
    bar.update(1)
    assert capsys.readouterr().out == ""
    assert repr(bar) == "Progress(2/3 gossip runs, usually about 12.5 s)"
    bar(3, 3)
    assert capsys.readouterr().out == (
        "done: 3 gossip runs (usually about 12.5 s on a 2-core machine)\n"
    )


def test_a_with_block_closes_it_and_a_failure_leaves_no_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress(4, "runs", 1) as bar:
        bar.update(2)  # stopped early (like map_seeds' stop=): the block's end closes it
    assert bar.closed
    assert capsys.readouterr().out == "done: 4 runs (usually about 1 s on a 2-core machine)\n"
    with pytest.raises(RuntimeError), progress(4, "runs", 1) as failing:
        failing.update()
        raise RuntimeError("the work failed")
    assert failing.closed
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("args", "kind", "message"),
    [
        ((0, "seeds", 1), ValueError, "total=0 must be an int >= 1"),
        ((2.0, "seeds", 1), TypeError, "total=2.0 must be an int >= 1"),
        ((True, "seeds", 1), TypeError, "total=True must be an int >= 1"),
        ((2, "", 1), TypeError, "what='' must name the steps"),
        ((2, "seeds", 0), ValueError, "usually_s=0 must be the seconds"),
        ((2, "seeds", float("inf")), ValueError, "usually_s=inf must be the seconds"),
        ((2, "seeds", "15"), ValueError, "usually_s='15' must be the seconds"),
    ],
)
def test_bad_arguments_are_refused_with_what_is_allowed(
    args: tuple[object, object, object], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind, match=message.replace("(", r"\(")):
        progress(*args)  # type: ignore[arg-type]


def test_a_wrong_total_or_too_many_steps_is_refused() -> None:
    with pytest.raises(ValueError, match="reports 5 seeds in all, but this bar was made for"):
        map_seeds(abs, range(5), progress=progress(4, "seeds", 2))
    bar = progress(2, "seeds", 2)
    with pytest.raises(ValueError, match=r"0 \+ 3 seeds done is more than total=2"):
        bar.update(3)
    with pytest.raises(ValueError, match="done=3 must lie between the 0 seeds already done and"):
        bar(3, 2)
    bar(1, 2)
    with pytest.raises(ValueError, match="done=0 must lie between the 1 seeds already done and"):
        bar(0, 2)
    with pytest.raises(ValueError, match="n=-1 must be an int >= 0"):
        bar.update(-1)
    bar.close()
    with pytest.raises(ValueError, match="already closed"):
        bar.update()


# -- in a Jupyter kernel: what the stored notebook keeps, and whether nbval agrees ----------

CELL = """\
from dslib.testing.executors import map_seeds
from dslib.viz.progress import progress
squares = map_seeds(lambda s: s * s, range(6), progress=progress(6, "seeds", 3))
print(sum(squares))
"""

# A mutant: the bar leaves the time it measured, which differs from run to run and from
# the bar's text while it runs.
TIMED_CELL = """\
import time
from dslib.viz.progress import Progress
class Timed(Progress):
    def close(self):
        self.line = f"{self.line}; took {time.perf_counter():.6f} s"
        super().close()
with Timed(2, "runs", 1) as bar:
    bar.update(2)
"""


def _execute(cell: str, path: Path) -> list[dict[str, object]]:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    nbformat.write(nb, path)
    return [dict(output) for output in nb.cells[0].outputs]


def _nbval(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_in_a_kernel_the_stored_output_is_the_line_alone_and_nbval_passes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bar.ipynb"
    first = _execute(CELL, path)
    assert first == [
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": LINE}},
        {"output_type": "stream", "name": "stdout", "text": "55\n"},
    ]
    run = _nbval(path)  # a live run shows the widget: nbval compares its text with the line
    assert run.returncode == 0, run.stdout + run.stderr


def test_nbval_catches_a_bar_that_stores_a_measured_time(tmp_path: Path) -> None:
    path = tmp_path / "timed.ipynb"
    [stored] = _execute(TIMED_CELL, path)
    assert "took" in str(stored["data"])
    run = _nbval(path)
    assert run.returncode != 0, run.stdout
    assert "took" in run.stdout


def test_outside_a_kernel_it_is_not_live() -> None:
    bar = Progress(1, "seeds", 1)
    assert not bar.live
    bar.close()


# -- the library functions behind the book's slow cells pass progress on ------------------


def test_run_mutants_reports_each_check_run_of_the_whole_table() -> None:
    from dslib.mutants import Mutant, run_mutants

    checks = {"non-negative": lambda f: f(-1) >= 0, "even": lambda f: f(2) == 2}
    wrong = [
        Mutant("identity", "returns x", lambda: lambda x: x, ("non-negative",)),
        Mutant("zero", "returns 0", lambda: lambda x: 0, ("even",)),
    ]
    calls: list[tuple[int, int]] = []
    report = run_mutants(lambda: abs, wrong, checks, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(d, 6) for d in range(1, 7)]
    without = run_mutants(lambda: abs, wrong, checks)  # the same table (times aside)
    assert report.to_frame().equals(without.to_frame())
    assert [m.caught_by for m in report.mutants] == [("non-negative",), ("even",)]
    calls.clear()
    run_mutants(
        lambda: abs, wrong, checks, all_checks=False, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(d, 4) for d in range(1, 5)]  # 2 on the correct version, 1 per mutant


def test_downtime_samples_reports_the_trials_of_all_ranges() -> None:
    from dslib.raft.timeouts import downtime_samples

    ranges = [(25, 50), (50, 100)]
    calls: list[tuple[int, int]] = []
    samples = downtime_samples(ranges, 2, seed=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert samples == downtime_samples(ranges, 2, seed=1)


def test_the_first_page_s_stored_progress_table_lists_every_exercise() -> None:
    """00.00 stores the output of progress() under NBVAL_IGNORE_OUTPUT (its dates and marks
    depend on the reader), so nbval cannot notice when it falls behind the registry: this
    does. A stored output comes from a fresh run, with every exercise of the book."""
    from pathlib import Path

    import nbformat

    import dslib.exercises as ex

    page = Path(__file__).resolve().parent.parent / "notebooks/00-how-to-use-this-book"
    nb = nbformat.read(page / "00.00-how-to-use-this-book.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "progress(dates=False)" in c.source]
    assert len(cells) == 1
    stored = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for o in cells[0].outputs
    )
    missing = [e.id for e in ex.all_exercises() if e.id not in stored]
    assert not missing, f"00.00's stored progress table lacks {missing}: re-run the page"
