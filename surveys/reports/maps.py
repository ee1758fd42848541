"""The poverty map of a rate report: one proportional circle per commune at its point, coloured by rate,
laid out here and drawn by the template as inline SVG (no tile server, no network request, no script).

Points come from the `vietnamadminunits` package, which ships each commune's latitude and longitude for both
unit structures (`admin_units_legacy.wardLat/wardLon` before 1 July 2025, `admin_units.wardLat/wardLon` from
then on). They are read once per process into a code → (lat, lon) dict per structure; nothing is stored in
the database. An island district loaded as its own commune-level unit (no ward in the legacy list, see
`households.units`) takes the district's point.

Projection: equirectangular (x = longitude × cos(mid-latitude), y = −latitude), fitted to the bounding box
of the communes drawn. A commune far from all the others (Côn Đảo, 180 km off Ho Chi Minh City's coast)
would shrink the rest to a corner, so it is drawn in a strip under the map, named, instead.

A circle's AREA is proportional to the commune's poor (or near-poor) households and its colour gives the
rate, in up to five equal classes of a sequential palette; a commune without numbers (its list not yet
approved, or no households) is a small hollow grey circle. The rows are the rate report's own `RateRow`s.
"""

from __future__ import annotations

import functools
import math
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from households.models import Structure

KINDS = ("poor", "near_poor")
WIDTH = 1000  # viewBox units; the SVG scales to its box (width 100%)
MAX_HEIGHT = 1000
PAD = 36  # room for the largest circle at the frame's edge
MIN_SPAN = 0.04  # degrees: a frame for one commune or a few close together
MAX_RADIUS = 26.0
MIN_RADIUS = 3.0
HOLLOW_RADIUS = 4.0
LABELLED = 5  # the communes with the highest rates are named on the map (when their label fits)
LABEL_SIZE = 16
FAR_GAP = 0.6  # degrees (~65 km): a group of communes this far from all the others is drawn apart …
FAR_SHARE = 0.1  # … when it holds at most a tenth of them
STRIP_ROW = 34
# ColorBrewer OrRd (sequential, print- and colour-blind-friendly), lightest to darkest.
PALETTE = ("#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000")
# Fewer classes take colours far apart, the darkest always the highest.
PICKS = {1: (3,), 2: (1, 4), 3: (0, 2, 4), 4: (0, 2, 3, 4), 5: (0, 1, 2, 3, 4)}
HOLLOW_STROKE = "#98a2b3"


def _package_db() -> str:
    from vietnamadminunits.database import main as vau

    return str(vau.MODULE_DIR / "data/dataset.db")


@functools.cache
def commune_points(structure: str) -> dict[str, tuple[float, float]]:
    """Commune code → (latitude, longitude) in `structure` ("legacy" or "2025"), from the package's data
    (read once per process; treat the dict as read-only)."""
    with sqlite3.connect(f"file:{_package_db()}?mode=ro", uri=True) as conn:
        if structure == Structure.LEGACY:
            rows = conn.execute(
                "SELECT wardCode, wardLat, wardLon FROM admin_units_legacy WHERE wardCode IS NOT NULL"
                " UNION ALL"
                # Island districts without communes are commune-level units under the district's code.
                " SELECT districtCode, districtLat, districtLon FROM admin_units_legacy WHERE wardCode IS NULL"
            ).fetchall()
        elif structure == Structure.Y2025:
            rows = conn.execute("SELECT wardCode, wardLat, wardLon FROM admin_units").fetchall()
        else:
            raise ValueError(f"unknown structure {structure!r}")
    return {code: (float(lat), float(lon)) for code, lat, lon in rows if code and lat is not None and lon is not None}


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    x: float
    y: float
    r: float
    fill: str
    hollow: bool
    households: int
    count: int
    rate: str | None
    href: str
    outside: bool = False  # drawn in the strip under the map, not at its place

    @property
    def label_x(self) -> float:
        return round(self.x + MAX_RADIUS + 8, 1)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class ColourClass:
    fill: str
    low: str
    high: str


