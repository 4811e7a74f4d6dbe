"""Pictures of a Raft cluster at one instant, in the spirit of RaftScope.

``raft_view`` reads what the picture needs from a ``Simulation`` (or from a
mapping of server states) into a ``RaftView``, an immutable value: the time;
for each server its state (role, term, vote, log, commit index), whether it is
up and when its election timer will fire; the messages in flight, with when
each was sent and when it will arrive (or be dropped); and the links a
partition cuts. ``raft_figure`` draws a view in two panels:

- **the ring**: each server a circle on a ring, coloured by role (grey:
  follower, orange: candidate, green: leader; pale and dashed: crashed), with
  its id and term inside and its election timer as an arc around it that
  shrinks as the timeout approaches; clients in the middle; each message in
  flight a dot on the line from sender to receiver, as far along as its
  journey is, labelled by kind (``RV`` RequestVote, ``RV+``/``RV-`` a vote
  granted or refused, ``AE`` a heartbeat, ``AE[2]`` AppendEntries with two
  entries, ``AE+``/``AE-`` its success or failure, ``IS`` InstallSnapshot,
  ``CR`` a client request, ``CR+``/``CR-`` its answer); a message that will be
  lost or cannot cross the partition is a hollow red dot; links the partition
  cuts are red and dashed;
- **the logs**: a row of boxes per server, one box per entry with the entry's
  term in it, coloured by term; a committed entry is filled, an entry not yet
  known to be committed is white with a dashed edge; entries compacted into a
  snapshot are hatched. A crashed server's row shows the log it had persisted,
  in grey.

``raft_ring`` and ``raft_logs`` draw one panel each (into an ``ax`` if given).

Examples
--------
>>> from dslib.raft import raft_system
>>> from dslib.sim import Simulation
>>> sim = Simulation(raft_system(3), seed=1).run(until=400)
>>> view = raft_view(sim)
>>> [(s.id, s.role, s.term) for s in view.servers]
[('s1', 'leader', 1), ('s2', 'follower', 1), ('s3', 'follower', 1)]
>>> raft_figure(view)
<Figure size 900x350 with 2 Axes>
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from dslib.core import stable_repr
from dslib.raft.core import (
    AppendEntries,
    AppendEntriesReply,
    ClientReply,
    ClientRequest,
    InstallSnapshot,
    InstallSnapshotReply,
    RaftNode,
    RaftState,
    RequestVote,
    RequestVoteReply,
)
from dslib.sim.simulator import Simulation
from dslib.viz.plots import _new_axes

__all__ = [
    "ClientView",
    "MessageView",
    "RaftView",
    "ServerView",
    "message_kind",
    "raft_figure",
    "raft_logs",
    "raft_ring",
    "raft_view",
]

ROLE_COLORS = {
    "follower": ("#cfd8dc", "#455a64"),
    "candidate": ("#ffcc80", "#ef6c00"),
    "leader": ("#a5d6a7", "#2e7d32"),
    "crashed": ("#f5f5f5", "#bdbdbd"),
}
"""Fill and edge colour of a server, by role."""

_TERM_FILL = ("#bbdefb", "#c8e6c9", "#ffe0b2", "#e1bee7", "#b2dfdb", "#f8bbd0", "#fff59d")
_TERM_EDGE = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00695c", "#ad1457", "#f9a825")
_KIND_COLORS = {"RV": "#ef6c00", "AE": "#1565c0", "IS": "#6a1b9a", "CR": "#2e7d32"}
_DOOMED = "#c62828"


# -- the view ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerView:
    """One server at one instant.

    Attributes
    ----------
    id : str
    up : bool
        False while the server is crashed.
    state : RaftState or None
        Its state; for a crashed server, the last state seen before the crash
        (its log is what it persisted), or None if that is not known.
    election_due : float or None
        When its election timer fires (simulated time), if it is set.
    """

    id: str
    up: bool
    state: RaftState | None
    election_due: float | None = None

    @property
    def role(self) -> str:
        """``"follower"``, ``"candidate"``, ``"leader"`` or ``"crashed"``."""
        if not self.up:
            return "crashed"
        return self.state.role if self.state is not None else "follower"

    @property
    def term(self) -> int:
        """The server's current term (0 if unknown)."""
        return self.state.current_term if self.state is not None else 0


