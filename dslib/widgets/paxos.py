"""The Paxos playground of chapter 14: two duelling proposers, driven by hand.

The reader plays the network and the two proposers' impatience. The cluster is
``dslib.consensus.paxos_system``: proposers ``p1`` (input ``x``) and ``p2`` (input
``y``), three acceptors and a learner, the node code of the chapter itself (one
source of truth). It runs under ``dslib.check.ActorModel``, the model checker's
view of a system, so each of the reader's actions is one step the model checker
would also explore:

- **start** a proposer: its first ballot, or a ballot one round above its current
  one (the ``propose`` and ``retry`` timers of ``Proposer``);
- **deliver** a message in flight, chosen from the list;
- **drop** (lose) a message in flight;
- **back** (undo the last action) and **reset**.

After each step the playground shows every acceptor's promise and votes, every
proposer's phase and ballot, the messages in flight, which value is *chosen* (a
quorum of acceptors voted for it in one ballot) and the verdict of agreement
(``dslib.consensus.node_invariants``). Whatever the reader does, once a value is
chosen it stays chosen, and a later ballot can only choose it again: that is the
point of the playground. With a mutant (``mutant="accept_below_promise"``, ...)
the reader can make agreement fail.

``PaxosController`` is the pure part (no ipywidgets): tests and notebooks drive
it from code, and ``paxos_figure`` draws its state. ``PaxosPlayground`` puts
buttons in front of it.

References
----------
.. [1] L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001: section 2.2 (the
   two phases and the nack), section 2.4 (two proposers that pre-empt each other for ever).

Examples
--------
>>> c = PaxosController()
>>> c.start("p1")
'p1 starts ballot (0,p1); sends prepare (0,p1) to a1, a2, a3'
>>> c.deliver_all("Prepare", dst="a1")
1
>>> c.messages[0]
('a1', 'p1', Promise(ballot=Ballot(0, 'p1'), last_vote=None))
>>> c.summary()
'step 2: nothing chosen yet; agreement holds'
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from dslib.check.actor import Action, ActorModel, ActorState
from dslib.consensus.paxos import (
    Accept,
    Accepted,
    AcceptorState,
    Ballot,
    Learner,
    LearnerState,
    Nack,
    Prepare,
    Promise,
    ProposerState,
    node_invariants,
    paxos_system,
)
from dslib.consensus.spec import MUTANTS
from dslib.mutants import check_mutant
from dslib.widgets.base import Playground, given_controller, show_figure, small_button

__all__ = [
    "MESSAGE_KINDS",
    "PaxosController",
    "PaxosPlayground",
    "ballot_text",
    "chosen_ballots",
    "message_text",
    "paxos_figure",
]

Message = tuple[str, str, Any]
MESSAGE_KINDS = ("Prepare", "Promise", "Accept", "Accepted", "Nack")
"""The message classes of ``dslib.consensus.paxos``, by name, in the order of a ballot."""


def ballot_text(ballot: Ballot | None) -> str:
    """A ballot, short: ``(round,proposer)``; ``-`` for none.

    >>> ballot_text(Ballot(1, "p2")), ballot_text(None)
    ('(1,p2)', '-')
    """
    return "-" if ballot is None else f"({ballot.round},{ballot.proposer})"


def _vote_text(vote: tuple[Ballot, Hashable] | None) -> str:
    return "none" if vote is None else f"{vote[1]} in {ballot_text(vote[0])}"


def message_text(msg: Any) -> str:
    """A message of single-decree Paxos in a few words, with its ballot.

    >>> message_text(Promise(Ballot(1, "p2"), (Ballot(0, "p1"), "x")))
    'promise (1,p2), last vote x in (0,p1)'
    >>> message_text(Nack(Ballot(0, "p1"), Ballot(0, "p2")))
    'nack (0,p1): promised (0,p2)'
    """
    if isinstance(msg, Prepare):
        return f"prepare {ballot_text(msg.ballot)}"
    if isinstance(msg, Promise):
        return f"promise {ballot_text(msg.ballot)}, last vote {_vote_text(msg.last_vote)}"
    if isinstance(msg, Accept):
        return f"accept {msg.value} in {ballot_text(msg.ballot)}"
    if isinstance(msg, Accepted):
        return f"voted {msg.value} in {ballot_text(msg.ballot)}"
    if isinstance(msg, Nack):
        return f"nack {ballot_text(msg.ballot)}: promised {ballot_text(msg.promised)}"
    return repr(msg)


def chosen_ballots(state: ActorState, quorum: int) -> list[tuple[Hashable, Ballot]]:
    """Each (value, ballot) in which ``quorum`` acceptors voted for the value, by ballot.

    ``dslib.consensus.chosen_values`` gives the values; this also says in which
    ballots, which is what the playground shows. Read from the acceptors' votes.

    Examples
    --------
    >>> c = PaxosController()
    >>> chosen_ballots(c.state, 2)
    []
    """
    count: dict[tuple[Ballot, Hashable], int] = {}
    for node_state in state.states:
        if isinstance(node_state, AcceptorState):
            for vote in node_state.votes:
                count[vote] = count.get(vote, 0) + 1
    return [(value, ballot) for (ballot, value), n in sorted(count.items()) if n >= quorum]


def _kind_of(msg: Any) -> str:
    return type(msg).__name__


class PaxosController:
    """The playground's state and actions, without any widget.

    Parameters
    ----------
    values : sequence of hashable, default ("x", "y")
        The proposers' inputs: ``p1`` proposes ``values[0]``, ``p2`` ``values[1]``, ...
    acceptors : int, default 3
        How many acceptors (``a1``, ``a2``, ...); a quorum is a majority.
    mutant : str, optional
        A broken version from ``dslib.consensus.MUTANTS``.

    Attributes
    ----------
    states : list of ActorState
        The global state before any action and after each one.
    actions : list of Action
        Every action taken (``ActorModel`` actions), in order.
    notes : list of str
        What each action did, in words (``notes[0]`` describes the start).

    Raises
    ------
    ValueError
        For a bad ``values``, ``acceptors`` or ``mutant`` (from ``paxos_system``).

    Examples
    --------
    >>> c = PaxosController()
    >>> c.proposers, c.acceptors
    (('p1', 'p2'), ('a1', 'a2', 'a3'))
    >>> _ = c.start("p2")
    >>> c.deliver_all("Prepare")
    3
    >>> c.deliver_all("Promise", src="a1") + c.deliver_all("Promise", src="a2")
    2
    >>> c.note
    'a2 → p2: promise (0,p2), last vote none; p2 has promises from a quorum and proposes y; sends accept y in (0,p2) to a1, a2, a3'
    """  # noqa: E501

    def __init__(
        self,
        values: Sequence[Hashable] = ("x", "y"),
        acceptors: int = 3,
        *,
        mutant: str | None = None,
    ) -> None:
        self.mutant = check_mutant("PaxosController", mutant, MUTANTS)
        # retry: a proposer may start a higher ballot at any time (the model fires any set
        # timer when asked); acceptors then also tell a ballot's proposer of each vote.
        self.system = paxos_system(values, acceptors, 1, retry=1.0, mutant=mutant)
        self.model = ActorModel(self.system, lossy=True)
        self.proposers = tuple(i for i in self.system.ids if i.startswith("p"))
        self.acceptors = tuple(i for i in self.system.ids if i.startswith("a"))
        self.learners = tuple(i for i in self.system.ids if i.startswith("l"))
        learner = self.system.nodes[self.learners[0]]
        assert isinstance(learner, Learner)
        self.quorum = learner.quorum
        self.invariants = node_invariants(self.system)
        self.reset()

    # -- state ------------------------------------------------------------------------
    def reset(self) -> str:
        """Start again: no ballot started, no message sent."""
        (start,) = self.model.init_states()
        self.states: list[ActorState] = [start]
        self.actions: list[Action] = []
        self.notes: list[str] = [
            f"start: proposers {', '.join(self.proposers)}, acceptors "
            f"{', '.join(self.acceptors)} (a quorum is any {self.quorum}), learner "
            f"{', '.join(self.learners)}"
        ]
        return self.note

    @property
    def state(self) -> ActorState:
        """The current global state."""
        return self.states[-1]

    @property
    def note(self) -> str:
        """What the last action did."""
        return self.notes[-1]

    @property
    def position(self) -> int:
        """How many actions have been taken."""
        return len(self.actions)

    @property
    def messages(self) -> list[Message]:
        """The messages in flight as ``(src, dst, msg)``, in a stable order."""
        return self.state.messages()

    @property
    def chosen(self) -> list[tuple[Hashable, Ballot]]:
        """Each (value, ballot) in which a quorum of acceptors voted for the value."""
        return chosen_ballots(self.state, self.quorum)

    @property
    def verdicts(self) -> dict[str, bool]:
        """Agreement, validity and integrity in the current state."""
        return {name: f(self.state) for name, f in self.invariants.items()}

    def summary(self) -> str:
        """One line: the step, what is chosen and in which ballots, and agreement's verdict.

        >>> PaxosController().summary()
        'step 0: nothing chosen yet; agreement holds'
        """
        chosen = self.chosen
        if not chosen:
            what = "nothing chosen yet"
        else:
            what = "; ".join(f"chosen: {v} at ballot {ballot_text(b)}" for v, b in chosen)
        verdict = "holds" if self.verdicts["agreement"] else "VIOLATED"
        return f"step {self.position}: {what}; agreement {verdict}"

    # -- actions ------------------------------------------------------------------------
    def start(self, proposer: str) -> str:
        """``proposer`` starts phase 1: its first ballot, or one round above its current one.

        Parameters
        ----------
        proposer : str
            A proposer's id (``p1``, ``p2``, ...).

        Returns
        -------
        str
            What the step did, in words (also ``note``).

        Raises
        ------
        ValueError
            For an unknown proposer.

        Examples
        --------
        >>> c = PaxosController()
        >>> _ = c.start("p2")
        >>> c.start("p2")
        'p2 starts ballot (1,p2); sends prepare (1,p2) to a1, a2, a3'
        """
        if proposer not in self.proposers:
            raise ValueError(
                f"start: unknown proposer {proposer!r}; the proposers are {list(self.proposers)}"
            )
        me = self.state.node(proposer)
        timer = "propose" if me.phase == "idle" else "retry"
        return self._take(Action("fire", proposer, None, timer))

    def _message(self, which: int | Message, verb: str) -> Message:
        messages = self.messages
        if isinstance(which, int) and not isinstance(which, bool):
            if not messages:
                raise ValueError(f"{verb}: no message is in flight")
            if not 0 <= which < len(messages):
                raise ValueError(
                    f"{verb}: message number {which} is not in flight; "
                    f"choose 0 to {len(messages) - 1}"
                )
            return messages[which]
        if isinstance(which, tuple) and len(which) == 3:
            if which not in messages:
                raise ValueError(f"{verb}: {which!r} is not in flight")
            return which
        raise TypeError(
            f"{verb}: which={which!r} must be the number of a message in flight "
            "(see .messages) or a (src, dst, msg) triple"
        )

    def deliver(self, which: int | Message) -> str:
        """Deliver one message in flight: its number in ``messages``, or ``(src, dst, msg)``.

        Parameters
        ----------
        which : int or (str, str, message)
            The message.

        Returns
        -------
        str
            What the step did, in words.

        Examples
        --------
        >>> c = PaxosController()
        >>> _ = c.start("p1")
        >>> c.deliver(0)
        'p1 → a1: prepare (0,p1); a1 promises (0,p1); sends promise (0,p1), last vote none to p1'

        Raises
        ------
        ValueError
            If there is no such message in flight.
        TypeError
            If ``which`` is neither a number nor a triple.
        """
        src, dst, msg = self._message(which, "deliver")
        return self._take(Action("deliver", dst, src, msg))

    def drop(self, which: int | Message) -> str:
        """Lose one message in flight (``which`` as for ``deliver``).

        Examples
        --------
        >>> c = PaxosController()
        >>> _ = c.start("p1")
        >>> c.drop(2), len(c.messages)
        ('lost p1 → a3: prepare (0,p1)', 2)
        """
        src, dst, msg = self._message(which, "drop")
        return self._take(Action("drop", dst, src, msg))

    def deliver_all(
        self, kind: str | None = None, *, src: str | None = None, dst: str | None = None
    ) -> int:
        """Deliver, one step each, every message now in flight of ``kind`` from ``src`` to ``dst``.

        Messages sent meanwhile wait.

        Parameters
        ----------
        kind : str, optional
            A class name from ``MESSAGE_KINDS`` (``"Prepare"``, ...); default: any.
        src, dst : str, optional
            The sender and the receiver; default: any.

        Returns
        -------
        int
            How many messages were delivered.

        Examples
        --------
        >>> c = PaxosController()
        >>> _ = c.start("p1")
        >>> c.deliver_all("Prepare", dst="a2"), c.state.node("a2").promised
        (1, Ballot(0, 'p1'))

        Raises
        ------
        ValueError
            For an unknown kind, or if no message in flight matches.
        """
        if kind is not None and kind not in MESSAGE_KINDS:
            raise ValueError(f"deliver_all: kind={kind!r}; allowed: {', '.join(MESSAGE_KINDS)}")
        chosen = [
            m
            for m in self.messages
            if (kind is None or _kind_of(m[2]) == kind)
            and (src is None or m[0] == src)
            and (dst is None or m[1] == dst)
        ]
        if not chosen:
            raise ValueError(
                f"deliver_all: no message in flight matches kind={kind!r}, src={src!r}, dst={dst!r}"
            )
        for message in chosen:
            self.deliver(message)
        return len(chosen)

    def back(self) -> str:
        """Undo the last action.

        Examples
        --------
        >>> c = PaxosController()
        >>> _ = c.start("p1")
        >>> c.back().startswith("start:"), c.position
        (True, 0)

        Raises
        ------
        ValueError
            At the start.
        """
        if not self.actions:
            raise ValueError("back: already at the start")
        self.actions.pop()
        self.states.pop()
        self.notes.pop()
        return self.note

    def _take(self, action: Action) -> str:
        before = self.state
        successors = dict(self.model.actions(before))
        if action not in successors:  # pragma: no cover - every action built above is enabled
            raise ValueError(f"{action} is not enabled now")
        after = successors[action]
        self.actions.append(action)
        self.states.append(after)
        self.notes.append(self._describe(action, before, after))
        return self.note

    def _describe(self, action: Action, before: ActorState, after: ActorState) -> str:
        if action.kind == "drop":
            return f"lost {action.src} → {action.node}: {message_text(action.msg)}"
        parts = []
        if action.kind == "deliver":
            parts.append(f"{action.src} → {action.node}: {message_text(action.msg)}")
        sent = _sent(before, after, action.node)
        change = _node_change(action.node, before.node(action.node), after.node(action.node))
        if change is None:
            change = f"{action.node} refuses" if sent else f"{action.node} ignores it"
        parts.append(change)
        parts += [f"sends {text} to {', '.join(dsts)}" for text, dsts in sent.items()]
        now = chosen_ballots(after, self.quorum)
        if now != chosen_ballots(before, self.quorum):
            parts.append(
                "now chosen: " + ", ".join(f"{v} at ballot {ballot_text(b)}" for v, b in now)
            )
        return "; ".join(parts)

    # -- pictures -------------------------------------------------------------------------
    def figure(self) -> Any:
        """The current state as a figure (``paxos_figure``)."""
        return paxos_figure(self)

    def __repr__(self) -> str:
        return f"PaxosController({self.summary()})"


def _sent(before: ActorState, after: ActorState, node: str) -> dict[str, list[str]]:
    """What ``node`` sent in the step from ``before`` to ``after``: message text -> receivers."""
    was = set(before.messages())
    out: dict[str, list[str]] = {}
    for src, dst, msg in after.messages():
        if src == node and (src, dst, msg) not in was:
            out.setdefault(message_text(msg), []).append(dst)
    return out


def _node_change(node: str, old: Any, new: Any) -> str | None:
    """The change of ``node``'s state in words (None: no change worth a word)."""
    if old == new:
        return None
    if isinstance(new, ProposerState) and isinstance(old, ProposerState):
        if new.phase == "1" and (old.phase != "1" or old.ballot != new.ballot):
            return f"{node} starts ballot {ballot_text(new.ballot)}"
        if new.phase == "2" and old.phase == "1":
            return f"{node} has promises from a quorum and proposes {new.value}"
        if new.phase == "done" and old.phase != "done":
            return f"{node} hears that a quorum voted for {new.value}"
        if new.phase == "1":
            return f"{node} has {len(new.promises)} promise(s) for {ballot_text(new.ballot)}"
        return f"{node} has {len(new.votes)} vote(s) for {new.value}"
    if isinstance(new, AcceptorState) and isinstance(old, AcceptorState):
        cast = sorted(new.votes - old.votes)
        if cast:
            return f"{node} votes for {cast[0][1]} in {ballot_text(cast[0][0])}"
        return f"{node} promises {ballot_text(new.promised)}"
    if isinstance(new, LearnerState) and new.learned is not None:
        return f"{node} learns {new.learned}"
    return None


