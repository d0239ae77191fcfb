#!/usr/bin/env python3
"""Makes the small municipal map the report draws from the DAGI boundaries.

    python3 tools/simplify_map.py ../shared/reference/municipalities.geojson \
        data/reference/municipality_map.json

The input is one GeoJSON feature per polygon (islands apart), property `lau_1` = the
municipality code, coordinates in WGS84. The output holds one SVG path per municipality on a
plane of `width` x `height` units, ready to be inlined in a page: no map server, no network.

Neighbouring municipalities share their boundary points exactly in the input. The simplification
keeps it that way: every ring is cut into arcs at the points where the set of rings sharing a
stretch changes, each arc is simplified once (Douglas-Peucker) and used by both neighbours, so the
simplified map has neither gaps nor overlaps along a border. Bornholm is drawn in an inset box in
the upper right, as Danish maps usually do; Christiansø (411), in no municipality, is left out.
"""

import json
import math
import sys

# The plane: longitude scaled by the cosine of Denmark's middle latitude, so shapes are not
# stretched; `SCALE` units per degree of latitude.
MIDDLE_LATITUDE = 56.0
SCALE = 160.0
# Points closer than this (in plane units) to the simplified line are dropped.
TOLERANCE = 0.35
# Islands smaller than this area (square plane units) are dropped when the municipality has a
# larger polygon; a municipality's largest polygon is always kept.
SMALLEST_ISLAND = 1.5
LEFT_OUT = {"411"}
INSET = "400"
INSET_GAP = 12.0


def project(lon, lat):
    x = lon * math.cos(math.radians(MIDDLE_LATITUDE)) * SCALE
    y = -lat * SCALE
    return (x, y)


def read_rings(path):
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    rings = []  # (code, [(x, y), ...], is_outer)
    for feature in features:
        code = feature["properties"]["lau_1"]
        if code in LEFT_OUT:
            continue
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                points = [tuple(p[:2]) for p in ring]
                if len(points) > 1 and points[0] == points[-1]:
                    points.pop()
                rings.append((code, points, index == 0))
    return rings


def area(points):
    total = 0.0
    for i, (x0, y0) in enumerate(points):
        x1, y1 = points[(i + 1) % len(points)]
        total += x0 * y1 - x1 * y0
    return abs(total) / 2.0


def distance_to_segment(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    if length == 0.0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def douglas_peucker(points, tolerance):
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, None
        for i in range(first + 1, last):
            d = distance_to_segment(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if index is not None and farthest > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep) if k]


def simplify_rings(rings, tolerance):
    """Each ring simplified along arcs shared with its neighbours."""
    sharing = {}
    for number, (_, points, _) in enumerate(rings):
        for p in points:
            sharing.setdefault(p, set()).add(number)
    arcs = {}
    result = []
    for number, (code, points, outer) in enumerate(rings):
        n = len(points)
        junctions = [
            i
            for i in range(n)
            if len(sharing[points[i]]) > 2
            or sharing[points[i]] != sharing[points[i - 1]]
            or sharing[points[i]] != sharing[points[(i + 1) % n]]
        ]
        if not junctions:
            # A ring of its own (a coast or an island): cut it at its leftmost point and at the
            # point farthest from it, so both halves have fixed ends.
            first = min(range(n), key=lambda i: points[i])
            far = max(
                range(n),
                key=lambda i: math.dist(points[i], points[first]),
            )
            junctions = sorted({first, far})
        simplified = []
        for k, start in enumerate(junctions):
            end = junctions[(k + 1) % len(junctions)]
            if end > start:
                arc = points[start : end + 1]
            else:
                arc = points[start:] + points[: end + 1]
            forward, backward = tuple(arc), tuple(reversed(arc))
            key = min(forward, backward)
            if key not in arcs:
                arcs[key] = douglas_peucker(list(key), tolerance)
            done = arcs[key] if key == forward else list(reversed(arcs[key]))
            simplified.extend(done[:-1])
        if len(simplified) >= 3:
            result.append((code, simplified, outer))
    return result


def main():
    source, target = sys.argv[1], sys.argv[2]
    rings = [
        (code, [project(*p) for p in points], outer)
        for code, points, outer in read_rings(source)
    ]
    rings = simplify_rings(rings, TOLERANCE)
    largest = {}
    for code, points, outer in rings:
        if outer:
            largest[code] = max(largest.get(code, 0.0), area(points))
    rings = [
        (code, points, outer)
        for code, points, outer in rings
        if not outer or area(points) >= min(SMALLEST_ISLAND, largest[code])
    ]

    def bounds(selected):
        xs = [x for _, pts, _ in selected for x, _ in pts]
        ys = [y for _, pts, _ in selected for _, y in pts]
        return min(xs), min(ys), max(xs), max(ys)

    mainland = [r for r in rings if r[0] != INSET]
    island = [r for r in rings if r[0] == INSET]
    left, top, right, bottom = bounds(mainland)
    i_left, i_top, i_right, i_bottom = bounds(island)
    # The inset sits in the upper right corner, inside a frame drawn by the report.
    shift_x = right - (i_right - i_left) - INSET_GAP - i_left
    shift_y = top + INSET_GAP - i_top
    paths = {}
    for code, points, _ in rings:
        dx, dy = (shift_x, shift_y) if code == INSET else (0.0, 0.0)
        text = "M" + "L".join(
            f"{x + dx - left:.1f},{y + dy - top:.1f}" for x, y in points
        )
        paths.setdefault(code, []).append(text + "Z")
    frame = [
        round(shift_x + i_left - left - INSET_GAP / 2, 1),
        round(shift_y + i_top - top - INSET_GAP / 2, 1),
        round(i_right - i_left + INSET_GAP, 1),
        round(i_bottom - i_top + INSET_GAP, 1),
    ]
    out = {
        "credit": "Geodatastyrelsen & Danske Kommuner",
        "source": "DAGI, FOT 1:500,000; simplified by tools/simplify_map.py",
        "width": round(right - left, 1),
        "height": round(bottom - top, 1),
        "inset": {"code": INSET, "frame": frame},
        "municipalities": {code: "".join(paths[code]) for code in sorted(paths)},
    }
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    points = sum(len(p) for _, p, _ in rings)
    print(f"{len(paths)} municipalities, {len(rings)} rings, {points} points -> {target}")


if __name__ == "__main__":
    main()
