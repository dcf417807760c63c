#!/usr/bin/env python3
"""Generates countries.tsv: ISO 3166-1 alpha-2 code, English name, and an SVG path of the
country's shape (Equal Earth projection, 1000x487 viewBox, whole-unit coordinates).

Inputs (unpacked npm packages, fetched with `npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0`):
  world-atlas/countries-110m.json   Natural Earth 1:110m admin-0 (public domain), TopoJSON (ISC)
  i18n-iso-countries/codes.json     alpha-2 / numeric codes (MIT)
  i18n-iso-countries/langs/en.json  English names (MIT)

Usage: make_worldmap.py WORLD_ATLAS_DIR I18N_DIR > countries.tsv
"""
import json
import math
import sys

W, H = 1000.0, 487.0
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2
XMAX, YMAX = 2.7207, 1.3247  # projection extents (x at lambda=pi, phi=0; y at phi=90)
# Shapes in the atlas without a numeric id.
EXTRA = {"Kosovo": "XK", "N. Cyprus": None, "Somaliland": None}


def project(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(M * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(t) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6 + 3 * A2 * t2 + A1))
    y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return ((x + XMAX) / (2 * XMAX) * W, (YMAX - y) / (2 * YMAX) * H)


def main():
    atlas_dir, i18n_dir = sys.argv[1], sys.argv[2]
    topo = json.load(open(f"{atlas_dir}/countries-110m.json"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(indices):
        out = []
        for i in indices:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    def path(rings):
        parts = []
        for r in rings:
            lonlat = ring(r)
            lons = [lon for lon, _ in lonlat]
            if any(abs(a - b) > 180 for a, b in zip(lons, lons[1:])):
                # Crosses the antimeridian: keep the ring on its majority side (the overflow
                # falls outside the viewBox).
                east = sum(1 for lon in lons if lon > 0) * 2 >= len(lons)
                lonlat = [((lon + 360 if lon < 0 else lon) if east else (lon - 360 if lon > 0 else lon), lat)
                          for lon, lat in lonlat]
            pts = [project(lon, lat) for lon, lat in lonlat]
            coords = []
            for x, y in pts:
                p = (round(x), round(y))
                if not coords or coords[-1] != p:
                    coords.append(p)
            if len(coords) < 3:
                continue
            parts.append("M" + "L".join(f"{x},{y}" for x, y in coords) + "Z")
        return "".join(parts)

    codes = json.load(open(f"{i18n_dir}/codes.json"))
    by_numeric = {num: a2 for a2, _a3, num, *_ in codes}
    names = json.load(open(f"{i18n_dir}/langs/en.json"))["countries"]
    shapes = {}
    for g in topo["objects"]["countries"]["geometries"]:
        code = by_numeric.get(g.get("id")) if "id" in g else EXTRA.get(g["properties"]["name"])
        if not code or code == "AQ":
            continue
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        d = "".join(path(p) for p in polys)
        if d:
            shapes[code] = shapes.get(code, "") + d
    all_codes = sorted(set(names) | set(shapes) | {"XK"})
    for code in all_codes:
        name = names.get(code, "Kosovo" if code == "XK" else code)
        if isinstance(name, list):
            name = name[0]
        print(f"{code}\t{name}\t{shapes.get(code, '')}")


main()
