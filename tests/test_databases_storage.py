"""The storage engine and its log: records, checksums, the write-ahead rule, commits,
aborts, checkpoints and truncation, crash images, and bad input."""

from __future__ import annotations

import pytest

from dslib.databases import (
    GARBAGE,
    Disk,
    Engine,
    LockConflict,
    LogRecord,
    checksum,
    read_log,
    torn_frame,
    write_frame,
)


def lsns(frames: tuple) -> list[int]:
    return [f.record.lsn for f in frames]


# -- the log -----------------------------------------------------------------------------


def test_a_torn_frame_of_every_kind_fails_its_checksum() -> None:
    records = [
        LogRecord(1, "update", "T1", "x", "set", 5, before=0),
        LogRecord(2, "update", "T1", "x", "add", 3, prev_lsn=1),
        LogRecord(3, "clr", "T1", "x", "add", -3, prev_lsn=2, undo_next=1),
        LogRecord(4, "commit", "T1", prev_lsn=3),
        LogRecord(5, "abort", "T2"),
        LogRecord(6, "end", "T1"),
        LogRecord(7, "checkpoint"),
        LogRecord(8, "checkpoint", active=(("T2", 5, 5),), dirty=(("x", 2),)),
    ]
    for r in records:
        assert write_frame(r).intact
        torn = torn_frame(r)
        assert not torn.intact, r
        assert torn.checksum == checksum(r)  # the checksum of what should have been written
        assert torn.record.lsn == r.lsn and torn.record.kind == r.kind  # the header survived


