"""Tests of the cluster playground (dslib.widgets.orchestration), driven by its buttons and knobs.

Each test clicks as a reader would and asserts what the cluster did: pods moved off a
killed node, a new version rolled out within its bounds, a bad version rolled back.
"""

from __future__ import annotations

from dslib.widgets.orchestration import ClusterController, ClusterPlayground, cluster_figure


def ready(c: ClusterController) -> int:
    return sum(1 for p in c.current.running if p.ready)


def test_killing_a_node_moves_its_pods_and_restarting_it_brings_it_back() -> None:
    p = ClusterPlayground()
    p.buttons["run 10 s"].click()
    c = p.controller
    before = {x.node for x in c.current.running}
    assert c.current.converged and len(c.current.running) == 4
    p.node_menu.value = "node1"
    p.buttons["kill node"].click()
    assert "node1 down" in p.heading.value
    c.advance(20)  # the controller, without redrawing at every step
    p.buttons["run 10 s"].click()
    assert c.current.converged and "node1" not in {x.node for x in c.current.running}
    assert before != {x.node for x in c.current.running}
    assert any("Evicted" in e for e in c.events())
    p.buttons["restart node"].click()
    assert c.current.down == ()  # a snapshot is taken at the next step
    p.node_menu.value = "node2"
    c.kill("node2")
    p.buttons["kill node"].click()  # already down: the error is shown, nothing raised
    assert "node2 is already down" in p.message.value


def test_a_pushed_version_rolls_out_within_max_unavailable() -> None:
    c = ClusterController()
    c.advance(10)
    p = ClusterPlayground(c)
    p.buttons["push version"].click()
    p.buttons["step"].click()
    lows = []
    for _ in range(40):
        c.advance(1.0)
        lows.append(ready(c))
    assert min(lows) >= 3 and max(lows) <= 5  # max_unavailable=1, max_surge=1
    assert c.current.converged and {x.version for x in c.current.running} == {"v2"}


def test_a_bad_version_is_rolled_back_and_the_knobs_reach_the_deployment() -> None:
    c = ClusterController()
    c.advance(10)
    p = ClusterPlayground(c)
    p.buttons["push bad version"].click()
    c.advance(60)
    assert c.current.versions["web"] == "v1" and c.current.converged
    assert any("RolledBack" in e for e in c.events())
    p.knobs["replicas"].value = 6
    c.advance(10)
    assert c.current.desired == {"web": 6} and ready(c) == 6
    c.configure(max_surge=0)
    p.knobs["max_unavailable"].value = 0  # both 0: refused, with the reason shown
    assert "allow no progress" in p.message.value
    assert c.deployment.max_unavailable == 1
    p.buttons["reset"].click()
    assert c.now == 0.0 and len(c.history) == 1


def test_the_static_figure_and_the_one_line_summary() -> None:
    c = ClusterController()
    c.advance(12)
    fig = cluster_figure(c)
    assert len(fig.axes) == 2
    assert "desired 4 x v1" in fig.axes[0].get_title()
    assert repr(ClusterPlayground(c)) == (
        "ClusterPlayground(t=12: web 4 x v1 wanted; 4 ready (v1 4); converged)"
    )
