"""Tests of dslib.security.sweep: the protected service rejects every attack, the plain one
does not, and each broken version is caught by the count of the attack it lets through.

A handful of seeds here; the 300-run sweep is ``benchmarks/sweep_security.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from dslib.mutants import Mutant, run_mutants
from dslib.security.attacker import attack_counts, attack_plans, attacked
from dslib.security.crypto import symmetric_key
from dslib.security.sweep import (
    JUDGED,
    MUTANTS,
    SWEEP_ATTACKS,
    SWEEP_CHECKS,
    _accepted,
    plaintext_leaked,
    run_once,
    run_sweep,
    service,
)
from dslib.sim import Simulation

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(8)


@pytest.mark.parametrize("protocol", ["mac", "aead"])
def test_the_protected_protocols_reject_every_attack(protocol: str) -> None:
    r = run_sweep(protocol, seeds=SEEDS)
    for attack in JUDGED:
        assert r.attempts(attack) > 0, attack  # the attack was tried ...
        assert r.accepted(attack) == 0, attack  # ... and rejected every time
    assert r.accepted("forward") == r.attempts("forward") > 0  # honest traffic goes through
    assert r.ok


def test_the_plain_protocol_accepts_the_attacks() -> None:
    r = run_sweep("none", seeds=SEEDS)
    for attack in ("replay", "reorder", "modify", "forge"):
        assert r.accepted(attack) > 0, attack
    assert not r.ok


def test_only_the_encrypted_channel_keeps_the_plaintext_from_the_attacker() -> None:
    assert run_sweep("aead", seeds=SEEDS).plaintext_leaks == 0
    assert run_sweep("mac", seeds=SEEDS).plaintext_leaks == len(SEEDS)  # a MAC hides nothing
    # the check can fail: an attacker holding the key reads the requests
    stolen = run_once("aead", 0, attacker_keys=[symmetric_key(0, "client-server")])
    assert stolen["leaked"]


def test_each_mutant_is_caught_by_the_count_of_its_attack() -> None:
    expected = {
        "mac_without_seq": ("replay rejected",),
        "no_seq_check": ("replay rejected", "reorder rejected"),
        "mac_unchecked": ("modify rejected",),
    }
    mutants = [
        Mutant(name, bug, lambda name=name: {"protocol": "mac", "mutant": name}, expected[name])
        for name, bug in MUTANTS.items()
    ]
    report = run_mutants(lambda: {"protocol": "mac"}, mutants, SWEEP_CHECKS)
    assert report.ok, report.problems()


@settings(max_examples=15)
@given(attack_plans(SWEEP_ATTACKS, max_size=12))
def test_no_attack_plan_gets_a_message_through_the_mac_protocol(plan: tuple[str, ...]) -> None:
    system = attacked(service("mac", seed=0), judge=_accepted, plan=plan)
    counts = attack_counts(Simulation(system, seed=0).run().states)
    for attack in JUDGED:
        assert counts.get(attack, (0, 0))[1] == 0


def test_the_same_seed_gives_the_same_counts_under_any_hash_seed() -> None:
    code = (
        "from dslib.security.sweep import run_sweep; "
        "print(run_sweep('aead', seeds=range(3)).counts)"
    )
    outs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outs.add(out.stdout)
    assert len(outs) == 1
    assert run_sweep("aead", seeds=range(3)).counts == run_sweep("aead", seeds=range(3)).counts


def test_plaintext_leaked_looks_inside_bytes() -> None:
    assert plaintext_leaked([b"..deposit 2 #1.."], [b"deposit 2 #1"])
    assert not plaintext_leaked([b"deposit 2 #"], [b"deposit 2 #1"])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="allowed: 'none', 'mac', 'aead'"):
        service("tls")
    with pytest.raises(ValueError, match="broken 'mac' protocol"):
        service("aead", mutant="mac_unchecked")
    with pytest.raises(ValueError, match="unknown mutant"):
        service("mac", mutant="nope")
    with pytest.raises(ValueError, match="seeds is empty"):
        run_sweep("mac", seeds=[])
