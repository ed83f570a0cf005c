"""Small deterministic placement helpers: labels beside their partner, no overlaps, a compact page.

Positions and sizes are in inches, ``y`` upwards. Pure Python, so the Graphviz and the
matplotlib drawings place things the same way from whatever first layout they start from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPSILON = 1e-6   # inches: overlaps smaller than this count as none


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    mobility: float = 1.0   # 0 fixed, 1 moves freely when pushed


def beside(anchor: Box, box: Box, towards: tuple[float, float], gap: float) -> tuple[float, float]:
    """The centre for ``box`` just outside ``anchor``, on the side facing ``towards``."""
    dx, dy = towards[0] - anchor.x, towards[1] - anchor.y
    length = math.hypot(dx, dy)
    if length < 1e-9:
        dx, dy, length = 0.0, -1.0, 1.0
    dx, dy = dx / length, dy / length

    def reach(b: Box) -> float:  # distance from centre to the box edge along (dx, dy)
        return min(b.w / 2 / abs(dx) if abs(dx) > 1e-9 else math.inf, b.h / 2 / abs(dy) if abs(dy) > 1e-9 else math.inf)

    t = reach(anchor) + reach(box) + gap
    return anchor.x + dx * t, anchor.y + dy * t


def separate(boxes: dict[str, Box], gap: float, iterations: int = 40, widen: float = 1.5) -> bool:
    """Push overlapping boxes apart (in place), each pair along the axis that needs the smaller move.

    Moves across count ``widen`` times less than moves up or down, so a crowded drawing
    spreads sideways, the way a landscape page has room. Pairs are taken one by one in
    name order, each box moving by its share of the two mobilities; sweeps repeat until
    none overlap; when ``iterations`` sweeps leave some overlapping (boxes hemmed in on both
    sides), every centre moves 4% further from the middle and the sweeps start again, which
    always ends. Returns whether they came apart without spreading.
    """
    names = sorted(boxes)
    n = len(names)
    x = np.array([boxes[k].x for k in names], dtype=float)
    y = np.array([boxes[k].y for k in names], dtype=float)
    w = np.array([boxes[k].w for k in names], dtype=float)
    h = np.array([boxes[k].h for k in names], dtype=float)
    m = np.array([boxes[k].mobility for k in names], dtype=float)
    apart = n < 2
    for attempt in range(200 if n > 1 else 0):
        if _sweeps(x, y, w, h, m, gap, iterations, widen):
            apart = attempt == 0
            break
        cx, cy = float(x.mean()), float(y.mean())
        x[:] = cx + (x - cx) * 1.04
        y[:] = cy + (y - cy) * 1.04
    for k, name in enumerate(names):
        boxes[name].x, boxes[name].y = round(float(x[k]), 6), round(float(y[k]), 6)
    return apart


def _sweeps(x, y, w, h, m, gap: float, iterations: int, widen: float) -> bool:
    # Pairs are pushed apart one at a time in plain Python floats. Which pairs overlap is first
    # found for the whole sweep at once with numpy (the same double subtraction and comparisons),
    # and looked at again pair by pair only for boxes already moved in this sweep, so the result
    # is exactly that of testing every pair in turn, at a fraction of the cost.
    xs, ys, ws, hs, ms = x.tolist(), y.tolist(), w.tolist(), h.tolist(), m.tolist()
    n = len(xs)
    # how close two centres may come before their boxes overlap (sizes do not change)
    w_arr, h_arr = np.asarray(ws, dtype=float), np.asarray(hs, dtype=float)
    reach_x = (w_arr[:, None] + w_arr[None, :]) / 2 + gap - EPSILON
    reach_y = (h_arr[:, None] + h_arr[None, :]) / 2 + gap - EPSILON
    later = np.triu(np.ones((n, n), dtype=bool), 1)
    rx_rows, ry_rows = reach_x.tolist(), reach_y.tolist()
    apart = False
    for _ in range(iterations):
        x_arr, y_arr = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        dx_all = x_arr[None, :] - x_arr[:, None]   # [i, j] = x[j] - x[i]
        dy_all = y_arr[None, :] - y_arr[:, None]
        overlap = later & (-reach_x < dx_all) & (dx_all < reach_x) & (-reach_y < dy_all) & (dy_all < reach_y)
        firsts, seconds = np.nonzero(overlap)
        if not len(firsts):
            apart = True
            break
        found: dict[int, list[int]] = {}
        for i, j in zip(firsts.tolist(), seconds.tolist()):
            found.setdefault(i, []).append(j)
        moved: set[int] = set()
        last = int(firsts[-1])
        for i in range(n - 1):
            if i > last and not moved:
                break
            xi, yi = xs[i], ys[i]
            if i in moved:   # i moved since the sweep began: test every later box again
                rx_i, ry_i = rx_rows[i], ry_rows[i]
                hits = [j for j in range(i + 1, n)
                        if -rx_i[j] < xs[j] - xi < rx_i[j] and -ry_i[j] < ys[j] - yi < ry_i[j]]
            else:            # only the later boxes that moved need testing again
                hits = [j for j in found.get(i, ()) if j not in moved]
                again = [j for j in moved if j > i
                         and -rx_rows[i][j] < xs[j] - xi < rx_rows[i][j]
                         and -ry_rows[i][j] < ys[j] - yi < ry_rows[i][j]]
                if again:
                    hits = sorted(hits + again)
            for j in hits:
                dx, dy = xs[j] - xs[i], ys[j] - ys[i]
                ox = (ws[i] + ws[j]) / 2 + gap - abs(dx)
                oy = (hs[i] + hs[j]) / 2 + gap - abs(dy)
                total = ms[i] + ms[j]
                if ox <= EPSILON or oy <= EPSILON or total == 0:
                    continue
                ox, oy = ox + EPSILON, oy + EPSILON   # land clear of the threshold, not on it
                moved.add(i)
                moved.add(j)
                if ox < oy * widen:
                    sign = 1.0 if dx >= 0 else -1.0
                    xs[i] -= sign * ox * ms[i] / total
                    xs[j] += sign * ox * ms[j] / total
                else:
                    sign = 1.0 if dy >= 0 else -1.0
                    ys[i] -= sign * oy * ms[i] / total
                    ys[j] += sign * oy * ms[j] / total
        if not moved:
            apart = True
            break
    x[:], y[:] = xs, ys
    return apart


def extent(boxes: dict[str, Box]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) round every box."""
    return (min(b.x - b.w / 2 for b in boxes.values()), min(b.y - b.h / 2 for b in boxes.values()),
            max(b.x + b.w / 2 for b in boxes.values()), max(b.y + b.h / 2 for b in boxes.values()))