# -- the figure ----------------------------------------------------------------------------
_PHASES = {
    "idle": "not started",
    "1": "phase 1: waiting for promises",
    "2": "phase 2: waiting for votes",
    "done": "a quorum voted",
    "stopped": "stopped",
}


def _node_lines(node: str, state: Any) -> list[str]:
    if isinstance(state, ProposerState):
        lines = [f"{node}  ballot {ballot_text(state.ballot)}", _PHASES[state.phase]]
        if state.phase == "1":
            lines.append(f"promises: {', '.join(sorted(a for a, _ in state.promises)) or '-'}")
        elif state.phase in ("2", "done"):
            lines.append(f"proposes {state.value}; votes: {', '.join(sorted(state.votes)) or '-'}")
        return lines
    if isinstance(state, AcceptorState):
        votes = ", ".join(f"{v}@{ballot_text(b)}" for b, v in sorted(state.votes)) or "-"
        return [
            f"{node}  promised {ballot_text(state.promised)}",
            f"accepted {_vote_text(state.last_vote)}",
            f"all votes: {votes}",
        ]
    if isinstance(state, LearnerState):
        return [f"{node}", f"learned {state.learned if state.learned is not None else '-'}"]
    return [node, "crashed"]


def paxos_figure(controller: PaxosController) -> Any:
    """Proposers, acceptors and the learner with their state, and the messages in flight.

    Left: each node as a box (proposers, acceptors, learner in three columns) and
    an arrow per link with messages in flight, labelled with their numbers in
    ``controller.messages``. Right: the numbered list of those messages. The
    title gives the step, what is chosen and agreement's verdict.

    Parameters
    ----------
    controller : PaxosController

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``controller`` is not a ``PaxosController``.

    Examples
    --------
    >>> c = PaxosController()
    >>> _ = c.start("p1")
    >>> fig = paxos_figure(c)
    >>> [t.get_text() for t in fig.axes[1].texts][:2]
    ['messages in flight', '0  p1 → a1: prepare (0,p1)']
    """
    from matplotlib.figure import Figure

    if not isinstance(controller, PaxosController):
        raise TypeError(f"paxos_figure: {controller!r} is not a PaxosController")
    state = controller.state
    fig = Figure(figsize=(10.0, 3.8))
    ax, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    columns = [controller.proposers, controller.acceptors, controller.learners]
    xs, half_width = (0.0, 2.5, 4.4), (0.8, 0.8, 0.35)
    place: dict[str, tuple[float, float, float]] = {}
    for x, w, ids in zip(xs, half_width, columns, strict=True):
        for k, node in enumerate(ids):
            place[node] = (x, 1.1 * ((len(ids) - 1) / 2 - k), w)
    chosen_values = {v for v, _ in controller.chosen}
    for node, (x, y, _w) in place.items():
        node_state = state.node(node)
        color = "#f5f5f5"
        if isinstance(node_state, AcceptorState) and node_state.last_vote is not None:
            color = "#c8e6c9" if node_state.last_vote[1] in chosen_values else "#fff3c4"
        if isinstance(node_state, LearnerState) and node_state.learned is not None:
            color = "#c8e6c9"
        ax.text(
            x,
            y,
            "\n".join(_node_lines(node, node_state)),
            ha="center",
            va="center",
            fontsize=7.5,
            gid=f"node:{node}",
            bbox={"boxstyle": "round,pad=0.35", "facecolor": color, "edgecolor": "#555"},
        )
    links: dict[tuple[str, str], list[int]] = {}
    for number, (src, dst, _msg) in enumerate(controller.messages):
        links.setdefault((src, dst), []).append(number)
    for (src, dst), numbers in sorted(links.items()):
        (x0, y0, w0), (x1, y1, w1) = place[src], place[dst]
        way = 1 if x1 > x0 else -1
        shift = 0.07 * way  # the two directions of a link side by side
        start = (x0 + way * w0, y0 + shift)
        end = (x1 - way * w1, y1 + shift)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={"arrowstyle": "->", "color": "#1565c0", "lw": 0.9},
            gid="message",
        )
        at = 0.25  # the label near the sender, so that both directions of a link read apart
        ax.text(
            start[0] + at * (end[0] - start[0]),
            start[1] + at * (end[1] - start[1]) + 1.5 * shift,
            ",".join(map(str, numbers)),
            fontsize=7,
            color="#1565c0",
            ha="center",
            va="center",
            gid="message-label",
        )
    ax.set_xlim(-0.95, xs[-1] + 0.5)
    half = 1.1 * max(len(ids) for ids in columns) / 2
    ax.set_ylim(-half, half)
    ax.axis("off")
    side.axis("off")
    side.text(0.0, 1.0, "messages in flight", fontsize=8, weight="bold", va="top")
    rows = [
        f"{n}  {src} → {dst}: {message_text(msg)}"
        for n, (src, dst, msg) in enumerate(controller.messages)
    ]
    if not rows:
        rows = ["(none)"]
    for k, row in enumerate(rows[:22]):
        side.text(0.0, 0.92 - k * 0.042, row, fontsize=7, va="top", family="monospace")
    if len(rows) > 22:
        side.text(0.0, 0.92 - 22 * 0.042, f"... and {len(rows) - 22} more", fontsize=7, va="top")
    ok = controller.verdicts["agreement"]
    fig.suptitle(controller.summary(), fontsize=9, color="#2e7d32" if ok else "#c62828")
    return fig


