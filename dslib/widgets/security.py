"""The protections playground of chapter 16: one exchange, the attacker's knowledge, four
attacks.

A client C asks a server S to ``pay 10 to bob``; every byte passes through the attacker M.
The reader switches on, one by one, the four protections of the chapter:

- **MAC**: HMAC-SHA-256 over the whole message under a key C and S share;
- **nonce**: a sequence number in the message (covered by the MAC, the signature or the
  encryption), and S accepts each number once;
- **encryption**: ChaCha20-Poly1305 of the body, the header as associated data;
- **signature**: Ed25519 by C over the whole message; S holds C's public key.

and sees beside the exchange what M has learned (its knowledge set) and which of four
attacks still succeed: *eavesdrop* (M reads the order), *modify* (M changes the amount and S
accepts), *replay* (M sends the same message again, as it is or with the next sequence
number, and S accepts it a second time), *forge*
(M makes up an order from scratch and S accepts). Each verdict is computed, not looked up: M
tries the attack on real messages (``dslib.security.crypto``, keys derived from a seed, for
simulation only) and S runs its real checks.

``ProtectionController`` is the pure part (no ipywidgets); ``security_figure`` draws it;
``SecurityPlayground`` puts four checkboxes in front.

Examples
--------
>>> c = ProtectionController()
>>> c.succeeding()
('eavesdrop', 'modify', 'replay', 'forge')
>>> c.set(mac=True, nonce=True)
>>> c.succeeding()
('eavesdrop',)
>>> c.set(encryption=True)
>>> c.succeeding()
()
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Any

from dslib.security.crypto import (
    SecurityError,
    mac,
    open_sealed,
    seal,
    sign,
    signing_key,
    symmetric_key,
    verify_mac,
    verify_signature,
)
from dslib.widgets.base import Summarised, show_figure

__all__ = [
    "ATTACK_NAMES",
    "PROTECTIONS",
    "Order",
    "ProtectionController",
    "SecurityPlayground",
    "security_figure",
]

PROTECTIONS: tuple[str, ...] = ("mac", "nonce", "encryption", "signature")
ATTACK_NAMES: tuple[str, ...] = ("eavesdrop", "modify", "replay", "forge")
PLAINTEXT = b"pay 10 to bob"


@dataclass(frozen=True)
class Order:
    """The message C sends: header fields, a body (plaintext or sealed), tag and signature."""

    sender: str
    seq: int
    body: bytes
    tag: bytes = b""
    signature: bytes = b""


def _encode(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


class ProtectionController:
    """Which protections are on, the exchange they give, and what the attacker achieves.

    Parameters
    ----------
    mac, nonce, encryption, signature : bool, default False
    seed : int, default 0
        Derives the keys (simulation only).

    Raises
    ------
    TypeError
        If a protection is not a bool.
    """

    def __init__(
        self,
        mac: bool = False,
        nonce: bool = False,
        encryption: bool = False,
        signature: bool = False,
        seed: int = 0,
    ) -> None:
        self.on: dict[str, bool] = {}
        self.seed = seed
        self.shared = symmetric_key(seed, "C-S")
        self.signer = signing_key(seed, "C")
        self.set(mac=mac, nonce=nonce, encryption=encryption, signature=signature)

    def set(self, **protections: bool) -> None:
        """Switch protections on or off by name (``mac``, ``nonce``, ``encryption``,
        ``signature``)."""
        for name, value in protections.items():
            if name not in PROTECTIONS:
                raise TypeError(
                    f"ProtectionController: unknown protection {name!r}; allowed: {PROTECTIONS}"
                )
            if not isinstance(value, bool):
                raise TypeError(f"ProtectionController: {name}={value!r} must be True or False")
            self.on[name] = value
        for name in PROTECTIONS:
            self.on.setdefault(name, False)

    # -- the protocol --------------------------------------------------------------------
    def _covered(self, order: Order) -> bytes:
        seq = str(order.seq).encode() if self.on["nonce"] else b""
        return _encode(order.sender.encode(), seq, order.body)

    def order(self, body: bytes = PLAINTEXT, seq: int = 1) -> Order:
        """What C sends with the protections on."""
        seq = seq if self.on["nonce"] else 0
        if self.on["encryption"]:
            header = _encode(b"C", str(seq).encode())
            body = seal(self.shared, seq.to_bytes(12, "big"), body, header)
        o = Order("C", seq, body)
        if self.on["mac"]:
            o = replace(o, tag=mac(self.shared, self._covered(o)))
        if self.on["signature"]:
            o = replace(o, signature=sign(self.signer, self._covered(o)))
        return o

    def accept(self, order: Order, seen: frozenset[int]) -> bytes | None:
        """S's checks: the plaintext of an acceptable order, or ``None``."""
        try:
            if self.on["nonce"] and order.seq in seen:
                return None
            if self.on["mac"]:
                verify_mac(self.shared, self._covered(order), order.tag)
            if self.on["signature"]:
                verify_signature(self.signer.public, self._covered(order), order.signature)
            if self.on["encryption"]:
                header = _encode(order.sender.encode(), str(order.seq).encode())
                return open_sealed(self.shared, order.seq.to_bytes(12, "big"), order.body, header)
            return order.body
        except (SecurityError, ValueError, OverflowError):
            return None

    # -- the attacker --------------------------------------------------------------------
    def knowledge(self) -> tuple[str, ...]:
        """What M has learned from the exchange, one item a line, sorted."""
        o = self.order()
        items = {f"sender {o.sender}"}
        if self.on["nonce"]:
            items.add(f"seq {o.seq}")
        if self.on["encryption"]:
            items.add(f"ciphertext {o.body[:6].hex()}…")
        else:
            items.add(f"plaintext {o.body.decode()!r}")
        if o.tag:
            items.add(f"MAC tag {o.tag[:4].hex()}…")
        if o.signature:
            items.add(f"signature {o.signature[:4].hex()}…")
        items.add("S's answer " + ("(sealed)" if self.on["encryption"] else "'paid'"))
        return tuple(sorted(items))

    def attempt(self, attack: str) -> tuple[bool, str]:
        """Try ``attack``; ``(succeeded, what happened)``."""
        honest = self.order()
        seen: frozenset[int] = frozenset()
        first = self.accept(honest, seen)
        if first is None:
            raise AssertionError("the honest order must be accepted")  # a bug of this widget
        seen = frozenset({honest.seq})
        if attack == "eavesdrop":
            readable = PLAINTEXT in honest.body
            return readable, ("M reads 'pay 10 to bob'" if readable else "M sees only ciphertext")
        if attack == "modify":
            if self.on["encryption"]:
                body = bytes([honest.body[0] ^ 0x01]) + honest.body[1:]  # 'p' -> 'q' if CTR
            else:
                body = honest.body.replace(b"10", b"99")
            got = self.accept(replace(honest, body=body), frozenset())
            return got is not None, (
                f"S accepts {got.decode(errors='replace')!r}"
                if got
                else "S rejects the changed order"
            )
        if attack == "replay":
            if self.accept(honest, seen) is not None:
                return True, "S pays a second time"
            renumbered = replace(honest, seq=honest.seq + 1)  # make the copy look fresh
            if self.accept(renumbered, seen) is not None:
                return True, "S pays again: M renumbered the copy"
            return False, "S rejects the copy, renumbered or not"
        if attack == "forge":
            fake = Order(
                "C",
                honest.seq + 1,
                b"pay 500 to mallory",
                bytes(len(honest.tag)),
                bytes(len(honest.signature)),
            )
            if self.on["encryption"]:
                fake = replace(fake, body=bytes(len(b"pay 500 to mallory") + 16))
            got = self.accept(fake, seen)
            return got is not None, ("S accepts M's order" if got else "S rejects M's order")
        raise ValueError(f"attempt: unknown attack {attack!r}; allowed: {ATTACK_NAMES}")

    def results(self) -> dict[str, tuple[bool, str]]:
        """Every attack's outcome, in ``ATTACK_NAMES`` order."""
        return {a: self.attempt(a) for a in ATTACK_NAMES}

    def succeeding(self) -> tuple[str, ...]:
        """The attacks that still succeed."""
        return tuple(a for a, (ok, _) in self.results().items() if ok)

    def summary(self) -> str:
        """One line: the protections on and the attacks that succeed."""
        on = [p for p in PROTECTIONS if self.on[p]] or ["none"]
        wins = self.succeeding()
        return f"protections: {', '.join(on)}; attacks that succeed: {', '.join(wins) or 'none'}"

    def __repr__(self) -> str:
        return f"ProtectionController({self.summary()})"