@dataclass(frozen=True)
class MessageView:
    """A message in flight.

    Attributes
    ----------
    id : int
        The simulation's message id.
    src, dst : str
    msg : object
    sent : float or None
        When it was sent (None if the trace was not recorded).
    arrival : float
        When it arrives, or is dropped.
    fate : str
        ``"deliver"``, ``"lost"`` (the network loses it), ``"partition"`` (it
        cannot cross a partition) or ``"crashed"`` (its receiver is down).
    """

    id: int
    src: str
    dst: str
    msg: Any
    sent: float | None
    arrival: float
    fate: str = "deliver"

    @property
    def kind(self) -> str:
        """Its short label (see ``message_kind``)."""
        return message_kind(self.msg)

    def progress(self, now: float) -> float:
        """How far along its journey it is at ``now``, from 0 (sent) to 1 (arrives)."""
        if self.sent is None or self.arrival <= self.sent:
            return 0.5
        return min(1.0, max(0.0, (now - self.sent) / (self.arrival - self.sent)))


@dataclass(frozen=True)
class ClientView:
    """A client node: its id, its state and a line of text about it."""

    id: str
    state: Hashable
    text: str = ""


@dataclass(frozen=True)
class RaftView:
    """What ``raft_figure`` draws: a Raft cluster at one instant.

    Attributes
    ----------
    time : float
    servers : tuple of ServerView
        In ring order (``s1``, ``s2``, ..., by number).
    clients : tuple of ClientView
    messages : tuple of MessageView
        In order of arrival.
    cut : tuple of (str, str)
        The pairs of nodes (sorted, each pair sorted) that cannot reach each
        other in at least one direction.
    election_timeout : (float, float)
        The range election timeouts are drawn from (scales the timer arcs).
    """

    time: float
    servers: tuple[ServerView, ...]
    clients: tuple[ClientView, ...] = ()
    messages: tuple[MessageView, ...] = ()
    cut: tuple[tuple[str, str], ...] = ()
    election_timeout: tuple[float, float] = (150.0, 300.0)

    def server(self, server_id: str) -> ServerView:
        """The view of one server.

        Raises
        ------
        KeyError
            If there is no such server.
        """
        for s in self.servers:
            if s.id == server_id:
                return s
        raise KeyError(f"no server {server_id!r}; the servers are {[s.id for s in self.servers]}")

    @property
    def states(self) -> dict[str, RaftState]:
        """The state of every server that is up, by id."""
        return {s.id: s.state for s in self.servers if s.up and s.state is not None}

    @property
    def leader(self) -> tuple[str, int] | None:
        """The leader of the highest term among the servers that are up, and its term."""
        best: tuple[str, int] | None = None
        for s in self.servers:
            if s.up and s.role == "leader" and (best is None or s.term > best[1]):
                best = (s.id, s.term)
        return best

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        """The groups of nodes that reach each other (one group when nothing is cut)."""
        ids = [s.id for s in self.servers] + [c.id for c in self.clients]
        cut = set(self.cut)
        groups: list[list[str]] = []
        for n in ids:
            for g in groups:
                if all(tuple(sorted((n, m))) not in cut for m in g):
                    g.append(n)
                    break
            else:
                groups.append([n])
        return tuple(tuple(g) for g in groups)


