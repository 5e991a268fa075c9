"""Draw a check's ``Picture`` as a PNG, embedded in feedback pages as base64.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global figure state), so
drawing is safe inside Dask workers and threads.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autograder.checks.spec import Observation, Picture
from autograder.protocol.wire import Received

log = logging.getLogger(__name__)
PANEL_INCHES = 2.6


def draw(picture: Picture) -> str:
    """The picture as a base64 PNG: one panel per image, then one for the curves."""
    panels = len(picture.images) + (1 if picture.curves else 0)
    figure = Figure(figsize=(PANEL_INCHES * panels, PANEL_INCHES), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    low, high = picture.value_range
    for ax, (title, image) in zip(axes, picture.images.items(), strict=False):
        ax.imshow(_as_image(image), cmap="gray", vmin=low, vmax=high, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    if picture.curves:
        ax = axes[-1]
        for label, values in picture.curves.items():
            ax.plot(range(len(values)), list(values), marker=".", label=label)
        ax.set_yscale("log" if all(v > 0 for values in picture.curves.values() for v in values) else "linear")
        ax.set_xlabel("t", fontsize=8)
        ax.set_ylabel(picture.curve_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    return _png(figure)


def draw_observed(picture: Callable[[Observation], Picture], observation: Observation) -> str:
    """A question's picture of one observation as a base64 PNG, or "" when it cannot be drawn.

    The grader and the self-check both draw through here. An answer that is not an image
    (a wrong shape or type) has no picture: the checks already say what is wrong with it.
    """
    try:
        return draw(picture(observation))
    except Exception as error:
        log.debug("no picture: %s", error)
        return ""


def histogram(values: list[float], maximum: float | None, label: str) -> str:
    """A small histogram as a base64 PNG; with ``maximum``, bins cover 0..maximum."""
    figure = Figure(figsize=(4.0, 2.2), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    value_range = (0.0, maximum) if maximum else None
    ax.hist(values or [0.0], bins=min(20, max(4, int(2 * maximum))) if maximum else 20, range=value_range)
    ax.set_xlabel(label, fontsize=8)
    ax.set_ylabel("submissions", fontsize=8)
    ax.tick_params(labelsize=7)
    return _png(figure)


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _as_image(value: torch.Tensor | Received) -> torch.Tensor:
    if isinstance(value, Received):  # what the student returned, decoded
        value = value.data
    if not isinstance(value, torch.Tensor) or value.dim() != 2:
        raise ValueError(f"not a 2-D image tensor: {type(value).__name__}")
    return value.detach().to("cpu", torch.float64)
