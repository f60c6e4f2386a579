"""Image grids and point-cloud pictures, as uint8 arrays and PNG files."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def image_grid(images, columns=None, pad=1, upscale=None):
    """Tiles ``[n, H, W, C]`` images in [0, 1] into one ``[rows·H', cols·W', 3]`` uint8 picture.

    Small images (e.g. 8×8 digits) are upscaled by an integer factor so the grid is
    at least ~256 pixels wide.
    """
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    n, h, w, c = images.shape
    if c == 1:
        images = np.repeat(images, 3, axis=-1)
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    if upscale is None:
        upscale = max(1, 256 // (columns * w))
    if upscale > 1:
        images = images.repeat(upscale, axis=1).repeat(upscale, axis=2)
        h, w = h * upscale, w * upscale
    grid = np.ones((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), np.float32)
    for i, img in enumerate(images):
        r, col = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top:top + h, left:left + w] = img
    return (grid * 255).round().astype(np.uint8)


def points_image(points, reference=None, size=256, extent=None):
    """Draws 2-D ``points`` (orange) over optional ``reference`` points (grey) as a uint8 picture."""
    points = np.asarray(points, np.float32)
    clouds = [points] if reference is None else [np.asarray(reference, np.float32), points]
    if extent is None:
        extent = float(np.percentile(np.abs(np.concatenate(clouds)), 99.5)) * 1.1 + 1e-6
    canvas = np.full((size, size, 3), 255, np.uint8)
    colours = [(255, 127, 14)] if reference is None else [(170, 170, 170), (255, 127, 14)]
    for cloud, colour in zip(clouds, colours):
        ij = ((cloud / extent + 1.0) / 2.0 * (size - 1)).round().astype(int)
        keep = np.all((ij >= 0) & (ij < size), axis=1)
        ij = ij[keep]
        canvas[size - 1 - ij[:, 1], ij[:, 0]] = colour
    return canvas


def picture(batch, reference=None):
    """A grid for images, a scatter picture for 2-D points."""
    batch = np.asarray(batch)
    if batch.ndim == 2:
        return points_image(batch, reference)
    return image_grid(batch)


def save_png(array, path):
    Image.fromarray(np.asarray(array, np.uint8)).save(path)
    return path
