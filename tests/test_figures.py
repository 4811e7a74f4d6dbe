"""The book's figures are readable: text no smaller than a floor, no label over another, drawn
sharp for high-density screens and shown at their natural size.

Each check runs over every figure helper of the library (``dslib.viz`` and the widgets'
figures) on a small input, and is shown to catch the fault it guards against on a figure
made to have it.
"""

from __future__ import annotations

import base64
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from dslib import Simulation, System
from dslib.basics import Pinger, Ponger
from dslib.sim import Network, exponential
from dslib.sim.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from run_notebooks import notebooks  # noqa: E402

MIN_TEXT_PX = 9.0
"""The smallest text, in CSS pixels as shown (points times the figure's dpi over 72).

A figure is shown at its natural size (figsize times dpi), so this is the height a reader
sees. CSS defines 1 px as 0.75 pt at reading distance, so 9 px is about 6.75 pt: the size of
the smallest text journals accept in a printed figure. At the library's 100 dpi it allows
6.5 pt (message labels, the Raft view's small print) and refuses 6 pt, or 7 pt at 72 dpi."""


def _pings() -> Trace:
    sim = Simulation(
        System({"pinger": Pinger(count=4), "ponger": Ponger()}),
        seed=1,
        network=Network(latency=exponential(5.0), loss=0.2),
    )
    sim.run()
    return sim.trace


def _crossing() -> Trace:
    """Two nodes send to each other at once: both arrows have the same middle."""
    t = Trace()
    t.append((0.0, "send", "p1", "p2", "LockRequest(1)", 1, None))
    t.append((0.0, "send", "p2", "p1", "LockRequest(1)", 2, None))
    t.append((2.0, "deliver", "p2", "p1", "LockRequest(1)", 1, None))
    t.append((2.0, "deliver", "p1", "p2", "LockRequest(1)", 2, None))
    return t


def _space_time() -> Any:
    from dslib.viz import space_time_diagram

    return space_time_diagram(_pings(), title="pings")


def _crossing_diagram() -> Any:
    from dslib.viz import space_time_diagram

    return space_time_diagram(_crossing())


def _plots() -> list[Any]:
    from dslib.viz import latency_cdf, latency_histogram, topology

    trace = _pings()
    return [
        latency_cdf({"a": trace, "b": [1.0, 2.0, 4.0]}),
        latency_histogram(trace),
        topology(trace),
    ]


def _history() -> Any:
    from dslib.consistency import Register, check_linearizable, history_from_intervals
    from dslib.viz import plot_history

    h = history_from_intervals([("a", "write", 1, None, 0, 4), ("b", "read", None, 1, 2, 3)])
    return plot_history(h, check_linearizable(h, Register()))


def _raft() -> list[Any]:
    from dslib.raft import raft_system
    from dslib.viz import raft_figure, raft_logs, raft_ring, raft_view

    view = raft_view(Simulation(raft_system(3), seed=1).run(until=400))
    return [raft_figure(view), raft_logs(view), raft_ring(view)]


def _widgets() -> list[Any]:
    from dslib.small_systems.mutex import ricart_agrawala
    from dslib.widgets.architectures import architecture_figure, architecture_results
    from dslib.widgets.caching import caching_figure, explorer_curves
    from dslib.widgets.cap import cap_figure, cap_scenario
    from dslib.widgets.clocks import ClockController, clocks_figure
    from dslib.widgets.detectors import detector_figure, detector_scenario
    from dslib.widgets.navigator import Navigator
    from dslib.widgets.network import network_figure, network_scenario
    from dslib.widgets.orchestration import ClusterController, cluster_figure
    from dslib.widgets.quorums import quorum_figure, quorum_scenario
    from dslib.widgets.race import race, race_figure
    from dslib.widgets.ring import ring_figure, ring_scenario
    from dslib.widgets.security import ProtectionController, security_figure

    cluster = ClusterController()
    cluster.advance(10)
    navigator = Navigator(ricart_agrawala(2))
    return [
        architecture_figure(architecture_results(requests=30)),
        caching_figure(explorer_curves(0.8, 0.1), policy="lru", size=100),
        detector_figure(detector_scenario()),
        cap_figure(cap_scenario()),
        clocks_figure(ClockController(nodes=3, steps=4, seed=4)),
        network_figure(network_scenario(loss=0.2, partition=True)),
        quorum_figure(quorum_scenario(n=3, r=1, w=1)),
        race_figure(race(requests=60)),
        ring_figure(ring_scenario(nodes=5, vnodes=4, keys=100, change="join")),
        cluster_figure(cluster),
        security_figure(ProtectionController()),
        navigator.render(),
        navigator.diagram(),
    ]


FIGURES: dict[str, Callable[[], Any]] = {
    "space_time_diagram": _space_time,
    "space_time_diagram, crossing messages": _crossing_diagram,
    "latency plots and topology": _plots,
    "plot_history": _history,
    "raft views": _raft,
    "widget figures": _widgets,
}


def _figures(name: str) -> list[Any]:
    made = FIGURES[name]()
    return made if isinstance(made, list) else [made]