def message_kind(msg: Any) -> str:
    """A short label for a Raft message, as the figure writes it.

    Examples
    --------
    >>> from dslib.raft import AppendEntries, Entry, RequestVoteReply
    >>> message_kind(RequestVoteReply(2, True)), message_kind(RequestVoteReply(2, False))
    ('RV+', 'RV-')
    >>> message_kind(AppendEntries(1, "s1", 0, 0, (), 0))
    'AE'
    >>> message_kind(AppendEntries(1, "s1", 0, 0, (Entry(1, "x"), Entry(1, "y")), 0))
    'AE[2]'
    """
    if isinstance(msg, RequestVote):
        return "RV"
    if isinstance(msg, RequestVoteReply):
        return "RV+" if msg.vote_granted else "RV-"
    if isinstance(msg, AppendEntries):
        return f"AE[{len(msg.entries)}]" if msg.entries else "AE"
    if isinstance(msg, AppendEntriesReply):
        return "AE+" if msg.success else "AE-"
    if isinstance(msg, InstallSnapshot):
        return "IS"
    if isinstance(msg, InstallSnapshotReply):
        return "IS+"
    if isinstance(msg, ClientRequest):
        return "CR"
    if isinstance(msg, ClientReply):
        return "CR+" if msg.ok else "CR-"
    return type(msg).__name__[:6]


def _natural(node_id: str) -> tuple[str, int, str]:
    stem = node_id.rstrip("0123456789")
    digits = node_id[len(stem) :]
    return (stem, int(digits) if digits else -1, node_id)


def _send_times(sim: Simulation, ids: set[int]) -> dict[int, float]:
    """When each message of ``ids`` was sent, from the end of the trace backwards."""
    out: dict[int, float] = {}
    entries = sim.trace.entries
    want = set(ids)
    for i in range(len(entries) - 1, -1, -1):
        if not want:
            break
        e = entries[i]
        if e[1] in ("send", "duplicate") and e[5] in want:
            out[e[5]] = e[0]
            want.discard(e[5])
    return out


def raft_view(
    source: Simulation | Mapping[str, RaftState],
    previous: RaftView | None = None,
    describe_client: Callable[[Any], str] | None = None,
) -> RaftView:
    """What the figure needs, read from a simulation (or a mapping of server states).

    Parameters
    ----------
    source : Simulation or mapping of str to RaftState
        A simulation of Raft servers (``RaftNode``) and, optionally, clients;
        or the states of some servers (then no time, messages or timers).
    previous : RaftView, optional
        The view of an earlier instant of the same run: a server crashed since
        keeps the state it had there (its persisted log is shown greyed).
    describe_client : callable, optional
        A line of text for a client's state (default: none).

    Returns
    -------
    RaftView

    Raises
    ------
    TypeError
        If ``source`` is neither.

    Examples
    --------
    >>> from dslib.raft import Entry, RaftState
    >>> view = raft_view({"s2": RaftState(current_term=2, log=(Entry(1, "x"),)), "s1": RaftState()})
    >>> [s.id for s in view.servers], view.leader
    (['s1', 's2'], None)
    """
    if isinstance(source, Mapping):
        bad = [k for k, v in source.items() if not isinstance(v, RaftState)]
        if bad:
            raise TypeError(f"raft_view: the states of {sorted(bad)} are not RaftState values")
        return RaftView(
            0.0, tuple(ServerView(k, True, source[k]) for k in sorted(source, key=_natural))
        )
    if not isinstance(source, Simulation):
        raise TypeError(
            "raft_view takes a Simulation or a mapping of server id to RaftState, "
            f"got {type(source).__name__}"
        )
    sim = source
    nodes = sim.system.nodes
    server_ids = sorted((i for i in sim.system.ids if isinstance(nodes[i], RaftNode)), key=_natural)
    client_ids = sorted((i for i in sim.system.ids if i not in server_ids), key=_natural)
    states = sim.states
    crashed = sim.crashed
    due = sim.timers_due()
    before = {s.id: s for s in previous.servers} if previous is not None else {}
    servers: list[ServerView] = []
    for i in server_ids:
        if i in crashed:
            old = before.get(i)
            servers.append(ServerView(i, False, old.state if old is not None else None))
        else:
            servers.append(ServerView(i, True, states[i], due.get((i, "election"))))
    clients = tuple(
        ClientView(
            c,
            states.get(c),
            describe_client(states[c]) if describe_client is not None and c in states else "",
        )
        for c in client_ids
    )
    flight = sim.messages_in_flight()
    sent = _send_times(sim, {f[0] for f in flight}) if sim.record_trace else {}
    messages = []
    for msg_id, src, dst, msg, arrival, fate in flight:
        messages.append(MessageView(msg_id, src, dst, msg, sent.get(msg_id), arrival, fate))
    everyone = sorted(server_ids + client_ids)
    cut = tuple(
        (a, b)
        for k, a in enumerate(everyone)
        for b in everyone[k + 1 :]
        if not (sim.connected(a, b) and sim.connected(b, a))
    )
    timeout = (150.0, 300.0)
    first = nodes[server_ids[0]] if server_ids else None
    if isinstance(first, RaftNode):
        timeout = first.config.election_timeout
    return RaftView(sim.now, tuple(servers), clients, tuple(messages), cut, timeout)


