"""How every image source is brought to one shape: a crop, a resize and a number of channels.

The options are ``config.data``'s (``data.Source``): ``crop`` (``""`` none, ``"center"`` the
largest centred square, ``"celeb_a"`` the WAE paper's central 140×140 of CelebA's 218×178 aligned
faces, Tolstikhin et al. 2018, Sec. 4), ``image_size`` (the side of the square the crop is resized
to, bilinear with antialiasing; 0 keeps the size) and ``channels`` (1 grey, 3 RGB; 0 keeps them).
The crop comes first, so a non-square image is resized without distortion only after a square crop.
"""

import tensorflow as tf

CROPS = ("", "center", "celeb_a")
#: The side of the ``celeb_a`` crop (the central 140×140 of a 218×178 face).
CELEBA_CROP = 140


def check(crop, image_size, channels):
    """Raises ``ValueError`` naming the key unless the options are valid."""
    if crop not in CROPS:
        raise ValueError(f"data.crop={crop!r} is not a crop; choose one of {list(CROPS)} ('' for none).")
    if not isinstance(image_size, int) or image_size < 0 or image_size > 4096:
        raise ValueError(f"data.image_size={image_size!r} must be an int in [0, 4096] (0 keeps the source's size).")
    if channels not in (0, 1, 3):
        raise ValueError(f"data.channels={channels!r} must be 1 (grey), 3 (RGB) or 0 (the source's own).")


def crop_size(height, width, crop):
    """The ``(height, width)`` ``crop`` keeps of an image of ``height`` × ``width`` (ints or scalar tensors)."""
    smaller = tf.minimum if isinstance(height, tf.Tensor) else min
    if crop == "center":
        side = smaller(height, width)
        return side, side
    if crop == "celeb_a":
        return smaller(height, CELEBA_CROP), smaller(width, CELEBA_CROP)
    return height, width


def output_shape(shape, crop, image_size, channels):
    """The shape ``transform`` gives images of ``shape`` ``(H, W, C)``."""
    height, width = crop_size(shape[0], shape[1], crop)
    if image_size:
        height = width = image_size
    return (height, width, channels or shape[2])


def transform(images, crop, image_size, channels):
    """Float images ``[..., H, W, C]`` in [0, 1] cropped, resized and given ``channels`` (see the module docstring)."""
    if crop:
        shape = tf.shape(images)
        height, width = shape[-3], shape[-2]
        keep_h, keep_w = crop_size(height, width, crop)
        top, left = (height - keep_h) // 2, (width - keep_w) // 2
        images = images[..., top:top + keep_h, left:left + keep_w, :]
    if image_size:
        images = tf.image.resize(images, (image_size, image_size), method="bilinear", antialias=True)
        images = tf.clip_by_value(images, 0.0, 1.0)
    have = images.shape[-1]
    if channels == 1 and have == 3:
        images = tf.image.rgb_to_grayscale(images)
    elif channels == 3 and have == 1:
        images = tf.image.grayscale_to_rgb(images)
    return images