def texts(figure: Any) -> list[Text]:
    """Every text ``figure`` draws, in the order drawn (a tick label outside the axes' limits
    is an artist that is not drawn, so artists are not enough: the renderer is asked)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    drawn: dict[int, Text] = {}
    draw_text = renderer.draw_text

    def record(*args: Any, mtext: Any = None, **kwargs: Any) -> Any:
        if mtext is not None and mtext.get_text().strip():
            drawn.setdefault(id(mtext), mtext)
        return draw_text(*args, mtext=mtext, **kwargs)

    renderer.draw_text = record  # type: ignore[method-assign]
    figure.draw(renderer)
    return list(drawn.values())


def smallest_text_px(figure: Any) -> float:
    """The height of the smallest text of ``figure`` in CSS pixels at its natural size."""
    return min(t.get_fontsize() * figure.dpi / 72 for t in texts(figure))


def overlapping(figure: Any) -> list[tuple[str, str]]:
    """The pairs of texts of ``figure`` whose boxes overlap, as the figure is drawn."""
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts(figure)]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_text_is_smaller_than_the_floor(name: str) -> None:
    for figure in _figures(name):
        assert smallest_text_px(figure) >= MIN_TEXT_PX, (name, figure)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_label_is_written_over_another(name: str) -> None:
    for figure in _figures(name):
        assert overlapping(figure) == [], name


def test_the_checks_catch_small_and_overlapping_text() -> None:
    # What the two quorum and CAP widgets drew before: 7 pt at 72 dpi, 7 px on the screen.
    small = Figure(figsize=(2, 1), dpi=72)
    small.text(0.1, 0.5, "0.0", fontsize=7)
    assert smallest_text_px(small) == pytest.approx(7.0)
    assert smallest_text_px(small) < MIN_TEXT_PX
    # What the space-time diagram did: each label at its arrow's middle, one over the other.
    crossed = Figure(figsize=(4, 1), dpi=100)
    crossed.text(0.5, 0.5, "LockRequest(1)", ha="center")
    crossed.text(0.5, 0.5, "LockRequest(1)", ha="center")
    assert overlapping(crossed) == [("LockRequest(1)", "LockRequest(1)")]


def test_crossing_messages_keep_both_labels_on_their_arrows() -> None:
    (figure,) = _figures("space_time_diagram, crossing messages")
    labels = [t for t in figure.axes[0].texts if t.get_text() == "LockRequest(1)"]
    assert len(labels) == 2
    # Each label sits on its own arrow: (x, y) on the line from its send to its delivery.
    for label, (y0, y1) in zip(labels, [(1.0, 0.0), (0.0, 1.0)], strict=True):
        x, y = label.get_position()
        assert y == pytest.approx(y0 + (y1 - y0) * x / 2.0)


# -- sharp and at natural size ----------------------------------------------------------------
def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG, from its header."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_widgets_show_twice_the_pixels_at_the_figures_natural_width() -> None:
    from dslib.widgets.quorums import QuorumExplorer
    from dslib.widgets.ring import RingExplorer

    for explorer in (QuorumExplorer(), RingExplorer(nodes=3, keys=50)):
        natural = round(explorer.figure.get_figwidth() * explorer.figure.dpi)
        assert explorer.image.layout.width == f"{natural}px"
        assert explorer.image.layout.max_width == "100%"  # never wider than the output area
        assert png_size(bytes(explorer.image.value))[0] == 2 * natural


def test_the_debugger_and_the_raft_playground_show_their_figures_the_same_way() -> None:
    from dslib.small_systems.mutex import ricart_agrawala
    from dslib.widgets.debugger import Debugger
    from dslib.widgets.raft import RaftPlayground

    for shown in (Debugger(ricart_agrawala(2)), RaftPlayground(seed=0)):
        natural = round(shown.figure.get_figwidth() * shown.figure.dpi)
        assert shown.image.layout.width == f"{natural}px"
        assert png_size(bytes(shown.image.value))[0] == 2 * natural


def test_a_notebook_shows_a_bare_figure_at_twice_its_pixels() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    import dslib.viz

    figure = Figure(figsize=(3, 1), dpi=100)
    figure.add_subplot()  # IPython shows nothing of a figure with nothing in it
    shell = InteractiveShell.instance()
    try:
        dslib.viz._register_png_formatter()
        png, metadata = shell.display_formatter.formatters["image/png"](figure)
    finally:
        InteractiveShell.clear_instance()
    width, _ = png_size(png)
    assert png[25] == 3  # IHDR colour type 3: a palette, which keeps stored notebooks small
    shown = metadata["width"]
    # 300 px, less the tight bounding box; IPython halves the PNG's width, rounding down
    assert width // 2 == shown and 280 <= shown <= 300


def _stored_pngs(path: Path) -> list[tuple[int, dict[str, Any], bytes]]:
    found = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                png = base64.b64decode(output["data"]["image/png"])
                found.append((index, dict(output.get("metadata", {}).get("image/png", {})), png))
    return found


@pytest.mark.parametrize("path", notebooks([str(ROOT / "notebooks")]), ids=lambda p: p.name)
def test_stored_figures_are_sharp_and_shown_at_natural_size(path: Path) -> None:
    for index, metadata, png in _stored_pngs(path):
        width, _ = png_size(png)
        assert metadata.get("width") and width // 2 == metadata["width"] and png[25] == 3, (
            f"{path.name} cell {index}: a {width}-pixel PNG (colour type {png[25]}) shown at "
            f"{metadata.get('width')} (want twice the pixels of the width shown, in a palette); "
            f"re-execute it with python tools/run_notebooks.py {path}"
        )


def test_a_figure_stored_at_one_x_is_caught(tmp_path: Path) -> None:
    from dslib.viz.png import figure_png

    figure = Figure(figsize=(2, 1), dpi=100)
    one_x = base64.b64encode(figure_png(figure, dpi=100)).decode()
    cell = nbformat.v4.new_code_cell("fig", id="fig")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": one_x})]
    path = tmp_path / "one-x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    with pytest.raises(AssertionError, match="want twice the pixels"):
        test_stored_figures_are_sharp_and_shown_at_natural_size(path)
