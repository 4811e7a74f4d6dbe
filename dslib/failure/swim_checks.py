"""The checks of SWIM (section 4.2) and the mutants of ``SWIM_MUTANTS`` they catch.

Four checks, each independent of the code it checks:

- **completeness**: in a run of 16 members on a network that loses 10 % of messages, the
  member that crashes is declared dead by every live member (``swim_experiment``'s
  ``detected by all``);
- **accuracy under 10% loss**: in the same run, no live member declares a live member dead
  (``false positives == 0``);
- **refutation**: a member that hears a suspicion about itself answers with an alive rumour
  at a higher incarnation, and a member that suspected it takes it back (two handler calls,
  read from the messages sent, not from the node's internals);
- **precedence oracle**: for every pair of a member's view and a rumour, ``(status,
  incarnation)`` with three statuses and incarnations 0 to 2, a ``SwimNode`` takes the rumour
  exactly when a closed-form order says it is newer (``newer_by_order``).

``swim_mutant_table`` runs them on the correct ``SwimNode`` and on each mutant.

Examples
--------
>>> newer_by_order(("suspect", 2), ("alive", 2)), newer_by_order(("suspect", 2), ("alive", 3))
(False, True)
>>> refutation(SwimNode()).ok, refutation(SwimNode(mutant="no_refute")).ok
(True, False)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from dslib.core import Context
from dslib.failure import (
    STATUSES,
    SWIM_MUTANTS,
    SwimAck,
    SwimNode,
    SwimPing,
    SwimState,
    Update,
    check_swim_mutant,
    swim_experiment,
)
from dslib.mutants import (
    MutantReport,
    Outcome,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)

__all__ = [
    "SWIM_CHECKS",
    "SWIM_MUTANTS",
    "SWIM_MUTANT_CHECKS",
    "SWIM_RUN",
    "newer_by_order",
    "precedence_oracle",
    "refutation",
    "swim_catch_rate",
    "swim_mutant_report",
    "swim_mutant_table",
]

SWIM_CHECKS: tuple[str, ...] = (
    "completeness",
    "accuracy under 10% loss",
    "refutation",
    "precedence oracle",
)
"""The named checks, in the order of the table."""

SWIM_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "no_indirect_probes": ("accuracy under 10% loss",),
    "no_suspicion": ("accuracy under 10% loss",),
    "no_refute": ("accuracy under 10% loss", "refutation"),
    "alive_beats_suspect": ("precedence oracle",),
    "dead_not_final": ("precedence oracle",),
}
"""The checks that must catch each mutant of ``SWIM_MUTANTS``."""

SWIM_RUN: dict[str, Any] = {"n": 16, "loss": 0.1, "crash_at": 35.0, "duration": 60.0}
"""The run of the two seeded checks: 16 members, 10 % loss, one crash at 35, until 60
(the suspicion timeout of 16 members is 15 periods)."""

_SEEDED = ("completeness", "accuracy under 10% loss")


# -- the oracles ---------------------------------------------------------------------------------
def newer_by_order(view: tuple[str, int], update: tuple[str, int]) -> bool:
    """Whether rumour ``update`` is newer than ``view``, by a closed-form order.

    Dead is final: nothing is newer than dead, dead is newer than anything else. Otherwise
    compare ``(incarnation, rank)`` lexicographically, with alive ranked 0 and suspect 1: a
    higher incarnation wins, and at the same incarnation a suspicion beats alive. This is
    the order of Das et al. (2002) §4.2 written as one key, not as ``apply_update``'s cases.

    Examples
    --------
    >>> newer_by_order(("alive", 3), ("suspect", 3)), newer_by_order(("dead", 0), ("alive", 9))
    (True, False)
    """
    if view[0] == "dead":
        return False
    if update[0] == "dead":
        return True
    rank = {"alive": 0, "suspect": 1}
    return (update[1], rank[update[0]]) > (view[1], rank[view[0]])


def precedence_oracle(node: SwimNode, incarnations: int = 3) -> Outcome:
    """Does ``node`` take a rumour about another member exactly when it is newer?

    For every view and rumour ``(status, incarnation)`` with incarnations below
    ``incarnations``, member ``a`` holds the view of ``m`` and receives a ``SwimPing``
    carrying the rumour; it took the rumour if its view of ``m`` became the rumour. The
    answer is compared with ``newer_by_order``.

    Returns
    -------
    Outcome
        ``ok``; ``counterexample_length`` is the number of pairs that disagree; ``detail``
        the first, as ``view <- rumour``.

    Examples
    --------
    >>> precedence_oracle(SwimNode()).ok
    True
    >>> print(precedence_oracle(SwimNode(mutant="dead_not_final")).detail)
    ('dead', 0) <- ('alive', 1): the node took it, the order says it is not newer
    """
    pairs = [(s, i) for s in STATUSES for i in range(incarnations)]
    wrong = []
    for view in pairs:
        for rumour in pairs:
            ctx = Context("a", ("a", "b", "m"))
            state = SwimState(members=(("b", "alive", 0), ("m", *view)))
            after = node.on_message(ctx, state, "b", SwimPing(1, (Update("m", *rumour),)))
            took = after.view("m") == rumour and rumour != view
            if took != newer_by_order(view, rumour):
                verb = "took it" if took else "ignored it"
                newer = "newer" if not took else "not newer"
                wrong.append(f"{view} <- {rumour}: the node {verb}, the order says it is {newer}")
    return Outcome(not wrong, len(wrong) or None, wrong[0] if wrong else "")


def refutation(node: SwimNode) -> Outcome:
    """Can a wrongly suspected member clear the suspicion?

    Member ``a`` receives a ping carrying ``suspect a`` at its incarnation; its ack must
    carry ``alive a`` at a higher incarnation. Member ``b``, which suspects ``a`` at the old
    incarnation, receives that ack and must hold ``a`` alive again. Done twice, so that the
    second suspicion is at the incarnation of the first refutation.

    Examples
    --------
    >>> refutation(SwimNode()).ok
    True
    >>> print(refutation(SwimNode(mutant="no_refute")).detail)
    a suspected at 0 answered alive at 0, not higher
    """
    ids = ("a", "b", "c")
    a_ctx = Context("a", ids)
    a = node.init(a_ctx)
    incarnation = 0
    for seq in (1, 2):
        a_ctx = Context("a", ids)
        rumour = Update("a", "suspect", incarnation)
        a = node.on_message(a_ctx, a, "b", SwimPing(seq, (rumour,)))
        acks = [m for dst, m in a_ctx.sent if dst == "b" and isinstance(m, SwimAck)]
        alive = [u for m in acks for u in m.updates if u.member == "a" and u.status == "alive"]
        if not alive or alive[0].incarnation <= incarnation:
            said = f"alive at {alive[0].incarnation}, not higher" if alive else "no alive rumour"
            return Outcome(False, seq, f"a suspected at {incarnation} answered {said}")
        b_ctx = Context("b", ids)
        b = SwimState(members=(("a", "suspect", incarnation), ("c", "alive", 0)))
        b = node.on_message(b_ctx, b, "a", acks[0])
        if b.status("a") != "alive":
            return Outcome(False, seq, f"b kept a {b.status('a')} after a's {alive[0]} refuted it")
        incarnation = alive[0].incarnation
    return Outcome(True)


@functools.lru_cache(maxsize=256)
def _seeded_run(mutant: str | None, seed: int) -> dict[str, Any]:
    # Both seeded checks read the same run: each is simulated once per table.
    return swim_experiment(**SWIM_RUN, seed=seed, mutant=mutant)


def _seeded_caught(check: str, run: dict[str, Any]) -> bool:
    if check == "completeness":
        return not run["detected by all"]
    return bool(run["false positives"] > 0)


def swim_catch_rate(mutant: str | None, check: str, seeds: Iterable[int]) -> tuple[int, int]:
    """``(caught, runs)``: on how many seeded runs ``check`` fails for ``mutant``.

    ``"completeness"`` and ``"accuracy under 10% loss"`` run ``swim_experiment(**SWIM_RUN,
    seed=seed, mutant=mutant)`` per seed; ``"refutation"`` and ``"precedence oracle"`` are
    deterministic, so every seed gives the same answer.

    Raises
    ------
    ValueError
        If ``mutant`` is not ``None`` or in ``SWIM_MUTANTS``, or ``check`` not in
        ``SWIM_CHECKS``.

    Examples
    --------
    >>> swim_catch_rate("no_suspicion", "accuracy under 10% loss", range(2))
    (2, 2)
    >>> swim_catch_rate(None, "completeness", range(2))
    (0, 2)
    """
    check_swim_mutant("swim_catch_rate", mutant)
    check_name("swim_catch_rate", check, SWIM_CHECKS)
    seeds = list(seeds)
    if check not in _SEEDED:
        fails = not _CHECKS[check](SwimNode(mutant=mutant)).ok
        return (len(seeds) if fails else 0), len(seeds)
    return sum(_seeded_caught(check, _seeded_run(mutant, s)) for s in seeds), len(seeds)


_CHECKS: dict[str, Callable[[SwimNode], Outcome]] = {
    "refutation": refutation,
    "precedence oracle": precedence_oracle,
}


def swim_mutant_report(seeds: int = 3) -> MutantReport:
    """Run the checks of ``SWIM_CHECKS`` on the correct ``SwimNode`` and each mutant.

    A seeded check fails when any of the runs on seeds ``0..seeds-1`` breaks it. Each mutant
    runs the checks named in ``SWIM_MUTANT_CHECKS`` (a seeded run costs a fraction of a
    second); the correct version runs all four.

    Examples
    --------
    >>> swim_mutant_report(seeds=1).problems()
    []
    """

    def on_node(check: Callable[[SwimNode], Outcome]) -> Callable[[str | None], Outcome]:
        return lambda mutant: check(SwimNode(mutant=mutant))

    return seeded_mutant_report(
        swim_catch_rate,
        SWIM_MUTANTS,
        SWIM_MUTANT_CHECKS,
        SWIM_CHECKS,
        seeds,
        where="swim_mutant_report",
        direct={name: on_node(check) for name, check in _CHECKS.items()},
        all_checks=False,
    )


def swim_mutant_table(seeds: int = 3) -> Any:
    """The mutant table of SWIM: who catches each mutant, and in how many of the runs.

    Parameters
    ----------
    seeds : int, default 3
        Seeded runs per variant (``SWIM_RUN``); about 0.15 to 0.4 s each.

    Returns
    -------
    pandas.DataFrame
        ``mutant``, ``bug``, ``caught by``, and ``caught in``: for each named check, the
        runs it failed in (``"always"`` for a deterministic check); for the correct
        version, the runs in which any check failed.

    Examples
    --------
    >>> table = swim_mutant_table(seeds=1)
    >>> print(table[["mutant", "caught in"]].to_string(index=False))
                 mutant                                           caught in
        correct version                                              0 of 1
     no_indirect_probes                     accuracy under 10% loss: 1 of 1
           no_suspicion                     accuracy under 10% loss: 1 of 1
              no_refute accuracy under 10% loss: 1 of 1; refutation: always
    alive_beats_suspect                           precedence oracle: always
         dead_not_final                           precedence oracle: always
    """
    return seeded_mutant_table(
        swim_mutant_report(seeds),
        swim_catch_rate,
        seeds,
        where="swim_mutant_table",
        column="caught in",
        every_check=True,
        deterministic=list(_CHECKS),
        deterministic_rate="always",
    )