def security_figure(controller: ProtectionController) -> Any:
    """The exchange (C, M, S), M's knowledge, and the four attacks' outcomes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> security_figure(ProtectionController(mac=True))
    <Figure size 900x300 with 3 Axes>
    """
    from matplotlib.figure import Figure

    c = controller
    fig = Figure(figsize=(9.0, 3.0), dpi=100)
    ax_ex, ax_k, ax_a = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.0, 1.3]})
    for ax in (ax_ex, ax_k, ax_a):
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    # the exchange
    ax_ex.set_title("the exchange", fontsize=10)
    for x, name in ((0.1, "C"), (0.5, "M"), (0.9, "S")):
        ax_ex.plot([x, x], [0.1, 0.85], color="0.3", lw=1)
        ax_ex.text(
            x,
            0.9,
            name,
            ha="center",
            fontsize=10,
            weight="bold",
            color="#c62828" if name == "M" else "black",
        )
    o = c.order()
    fields = [f"from C, seq {o.seq}" if c.on["nonce"] else "from C"]
    fields.append("body: sealed" if c.on["encryption"] else "body: 'pay 10 to bob'")
    if o.tag:
        fields.append("+ MAC")
    if o.signature:
        fields.append("+ signature")
    for x0, x1, y0, y1 in ((0.1, 0.5, 0.75, 0.6), (0.5, 0.9, 0.6, 0.45)):
        ax_ex.annotate(
            "", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "#1565c0"}
        )
    ax_ex.text(0.27, 0.6, "\n".join(fields), ha="center", va="top", fontsize=7)
    for x0, x1, y0, y1 in ((0.9, 0.5, 0.35, 0.25), (0.5, 0.1, 0.25, 0.15)):
        ax_ex.annotate(
            "", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "0.5"}
        )
    ax_ex.text(0.7, 0.36, "answer", ha="center", fontsize=7, color="0.4")
    # the knowledge set
    ax_k.set_title("what M knows", fontsize=10)
    for i, item in enumerate(c.knowledge()):
        secret = item.startswith("plaintext")
        ax_k.text(
            0.02,
            0.85 - i * 0.12,
            item,
            fontsize=8,
            va="top",
            color="#c62828" if secret else "black",
        )
    # the attacks
    ax_a.set_title("attacks", fontsize=10)
    for i, (attack, (won, why)) in enumerate(c.results().items()):
        y = 0.82 - i * 0.2
        mark, color = ("succeeds", "#c62828") if won else ("fails", "#2e7d32")
        ax_a.text(0.0, y, f"{attack}: {mark}", fontsize=9, weight="bold", color=color, va="top")
        ax_a.text(0.0, y - 0.08, why, fontsize=7, color="0.25", va="top")
    on = [p for p in PROTECTIONS if c.on[p]] or ["no protection"]
    fig.suptitle(", ".join(on), fontsize=10)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.82, bottom=0.02, wspace=0.08)
    return fig