# -- drawing -------------------------------------------------------------------------------
def _as_view(view: RaftView | Simulation | Mapping[str, RaftState], where: str) -> RaftView:
    if isinstance(view, RaftView):
        return view
    if isinstance(view, (Simulation, Mapping)):
        return raft_view(view)
    raise TypeError(
        f"{where} takes a RaftView, a Simulation or a mapping of server states, "
        f"got {type(view).__name__}"
    )


def _term_colors(term: int) -> tuple[str, str]:
    k = (term - 1) % len(_TERM_FILL) if term > 0 else 0
    return _TERM_FILL[k], _TERM_EDGE[k]


def _short(value: Any, width: int = 22) -> str:
    """A state machine's state in a few characters: ``k=v`` pairs, or its repr."""
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        text = ", ".join(f"{k}={stable_repr(v)}" for k, v in value) or "{}"
    else:
        text = stable_repr(value)
    return text if len(text) <= width else text[: width - 2] + ".."


def _title(view: RaftView) -> str:
    leader = view.leader
    who = f"leader {leader[0]} (term {leader[1]})" if leader else "no leader"
    return f"t = {view.time:.1f} ms   {who}"


def raft_ring(
    view: RaftView | Simulation | Mapping[str, RaftState],
    ax: Any = None,
    labels: bool = True,
) -> Any:
    """The servers on a ring: roles, terms, election timers, messages in flight, partitions.

    Parameters
    ----------
    view : RaftView, Simulation or mapping of server states
    ax : matplotlib Axes, optional
        Draw into this Axes (default: a new figure).
    labels : bool, default True
        Label each message in flight with its kind.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Each server's circle has the gid ``"server:<id>"``, the messages' dots
    (one collection) the gid ``"message"`` and the links a partition cuts (one
    collection) the gid ``"cut"``, so tests can find them.

    Examples
    --------
    >>> from dslib.raft import RaftState
    >>> fig = raft_ring({"s1": RaftState(current_term=1, role="leader"), "s2": RaftState()})
    >>> sorted(p.get_gid() for p in fig.axes[0].patches if p.get_gid())
    ['server:s1', 'server:s2']
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Arc, Circle, FancyBboxPatch

    view = _as_view(view, "raft_ring")
    ax = _new_axes(ax, (4.0, 4.0))
    n = len(view.servers)
    radius = 0.19 if n <= 7 else 0.14
    pos: dict[str, tuple[float, float]] = {}
    size: dict[str, float] = {}
    for k, s in enumerate(view.servers):
        angle = math.pi / 2 - 2 * math.pi * k / max(n, 1)
        pos[s.id] = (math.cos(angle), math.sin(angle))
        size[s.id] = radius
    for k, c in enumerate(view.clients):
        pos[c.id] = (0.0, -0.28 * k)
        size[c.id] = 0.13
    cut = set(view.cut)

    # links: faint, or red and dashed where the partition cuts them
    ids = list(pos)
    links: list[list[tuple[float, float]]] = []
    cuts: list[list[tuple[float, float]]] = []
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            (cuts if tuple(sorted((a, b))) in cut else links).append([pos[a], pos[b]])
    ax.add_collection(LineCollection(links, colors="#eceff1", linewidths=1.0, zorder=0))
    if cuts:
        dashed = LineCollection(
            cuts, colors=_DOOMED, linewidths=1.0, linestyles=(0, (3, 3)), alpha=0.55, zorder=1
        )
        dashed.set_gid("cut")
        ax.add_collection(dashed)

    hi = view.election_timeout[1]
    for s in view.servers:
        x, y = pos[s.id]
        fill, edge = ROLE_COLORS[s.role]
        circle = Circle(
            (x, y),
            radius,
            facecolor=fill,
            edgecolor=edge,
            lw=2.2 if s.role == "leader" else 1.3,
            ls="--" if not s.up else "-",
            zorder=3,
        )
        circle.set_gid(f"server:{s.id}")
        ax.add_artist(circle)
        color = "#9e9e9e" if not s.up else "#212121"
        # The name just above the centre and the term just below: two lines that never touch.
        ax.text(
            x,
            y - 0.005,
            s.id,
            ha="center",
            va="bottom",
            fontsize=9,
            weight="bold",
            color=color,
            zorder=4,
        )
        ax.text(x, y - 0.02, f"T{s.term}", ha="center", va="top", fontsize=8, color=color, zorder=4)
        if s.up and s.election_due is not None:
            left = max(0.0, s.election_due - view.time)
            frac = min(1.0, left / hi) if hi > 0 else 0.0
            ring = 2 * (radius + 0.05)
            ax.add_artist(
                Arc((x, y), ring, ring, theta1=90, theta2=450, color="#eceff1", lw=2.5, zorder=2)
            )
            if frac > 0:
                ax.add_artist(
                    Arc(
                        (x, y),
                        ring,
                        ring,
                        theta1=90,
                        theta2=90 + 360 * frac,
                        color="#546e7a",
                        lw=2.5,
                        zorder=2,
                    )
                )
        # what the server is doing, written under it
        if not s.up:
            note = "crashed"
        elif s.role == "candidate" and s.state is not None:
            note = f"{len(s.state.votes)} vote{'s' * (len(s.state.votes) != 1)}"
        elif s.role == "follower" and s.state is not None and s.state.leader is None:
            note = f"voted {s.state.voted_for}" if s.state.voted_for else ""
        else:
            note = ""
        if note:
            ax.text(
                x,
                y - radius - 0.11,
                note,
                ha="center",
                va="center",
                fontsize=7,
                color=edge if s.up else "#9e9e9e",
                zorder=4,
            )

    for c in view.clients:
        x, y = pos[c.id]
        box = FancyBboxPatch(
            (x - 0.12, y - 0.07),
            0.24,
            0.14,
            boxstyle="round,pad=0.01",
            facecolor="#fffde7",
            edgecolor="#9e9d24",
            lw=1.0,
            zorder=3,
        )
        box.set_gid(f"client:{c.id}")
        ax.add_artist(box)
        ax.text(x, y, c.id, ha="center", va="center", fontsize=7.5, zorder=4)
        if c.text:
            ax.text(
                x,
                y - 0.13,
                c.text,
                ha="center",
                va="top",
                fontsize=6.5,
                color="#616161",
                zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
            )

    # messages in flight: a dot on the line from sender to receiver
    xs: list[float] = []
    ys: list[float] = []
    faces: list[str] = []
    edges: list[str] = []
    for m in view.messages:
        if m.src not in pos or m.dst not in pos:
            continue
        (x0, y0), (x1, y1) = pos[m.src], pos[m.dst]
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        gap0, gap1 = size[m.src], size[m.dst]
        f = m.progress(view.time)
        along = gap0 + f * max(0.0, length - gap0 - gap1)
        # keep to the right of the direction of travel, so a reply passes its request
        x = x0 + ux * along + uy * 0.045
        y = y0 + uy * along - ux * 0.045
        color = _KIND_COLORS.get(m.kind[:2], "#616161")
        doomed = m.fate != "deliver"
        xs.append(x)
        ys.append(y)
        faces.append("white" if doomed else color)
        edges.append(_DOOMED if doomed else color)
        if labels:
            ax.text(
                x + uy * 0.08,
                y - ux * 0.08,
                m.kind,
                ha="center",
                va="center",
                fontsize=6,
                color=_DOOMED if doomed else color,
                zorder=6,
                gid="message-label",
            )
    if xs:
        dots = ax.scatter(xs, ys, s=28, c=faces, edgecolors=edges, linewidths=1.2, zorder=5)
        dots.set_gid("message")

    groups = view.groups
    if len(groups) > 1:
        text = "partition: " + " | ".join("{" + ", ".join(g) + "}" for g in groups)
        ax.text(0.0, -1.52, text, ha="center", va="center", fontsize=7, color=_DOOMED)
    ax.set_xlim(-1.55, 1.55)
    ax.set_ylim(-1.6, 1.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax.figure


def raft_logs(
    view: RaftView | Simulation | Mapping[str, RaftState],
    ax: Any = None,
    window: int = 16,
) -> Any:
    """Each server's log as a row of boxes: the term in each box, committed entries filled.

    Parameters
    ----------
    view : RaftView, Simulation or mapping of server states
    ax : matplotlib Axes, optional
    window : int, default 16
        Show at most the last ``window`` indices.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``window`` is not an int >= 1.

    Notes
    -----
    Each entry's box is a patch of one ``PatchCollection`` (gid ``"log"``),
    whose ``entries`` attribute lists ``(server, index, term, committed)`` in
    the order of the patches.

    Examples
    --------
    >>> from dslib.raft import Entry, RaftState
    >>> s1 = RaftState(current_term=2, log=(Entry(1, "a"), Entry(2, "b")), commit_index=1)
    >>> fig = raft_logs({"s1": s1, "s2": RaftState(log=(Entry(1, "a"),))})
    >>> [c for c in fig.axes[0].collections if c.get_gid() == "log"][0].entries
    [('s1', 1, 1, True), ('s1', 2, 2, False), ('s2', 1, 1, False)]
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    if not (isinstance(window, int) and not isinstance(window, bool) and window >= 1):
        raise ValueError(f"raft_logs: window={window!r} must be an int >= 1")
    view = _as_view(view, "raft_logs")
    ax = _new_axes(ax, (6.0, 0.6 + 0.4 * max(2, len(view.servers))))
    rows = len(view.servers)
    last = max((s.state.last_index for s in view.servers if s.state is not None), default=0)
    first = max(1, last - window + 1)
    stop = max(last, first + min(window, 8) - 1)
    width, height = 0.86, 0.72
    boxes: list[Any] = []
    faces: list[str] = []
    edge_colors: list[str] = []
    styles: list[Any] = []
    compacted: list[Any] = []
    entries: list[tuple[str, int, int, bool]] = []
    empty: list[Any] = []
    for r, s in enumerate(view.servers):
        y = rows - 1 - r
        st = s.state
        have = st.last_index if st is not None else 0
        for index in range(first, stop + 1):
            x = index - first
            if index > have or st is None:
                empty.append(Rectangle((x - width / 2, y - height / 2), width, height))
                continue
            if index <= st.snapshot_index:
                compacted.append(Rectangle((x - width / 2, y - height / 2), width, height))
                continue
            term = st.term(index)
            committed = index <= st.commit_index
            fill, edge = _term_colors(term)
            if not s.up:
                fill, edge = ("#f5f5f5", "#bdbdbd")
            boxes.append(Rectangle((x - width / 2, y - height / 2), width, height))
            faces.append(fill if committed or not s.up else "white")
            edge_colors.append(edge)
            styles.append("-" if committed or not s.up else (0, (2, 1.5)))
            entries.append((s.id, index, term, committed))
            ax.text(
                x,
                y,
                str(term),
                ha="center",
                va="center",
                fontsize=7,
                color="#9e9e9e" if not s.up else "#212121",
            )
        fill, edge = ROLE_COLORS[s.role]
        ax.text(
            -0.75,
            y,
            s.id,
            ha="right",
            va="center",
            fontsize=8.5,
            weight="bold",
            color=edge if s.role != "follower" else "#37474f",
        )
        if st is not None:
            note = f"commit {st.commit_index}" if s.up else "crashed"
            if s.up and st.machine is not None:
                note += "  " + _short(st.machine)
            ax.text(
                stop - first + 0.75, y, note, ha="left", va="center", fontsize=7, color="#616161"
            )
        elif not s.up:
            ax.text(
                stop - first + 0.75,
                y,
                "crashed",
                ha="left",
                va="center",
                fontsize=7,
                color="#9e9e9e",
            )
    if empty:
        ax.add_collection(PatchCollection(empty, facecolor="none", edgecolor="#f0f0f0", lw=0.8))
    collection = PatchCollection(
        boxes, facecolors=faces, edgecolors=edge_colors, linestyles=styles, lw=1.1
    )
    collection.set_gid("log")
    collection.entries = entries  # type: ignore[attr-defined]
    ax.add_collection(collection)
    if compacted:
        snap = PatchCollection(
            compacted, facecolor="#eeeeee", edgecolor="#9e9e9e", hatch="///", lw=0.8
        )
        snap.set_gid("snapshot")
        ax.add_collection(snap)
    for index in range(first, stop + 1):
        if index in (first, stop) or index % 5 == 0:  # a few indices: texts are slow to draw
            ax.text(
                index - first,
                rows - 0.35,
                str(index),
                ha="center",
                va="bottom",
                fontsize=6.5,
                color="#757575",
            )
    if first > 1:
        ax.text(-0.55, rows - 0.35, "…", ha="center", va="bottom", fontsize=7, color="#757575")
    ax.set_xlim(-1.6, stop - first + 4.2)
    ax.set_ylim(-0.7, rows + 0.05)
    ax.set_axis_off()
    return ax.figure


