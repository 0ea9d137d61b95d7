"""Line charts over time, drawn on the server: the geometry here, the SVG in ``_charts.html``.

No script and no inline style (the UI's Content-Security-Policy forbids both): positions are SVG
attributes, and each line's colour is a CSS class (``series-0`` ... ``series-7`` in ``ui.css``).
A value that is missing (``None``: a window with nothing to measure) leaves a gap in its line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH, HEIGHT = 560, 210
LEFT, RIGHT, TOP, BOTTOM = 64, 14, 12, 28
COLOURS = 8  # series-0 ... series-7 in ui.css; more lines reuse them in turn
Y_TICKS = 4
X_TICKS = 6  # at most
_TIME_STEPS = [
    timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080)
]
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Line:
    """One line's data: ``points`` are (time, value or ``None``); ``href`` links its legend."""

    label: str
    points: Sequence[tuple[datetime, float | None]]
    title: str = ""
    href: str = ""


@dataclass(frozen=True)
class Mark:
    """A moment to mark on the chart (an alert), linked to what explains it."""

    at: datetime
    label: str
    href: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class DrawnLine:
    """A line as drawn: its colour class, SVG path, and a dot (with a tooltip) per value."""

    label: str
    title: str
    href: str
    colour: str
    path: str
    dots: list[Dot]


@dataclass(frozen=True)
class DrawnMark:
    x: float
    label: str
    href: str


@dataclass(frozen=True)
class Chart:
    """A chart ready for the ``chart`` macro; ``message`` replaces the plot when nothing has a
    value."""

    key: str
    title: str
    lines: list[DrawnLine]
    marks: list[DrawnMark]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    message: str | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def nice_step(span: float, ticks: int = Y_TICKS) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts ``span`` in about ``ticks``."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= raw)


def _time_label(at: datetime, span: timedelta) -> str:
    if span <= timedelta(days=1):
        return at.strftime("%H:%M")
    return at.strftime("%m-%d %H:%M" if span <= timedelta(days=4) else "%m-%d")


def time_ticks(low: datetime, high: datetime) -> list[datetime]:
    """Round moments (whole minutes, hours or days, UTC) between ``low`` and ``high``."""
    span = high - low
    step = next((s for s in _TIME_STEPS if span / s <= X_TICKS - 1), _TIME_STEPS[-1])
    at = _EPOCH + -(-(low - _EPOCH) // step) * step  # the first multiple of step from low
    ticks = []
    while at <= high:
        ticks.append(at)
        at += step
    return ticks


def _x_domain(lines: Sequence[Line], marks: Sequence[Mark]) -> tuple[datetime, datetime]:
    times = [t for line in lines for t, v in line.points if v is not None]
    times += [m.at for m in marks]
    low, high = min(times), max(times)
    if low == high:  # one moment: centre it
        low, high = low - timedelta(minutes=30), high + timedelta(minutes=30)
    return low, high


def line_chart(
    key: str,
    title: str,
    lines: Sequence[Line],
    marks: Sequence[Mark] = (),
    *,
    fmt: Callable[[float], str] = str,
    empty: str = "no values in this range",
    domain: tuple[datetime, datetime] | None = None,
) -> Chart:
    """A chart of ``lines`` over time, y from 0, with ``marks`` as flagged vertical rules.

    Args:
        key: The chart's id (an HTML id fragment).
        fmt: Formats a value for the y axis and the tooltips.
        empty: Shown instead of the plot when no line has a value.
        domain: The time axis' ends (naive UTC); default: the first and last point or mark.
    """
    values = [v for line in lines for _, v in line.points if v is not None]
    if not values:
        return Chart(key, title, [], [], [], [], message=empty)
    low, high = _x_domain(lines, marks)
    if domain is not None:  # a window starts before the range's start when the range cuts it
        low, high = min(low, domain[0]), max(high, domain[1])
    span = high - low
    top_value = max(values)
    step = nice_step(top_value) if top_value > 0 else 1.0
    y_max = step * max(1, math.ceil(top_value / step - 1e-9))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return round(LEFT + plot_w * ((at - low) / span), 1)

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (1 - value / y_max), 1)

    drawn = []
    for index, line in enumerate(lines):
        commands, dots, pen_down = [], [], False
        for at, value in sorted(line.points, key=lambda p: p[0]):
            if value is None:  # a gap: the next point starts a new stroke
                pen_down = False
                continue
            x, y = x_of(at), y_of(value)
            commands.append(f"{'L' if pen_down else 'M'}{x} {y}")
            dots.append(Dot(x, y, f"{line.label} · {at:%Y-%m-%d %H:%M} · {fmt(value)}"))
            pen_down = True
        colour = f"series-{index % COLOURS}"
        drawn.append(DrawnLine(line.label, line.title, line.href, colour, " ".join(commands), dots))
    y_ticks = [Tick(y_of(i * step), fmt(i * step)) for i in range(round(y_max / step) + 1)]
    x_ticks = [Tick(x_of(at), _time_label(at, span)) for at in time_ticks(low, high)]
    drawn_marks = [DrawnMark(x_of(m.at), m.label, m.href) for m in marks]
    return Chart(key, title, drawn, drawn_marks, x_ticks, y_ticks)
