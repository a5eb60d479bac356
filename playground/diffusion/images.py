"""Images in and out of the model's pixel space.

The model works on 16x16 grayscale images with values in [-1, 1], where +1 is ink
(bright) and -1 is background (dark), like the sklearn digits shown white on black.

* ``real_digits`` turns sklearn's 8x8 digits (values 0..16) into that space,
  upsampled to 16x16 with bilinear interpolation.
* ``read_upload`` turns an uploaded file into the same space, with clear messages
  for what cannot be used (not an image, too large) and a note for what was changed
  (transparency composited onto a background, cropped to a square).
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from playground.config import Settings, get_settings
from playground.errors import UserInputError

IMAGE_SIZE = 16  # the model's resolution: 16x16 pixels, one channel


def upsample(images8: torch.Tensor) -> torch.Tensor:
    """(B, 1, 8, 8) -> (B, 1, 16, 16), bilinear."""
    return F.interpolate(images8, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)


def downsample(images16: torch.Tensor) -> torch.Tensor:
    """(B, 1, 16, 16) -> (B, 1, 8, 8) by averaging 2x2 blocks (to compare with the 8x8 originals)."""
    return F.avg_pool2d(images16, 2)


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float32), d.target.astype(np.int64)


def real_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 sklearn digits in model space: images (1797, 1, 16, 16) in [-1, 1], labels (1797,)."""
    images, labels = _digits()
    x8 = torch.from_numpy(images / 8.0 - 1.0).unsqueeze(1)  # 0..16 -> -1..1, (N, 1, 8, 8)
    return upsample(x8).clamp(-1, 1), torch.from_numpy(labels)


def one_digit(index: int) -> tuple[torch.Tensor, int]:
    """One sklearn digit in model space: ((1, 1, 16, 16), its label)."""
    images, labels = real_digits()
    if not 0 <= index < len(labels):
        raise UserInputError(f"Pick a digit number between 0 and {len(labels) - 1}.")
    return images[index:index + 1], int(labels[index])


def to_pixels(x: torch.Tensor | np.ndarray, scale: int = 8, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """Values in [lo, hi] -> uint8 image, each pixel drawn as a scale x scale block.

    (H, W) -> (H*scale, W*scale); values outside [lo, hi] are clipped for display."""
    a = np.asarray(x, dtype=np.float32).squeeze()
    a = ((np.clip(a, lo, hi) - lo) / (hi - lo) * 255).round().astype(np.uint8)
    return np.kron(a, np.ones((scale, scale), dtype=np.uint8))


def grid(images: np.ndarray, cols: int = 4, scale: int = 6, pad: int = 2,
         lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """(B, H, W) -> one uint8 picture with the images in rows of ``cols``, separated
    by ``pad`` light-grey pixels."""
    images = np.asarray(images, np.float32).reshape(-1, *np.shape(images)[-2:])
    b, h, w = images.shape
    rows = -(-b // cols)
    hh, ww = h * scale, w * scale
    out = np.full((rows * hh + (rows + 1) * pad, cols * ww + (cols + 1) * pad), 200, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = pad + r * (hh + pad), pad + c * (ww + pad)
        out[y:y + hh, x:x + ww] = to_pixels(img, scale, lo, hi)
    return out


@dataclass
class Upload:
    image: torch.Tensor  # (1, 1, 16, 16) in [-1, 1]
    notes: list[str] = field(default_factory=list)  # what was changed, to show the user


def read_upload(data: bytes, name: str = "upload", settings: Settings | None = None) -> Upload:
    """Check and convert an uploaded file (bytes) into a 16x16 model input."""
    settings = settings or get_settings()
    limit = settings.max_upload_mb * 1024 * 1024
    if not data:
        raise UserInputError(f"{name} is empty. Upload a PNG or JPEG picture.")
    if len(data) > limit:
        raise UserInputError(
            f"{name} is {len(data) / 2**20:.1f} MB; the limit is {settings.max_upload_mb} MB. "
            "Upload a smaller picture.")
    # 1. Open lazily: PIL reads only the header, so the size is known before decoding.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise UserInputError(
                f"{name} is not an image this page can read. Upload a PNG, JPEG, GIF, BMP or WebP "
                "picture.") from exc
        raise UserInputError(f"{name} has too many pixels to open safely. Upload a smaller picture.") from exc
    if width * height > settings.max_image_pixels:
        raise UserInputError(
            f"{name} is {width}x{height} = {width * height / 1e6:.1f} megapixels; the limit is "
            f"{settings.max_image_pixels / 1e6:.1f} megapixels. Upload a smaller picture.")
    try:
        img.load()
    except (OSError, SyntaxError) as exc:  # truncated or corrupt file
        raise UserInputError(f"{name} looks damaged and could not be decoded ({exc}). "
                             "Upload another picture.") from exc
    notes: list[str] = []
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        # 16-bit or float pixels: stretch the picture's own range to 0..255
        kind = {"F": "32-bit floating-point", "I": "32-bit"}.get(img.mode, "16-bit")
        a = np.asarray(img, dtype=np.float32)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        img = Image.fromarray(a.round().astype(np.uint8), "L")
        notes.append(f"The picture has {kind} pixels; its range {lo:g}..{hi:g} was stretched to "
                     "256 gray levels.")
    # 2. Transparency: composite onto the background that contrasts with the drawing.
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        if alpha.min() < 1.0:
            gray = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
            opaque = alpha > 0.5
            ink = float(gray[opaque].mean()) if opaque.any() else 0.0
            background = "black" if ink > 0.5 else "white"
            base = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if background == "black" else (255, 255, 255, 255))
            img = Image.alpha_composite(base, rgba)
            notes.append(f"The picture has transparent parts; they were filled with {background} "
                         "so that the drawing stays visible.")
    # 3. Grayscale, centre-crop to a square, shrink to 16x16 (box filter = average of the pixels).
    img = img.convert("L")
    if img.width != img.height:
        notes.append(f"The {img.width}x{img.height} picture was cropped to its central square.")
    img = ImageOps.fit(img, (IMAGE_SIZE, IMAGE_SIZE), method=Image.Resampling.BOX)
    a = np.asarray(img, dtype=np.float32) / 127.5 - 1.0  # 0..255 -> -1..1
    return Upload(torch.from_numpy(a).reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE), notes)