# -- the widget ----------------------------------------------------------------------------
class PaxosPlayground(Playground):
    """The clickable playground over a ``PaxosController``.

    Parameters
    ----------
    controller : PaxosController, optional
        Show this controller (default: a new one with ``**options``).
    **options
        Options of ``PaxosController`` (``values``, ``acceptors``, ``mutant``).

    Attributes
    ----------
    controller : PaxosController
    buttons : dict of str to ipywidgets.Button
        ``start p1``, ``start p2`` (one per proposer), ``deliver``, ``drop``, ``back``,
        ``reset``.
    message_menu : ipywidgets.Dropdown
        The messages in flight; ``deliver`` and ``drop`` act on the one selected.
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML
        The one-line summary and the last action; the last error.

    Examples
    --------
    >>> p = PaxosPlayground()
    >>> p.buttons["start p1"].click()
    >>> p.buttons["deliver"].click()
    >>> p
    PaxosPlayground(step 2: nothing chosen yet; agreement holds)
    """

    def __init__(self, controller: PaxosController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller("PaxosPlayground", PaxosController, controller, options)
        c = self.controller
        self.figure: Any = None

        button = small_button
        self.buttons: dict[str, Any] = {}
        for p in c.proposers:
            b = button(f"start {p}", f"{p} starts phase 1 with a higher ballot", "info")
            b.on_click(lambda _b, p=p: self._act(c.start, p))
            self.buttons[f"start {p}"] = b
        self.buttons["deliver"] = button("deliver", "deliver the message selected", "success")
        self.buttons["drop"] = button("drop", "lose the message selected", "danger")
        self.buttons["back"] = button("◀ back", "undo the last action")
        self.buttons["reset"] = button("reset", "start again")
        self.buttons["deliver"].on_click(lambda _b: self._act(c.deliver, self._selected()))
        self.buttons["drop"].on_click(lambda _b: self._act(c.drop, self._selected()))
        self.buttons["back"].on_click(lambda _b: self._act(c.back))
        self.buttons["reset"].on_click(lambda _b: self._act(c.reset))
        self.message_menu = w.Dropdown(
            options=[], description="message", layout=w.Layout(width="420px")
        )
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()
        starts = [self.buttons[f"start {p}"] for p in c.proposers]
        row1 = w.HBox([*starts, self.buttons["back"], self.buttons["reset"]])
        row2 = w.HBox([self.message_menu, self.buttons["deliver"], self.buttons["drop"]])
        self.widget = w.VBox([self.heading, self.image, row1, row2, self.message])
        self.update()

    def _selected(self) -> int:
        value = self.message_menu.value
        return -1 if value is None else int(value)

    def update(self) -> None:
        """Redraw everything from the controller (after driving it from code)."""
        c = self.controller
        self.message.value = ""
        self._show_heading(c.summary(), c.note, c.verdicts["agreement"])
        options = [
            (f"{n}  {src} → {dst}: {message_text(msg)}", n)
            for n, (src, dst, msg) in enumerate(c.messages)
        ]
        self.message_menu.options = options
        self.message_menu.value = options[0][1] if options else None
        for name in ("deliver", "drop"):
            self.buttons[name].disabled = not options
        self.buttons["back"].disabled = c.position == 0
        self.figure = paxos_figure(c)
        # fast compression: the image is redrawn on every click and never stored
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"PaxosPlayground({self.controller.summary()})"
