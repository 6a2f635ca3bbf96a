#!/usr/bin/env python3
"""Classic OpenCV document scanner, as in the well-known tutorials, on the same fixtures.

Canny -> contours -> approxPolyDP -> first 4-point contour -> four-point warp.
Writes one JSON row per image: {"file", "found", "corners", "t_detect_ms", "t_warp_ms"}.
Corners are in pixels of the EXIF-upright image (cv2.imread applies EXIF orientation).
Usage: opencv_baseline.py FIXTURE_DIR OUT.json [--threads N]
"""
import json
import sys
import time

import cv2
import numpy as np


def order(pts):
    pts = pts.astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)


def detect(img):
    ratio = img.shape[0] / 500.0
    small = cv2.resize(img, (int(round(img.shape[1] / ratio)), 500), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    edged = cv2.Canny(gray, 75, 200)
    cnts, _ = cv2.findContours(edged, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cnts = sorted(cnts, key=cv2.contourArea, reverse=True)[:5]
    for c in cnts:
        peri = cv2.arcLength(c, True)
        approx = cv2.approxPolyDP(c, 0.02 * peri, True)
        if len(approx) == 4:
            return order(approx.reshape(4, 2) * ratio)
    return None


def warp(img, quad):
    tl, tr, br, bl = quad
    w = int(max(np.linalg.norm(br - bl), np.linalg.norm(tr - tl)))
    h = int(max(np.linalg.norm(tr - br), np.linalg.norm(tl - bl)))
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    return cv2.warpPerspective(img, m, (w, h))


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    threads = 1
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    cv2.setNumThreads(threads)
    truths = json.load(open(f"{fixtures}/truth.json"))
    rows = []
    for t in truths:
        img = cv2.imread(f"{fixtures}/{t['file']}", cv2.IMREAD_COLOR)
        if img is None:
            continue
        best = None
        for _ in range(3):  # best of 3 to reduce noise
            t0 = time.perf_counter()
            quad = detect(img)
            dt = (time.perf_counter() - t0) * 1e3
            best = dt if best is None else min(best, dt)
        row = {"file": t["file"], "found": quad is not None, "corners": None, "t_detect_ms": best, "t_warp_ms": None}
        if quad is not None:
            row["corners"] = quad.tolist()
            t0 = time.perf_counter()
            warp(img, quad)
            row["t_warp_ms"] = (time.perf_counter() - t0) * 1e3
        rows.append(row)
    json.dump(rows, open(out, "w"))
    print(f"opencv {cv2.__version__} baseline: {sum(r['found'] for r in rows)}/{len(rows)} quads, threads={threads}")


if __name__ == "__main__":
    main()