def test_read_log_stops_at_the_first_torn_frame() -> None:
    frames = [write_frame(LogRecord(i, "update", "T1", "x", "add", i)) for i in (1, 2, 3)]
    frames[1] = torn_frame(frames[1].record)
    read = read_log(frames)
    assert [r.lsn for r in read.records] == [1]
    assert (read.torn_at, read.ignored) == (2, 2)
    assert [r.arg for r in read_log(frames, verify=False).records] == [1, GARBAGE, 3]
    with pytest.raises(TypeError, match="element 0 is 'x', not a Frame"):
        read_log(["x"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lsn": 0, "kind": "update"}, "lsn=0 must be an int >= 1"),
        ({"lsn": True, "kind": "update"}, "lsn=True must be an int >= 1"),
        ({"lsn": 1, "kind": "insert"}, "kind='insert'; allowed: update, clr"),
        ({"lsn": 1, "kind": "update", "op": "mul"}, "op='mul'; allowed: 'set', 'add'"),
    ],
)
def test_log_record_rejects_bad_fields(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogRecord(**kwargs)


# -- the engine --------------------------------------------------------------------------


def test_changes_go_to_the_log_tail_and_to_memory_not_to_the_disk() -> None:
    e = Engine.create(("x", "y")).add("T1", "x", 2).write("T1", "y", 9)
    assert e.values() == {"x": 2, "y": 9}
    assert e.disk.values() == {"x": 0, "y": 0}
    assert e.disk.log == () and [r.lsn for r in e.tail] == [1, 2]
    assert e.dirty == (("x", 1), ("y", 2))
    assert e.tail[1].before == 0 and e.tail[1].prev_lsn == 1  # the chain of T1's records


def test_commit_forces_the_log_up_to_its_commit_record_and_releases_locks() -> None:
    e = Engine.create(("x",)).add("T1", "x", 2).commit("T1")
    assert [str(f) for f in e.disk.log] == ["1 update T1 x+=2", "2 commit T1"]
    assert [str(r) for r in e.tail] == ["3 end T1"]  # the end record need not be forced
    assert e.active() == () and e.locks == ()
    assert e.add("T2", "x", 1).read("x") == 3  # the lock is free


def test_commit_mutant_acknowledges_without_forcing() -> None:
    e = Engine.create(("x",), mutant="ack_before_flush").add("T1", "x", 2).commit("T1")
    assert e.disk.log == () and [r.kind for r in e.tail] == ["update", "commit", "end"]


def test_the_write_ahead_rule_forces_the_log_before_a_page() -> None:
    e = Engine.create(("x", "y")).add("T1", "x", 1).add("T1", "y", 1).add("T1", "x", 1)
    written = e.flush_page("y")
    assert written.disk.values() == {"x": 0, "y": 1}
    assert written.flushed_lsn == 2  # up to y's page LSN, not further
    assert lsns(written.disk.log) == [1, 2] and [r.lsn for r in written.tail] == [3]
    broken = Engine.create(("x", "y"), mutant="no_write_ahead").add("T1", "y", 1).flush_page("y")
    assert broken.disk.values()["y"] == 1 and broken.disk.log == ()


def test_flushing_a_clean_page_changes_nothing() -> None:
    e = Engine.create(("x",))
    assert e.flush_page("x") is e


def test_abort_compensates_each_change_last_first() -> None:
    e = Engine.create(("x", "y")).write("T1", "x", 4).add("T1", "y", 3).abort("T1")
    assert e.values() == {"x": 0, "y": 0}
    assert [str(r) for r in e.tail] == [
        "1 update T1 x=4 (was 0)",
        "2 update T1 y+=3",
        "3 abort T1",
        "4 clr T1 y+=-3 (undo next: 1)",
        "5 clr T1 x=0 (undo next: none)",
        "6 end T1",
    ]


def test_strict_locks_make_a_second_writer_wait() -> None:
    e = Engine.create(("x", "y")).add("T1", "x", 1)
    assert not e.can_write("T2", "x") and e.can_write("T2", "y") and e.can_write("T1", "x")
    with pytest.raises(LockConflict, match="T2 cannot change x: T1 holds its lock"):
        e.write("T2", "x", 5)
    assert e.abort("T1").can_write("T2", "x")


def test_checkpoint_writes_every_dirty_page_and_truncates_below_the_oldest_need() -> None:
    e = Engine.create(("x", "y")).add("T1", "x", 1).add("T2", "y", 1).commit("T2").checkpoint()
    # T1 is still running: its first record (1) is kept, for undo.
    assert e.disk.values() == {"x": 1, "y": 1} and e.dirty == ()
    # 4, T2's end record, is forced with the checkpoint: the log is forced in order.
    assert e.disk.master == 5 and e.disk.log_start == 1 and lsns(e.disk.log) == [1, 2, 3, 4, 5]
    e2 = e.commit("T1").checkpoint()
    assert e2.disk.log_start == 8 and lsns(e2.disk.log) == [8]
    mutant = Engine.create(("x",), mutant="truncate_active").add("T1", "x", 1).checkpoint()
    assert lsns(mutant.disk.log) == [2]  # T1's update is gone while T1 still runs


def test_crash_images_cover_every_prefix_of_the_unforced_tail_and_every_tear() -> None:
    e = Engine.create(("x",)).add("T1", "x", 1).add("T1", "x", 2)
    images = e.crash_images()
    assert [words for words, _ in images] == [
        "2 unflushed lost",
        "1 of 2 unflushed reached disk",
        "2 of 2 unflushed reached disk",
        "1 of 2 unflushed reached disk, 1 torn",
        "2 of 2 unflushed reached disk, 2 torn",
    ]
    logs = [[(f.record.lsn, f.intact) for f in d.log] for _, d in images]
    assert logs == [[], [(1, True)], [(1, True), (2, True)], [(1, False)], [(1, True), (2, False)]]
    assert all(d.unsynced == () for _, d in images)


def test_after_crash_rejects_impossible_choices() -> None:
    d = Engine.create(("x",)).add("T1", "x", 1).durable()
    with pytest.raises(ValueError, match="kept=2; allowed: 0 to 1"):
        d.after_crash(2)
    with pytest.raises(ValueError, match="torn=True needs kept >= 1"):
        d.after_crash(0, torn=True)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda e: e.add("T1", "z", 1), ValueError, "no key 'z' in the table; the keys are"),
        (lambda e: e.add("T1", "x", 1.5), TypeError, "the value must be an int, got 1.5"),
        (lambda e: e.add("", "x", 1), TypeError, "non-empty string"),
        (lambda e: e.commit("T9"), ValueError, "transaction 'T9' is not running"),
        (lambda e: e.abort("T9"), ValueError, "transaction 'T9' is not running"),
    ],
)
def test_bad_operations_are_clear_errors(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call(Engine.create(("x",)))


def test_engine_create_rejects_bad_keys_and_mutants() -> None:
    with pytest.raises(TypeError, match="must be a sequence of key names"):
        Engine.create("xy")
    with pytest.raises(ValueError, match="distinct non-empty strings"):
        Engine.create([])
    with pytest.raises(ValueError, match="unknown mutant 'nope'; allowed: None or one of"):
        Engine.create(("x",), mutant="nope")


def test_values_are_hashable_and_equal_by_content() -> None:
    a = Engine.create(("x",)).add("T1", "x", 1)
    b = Engine.create(("x",)).add("T1", "x", 1)
    assert a == b and hash(a) == hash(b) and hash(a.durable()) == hash(b.durable())
    assert a != b.add("T1", "x", 1)
    assert isinstance(a.durable(), Disk)
