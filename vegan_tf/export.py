"""SavedModel export with the serving signatures of the design contract.

    signature        inputs                                   outputs
    decode           z: float32 [batch, latent_dim]           x: float32 [batch, *data_shape] in [0, 1]
    sample           num_samples: int32 [], seed: int32 []    x: as above (stateless: same seed, same x)
    encode           x: float32 [batch, *data_shape]          z: float32 [batch, latent_dim] (mean code)
    reconstruct      x                                        x
    serving_default  as decode                                as decode

``encode``/``reconstruct`` exist only for models with an encoder. The export is
written to ``<export_dir>/<version>/`` (the layout TF Serving watches) through a
temporary sibling directory renamed into place at the end, so a failing export
never leaves a half-written version, and an existing version is never replaced.
"""

from __future__ import annotations

import os
import shutil

import keras
import tensorflow as tf


def _endpoints(model):
    latent = tf.TensorSpec([None, model.latent_dim], tf.float32, name="z")
    data = tf.TensorSpec([None, *model.data_shape], tf.float32, name="x")
    scalar = tf.TensorSpec([], tf.int32)

    def decode(z):
        return {"x": model.decode(z)}

    def sample(num_samples, seed):
        return {"x": model.sample(num_samples, seed)}

    endpoints = [("decode", decode, [latent]),
                 ("sample", sample, [tf.TensorSpec([], tf.int32, name="num_samples"),
                                     tf.TensorSpec([], tf.int32, name="seed")])]
    del scalar
    if model.encoder is not None:
        def encode(x):
            return {"z": model.encode(x)}

        def reconstruct(x):
            return {"x": model.reconstruct(x)}

        endpoints += [("encode", encode, [data]), ("reconstruct", reconstruct, [data])]
    return endpoints


def export(model, export_dir, version=None):
    """Writes ``model`` as a SavedModel to ``<export_dir>/<version>/`` and returns that path.

    Args:
      model: a built ``vegan_tf`` model.
      export_dir: the model's base directory (what TF Serving's ``--model_base_path`` names).
      version: a positive integer; by default one more than the largest version present
        (1 for an empty directory).

    Raises:
      FileExistsError: if ``<export_dir>/<version>`` already exists.
    """
    os.makedirs(export_dir, exist_ok=True)
    if version is None:
        present = [int(d) for d in os.listdir(export_dir) if d.isdigit()]
        version = max(present, default=0) + 1
    version = int(version)
    final = os.path.join(export_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(f"Export version {final} exists already; pass another version or remove it.")
    tmp = os.path.join(export_dir, f".tmp-{version}")
    shutil.rmtree(tmp, ignore_errors=True)

    archive = keras.export.ExportArchive()
    archive.track(model)
    endpoints = _endpoints(model)
    for name, fn, signature in endpoints:
        archive.add_endpoint(name=name, fn=tf.function(fn), input_signature=signature)
    # The first endpoint (decode) is also `serving_default`.
    try:
        archive.write_out(tmp, verbose=False)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
