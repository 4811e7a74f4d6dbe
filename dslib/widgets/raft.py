"""The Raft playground of chapter 15: a live cluster you can crash, cut, drive and rewind.

In the spirit of RaftScope (Ongaro's visualisation of Raft), the playground
shows a cluster of Raft servers (``dslib.raft``) on a ring, running in the
simulator (``dslib.sim``): roles, terms, election timers, logs and the
messages in flight (``dslib.viz.raft``). The reader acts on it:

- **step** (handle the next event) or **run** for 10, 50 or 500 ms (or press
  play);
- **crash** a server, **restart** it, or make its election timer fire now
  (**time out**);
- **isolate** a server, **split** the cluster into a minority (the chosen
  server and its clockwise neighbours) and a majority, and **heal**;
- send a **client request** to the current leader;
- go **back** and **forward** in time, to any earlier step.

``RaftController`` is the pure part, with no ipywidgets: it holds the list of
actions taken and a picture (``RaftView``) after each. Everything is
determined by the seed and the list of actions: the simulation is rebuilt by
replaying the actions from the start whenever the reader acts after going
back, so back then forward shows exactly the same pictures, and
``RaftController.from_actions(controller.export(), seed=...)`` rebuilds a
session. ``RaftPlayground`` is the clickable view over it.

The client is an ordinary node (``PlaygroundClient``) in the middle of the
ring. A request is a ``ClientRequest(client, seq, op)`` with ``op =
operation(seq)`` (default ``("put", "x", seq)``); the replicated state
machine is a parameter (``machine``, default none: commands are logged and
committed, not applied to anything).

Examples
--------
>>> c = RaftController(servers=3, seed=1)
>>> c.run(400).leader
('s1', 1)
>>> _ = c.request()
>>> _ = c.run(100)
>>> c.view.server("s2").state.commit_index  # the no-op and the client's command
2
>>> c.crash("s1").leader is None
True
>>> _ = c.back()
>>> c.view.server("s1").up, c.position, c.length
(True, 3, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System, check_seed
from dslib.raft.core import ClientReply, ClientRequest, RaftConfig, RaftNode, StateMachine
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.sim.trace import TraceEvent
from dslib.viz.raft import RaftView, message_kind, raft_figure, raft_view
from dslib.widgets.base import Playground, show_figure, small_button

__all__ = [
    "ACTION_KINDS",
    "PlaygroundClient",
    "PlaygroundClientState",
    "RaftController",
    "RaftPlayground",
    "describe_action",
]

ACTION_KINDS = ("step", "run", "crash", "restart", "timeout", "partition", "heal", "request")
"""The kinds of actions, as the first item of an action tuple."""

_NEVER = 1e9  # the client's request timers: set, but never due (they are fired by hand)

Action = tuple[Any, ...]


# -- the client ----------------------------------------------------------------------------
def put_x(seq: int) -> Hashable:
    """The default operation of the ``seq``-th request: ``("put", "x", seq)``."""
    return ("put", "x", seq)


@dataclass(frozen=True)
class PlaygroundClientState:
    """What the playground's client has sent and heard back.

    Attributes
    ----------
    next_seq : int
        The sequence number of its next request.
    pending : tuple of (seq, op)
        Requests not answered yet.
    answered : tuple of (seq, result)
        Requests answered ``ok``, in the order the answers came.
    redirects : int
        How many times a server answered "not the leader, try X" and the
        client sent the request again to X.
    """

    next_seq: int = 1
    pending: tuple[tuple[int, Hashable], ...] = ()
    answered: tuple[tuple[int, Hashable], ...] = ()
    redirects: int = 0

    def summary(self) -> str:
        """One line: sent, answered, waiting.

        >>> PlaygroundClientState(4, ((3, "op"),), ((1, None), (2, None))).summary()
        '3 sent, 2 answered, 1 waiting'
        """
        sent = self.next_seq - 1
        return f"{sent} sent, {len(self.answered)} answered, {len(self.pending)} waiting"


class PlaygroundClient(Node[PlaygroundClientState]):
    """A client whose requests are sent by hand: fire its timer ``("request", server)``.

    It keeps one timer per server set, far in the future; firing
    ``("request", s)`` (``Simulation.fire``) sends the next request to ``s``.
    A "not the leader" answer that names a leader is followed once per answer
    (section 8 of the Raft paper); an ``ok`` answer completes the request.

    Parameters
    ----------
    servers : sequence of str
        The Raft servers.
    operation : callable, optional
        The operation of request number ``seq`` (default ``("put", "x", seq)``).

    Examples
    --------
    >>> client = PlaygroundClient(["s1"])
    >>> ctx = Context("client", ("client", "s1"))
    >>> state = client.on_timer(ctx, client.init(ctx), ("request", "s1"))
    >>> ctx.sent[-1], state.pending
    (('s1', ClientRequest(client='client', seq=1, op=('put', 'x', 1))), ((1, ('put', 'x', 1)),))
    """

    def __init__(
        self, servers: Sequence[str], operation: Callable[[int], Hashable] | None = None
    ) -> None:
        if not servers or not all(isinstance(s, str) for s in servers):
            raise ValueError(
                f"PlaygroundClient: servers={servers!r} must be a non-empty list of ids"
            )
        if operation is not None and not callable(operation):
            raise TypeError(f"PlaygroundClient: operation={operation!r} must be a function of seq")
        self.servers = tuple(servers)
        self.operation = operation if operation is not None else put_x

    def __repr__(self) -> str:
        return "PlaygroundClient"

    def init(self, ctx: Context) -> PlaygroundClientState:
        """Set a (never due) request timer per server."""
        for s in self.servers:
            ctx.set_timer(("request", s), _NEVER)
        return PlaygroundClientState()

    def on_timer(
        self, ctx: Context, state: PlaygroundClientState, timer: Any
    ) -> PlaygroundClientState:
        """Send the next request to the server the timer names."""
        if not (isinstance(timer, tuple) and len(timer) == 2 and timer[0] == "request"):
            return state
        server = timer[1]
        ctx.set_timer(timer, _NEVER)
        seq = state.next_seq
        op = self.operation(seq)
        ctx.send(server, ClientRequest(ctx.id, seq, op))
        return replace(state, next_seq=seq + 1, pending=(*state.pending, (seq, op)))

    def on_message(
        self, ctx: Context, state: PlaygroundClientState, src: str, msg: Any
    ) -> PlaygroundClientState:
        """Complete a request on ``ok``; follow a leader hint once per answer."""
        if not isinstance(msg, ClientReply):
            return state
        waiting = dict(state.pending)
        if msg.seq not in waiting:
            return state  # answered already (a duplicate answer)
        if msg.ok:
            pending = tuple(p for p in state.pending if p[0] != msg.seq)
            return replace(
                state, pending=pending, answered=(*state.answered, (msg.seq, msg.result))
            )
        if msg.leader is not None and msg.leader != src:
            ctx.send(msg.leader, ClientRequest(ctx.id, msg.seq, waiting[msg.seq]))
            return replace(state, redirects=state.redirects + 1)
        return state


def _client_text(state: Any) -> str:
    return state.summary() if isinstance(state, PlaygroundClientState) else ""


# -- actions -------------------------------------------------------------------------------
def describe_action(action: Sequence[Any]) -> str:
    """An action as a few words.

    Examples
    --------
    >>> describe_action(("run", 50.0)), describe_action(("crash", "s2"))
    ('run 50 ms', 'crash s2')
    >>> describe_action(("partition", ("s1",), ("s2", "s3", "client")))
    'partition {s1} | {s2, s3, client}'
    """
    kind, *args = action
    if kind == "run":
        return f"run {args[0]:g} ms"
    if kind == "timeout":
        return f"time out {args[0]}"
    if kind == "partition":
        return "partition " + " | ".join("{" + ", ".join(g) + "}" for g in args)
    if kind == "request":
        return f"client request to {args[0]}"
    return " ".join([kind, *map(str, args)])


def _describe_event(entries: Sequence[TraceEvent]) -> str:
    if not entries:
        return "nothing happened"
    e = entries[0]
    if e.kind == "deliver":
        return f"{e.node} received {message_kind(e.data)} from {e.peer}"
    if e.kind == "drop":
        return f"{message_kind(e.data)} from {e.peer} to {e.node} was dropped ({e.detail})"
    if e.kind == "timer":
        name = e.data if isinstance(e.data, str) else str(e.data)
        return f"{e.node}'s {name} timer fired"
    return f"{e.kind} {e.node or ''}".strip()


def _changes(old: RaftView, new: RaftView) -> list[str]:
    """What changed that the reader should notice: new leaders and candidates, commits.

    >>> from dslib.raft import Entry, RaftState
    >>> a = raft_view({"s1": RaftState(), "s2": RaftState()})
    >>> log = (Entry(1, "x"),)
    >>> b = raft_view({"s1": RaftState(current_term=1, role="leader", log=log, commit_index=1),
    ...                "s2": RaftState(current_term=1, log=log, commit_index=1)})
    >>> _changes(a, b)
    ['s1 became leader of term 1', 's1, s2 committed up to 1']
    """
    out = []
    before = {s.id: s for s in old.servers}
    commits: dict[int, list[str]] = {}
    for s in new.servers:
        b = before.get(s.id)
        if b is None or not s.up or not b.up or s.state is None or b.state is None:
            continue
        if s.role != "follower" and (s.role != b.role or s.term != b.term):
            out.append(f"{s.id} became {s.role} of term {s.term}")
        if s.state.commit_index > b.state.commit_index:
            commits.setdefault(s.state.commit_index, []).append(s.id)
    for index, ids in sorted(commits.items()):
        out.append(f"{', '.join(ids)} committed up to {index}")
    was = {c.id: c.state for c in old.clients}
    for c in new.clients:
        prev = was.get(c.id)
        if isinstance(c.state, PlaygroundClientState) and isinstance(prev, PlaygroundClientState):
            for seq, result in c.state.answered[len(prev.answered) :]:
                out.append(f"{c.id}'s request {seq} answered ({result!r})")
    return out


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


class RaftController:
    """The playground's state and actions, without any widget (tests and notebooks drive it).

    Parameters
    ----------
    servers : int, default 5
        How many Raft servers (``s1``, ``s2``, ...).
    seed : int, default 0
        The seed of the simulation (timeouts, latencies).
    config : RaftConfig, optional
        Timeouts and options of the servers (default ``RaftConfig()``:
        election timeouts 150-300 ms, heartbeats every 50 ms); its ``servers``
        and ``machine`` are set by the playground.
    machine : StateMachine, optional
        The replicated state machine (default none: commands are only logged).
    operation : callable, optional
        The operation of the client's ``seq``-th request (default
        ``("put", "x", seq)``).
    network : Network, optional
        Default: latencies uniform in 10-15 ms, nothing lost (about RaftScope's).

    Attributes
    ----------
    actions : list of tuple
        Every action taken, in order (the path; see ``ACTION_KINDS``).
    frames : list of RaftView
        The picture before any action and after each one.
    notes : list of str
        What each action did, in words (``notes[0]`` describes the start).
    position : int
        How many actions the current picture is after (``len(actions)`` unless
        the reader went back).

    Examples
    --------
    >>> c = RaftController(servers=3, seed=3)
    >>> c.run(500).leader
    ('s3', 1)
    >>> c.export()
    [('run', 500)]
    """

    client = "client"

    def __init__(
        self,
        servers: int = 5,
        seed: int = 0,
        *,
        config: RaftConfig | None = None,
        machine: StateMachine | None = None,
        operation: Callable[[int], Hashable] | None = None,
        network: Network | None = None,
    ) -> None:
        if not (isinstance(servers, int) and not isinstance(servers, bool) and 1 <= servers <= 9):
            raise ValueError(f"RaftController: servers={servers!r} must be an int from 1 to 9")
        check_seed(seed, "RaftController")
        if config is None:
            config = RaftConfig()
        if not isinstance(config, RaftConfig):
            raise TypeError(f"RaftController: config={config!r} must be a RaftConfig")
        if machine is not None and not isinstance(machine, StateMachine):
            raise TypeError(f"RaftController: machine={machine!r} must be a StateMachine")
        if network is None:
            network = Network(latency=uniform(10.0, 15.0))
        if not isinstance(network, Network):
            raise TypeError(f"RaftController: network={network!r} must be a dslib.sim.Network")
        self.server_ids = tuple(f"s{i}" for i in range(1, servers + 1))
        self.config = replace(
            config,
            servers=self.server_ids,
            machine=machine if machine is not None else config.machine,
        )
        self.operation = operation
        self.network = network
        node = RaftNode(self.config)
        nodes: dict[str, Node[Any]] = {s: node for s in self.server_ids}
        nodes[self.client] = PlaygroundClient(self.server_ids, operation)
        self.system = System(nodes)
        self.reset(seed)

    # -- construction -------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> RaftView:
        """Start again from time 0 (with a new ``seed`` if given); forget every action."""
        if seed is not None:
            check_seed(seed, "reset")
            self.seed = seed
        self._sim = self._new_simulation()
        self._sim_position = 0
        self.actions: list[Action] = []
        self.frames: list[RaftView] = [self._view(self._sim, None)]
        self.notes: list[str] = [
            f"start: {len(self.server_ids)} servers, seed {self.seed}; every server a follower "
            "of term 0, waiting for its election timer"
        ]
        self.position = 0
        return self.view

    @classmethod
    def from_actions(cls, actions: Sequence[Sequence[Any]], **options: Any) -> RaftController:
        """A controller that has taken ``actions`` (as ``export()`` lists them).

        >>> c = RaftController(servers=3, seed=1)
        >>> _ = c.run(300), c.crash("s1"), c.run(400)
        >>> again = RaftController.from_actions(c.export(), servers=3, seed=1)
        >>> again.frames == c.frames
        True
        """
        controller = cls(**options)
        for action in actions:
            controller.do(tuple(action))
        return controller

    def _new_simulation(self) -> Simulation:
        sim = Simulation(self.system, seed=self.seed, network=self.network)
        sim.step_time = 0.0  # timeouts and client requests by hand take no time
        return sim

    def _view(self, sim: Simulation, previous: RaftView | None) -> RaftView:
        return raft_view(sim, previous=previous, describe_client=_client_text)

    # -- where we are ---------------------------------------------------------------------
    @property
    def view(self) -> RaftView:
        """The picture at the current position."""
        return self.frames[self.position]

    @property
    def now(self) -> float:
        """The simulated time at the current position (ms)."""
        return self.view.time

    @property
    def length(self) -> int:
        """How many actions the path has (going back does not shorten it)."""
        return len(self.actions)

    @property
    def can_back(self) -> bool:
        """Whether there is an earlier position."""
        return self.position > 0

    @property
    def can_forward(self) -> bool:
        """Whether the reader went back and can go forward again."""
        return self.position < len(self.actions)

    @property
    def leader(self) -> tuple[str, int] | None:
        """The leader of the highest term among the servers up, and its term (or None)."""
        return self.view.leader

    @property
    def note(self) -> str:
        """What the last action did, in words."""
        return self.notes[self.position]

    @property
    def simulation(self) -> Simulation:
        """The simulation at the current position (replayed from the start if needed).

        Drive the playground through its actions, not through this simulation:
        a change made here is not in the list of actions and would be lost.
        """
        self._sync()
        return self._sim

    def _sync(self) -> None:
        if self._sim_position > self.position:
            self._sim = self._new_simulation()
            self._sim_position = 0
        for action in self.actions[self._sim_position : self.position]:
            self._apply(self._sim, action)
        self._sim_position = self.position

    def export(self) -> list[Action]:
        """The actions up to the current position, as tuples (``from_actions`` replays them)."""
        return list(self.actions[: self.position])

    # -- time travel ----------------------------------------------------------------------
    def back(self) -> RaftView:
        """One action back.

        Raises
        ------
        ValueError
            At the start.
        """
        if not self.can_back:
            raise ValueError("back: already at the start (no action taken before this picture)")
        self.position -= 1
        return self.view

    def forward(self) -> RaftView:
        """One action forward again (after ``back``).

        Raises
        ------
        ValueError
            At the end of the path.
        """
        if not self.can_forward:
            raise ValueError("forward: this is the last action taken; take a new one instead")
        self.position += 1
        return self.view

    def goto(self, position: int) -> RaftView:
        """Show the picture after ``position`` actions (0: the start).

        Raises
        ------
        ValueError
            If ``position`` is not between 0 and ``length``.
        """
        if not (
            isinstance(position, int)
            and not isinstance(position, bool)
            and 0 <= position <= len(self.actions)
        ):
            raise ValueError(f"goto: position={position!r} must be an int from 0 to {self.length}")
        self.position = position
        return self.view

    # -- actions --------------------------------------------------------------------------
    def step(self) -> RaftView:
        """Handle the next event (a message arrives, or a timer fires)."""
        return self.do(("step",))

    def run(self, duration: float) -> RaftView:
        """Let ``duration`` ms of simulated time pass."""
        return self.do(("run", duration))

    def crash(self, server: str) -> RaftView:
        """Crash ``server``: it loses its volatile state; its log was persisted."""
        return self.do(("crash", server))

    def restart(self, server: str) -> RaftView:
        """Restart a crashed ``server`` from what it persisted (term, vote, log)."""
        return self.do(("restart", server))

    def timeout(self, server: str) -> RaftView:
        """Make ``server``'s election timer fire now: it starts an election."""
        return self.do(("timeout", server))

    def partition(self, *groups: Sequence[str]) -> RaftView:
        """Split the nodes into ``groups``; the client joins the group with most servers
        unless it is placed."""
        return self.do(("partition", *self._groups(groups)))

    def isolate(self, server: str) -> RaftView:
        """Cut ``server`` off from every other node (the client stays with the others)."""
        self._check_server(server, "isolate")
        rest = tuple(s for s in self.server_ids if s != server)
        return self.do(("partition", (server,), (*rest, self.client)))

    def split(self, server: str) -> RaftView:
        """Cut a minority off: ``server`` and its clockwise neighbours, (n - 1) // 2 servers
        in all (one of 3, two of 5); the client stays with the majority."""
        self._check_server(server, "split")
        n = len(self.server_ids)
        k = self.server_ids.index(server)
        minority = tuple(self.server_ids[(k + i) % n] for i in range(max(1, (n - 1) // 2)))
        majority = tuple(s for s in self.server_ids if s not in minority)
        return self.do(("partition", tuple(sorted(minority)), (*majority, self.client)))

    def heal(self) -> RaftView:
        """Remove the partition."""
        return self.do(("heal",))

    def request(self, server: str | None = None) -> RaftView:
        """The client sends its next request to ``server`` (default: the current leader).

        Raises
        ------
        ValueError
            If no server is the leader now and no ``server`` is given.
        """
        if server is None:
            leader = self.leader
            if leader is None:
                raise ValueError(
                    "request: no server is the leader now; run until one is elected, or "
                    "send the request to a server of your choice: request('s2')"
                )
            server = leader[0]
        return self.do(("request", server))

    def do(self, action: Sequence[Any]) -> RaftView:
        """Take one action given as data (see ``ACTION_KINDS``) and return the new picture.

        If the reader went back, the actions after the current position are
        forgotten first.

        Raises
        ------
        ValueError
            If the action is malformed or cannot be taken now (the message says
            why); nothing changes then.
        """
        if not isinstance(action, (tuple, list)) or not action:
            raise ValueError(f"an action is a tuple such as ('run', 50); got {action!r}")
        action = tuple(action)
        if action[0] == "partition":
            action = ("partition", *self._groups(action[1:]))
        self._sync()
        self._check(action)
        old = self.view
        entries = self._apply(self._sim, action)
        new = self._view(self._sim, old)
        del self.actions[self.position :]
        del self.frames[self.position + 1 :]
        del self.notes[self.position + 1 :]
        self.actions.append(action)
        self.frames.append(new)
        what = _describe_event(entries) if action[0] == "step" else describe_action(action)
        self.notes.append("; ".join([what, *_changes(old, new)]))
        self.position += 1
        self._sim_position = self.position
        return new

    def _check_server(self, server: object, what: str) -> None:
        if server not in self.server_ids:
            raise ValueError(
                f"{what}: unknown server {server!r}; the servers are {self.server_ids}"
            )

    def _groups(self, groups: Sequence[Any]) -> tuple[tuple[str, ...], ...]:
        if not groups:
            raise ValueError(
                "partition: give at least two groups of servers, e.g. ('s1',), ('s2',)"
            )
        out: list[list[str]] = []
        seen: list[str] = []
        for g in groups:
            if isinstance(g, str) or not isinstance(g, (tuple, list)):
                raise ValueError(f"partition: a group is a tuple of node ids, got {g!r}")
            for n in g:
                if n != self.client:
                    self._check_server(n, "partition")
                if n in seen:
                    raise ValueError(f"partition: {n!r} is in more than one group")
                seen.append(n)
            out.append(list(g))
        missing = [s for s in self.server_ids if s not in seen]
        if missing:
            raise ValueError(f"partition: servers {missing} are in no group; place every server")
        if self.client not in seen:
            biggest = max(range(len(out)), key=lambda i: (len(out[i]), -i))
            out[biggest].append(self.client)
        return tuple(tuple(g) for g in out)

    def _check(self, action: Action) -> None:
        """Raise ValueError if ``action`` cannot be taken from the current position."""
        kind, args = action[0], action[1:]
        sim = self._sim
        if kind not in ACTION_KINDS:
            raise ValueError(f"unknown action {action!r}; the kinds are {ACTION_KINDS}")
        arity = {"step": 0, "run": 1, "crash": 1, "restart": 1, "timeout": 1, "heal": 0}
        if kind in arity and len(args) != arity[kind]:
            raise ValueError(f"{action!r}: {kind} takes {arity[kind]} argument(s)")
        if kind == "step":
            servers_busy = any(node in self.server_ids for node, _ in sim.timers_due())
            if not servers_busy and not sim.in_flight():
                raise ValueError(
                    "step: nothing is going to happen: no message is in flight and no server "
                    "is up; restart a server"
                )
        elif kind == "run":
            if not _positive(args[0]):
                raise ValueError(f"run: duration={args[0]!r} must be a number of ms > 0")
        elif kind in ("crash", "restart", "timeout"):
            server = args[0]
            self._check_server(server, kind)
            down = server in sim.crashed
            if kind == "crash" and down:
                raise ValueError(f"crash: {server} is already crashed; restart it first")
            if kind == "restart" and not down:
                raise ValueError(f"restart: {server} is up; only a crashed server restarts")
            if kind == "timeout":
                if down:
                    raise ValueError(f"time out: {server} is crashed; restart it first")
                if (server, "election") not in sim.timers_due():
                    raise ValueError(
                        f"time out: {server} is the leader, so its election timer is not "
                        "running; a leader does not start elections"
                    )
        elif kind == "heal":
            if not self.view.cut:
                raise ValueError("heal: the network is not partitioned")
        elif kind == "request":
            if len(args) != 1:
                raise ValueError(f"{action!r}: request takes the server to send to")
            self._check_server(args[0], "request")

    def _apply(self, sim: Simulation, action: Action) -> list[TraceEvent]:
        kind, args = action[0], action[1:]
        start = len(sim.trace)
        if kind == "step":
            sim.step()
        elif kind == "run":
            sim.run(until=sim.now + args[0])
        elif kind == "crash":
            sim.crash(args[0])
        elif kind == "restart":
            sim.restart(args[0])
        elif kind == "timeout":
            sim.fire(args[0], "election")
        elif kind == "partition":
            sim.partition(*args)
        elif kind == "heal":
            sim.heal()
        else:
            sim.fire(self.client, ("request", args[0]))
        return sim.trace[start:]

    # -- pictures -------------------------------------------------------------------------
    def figure(self, window: int = 16) -> Any:
        """The current picture as a figure (``dslib.viz.raft.raft_figure``)."""
        return raft_figure(self.view, window=window, title=f"step {self.position}")

    def __repr__(self) -> str:
        leader = self.leader
        who = f"leader {leader[0]} of term {leader[1]}" if leader else "no leader"
        return f"RaftController(t={self.now:.1f} ms, step {self.position} of {self.length}, {who})"


# -- the widget ----------------------------------------------------------------------------
class RaftPlayground(Playground):
    """The clickable playground over a ``RaftController``.

    Parameters
    ----------
    servers : int, default 5
    seed : int, default 0
    controller : RaftController, optional
        Show this controller (then ``servers``, ``seed`` and ``options`` must
        not be given).
    window : int, default 16
        How many log indices the figure shows.
    **options
        Further options of ``RaftController`` (``config``, ``machine``,
        ``operation``, ``network``).

    Attributes
    ----------
    controller : RaftController
    buttons : dict of str to ipywidgets.Button
        ``step``, ``+10 ms``, ``+50 ms``, ``+500 ms``, ``crash``, ``restart``,
        ``time out``, ``isolate``, ``split``, ``heal``, ``request``, ``back``,
        ``forward``, ``reset``; also attributes (``step_button``, ...).
    controls : dict
        ``server`` (the server the buttons act on), ``seed``, ``position`` (a
        slider over the steps taken), ``tick`` (ms of simulated time per tick of
        ``play``).
    play : ipywidgets.Play
        Runs ``tick`` ms on each of its ticks while playing.
    image : ipywidgets.Image
        The picture (PNG).
    heading, message : ipywidgets.HTML
        Where we are and what the last action did; the last error.

    Examples
    --------
    >>> p = RaftPlayground(servers=3, seed=1)
    >>> p.buttons["+500 ms"].click()
    >>> p.controller.leader
    ('s1', 1)
    >>> p.controls["server"].value = "s1"
    >>> p.crash_button.click()
    >>> p.back_button.click()
    >>> p
    RaftPlayground(t=500.0 ms, step 1 of 2, leader s1 of term 1)
    """

    def __init__(
        self,
        servers: int = 5,
        seed: int = 0,
        *,
        controller: RaftController | None = None,
        window: int = 16,
        **options: Any,
    ) -> None:
        import ipywidgets as w

        if controller is not None:
            if options or servers != 5 or seed != 0:
                raise TypeError(
                    "RaftPlayground: give servers, seed and options to the RaftController, "
                    "not to the playground that shows it"
                )
            if not isinstance(controller, RaftController):
                raise TypeError(
                    f"RaftPlayground: controller={controller!r} is not a RaftController"
                )
            self.controller = controller
        else:
            self.controller = RaftController(servers, seed, **options)
        self.window = window
        self.figure: Any = None
        self._updating = False
        c = self.controller

        def button(label: str, tip: str, style: str = "") -> Any:
            return small_button(label, tip, style, min_width="64px")

        self.step_button = button("step", "handle the next event")
        self.run_buttons = {
            d: button(f"+{d} ms", f"let {d} ms of simulated time pass") for d in (10, 50, 500)
        }
        self.crash_button = button("crash", "crash the chosen server", "danger")
        self.restart_button = button("restart", "restart the chosen server")
        self.timeout_button = button("time out", "fire the chosen server's election timer now")
        self.isolate_button = button("isolate", "cut the chosen server off from all others")
        self.split_button = button("split", "cut off a minority: the chosen server and neighbours")
        self.heal_button = button("heal", "remove the partition")
        self.request_button = button("client request", "send a request to the leader", "info")
        self.back_button = button("◀ back", "undo the last action")
        self.forward_button = button("forward ▶", "redo the action undone")
        self.reset_button = button("reset", "start again from time 0 with the seed")
        self.buttons: dict[str, Any] = {
            "step": self.step_button,
            **{f"+{d} ms": b for d, b in self.run_buttons.items()},
            "crash": self.crash_button,
            "restart": self.restart_button,
            "time out": self.timeout_button,
            "isolate": self.isolate_button,
            "split": self.split_button,
            "heal": self.heal_button,
            "request": self.request_button,
            "back": self.back_button,
            "forward": self.forward_button,
            "reset": self.reset_button,
        }
        self.controls: dict[str, Any] = {
            "server": w.Dropdown(
                options=list(c.server_ids),
                value=c.server_ids[0],
                description="server",
                layout=w.Layout(width="150px"),
                style={"description_width": "45px"},
            ),
            "seed": w.BoundedIntText(
                value=c.seed,
                min=0,
                max=10**9,
                description="seed",
                layout=w.Layout(width="140px"),
                style={"description_width": "35px"},
            ),
            "position": w.IntSlider(
                value=0, min=0, max=1, description="step", continuous_update=False
            ),
            "tick": w.Dropdown(
                options=[("5 ms/tick", 5), ("10 ms/tick", 10), ("25 ms/tick", 25)],
                value=10,
                layout=w.Layout(width="110px"),
            ),
        }
        self.play = w.Play(value=0, min=0, max=10**6, step=1, interval=350, description="play")
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()

        self.step_button.on_click(lambda _b: self._act(c.step))
        for d, b in self.run_buttons.items():
            b.on_click(lambda _b, d=d: self._act(c.run, d))
        self.crash_button.on_click(lambda _b: self._act(c.crash, self._server()))
        self.restart_button.on_click(lambda _b: self._act(c.restart, self._server()))
        self.timeout_button.on_click(lambda _b: self._act(c.timeout, self._server()))
        self.isolate_button.on_click(lambda _b: self._act(c.isolate, self._server()))
        self.split_button.on_click(lambda _b: self._act(c.split, self._server()))
        self.heal_button.on_click(lambda _b: self._act(c.heal))
        self.request_button.on_click(lambda _b: self._act(c.request))
        self.back_button.on_click(lambda _b: self._act(c.back))
        self.forward_button.on_click(lambda _b: self._act(c.forward))
        self.reset_button.on_click(lambda _b: self._act(c.reset, self.controls["seed"].value))
        self.controls["server"].observe(self._server_changed, names="value")
        self.controls["seed"].observe(self._seed_changed, names="value")
        self.controls["position"].observe(self._position_changed, names="value")
        self.play.observe(self._tick, names="value")

        time_row = w.HBox(
            [self.play, self.controls["tick"], self.step_button, *self.run_buttons.values()]
        )
        fault_row = w.HBox(
            [
                self.controls["server"],
                self.crash_button,
                self.restart_button,
                self.timeout_button,
                self.isolate_button,
                self.split_button,
                self.heal_button,
                self.request_button,
            ]
        )
        travel_row = w.HBox(
            [
                self.back_button,
                self.forward_button,
                self.controls["position"],
                self.controls["seed"],
                self.reset_button,
            ]
        )
        self.widget = w.VBox(
            [self.heading, self.image, time_row, fault_row, travel_row, self.message]
        )
        self.update()

    # -- events ---------------------------------------------------------------------------
    def _server(self) -> str:
        return str(self.controls["server"].value)

    def _tick(self, change: Any) -> None:
        if not self._updating and change["new"] != change["old"]:
            self._act(self.controller.run, self.controls["tick"].value)

    def _position_changed(self, change: Any) -> None:
        if not self._updating:
            self._act(self.controller.goto, change["new"])

    def _seed_changed(self, change: Any) -> None:
        if not self._updating:
            self._act(self.controller.reset, change["new"])

    def _server_changed(self, change: Any) -> None:
        if not self._updating:
            self._enable()

    # -- drawing --------------------------------------------------------------------------
    def _enable(self) -> None:
        c = self.controller
        view = c.view
        server = view.server(self._server())
        self.crash_button.disabled = not server.up
        self.restart_button.disabled = server.up
        self.timeout_button.disabled = not server.up or server.election_due is None
        self.heal_button.disabled = not view.cut
        self.request_button.disabled = view.leader is None
        self.back_button.disabled = not c.can_back
        self.forward_button.disabled = not c.can_forward

    def update(self) -> None:
        """Redraw everything from the controller (after driving it from code)."""
        c = self.controller
        self._updating = True
        try:
            self.message.value = ""
            self._show_heading(repr(c)[len("RaftController(") : -1], c.note)
            position = self.controls["position"]
            position.max = max(c.length, 1)
            position.value = c.position
            position.disabled = c.length == 0
            self.controls["seed"].value = c.seed
            self._enable()
            self.figure = raft_figure(c.view, window=self.window, title=f"step {c.position}")
            # fast compression: the image is redrawn on every click and never stored
            show_figure(self.image, self.figure, fast=True)
        finally:
            self._updating = False

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure(window=self.window)

    def __repr__(self) -> str:
        return "RaftPlayground" + repr(self.controller)[len("RaftController") :]
