"""Three-phase commit, as a small model: non-blocking if silence means a crash, unsafe if not.

Three-phase commit (Skeen 1981) puts a *pre-commit* round between the votes and the commit:
once every participant voted yes, the coordinator tells each "everyone voted yes"
(pre-commit), and commits only when all have acknowledged. So no participant can have
committed while another is still only prepared. When the coordinator falls silent, the
participants run a *termination protocol* among those they can reach: if one of them is
pre-committed (or committed), they all commit; if none is, they all abort.

The model (for ``dslib.check``): two participants ``A`` and ``B`` that vote yes; the
coordinator may fall silent at any moment and never returns; a silent coordinator lets a
group of participants terminate. ``groups`` says who can reach whom:

- ``(("A", "B"),)``: one group; silence means a crash (the synchronous assumption). The
  invariant ``atomic`` (no participant committed while another aborted) holds in every
  reachable state.
- ``(("A",), ("B",))``: a partition separates A from B; the coordinator may well be alive on
  one side. Each side terminates alone, and the model checker finds the shortest run in which
  A commits and B aborts.

Examples
--------
>>> from dslib.check import check
>>> check(three_phase_model(partitioned=False), invariants=[atomic]).ok
True
>>> bad = check(three_phase_model(partitioned=True), invariants=[atomic])
>>> bad.ok, bad.counterexample.actions
(False, ['A votes yes', 'B votes yes', 'coordinator sends pre-commit', \
'pre-commit reaches A', 'coordinator falls silent', 'A terminates: commit', \
'B terminates: abort'])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from dslib.check.model import Model

__all__ = ["ThreePhaseState", "atomic", "three_phase_model"]

PARTICIPANTS = ("A", "B")
UNDECIDED = ("working", "prepared", "precommitted")


class ThreePhaseState(NamedTuple):
    """The coordinator's phase and each participant's status (in the order of ``PARTICIPANTS``).

    Coordinator: ``"waiting"`` (for votes), ``"precommitting"``, ``"committing"``,
    ``"silent"``. Participant: ``"working"``, ``"prepared"`` (voted yes),
    ``"precommitted"``, ``"committed"``, ``"aborted"``.
    """

    coordinator: str
    status: tuple[str, ...]


def atomic(state: ThreePhaseState) -> bool:
    """No participant committed while another aborted.

    >>> atomic(ThreePhaseState("silent", ("committed", "aborted")))
    False
    """
    return not ("committed" in state.status and "aborted" in state.status)


def _set(status: tuple[str, ...], i: int, value: str) -> tuple[str, ...]:
    return (*status[:i], value, *status[i + 1 :])


def three_phase_model(partitioned: bool) -> Model[ThreePhaseState]:
    """Three-phase commit with two participants; ``partitioned`` separates them for the
    termination protocol (see the module docstring).

    >>> from dslib.check import check
    >>> check(three_phase_model(partitioned=False), invariants=[atomic]).distinct_states
    23
    """
    if not isinstance(partitioned, bool):
        raise TypeError(f"three_phase_model: partitioned={partitioned!r} must be True or False")
    groups = ((0,), (1,)) if partitioned else ((0, 1),)

    def actions(s: ThreePhaseState) -> Iterator[tuple[str, ThreePhaseState]]:
        coord, status = s
        for i, p in enumerate(PARTICIPANTS):
            if status[i] == "working" and coord == "waiting":
                yield f"{p} votes yes", ThreePhaseState(coord, _set(status, i, "prepared"))
        if coord == "waiting" and all(x == "prepared" for x in status):
            yield "coordinator sends pre-commit", ThreePhaseState("precommitting", status)
        if coord == "precommitting":
            for i, p in enumerate(PARTICIPANTS):
                if status[i] == "prepared":
                    new = _set(status, i, "precommitted")
                    yield f"pre-commit reaches {p}", ThreePhaseState(coord, new)
            if all(x == "precommitted" for x in status):
                yield "coordinator commits", ThreePhaseState("committing", status)
        if coord == "committing":
            for i, p in enumerate(PARTICIPANTS):
                if status[i] == "precommitted":
                    new = _set(status, i, "committed")
                    yield f"commit reaches {p}", ThreePhaseState(coord, new)
        if coord in ("waiting", "precommitting", "committing"):
            yield "coordinator falls silent", ThreePhaseState("silent", status)
        if coord == "silent":
            for group in groups:
                undecided = [i for i in group if status[i] in UNDECIDED]
                if not undecided:
                    continue
                commit = any(status[i] in ("precommitted", "committed") for i in group)
                outcome = "committed" if commit else "aborted"
                new = status
                for i in undecided:
                    new = _set(new, i, outcome)
                names = "+".join(PARTICIPANTS[i] for i in group)
                yield (
                    f"{names} terminates: {'commit' if commit else 'abort'}",
                    ThreePhaseState(coord, new),
                )

    name = "three-phase commit, " + ("partitioned" if partitioned else "one group")
    return Model(
        init=[ThreePhaseState("waiting", ("working",) * len(PARTICIPANTS))],
        actions=actions,
        name=name,
    )
