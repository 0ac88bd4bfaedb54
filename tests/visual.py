"""Compare screenshots with reviewed reference images, with a tolerance (the visual regression check).

Why a tolerance and not equal pixels: text antialiasing, a date in a staleness notice or a
cluster's count can move a few pixels between runs; a page whose layout breaks (a legend over
the map, a table gone, a sidebar hidden, a chart empty) moves many. Both images are reduced to
grey :data:`SIZE` pixels and compared as a whole (mean difference) and in :data:`GRID` blocks
(the worst block), so a local break fails even when the rest of the page is unchanged.

References live in ``tests/fixtures/visual/`` (small PNGs, reviewed by eye before commit).
``python -m pytest tests/e2e/test_visual.py --update-visual`` rewrites them from the current
look; review the new images (``git diff --stat``, open them) before committing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image, ImageChops

ROOT: Final = Path(__file__).resolve().parents[1]
REFERENCE_DIR: Final = ROOT / "tests" / "fixtures" / "visual"
#: Where a failing comparison leaves the actual image and the difference, for review.
OUTPUT_DIR: Final = ROOT / "test-output" / "visual"
#: Stored and compared size (width, height): enough to see layout, small in the repository.
SIZE: Final = (400, 250)
#: Blocks across and down for the local check.
GRID: Final = (8, 5)
#: Mean absolute grey difference (0-255) allowed over the whole image, and in the worst block.
#: Two runs on one machine differ by under 0.3 / 1; two different pages (About and Accounts, alike in
#: layout) by 8.5 / 27; the limits leave room for a font or browser update, not for a broken layout.
MAX_MEAN_DIFF: Final = 4.0
MAX_BLOCK_DIFF: Final = 15.0


@dataclass(frozen=True)
class Comparison:
    """How far an image is from its reference."""

    name: str
    mean_diff: float
    worst_block_diff: float
    missing_reference: bool = False

    @property
    def matches(self) -> bool:
        return (
            not self.missing_reference
            and self.mean_diff <= MAX_MEAN_DIFF
            and self.worst_block_diff <= MAX_BLOCK_DIFF
        )

    def describe(self) -> str:
        if self.missing_reference:
            return f"{self.name}: no reference image (run with --update-visual, review, commit)"
        return (
            f"{self.name}: mean difference {self.mean_diff:.1f} (max {MAX_MEAN_DIFF}), "
            f"worst block {self.worst_block_diff:.1f} (max {MAX_BLOCK_DIFF}); "
            f"actual and difference in {OUTPUT_DIR.relative_to(ROOT)}"
        )


def reduced(png: bytes) -> Image.Image:
    """The image as stored and compared: RGB at :data:`SIZE`."""
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").resize(SIZE, Image.Resampling.LANCZOS)


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def differences(actual: Image.Image, reference: Image.Image) -> tuple[float, float]:
    """(mean absolute grey difference, the worst block's) of two reduced images."""
    diff = np.abs(_grey(actual) - _grey(reference.resize(actual.size)))
    rows = np.array_split(diff, GRID[1], axis=0)
    blocks = [block for row in rows for block in np.array_split(row, GRID[0], axis=1)]
    return float(diff.mean()), max(float(block.mean()) for block in blocks)


def compare(name: str, png: bytes, *, update: bool) -> Comparison:
    """Compare ``png`` with the reference ``name``; with ``update`` write it as the new reference."""
    actual = reduced(png)
    path = REFERENCE_DIR / f"{name}.png"
    if update:
        REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
        actual.save(path, optimize=True)
        return Comparison(name, 0.0, 0.0)
    if not path.is_file():
        return Comparison(name, 0.0, 0.0, missing_reference=True)
    with Image.open(path) as stored:
        reference = stored.convert("RGB")
    mean_diff, worst = differences(actual, reference)
    result = Comparison(name, mean_diff, worst)
    if not result.matches:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        actual.save(OUTPUT_DIR / f"{name}.actual.png")
        ImageChops.difference(actual, reference.resize(actual.size)).save(OUTPUT_DIR / f"{name}.diff.png")
    return result
