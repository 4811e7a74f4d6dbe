"""Figures as PNG images: drawn at twice their dpi, shown at their natural size.

A figure drawn with one pixel per pixel shown looks blurred on a high-density screen (two or
three device pixels per CSS pixel), and more so when the front end stretches it to the width
of the output area. So every figure of the book is drawn at ``SCALE`` times its dpi and
shown at its natural size, ``figsize`` times ``dpi`` in CSS pixels: a widget's through
``dslib.widgets.base.show_figure``, a notebook's stored figures through ``notebook_png``,
which IPython calls for every bare ``Figure`` (``dslib.viz`` registers it).

Four times the pixels would make the stored notebooks more than twice as large, so a stored
figure is reduced to a palette of 256 colours: a plot has a few flat colours and their
anti-aliased edges, which 256 colours render without a visible difference, and the file is
smaller than the one-pixel-per-pixel image it replaces.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["COLOURS", "SCALE", "figure_png", "notebook_png"]

SCALE = 2
"""Pixels drawn per pixel shown, in each direction."""

COLOURS = 256
"""The palette of a stored figure (the most a PNG palette holds)."""


def figure_png(
    figure: Any, dpi: float | None = None, fast: bool = False, tight: bool = False
) -> bytes:
    """The figure as PNG bytes, drawn at ``dpi`` (default ``SCALE`` times the figure's own).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    dpi : float, optional
        Dots per inch to draw at; by default twice the figure's, to be shown at its natural
        size (``figsize`` times the figure's dpi).
    fast : bool, default False
        Compress little, for images redrawn on every click and never stored.
    tight : bool, default False
        Crop to what is drawn (matplotlib's ``bbox_inches="tight"``), as notebooks show figures.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> png = figure_png(Figure(figsize=(2, 1), dpi=100))
    >>> png[:4], int.from_bytes(png[16:20], "big")  # the signature, then the width in pixels
    (b'\\x89PNG', 400)
    """
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 1}} if fast else {}
    if tight:
        extra["bbox_inches"] = "tight"
    dots = SCALE * figure.dpi if dpi is None else dpi
    figure.savefig(buffer, format="png", dpi=dots, **extra)
    return buffer.getvalue()


def notebook_png(figure: Any) -> tuple[bytes, dict[str, int]] | None:
    """A figure as a notebook stores it: sharp, small, and its natural size (IPython's form).

    Returns
    -------
    (bytes, dict) or None
        The PNG, drawn at ``SCALE`` times the figure's dpi, cropped to what is drawn and
        reduced to ``COLOURS`` colours; and the ``width`` and ``height`` to show it at (the
        output's metadata, which JupyterLab and the HTML edition follow). None for a figure
        with nothing in it, which IPython then does not show.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(3, 1), dpi=100)
    >>> _ = figure.add_subplot().plot([0, 1], [1, 0])
    >>> png, shown = notebook_png(figure)
    >>> png[25], int.from_bytes(png[16:20], "big") // 2 == shown["width"]  # 3: a palette
    (3, True)
    >>> notebook_png(Figure()) is None
    True
    """
    from PIL import Image

    if not figure.axes and not figure.lines:
        return None
    image = Image.open(io.BytesIO(figure_png(figure, tight=True))).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(COLOURS).save(buffer, format="PNG", optimize=True)
    width, height = image.size
    return buffer.getvalue(), {"width": width // SCALE, "height": height // SCALE}
