"""Tests of the hit-ratio explorer (dslib.widgets.caching), driven from code as clicks would."""

from __future__ import annotations

import pytest

from dslib.caching.hitratio import CURVE_POLICIES
from dslib.widgets.caching import EXPLORER_SIZES, CachingExplorer, caching_figure, explorer_curves


def test_the_knobs_drive_the_curves_the_reading_and_the_picture() -> None:
    explorer = CachingExplorer()
    first = explorer.curves
    assert first is not None and list(first.table.index) == list(EXPLORER_SIZES)
    assert list(first.table.columns) == [*CURVE_POLICIES, "che", "min"]
    picture = bytes(explorer.image.value)
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"

    # the size and the policy only redraw: same measurement, new reading and picture
    explorer.controls["size"].value = 20
    explorer.controls["policy"].value = "lru"
    assert explorer.curves is first
    row = first.table.loc[20]
    assert explorer.reading() == (
        f"size 20: lru {row['lru']:.4f}, LRU {row['lru']:.4f} (Che {row['che']:.4f}), "
        f"MIN {row['min']:.4f}"
    )
    assert explorer.reading() in explorer.text.value
    assert bytes(explorer.image.value) != picture

    # the exponent measures again: a steeper law gives every policy more hits
    explorer.controls["exponent"].value = 1.2
    steeper = explorer.curves
    assert steeper is not first and steeper.exponent == 1.2
    assert (steeper.table["lru"] > first.table["lru"]).all()

    # scans: LRU loses more than ARC, which keeps its twice-used keys out of the scan's way
    explorer.controls["scan_share"].value = 0.3
    scanned = explorer.curves
    assert scanned.scan_share == 0.3
    big = scanned.table.loc[[100, 200, 400]]
    assert (big["arc"] > big["lru"]).all()
    for name in CURVE_POLICIES:
        assert (scanned.table[name] <= scanned.table["min"]).all()
    assert repr(explorer) == (
        "CachingExplorer(policy='lru', size=20, exponent=1.2, scan_share=0.3)"
    )


def test_the_static_figure_is_the_explorers_picture() -> None:
    curves = explorer_curves(0.8, 0.0)
    figure = caching_figure(curves, "arc", 100)
    axes = figure.axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    assert labels[:6] == ["LRU", "LFU", "FIFO", "CLOCK", "random", "ARC"]
    assert "Che (LRU theory)" in labels and "MIN (optimal)" in labels
    assert axes.get_xscale() == "log"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"policy": "mru"}, ValueError, "unknown policy 'mru'"),
        ({"size": 7}, ValueError, "size=7; allowed"),
        ({"exponent": "1"}, TypeError, "exponent must be a number"),
        ({"scan_share": 0.9}, ValueError, "scan_share=0.9 must be in"),
        ({"catalogue": 10}, TypeError, "unknown parameters \\['catalogue'\\]"),
    ],
)
def test_bad_settings_are_refused(options: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        CachingExplorer(**options)