def raft_figure(
    view: RaftView | Simulation | Mapping[str, RaftState],
    window: int = 16,
    title: str | None = None,
    figsize: tuple[float, float] = (9.0, 3.5),
) -> Any:
    """The ring and the logs side by side, with the time and the leader in the title.

    Parameters
    ----------
    view : RaftView, Simulation or mapping of server states
    window : int, default 16
        How many log indices to show (the last ones).
    title : str, optional
        Written after the time and the leader.
    figsize : (float, float), default (9.0, 3.5)

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from dslib.raft import RaftState
    >>> fig = raft_figure({"s1": RaftState(), "s2": RaftState(), "s3": RaftState()})
    >>> fig.texts[0].get_text()
    't = 0.0 ms   no leader'
    """
    from matplotlib.figure import Figure

    view = _as_view(view, "raft_figure")
    fig = Figure(figsize=figsize, dpi=100)
    ring = fig.add_axes((0.0, 0.0, 0.4, 0.92))
    logs = fig.add_axes((0.41, 0.12, 0.59, 0.76))
    raft_ring(view, ax=ring)
    raft_logs(view, ax=logs, window=window)
    heading = _title(view) + (f"   {title}" if title else "")
    fig.text(0.01, 0.955, heading, ha="left", va="center", fontsize=9.5, weight="bold")
    fig.text(
        0.99,
        0.03,
        "box: an entry and its term; filled: committed; dashed: not yet committed; "
        "arc: election timer",
        ha="right",
        va="center",
        fontsize=6.5,
        color="#757575",
    )
    return fig
