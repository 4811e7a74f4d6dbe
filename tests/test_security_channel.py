"""Tests of dslib.security.channel: the handshake, records, the replay window and the mutants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.security.channel import (
    MUTANT_CHECKS,
    MUTANTS,
    ChannelConfig,
    ClientHello,
    HandshakeError,
    Record,
    RecordError,
    ReplayWindow,
    ServerHello,
    handshake,
    mutant_report,
    receive,
    send,
    steal_and_decrypt,
    window_accept,
)

RUN = handshake(seed=4)


def oracle_window(size: int, arrivals: list[int]) -> list[bool]:
    """Brute force: accept a number iff it was never accepted and it is above
    (highest accepted so far) - size. Keeps the whole history, unlike the window."""
    accepted: set[int] = set()
    verdicts = []
    for seq in arrivals:
        highest = max(accepted, default=-1)
        ok = seq not in accepted and seq > highest - size
        verdicts.append(ok)
        if ok:
            accepted.add(seq)
    return verdicts


@settings(max_examples=60)
@given(st.integers(1, 5), st.lists(st.integers(0, 12), max_size=14))
def test_the_window_agrees_with_the_brute_force_oracle(size: int, arrivals: list[int]) -> None:
    window = ReplayWindow(size)
    verdicts = []
    for seq in arrivals:
        after = window_accept(window, seq)
        verdicts.append(after is not None)
        if after is not None:
            assert len(after.seen) <= size  # the window's memory is bounded
            window = after
    assert verdicts == oracle_window(size, arrivals)


@settings(max_examples=30)
@given(st.permutations(range(6)), st.lists(st.integers(0, 5), max_size=4))
def test_records_arrive_in_any_order_within_the_window_and_replays_are_refused(
    order: list[int], replays: list[int]
) -> None:
    client = RUN.client
    records = []
    for i in range(6):
        record, client = send(client, f"m{i}".encode())
        records.append(record)
    server = handshake(seed=4, config=ChannelConfig(window=8)).server
    for i in order:
        text, server = receive(server, records[i])
        assert text == f"m{i}".encode()
    for i in replays:
        with pytest.raises(RecordError, match="replayed or too old"):
            receive(server, records[i])


@settings(max_examples=30)
@given(st.binary(min_size=1, max_size=30), st.integers(0, 10**6), st.integers(0, 7))
def test_changing_any_bit_of_a_record_is_refused(text: bytes, position: int, bit: int) -> None:
    record, _ = send(RUN.client, text)
    i = position % len(record.ciphertext)
    changed = (
        record.ciphertext[:i]
        + bytes([record.ciphertext[i] ^ (1 << bit)])
        + record.ciphertext[i + 1 :]
    )
    with pytest.raises(RecordError, match="modified"):
        receive(RUN.server, Record(record.seq, changed))
    with pytest.raises(RecordError):
        receive(RUN.server, Record(record.seq + 1, record.ciphertext))  # renumbered
    assert text not in record.ciphertext or len(text) < 4


def test_both_sides_agree_and_a_new_session_has_new_keys() -> None:
    assert RUN.client.send_key == RUN.server.receive_key
    assert RUN.client.receive_key == RUN.server.send_key
    assert RUN.client.send_key != RUN.client.receive_key
    other = handshake(seed=4, session_id="s2")
    assert other.client.send_key != RUN.client.send_key
    assert handshake(seed=4).client.send_key == RUN.client.send_key  # repeatable


def test_a_changed_server_hello_or_an_impostor_is_refused() -> None:
    def new_share(reply: ServerHello) -> ServerHello:
        share = handshake(seed=5).client_got.key_share
        return ServerHello(reply.random, reply.version, share, reply.signature)

    with pytest.raises(HandshakeError, match="does not cover"):
        handshake(seed=4, on_reply=new_share)

    def new_random(hello: ClientHello) -> ClientHello:
        return ClientHello(bytes(16), hello.versions, hello.key_share)

    with pytest.raises(HandshakeError, match="does not cover"):
        handshake(seed=4, on_hello=new_random)

    def unoffered(reply: ServerHello) -> ServerHello:
        return ServerHello(reply.random, "v9", reply.key_share, reply.signature)

    with pytest.raises(HandshakeError, match="not offered"):
        handshake(seed=4, on_reply=unoffered)


def test_forward_secrecy_holds_with_fresh_shares_and_fails_with_a_static_one() -> None:
    assert steal_and_decrypt(ChannelConfig()) is None
    assert steal_and_decrypt(ChannelConfig(mutant="static_server_dh")) == b"my password is hunter2"


def test_every_mutant_is_caught_by_its_named_check() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert sorted(MUTANT_CHECKS) == sorted(MUTANTS)
    for result in report.mutants:
        assert set(MUTANT_CHECKS[result.name]) <= set(result.caught_by)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: ChannelConfig(window=0), ValueError, "window=0 must be an int from 1 to 1024"),
        (lambda: ChannelConfig(mutant="typo"), ValueError, "unknown mutant 'typo'"),
        (lambda: window_accept(ReplayWindow(4), -1), ValueError, "non-negative int"),
        (lambda: receive(RUN.server, b"bytes"), TypeError, "expected a Record"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_gives_a_named_error(call: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()  # type: ignore[operator]
