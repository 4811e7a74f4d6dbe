"""Tests of the protections playground (dslib.widgets.security), driven from code."""

from __future__ import annotations

import itertools

import pytest

from dslib.widgets.security import (
    ATTACK_NAMES,
    PROTECTIONS,
    ProtectionController,
    SecurityPlayground,
    security_figure,
)


def expected(on: dict[str, bool]) -> set[str]:
    """Which attacks should succeed, from what each protection is for."""
    integrity = on["mac"] or on["signature"] or on["encryption"]  # AEAD authenticates too
    wins = set()
    if not on["encryption"]:
        wins.add("eavesdrop")
    if not integrity:
        wins |= {"modify", "forge"}
    if not (on["nonce"] and integrity):  # a sequence number nobody protects is rewritten
        wins.add("replay")
    return wins


@pytest.mark.parametrize("combo", list(itertools.product([False, True], repeat=4)))
def test_every_combination_of_protections(combo: tuple[bool, ...]) -> None:
    on = dict(zip(PROTECTIONS, combo, strict=True))
    c = ProtectionController(**on)
    assert set(c.succeeding()) == expected(on)
    knows_plaintext = any(item.startswith("plaintext") for item in c.knowledge())
    assert knows_plaintext == (not on["encryption"])


def test_the_playground_toggles_and_redraws() -> None:
    import matplotlib

    matplotlib.use("Agg")
    p = SecurityPlayground()
    first = p.image.value
    assert repr(p) == (
        "SecurityPlayground(protections: none; attacks that succeed: eavesdrop, modify, "
        "replay, forge)"
    )
    p.controller.set(mac=True)  # driven from code: the checkbox is not touched ...
    assert p.boxes["mac"].value is False
    p.boxes["nonce"].value = True  # ... and a click redraws with both
    assert p.controller.succeeding() == ("eavesdrop",)
    assert "eavesdrop" in p.heading.value and p.image.value != first
    p.boxes["encryption"].value = True
    assert repr(p).endswith("attacks that succeed: none)")
    fig = security_figure(p.controller)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert all(f"{a}: fails" in texts for a in ATTACK_NAMES)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="unknown protection"):
        ProtectionController().set(tls=True)
    with pytest.raises(TypeError, match="True or False"):
        ProtectionController(mac=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown attack"):
        ProtectionController().attempt("bribe")
    with pytest.raises(TypeError, match="not both"):
        SecurityPlayground(ProtectionController(), mac=True)
