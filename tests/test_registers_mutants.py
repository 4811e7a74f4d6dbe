"""Chapter 3's primary-backup register selects its broken versions as raft does: a ``MUTANTS``
table and a ``mutant=`` argument checked against it. The old ``bug=`` spelling still works for
one release, warns, and builds the very same system."""

from __future__ import annotations

import pytest

from dslib.small_systems.fault_bugs import PRIMARY_BACKUP_HAND_WRITTEN
from dslib.small_systems.registers import (
    MUTANTS,
    PRIMARY_BACKUP_BUGS,
    Primary,
    linearizable,
    primary_backup,
    primary_backup_mutants,
)
from dslib.testing import replay


def test_the_mutant_table_names_every_broken_version() -> None:
    assert tuple(MUTANTS) == PRIMARY_BACKUP_BUGS
    assert [(m.name, m.bug) for m in primary_backup_mutants()] == list(MUTANTS.items())


def test_an_unknown_mutant_is_refused_with_the_allowed_names() -> None:
    with pytest.raises(ValueError, match=r"unknown mutant 'typo'; allowed: .*'no-dedup'"):
        primary_backup(mutant="typo")
    with pytest.raises(ValueError, match="unknown mutant 'buggy'"):
        Primary(mutant="buggy")
    with pytest.raises(ValueError, match="not both"):
        primary_backup(mutant="no-dedup", bug="no-dedup")


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_breaks_linearizability_on_its_schedule(name: str) -> None:
    schedule = PRIMARY_BACKUP_HAND_WRITTEN[name]
    clients = 2 if name == "no-dedup" else 1
    assert not linearizable(replay(primary_backup(name, clients), schedule).history).ok
    assert linearizable(replay(primary_backup(name, clients), schedule[:-1]).history).ok


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_old_bug_spelling_warns_and_behaves_the_same(name: str) -> None:
    schedule = PRIMARY_BACKUP_HAND_WRITTEN[name]
    clients = 2 if name == "no-dedup" else 1
    with pytest.warns(DeprecationWarning, match=rf"bug='{name}'\) is deprecated: write "):
        old = primary_backup(bug=name, clients=clients)
    new = primary_backup(mutant=name, clients=clients)
    assert repr(old) == repr(new)
    old_ops = [str(op) for op in replay(old, schedule).history.operations()]
    assert old_ops == [str(op) for op in replay(new, schedule).history.operations()]
    with pytest.warns(DeprecationWarning, match=rf"Primary\(mutant='{name}'\)"):
        assert Primary(bug=name).mutant == name
    # A wrong old-style name is refused, naming the spelling that was used.
    with pytest.raises(ValueError, match=r"primary_backup\(bug='typo'\): unknown mutant"):
        primary_backup(bug="typo")