@dataclass
class PovertyMap:
    kind: str
    width: int
    height: int
    frame_height: int  # the map proper; the strip of far communes (if any) lies below it
    points: list[MapPoint]  # drawn in this order: hollow ones, then the largest first, so no small circle is hidden
    labels: list[Label]
    classes: list[ColourClass]
    sizes: list[tuple[float, int]]  # (radius, households) for the size legend
    scale_bar: tuple[float, float, float, int]  # x, y, length in viewBox units, kilometres
    missing: list[str] = field(default_factory=list)  # communes without a point in the package

    @property
    def far(self) -> list[MapPoint]:
        return [p for p in self.points if p.outside]

    @property
    def with_data(self) -> int:
        return sum(1 for p in self.points if not p.hollow)


def _nice_step(maximum: float, classes: int = len(PALETTE)) -> float:
    """A class width of 1, 2, 2.5 or 5 × 10^k so that `classes` classes cover 0..maximum."""
    raw = maximum / classes
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover (the loop always returns)


def _fmt(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def colour_classes(maximum: float) -> list[tuple[float, float, str]]:
    """(low, high, colour) classes for rates 0..maximum: equal, "nice" widths, at most five."""
    if maximum <= 0:
        return [(0.0, 0.0, PALETTE[0])]
    step = _nice_step(maximum)
    count = max(1, min(len(PALETTE), math.ceil(maximum / step - 1e-9)))
    return [(i * step, (i + 1) * step, PALETTE[PICKS[count][i]]) for i in range(count)]


def _colour(rate: float, classes: list[tuple[float, float, str]]) -> str:
    for _low, high, colour in classes:
        if rate < high:
            return colour
    return classes[-1][2]


def _outliers(projected: dict[str, tuple[float, float]]) -> set[str]:
    """Communes in small groups far from the rest (islands such as Côn Đảo): points closer than FAR_GAP to each
    other form a group (single linkage); every group but the largest is far when it holds few of the points."""
    codes = list(projected)
    parent = {c: c for c in codes}

    def root(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for i, a in enumerate(codes):
        ax, ay = projected[a]
        for b in codes[i + 1 :]:
            bx, by = projected[b]
            if abs(ax - bx) < FAR_GAP and abs(ay - by) < FAR_GAP and math.hypot(ax - bx, ay - by) < FAR_GAP:
                parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for c in codes:
        groups.setdefault(root(c), []).append(c)
    if len(groups) < 2:
        return set()
    main = max(groups.values(), key=len)
    far = {c for g in groups.values() if g is not main for c in g}
    return far if len(far) <= FAR_SHARE * len(codes) else set()


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def poverty_map(rows: Sequence, *, structure: str, kind: str = "poor", href: Callable[[str], str]) -> PovertyMap | None:
    """The map of commune `rows` (RateRow: unit_code, unit_name, total_households, poor, poor_rate, near_poor,
    near_poor_rate, communes_included) in `structure`; `href(code)` is the link of a commune's circle. None when
    no row has a point."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    points = commune_points(structure)
    placed = [r for r in rows if r.unit_code in points]
    missing = [r.unit_name for r in rows if r.unit_code not in points]
    if not placed:
        return None

    lat_mid = sum(points[r.unit_code][0] for r in placed) / len(placed)
    kx = math.cos(math.radians(lat_mid))
    projected = {r.unit_code: (points[r.unit_code][1] * kx, -points[r.unit_code][0]) for r in placed}
    far = _outliers(projected)
    core = [projected[c] for c in projected if c not in far]
    x0, x1 = min(p[0] for p in core), max(p[0] for p in core)
    y0, y1 = min(p[1] for p in core), max(p[1] for p in core)
    span_x, span_y = max(x1 - x0, MIN_SPAN), max(y1 - y0, MIN_SPAN)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = min((WIDTH - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
    frame_height = math.ceil(span_y * scale + 2 * PAD)
    far_rows = sorted((r for r in placed if r.unit_code in far), key=lambda r: r.unit_code)
    height = frame_height + (STRIP_ROW * len(far_rows) + 16 if far_rows else 0)

    def at(code: str) -> tuple[float, float]:
        x, y = projected[code]
        return WIDTH / 2 + (x - cx) * scale, frame_height / 2 + (y - cy) * scale

    def has_data(r) -> bool:
        return bool(r.communes_included) and bool(r.total_households)

    counts = [getattr(r, kind) for r in placed if has_data(r)]
    rates = [float(Decimal(getattr(r, f"{kind}_rate"))) for r in placed if has_data(r) and getattr(r, f"{kind}_rate")]
    largest = max(counts, default=0)
    classes = colour_classes(max(rates, default=0.0))

    def radius(count: int) -> float:
        if not largest or not count:
            return MIN_RADIUS
        return max(MIN_RADIUS, MAX_RADIUS * math.sqrt(count / largest))

    drawn: list[MapPoint] = []
    for r in placed:
        outside = r.unit_code in far
        if outside:
            x, y = PAD + MAX_RADIUS, frame_height + 8 + STRIP_ROW * far_rows.index(r) + STRIP_ROW / 2
        else:
            x, y = at(r.unit_code)
        rate = getattr(r, f"{kind}_rate")
        if has_data(r):
            count = getattr(r, kind)
            drawn.append(
                MapPoint(
                    code=r.unit_code,
                    name=r.unit_name,
                    x=round(x, 1),
                    y=round(y, 1),
                    r=round(radius(count), 1),
                    fill=_colour(float(Decimal(rate)) if rate else 0.0, classes),
                    hollow=False,
                    households=r.total_households,
                    count=count,
                    rate=rate,
                    href=href(r.unit_code),
                    outside=outside,
                )
            )
        else:
            drawn.append(
                MapPoint(
                    code=r.unit_code,
                    name=r.unit_name,
                    x=round(x, 1),
                    y=round(y, 1),
                    r=HOLLOW_RADIUS,
                    fill="none",
                    hollow=True,
                    households=r.total_households,
                    count=getattr(r, kind),
                    rate=None,
                    href=href(r.unit_code),
                    outside=outside,
                )
            )
    drawn.sort(key=lambda p: (not p.hollow, -p.r, p.code))  # hollow ones underneath, then largest first

    # Names of the highest rates, beside their circle (right, else left), skipped where they would cover another
    # label or a circle with numbers, or run off the map.
    labels: list[Label] = []
    boxes: list[tuple[float, float, float, float]] = []
    circles = [(p.code, (p.x - p.r, p.y - p.r, p.x + p.r, p.y + p.r)) for p in drawn if not p.hollow and not p.outside]
    ranked = sorted(
        (p for p in drawn if not p.hollow and not p.outside and p.rate and Decimal(p.rate) > 0),
        key=lambda p: (-Decimal(p.rate), -p.count, p.code),
    )
    for p in ranked:
        if len(labels) >= LABELLED:
            break
        width = 0.58 * LABEL_SIZE * len(p.name)
        top, bottom = p.y - LABEL_SIZE * 0.75, p.y + LABEL_SIZE * 0.45
        for anchor, box in (
            ("start", (p.x + p.r + 4, top, p.x + p.r + 4 + width, bottom)),
            ("end", (p.x - p.r - 4 - width, top, p.x - p.r - 4, bottom)),
        ):
            if box[0] < 2 or box[2] > WIDTH - 2 or box[1] < 2 or box[3] > frame_height - 24:
                continue
            if any(_overlaps(box, b) for b in boxes) or any(code != p.code and _overlaps(box, c) for code, c in circles):
                continue
            boxes.append(box)
            x = box[0] if anchor == "start" else box[2]
            labels.append(Label(x=round(x, 1), y=round(p.y + LABEL_SIZE * 0.35, 1), text=p.name, anchor=anchor))
            break

    # A scale bar of a round number of kilometres, about a fifth of the width.
    km_per_unit = 111.32 / scale  # one degree of latitude (and of longitude × cos φ) is ~111.32 km
    target = WIDTH / 5 * km_per_unit
    km = next((k for k in (1, 2, 5, 10, 20, 25, 50, 100, 200) if k >= target * 0.6), 200)
    bar = (PAD, frame_height - 14, round(km / km_per_unit, 1), km)

    sizes = []
    if largest:
        for n in sorted({largest, max(1, round(largest / 4))}, reverse=True):
            sizes.append((round(radius(n), 1), n))
    return PovertyMap(
        kind=kind,
        width=WIDTH,
        height=height,
        frame_height=frame_height,
        points=drawn,
        labels=labels,
        classes=[ColourClass(fill=c, low=_fmt(low), high=_fmt(high)) for low, high, c in classes],
        sizes=sizes,
        scale_bar=bar,
        missing=missing,
    )
