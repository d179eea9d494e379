"""Writes Tests/ImagingTests/Fixtures/resize_pillow.json: Pillow BILINEAR resizes of a small generated image.

Developer-time tool only (needs numpy + Pillow). Run from the repository root:
    python3 Scripts/make_resize_fixture.py
"""
import json
import numpy as np
from PIL import Image

rng = np.random.default_rng(7)
w, h = 37, 29
yy, xx = np.mgrid[0:h, 0:w]
base = np.stack([(xx * 7 + yy * 3) % 256, (xx * xx + 5 * yy) % 256, (255 - 8 * yy + xx) % 256], axis=-1)
noise = rng.integers(0, 60, size=(h, w, 3))
pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
img = Image.fromarray(pixels, "RGB")

cases = []
for (ow, oh) in [(16, 12), (9, 9), (37, 14), (50, 40), (5, 29), (24, 24)]:
    out = np.asarray(img.resize((ow, oh), Image.BILINEAR))
    cases.append({"width": ow, "height": oh, "pixels": out.reshape(-1).tolist()})

box = (5, 3, 30, 25)  # crop then resize
out = np.asarray(img.resize((12, 11), Image.BILINEAR, box=box))
cases.append({"width": 12, "height": 11, "box": list(box), "pixels": out.reshape(-1).tolist()})

with open("Tests/ImagingTests/Fixtures/resize_pillow.json", "w") as f:
    json.dump({"pillow": __import__("PIL").__version__, "width": w, "height": h,
               "pixels": pixels.reshape(-1).tolist(), "cases": cases}, f, separators=(",", ":"))