def landscape(boxes: dict[str, Box]) -> dict[str, Box]:
    """The arrangement turned a quarter turn when it is taller than wide (sizes stay upright)."""
    left, bottom, right, top = extent(boxes)
    if top - bottom <= right - left:
        return boxes
    return {k: Box(b.y, -b.x, b.w, b.h, b.mobility) for k, b in boxes.items()}


def compact(boxes: dict[str, Box], page: tuple[float, float], gap: float,
            squeeze_across: bool = True) -> dict[str, Box]:
    """Draw the centres together as far as helps the drawing fill ``page`` (w, h) at the largest scale.

    Tries shrink factors from 1 down to 0.52, each also with one axis squeezed more (across,
    or up and down; ``squeeze_across=False`` tries up and down only); after each, overlaps are
    pushed apart again. Returns the least shrunk arrangement whose printed scale (page over
    extent, counted up to 1: printing larger than life gains nothing) is largest.
    """
    def scale_of(bs: dict[str, Box]) -> float:
        left, bottom, right, top = extent(bs)
        return min(1.0, page[0] / max(right - left, 1e-9), page[1] / max(top - bottom, 1e-9))

    cx = sum(b.x for b in boxes.values()) / len(boxes)
    cy = sum(b.y for b in boxes.values()) / len(boxes)
    # no arrangement prints larger than its widest and its tallest box allow: once a trial
    # reaches that scale, no later one can replace it (it must do better by 1e-3), so stop
    largest = min(1.0, page[0] / max(max(b.w for b in boxes.values()), 1e-9),
                  page[1] / max(max(b.h for b in boxes.values()), 1e-9))
    best, best_scale = None, -1.0
    for step in range(5):
        f = 1.0 - 0.12 * step
        for g in (1.0, 0.75, 0.55):   # squeeze one axis more, to fit the page's shape
            ways = ((True, False) if squeeze_across else (False,)) if g != 1.0 else (True,)
            for across in ways:   # (g = 1: both ways are the same trial)
                gx, gy = (g, 1.0) if across else (1.0, g)
                trial = {k: Box(cx + (b.x - cx) * f * gx, cy + (b.y - cy) * f * gy, b.w, b.h, b.mobility)
                         for k, b in boxes.items()}
                separate(trial, gap)
                s = scale_of(trial)
                if s > best_scale + 1e-3:
                    best, best_scale = trial, s
                if best_scale >= largest - 1e-9:
                    return best
    return best if best is not None else boxes