class SecurityPlayground(Summarised):
    """Four checkboxes (MAC, nonce, encryption, signature) over a ``ProtectionController``.

    Attributes
    ----------
    controller : ProtectionController
    boxes : dict of str to ipywidgets.Checkbox
    image : ipywidgets.Image
    heading : ipywidgets.HTML

    Examples
    --------
    >>> p = SecurityPlayground()
    >>> p.boxes["mac"].value = True
    >>> p
    SecurityPlayground(protections: mac; attacks that succeed: eavesdrop, replay)
    """

    def __init__(self, controller: ProtectionController | None = None, **options: Any) -> None:
        import ipywidgets as w

        if controller is not None and options:
            raise TypeError("SecurityPlayground: give options or a controller, not both")
        self.controller = controller if controller is not None else ProtectionController(**options)
        self.figure: Any = None
        self.boxes = {
            name: w.Checkbox(value=self.controller.on[name], description=name)
            for name in PROTECTIONS
        }
        for name, box in self.boxes.items():
            box.observe(lambda change, name=name: self._toggle(name, change.new), names="value")
        self.heading = w.HTML()
        self.image = w.Image(format="png")
        self.widget = w.VBox([w.HBox(list(self.boxes.values())), self.heading, self.image])
        self.update()

    def _toggle(self, name: str, value: bool) -> None:
        self.controller.set(**{name: value})
        self.update()

    def update(self) -> None:
        """Redraw from the controller."""
        import html

        self.heading.value = f"<b>{html.escape(self.controller.summary())}</b>"
        self.figure = security_figure(self.controller)
        show_figure(self.image, self.figure, fast=True)

    def __repr__(self) -> str:
        return f"SecurityPlayground({self.controller.summary()})"
