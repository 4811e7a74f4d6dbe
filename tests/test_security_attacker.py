"""Tests of dslib.security.attacker: the Dolev-Yao attacker, symbolic and in the simulator.

The symbolic attacker's two decisions (analysis: what it gets out of what it saw; synthesis:
what it can build) are compared with a brute-force oracle on small random knowledge sets.
The simulated attacker is driven by seeds, by hypothesis plans and by the model checker.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import ActorModel, check
from dslib.core import Context, Node, System
from dslib.security.attacker import (
    ATTACKS,
    Atom,
    AttackerNode,
    Enc,
    Forwarded,
    Intercepted,
    Knowledge,
    Mac,
    PrivateKey,
    PublicKey,
    SharedKey,
    Sign,
    Term,
    Tup,
    attack_counts,
    attack_plans,
    attacked,
    compose,
    fields_of,
    inverse,
)
from dslib.sim import Simulation

# -- the symbolic attacker against a brute-force oracle ---------------------------------------
ATOMS: list[Term] = [Atom("a"), Atom("n")]
KEYS: list[Term] = [PublicKey("A"), PrivateKey("A"), SharedKey("k")]


def terms(depth: int) -> st.SearchStrategy[Term]:
    leaves = st.sampled_from(ATOMS + KEYS)
    if depth == 0:
        return leaves
    inner = terms(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(inner, inner).map(lambda p: Tup(p)),
        st.tuples(st.sampled_from([PublicKey("A"), SharedKey("k")]), inner).map(
            lambda p: Enc(p[0], p[1])  # type: ignore[arg-type]
        ),
        inner.map(lambda b: Sign(PrivateKey("A"), b)),
        inner.map(lambda b: Mac(SharedKey("k"), b)),
    )


def naive_analysis(known: set[Term]) -> set[Term]:
    """Apply every analysis rule to every known term until nothing changes."""
    out = set(known)
    changed = True
    while changed:
        changed = False
        for t in list(out):
            parts: list[Term] = []
            if isinstance(t, Tup):
                parts = list(t.items)
            elif isinstance(t, Sign) or (isinstance(t, Enc) and inverse(t.key) in out):
                parts = [t.body]
            for p in parts:
                if p not in out:
                    out.add(p)
                    changed = True
    return out


def depth_of(t: Term) -> int:
    if isinstance(t, Tup):
        return 1 + max(depth_of(i) for i in t.items)
    if isinstance(t, (Enc, Sign, Mac)):
        return 1 + depth_of(t.body)
    return 0


def naive_synthesis(known: set[Term], depth: int) -> set[Term]:
    """Every term built from ``known`` with at most ``depth`` nested constructors (pairs)."""
    level = set(known)
    keys = [k for k in known if isinstance(k, (PublicKey, PrivateKey, SharedKey))]
    for _ in range(depth):
        new = set(level)
        for x, y in itertools.product(level, repeat=2):
            new.add(Tup((x, y)))
        for body in level:
            for k in keys:
                if isinstance(k, (PublicKey, SharedKey)):
                    new.add(Enc(k, body))
                if isinstance(k, PrivateKey):
                    new.add(Sign(k, body))
                if isinstance(k, SharedKey):
                    new.add(Mac(k, body))
        level = new
    return level


@settings(max_examples=40, deadline=None)
@given(st.lists(terms(2), max_size=2), terms(2))
def test_analysis_and_synthesis_match_the_brute_force_oracle(
    seen: list[Term], target: Term
) -> None:
    k = Knowledge.initial(seen)
    analysed = naive_analysis(set(seen))
    assert set(k.terms) == analysed
    expected = target in naive_synthesis(analysed, depth_of(target))
    assert k.can_build(target) == expected
    assert (target in compose(k, depth_of(target))) == expected


def test_the_attacker_cannot_break_cryptography_but_uses_keys_it_holds() -> None:
    secret = Atom("secret")
    sealed = Enc(SharedKey("ab"), secret)
    k = Knowledge.initial([Atom("A")]).learn(sealed)
    assert not k.knows(secret)
    assert k.can_build(sealed)  # it can replay what it saw
    assert not k.can_build(Enc(SharedKey("ab"), Atom("A")))  # but not encrypt without the key
    assert not k.can_build(Sign(PrivateKey("B"), Atom("A")))
    # a key learned later opens what it saw earlier
    assert k.learn(SharedKey("ab")).knows(secret)
    signed = Sign(PrivateKey("B"), secret)
    assert Knowledge.initial([signed]).knows(secret)  # a signature hides nothing


def test_bad_terms_are_refused_with_a_message() -> None:
    with pytest.raises(TypeError, match="must be a PublicKey or a SharedKey"):
        Enc(PrivateKey("A"), Atom("x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="is not a term"):
        Tup(("plain string",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-empty"):
        Atom("")
    with pytest.raises(ValueError, match="depth"):
        compose(Knowledge.initial([]), 9)
    with pytest.raises(TypeError, match="iterable of terms"):
        Knowledge.initial("abc")  # type: ignore[arg-type]


# -- the attacker in the simulator -----------------------------------------------------------
@dataclass(frozen=True)
class Note:
    seq: int
    text: str
    tag: bytes


class Sender(Node[int]):
    def init(self, ctx: Context) -> int:
        ctx.set_timer("send", 1.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.send("receiver", Note(state + 1, f"note {state + 1}", bytes([state]) * 4))
        if state + 1 < 6:
            ctx.set_timer("send", 10.0)
        return state + 1

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state  # a reflected note: ignored


class Receiver(Node[tuple[Any, ...]]):
    """Accepts everything: the attacks succeed."""

    def init(self, ctx: Context) -> tuple[Any, ...]:
        return ()

    def on_message(self, ctx: Context, state: tuple[Any, ...], src: str, msg: Any) -> Any:
        return (*state, msg)


def pair(**options: Any) -> System:
    return attacked(System({"sender": Sender(), "receiver": Receiver()}), **options)


def test_every_message_goes_through_the_attacker_who_learns_every_field() -> None:
    sim = Simulation(pair(rate=0.0), seed=3).run()
    attacker = sim.states["attacker"]
    assert len(attacker.seen) == 6
    assert {"note 1", 6, Note(6, "note 6", bytes([5]) * 4)} <= attacker.knowledge
    assert sim.states["receiver"].inner == tuple(
        Note(i, f"note {i}", bytes([i - 1]) * 4) for i in range(1, 7)
    )
    assert attack_counts(sim.states) == {"forward": (6, 6)}
    # a node handles only what the attacker forwards
    for event in sim.trace:
        if event.kind == "deliver" and event.node == "receiver":
            assert event.peer == "attacker" and isinstance(event.data, Forwarded)
        if event.kind == "send" and event.node == "sender":
            assert event.peer == "attacker" and isinstance(event.data, Intercepted)


@pytest.mark.parametrize("attack", ["drop", "delay", "replay", "reorder", "modify", "forge"])
def test_each_attack_does_what_it_says(attack: str) -> None:
    plan = ("forward", attack, "forward", "forward")
    sim = Simulation(pair(plan=plan), seed=1).run()
    got = sim.states["receiver"].inner
    seqs = [m.seq for m in got]
    assert sim.states["attacker"].log[1][0] == attack
    if attack == "drop":
        assert seqs == [1, 3, 4, 5, 6]
    elif attack == "delay":
        assert seqs == [1, 2, 3, 4, 5, 6]
        arrivals = [e.time for e in sim.trace if e.kind == "deliver" and e.node == "receiver"]
        assert arrivals[1] - arrivals[0] > 10.0  # 10 between sends, plus the delay
    elif attack == "replay":
        copy = got[2]  # a copy of note 1 or 2, as it is or renumbered to look fresh
        assert len(got) == 7
        assert copy in got[:2] or any(replace(m, seq=3) == copy for m in got[:2])
    elif attack == "reorder":
        assert seqs == [1, 3, 2, 4, 5, 6]
    elif attack == "modify":
        assert len(got) == 6 and got[1] != Note(2, "note 2", bytes([1]) * 4)
    elif attack == "forge":
        assert len(got) == 7 and got[2] not in [
            Note(i, f"note {i}", bytes([i - 1]) * 4) for i in range(1, 7)
        ]
    counts = attack_counts(sim.states)
    if attack not in ("drop",):
        label = "delay" if attack == "delay" else attack
        assert counts[label][0] >= 1


def test_redirect_with_no_third_node_reflects_to_the_sender() -> None:
    sim = Simulation(pair(plan=("redirect",)), seed=1).run()
    assert attack_counts(sim.states)["redirect"] == (1, 0)  # delivered to the sender, ignored
    assert [m.seq for m in sim.states["receiver"].inner] == [2, 3, 4, 5, 6]


@settings(max_examples=25)
@given(attack_plans(("drop", "replay", "reorder", "modify"), max_size=6))
def test_under_any_plan_the_receiver_gets_nothing_the_sender_did_not_send_unless_attacked(
    plan: tuple[str, ...],
) -> None:
    sim = Simulation(pair(plan=plan), seed=0).run()
    honest = {Note(i, f"note {i}", bytes([i - 1]) * 4) for i in range(1, 7)}
    wired = sim.states["receiver"]
    for (attack, _), msg in zip(wired.outcomes, wired.inner, strict=True):
        if attack in (None, "reorder", "delay"):
            assert msg in honest
    assert sim.states["attacker"].step == 6


def test_same_seed_same_attacks() -> None:
    a = Simulation(pair(rate=0.6), seed=11).run().states["attacker"]
    b = Simulation(pair(rate=0.6), seed=11).run().states["attacker"]
    assert a == b and a.log != ()


def test_the_model_checker_explores_every_decision() -> None:
    class One(Node[int]):
        def init(self, ctx: Context) -> int:
            ctx.send("receiver", Note(1, "hi", b"\x00"))
            return 0

    system = attacked(
        System({"sender": One(), "receiver": Receiver()}),
        attacks=("drop", "modify"),
        exhaustive=True,
    )

    def got(note: Note) -> Any:
        return lambda s: note in s.nodes["receiver"].inner

    result = check(
        ActorModel(system),
        goals={
            "honest": got(Note(1, "hi", b"\x00")),
            "modified": lambda s: any(
                m != Note(1, "hi", b"\x00") for m in s.nodes["receiver"].inner
            ),
        },
        invariants={"at most one": lambda s: len(s.nodes["receiver"].inner) <= 1},
    )
    assert result.ok and set(result.witnesses) == {"honest", "modified"}


def test_fields_of_opens_dataclasses_and_tuples() -> None:
    assert fields_of(Note(1, "x", b"y")) == [Note(1, "x", b"y"), 1, "x", b"y"]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="must be a sequence of names"):
        AttackerNode(attacks=("nuke",))
    with pytest.raises(ValueError, match="probability"):
        AttackerNode(rate=2)
    with pytest.raises(ValueError, match="unknown decisions"):
        AttackerNode(plan=("forward", "explode"))
    with pytest.raises(ValueError, match="already a node"):
        attacked(System({"attacker": Receiver()}))
    with pytest.raises(ValueError, match="names from"):
        attack_plans(("teleport",))
    assert set(ATTACKS) >= {"drop", "delay", "replay", "reorder", "redirect", "modify", "forge"}
