"""Draw the Teams app icons with Pillow. Run once; the PNGs are committed next to this script.

`python -m manifest.make_icons` rewrites color.png (192x192), outline.png (32x32) and
color32x32.png. Teams' rules: the colour icon is a full-colour square; the outline icon is
pure white on a fully transparent background. The outline is drawn at 32x32 without
anti-aliasing on purpose, so every pixel is either opaque white or fully transparent.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
HANSE_RED = (181, 18, 27, 255)  # the red of Lübeck's coat of arms (approximate)
WHITE = (255, 255, 255, 255)


def _bubble(draw: ImageDraw.ImageDraw, size: int, fill: tuple[int, ...] | None, width: int) -> None:
    """A speech bubble with a four-pointed spark: "the assistant that talks, with AI"."""
    s = size / 32
    box = (3 * s, 4 * s, 29 * s, 22 * s)
    draw.rounded_rectangle(box, radius=5 * s, outline=WHITE, width=width, fill=fill)
    tail = [(8 * s, 21 * s), (8 * s, 28 * s), (15 * s, 21 * s)]
    draw.polygon(tail, fill=WHITE)
    cx, cy, r, w = 16 * s, 13 * s, 6 * s, 1.6 * s
    spark = [
        (cx, cy - r),
        (cx + w, cy - w),
        (cx + r, cy),
        (cx + w, cy + w),
        (cx, cy + r),
        (cx - w, cy + w),
        (cx - r, cy),
        (cx - w, cy - w),
    ]
    draw.polygon(spark, fill=WHITE)


def color_icon(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), HANSE_RED)
    _bubble(ImageDraw.Draw(image), size, None, max(1, round(size / 16)))
    return image


def outline_icon() -> Image.Image:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    _bubble(ImageDraw.Draw(image), 32, None, 2)
    # Belt and braces: snap every pixel to opaque white or fully transparent.
    alpha = image.getchannel("A").point(lambda a: 255 if a >= 128 else 0)
    snapped = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    snapped.paste(Image.new("RGBA", (32, 32), WHITE), mask=alpha)
    return snapped


def main() -> None:
    color_icon(192).save(HERE / "color.png", optimize=True)
    color_icon(32).save(HERE / "color32x32.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
