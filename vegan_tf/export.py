"""SavedModel export with the serving signatures of the design contract, bounded inputs and warm-up records.

    signature        inputs                                   outputs
    decode           z: float32 [batch, latent_dim]           x: float32 [batch, *data_shape] in [0, 1]
    sample           num_samples: int32 [], seed: int32 []    x: as above (stateless: same seed, same x)
    sample_codes     num_samples, seed                        z: float32 [num_samples, latent_dim], the codes
                                                              ``sample`` decodes (the model's latent sampler)
    encode           x: float32 [batch, *data_shape]          z: float32 [batch, latent_dim] (mean code)
    reconstruct      x                                        x
    serving_default  as decode                                as decode

``encode``/``reconstruct`` exist only for models with an encoder.

**Checked inputs.** One request cannot take the server down or get a plausible answer to a
meaningless question. Each signature checks its inputs inside the graph, before the model runs,
and refuses a bad request with ``InvalidArgumentError`` (HTTP 400 / gRPC ``INVALID_ARGUMENT`` in
TF Serving):

* ``sample``, ``sample_codes``: ``num_samples`` must lie in ``[0, max_samples]``; the check runs
  before anything of that size is allocated, so a request for 10⁸ samples costs nothing;
* ``decode``, ``encode``, ``reconstruct``: at most ``max_samples`` rows; no NaN or infinity;
* ``encode``, ``reconstruct`` on images: pixel values in ``[0, 1]`` (what every boundary of the
  package uses; 0–255 values are refused rather than encoded into a meaningless code). 2-D toy
  points have no range.

``max_samples`` is fixed at export (``train.max_samples`` in a training config, default
:data:`DEFAULT_MAX_SAMPLES`) and written to ``assets.extra/vegan_tf_export.json`` with the
data shape and latent size, where :class:`vegan_tf.pretrained.Pretrained` reads it.

**Warm-up records.** Every export writes ``assets.extra/tf_serving_warmup_requests``: a TFRecord
of ``PredictionLog`` protos, one ``PredictRequest`` with small valid inputs per signature, which
TF Serving runs when it loads a version, so the first real request does not pay for graph
initialisation. :func:`replay_warmup` answers them through ``tf.saved_model.load`` and checks the
outputs; :func:`export` does so on the new export before publishing it.

The export is written to ``<export_dir>/<version>/`` (the layout TF Serving watches) through a
temporary sibling directory renamed into place at the end, so a failing export never leaves a
half-written version, and an existing version is never replaced. :func:`check_export` says whether
a version found on disk loads (one left half-written by an interrupted copy does not), and
:func:`move_aside` renames a damaged one out of TF Serving's sight.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import time

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

#: The largest ``num_samples`` (and batch) a signature accepts unless the export says otherwise. The largest
#: layer of the WAE paper's MNIST decoder alone holds 28 x 28 x 256 floats (0.8 MB) per image: 0.8 GB for 1,000.
DEFAULT_MAX_SAMPLES = 1000
#: Where the export's limits and shapes are written, relative to the version directory.
METADATA_FILE = os.path.join("assets.extra", "vegan_tf_export.json")
#: Where TF Serving reads warm-up requests, relative to the version directory.
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
#: Rows of each warm-up request (``num_samples`` of the ``sample`` one).
WARMUP_BATCH = 2

_LIMIT_ADVICE = ("the limit fixed at export (config key train.max_samples, or export.export(..., max_samples=)); "
                 "send fewer rows per request, or re-export with a larger train.max_samples")


def _is_image(model):
    return len(model.data_shape) == 3


def _checked_batch(name, value, what, max_samples, image_range):
    """``value`` behind in-graph checks: at most ``max_samples`` rows, finite, and in [0, 1] if ``image_range``."""
    checks = [tf.debugging.assert_less_equal(
        tf.shape(value)[0], max_samples,
        message=f"{name}: {what} has more than {max_samples} rows, {_LIMIT_ADVICE}")]
    with tf.control_dependencies(checks):
        value = tf.debugging.assert_all_finite(
            value, message=f"{name}: {what} contains NaN or infinite values; send finite float32 values")
    if image_range:  # after the finiteness check, whose message is the clearer one for NaN
        checks = [tf.debugging.assert_greater_equal(
                      value, 0.0, summarize=3,
                      message=f"{name}: {what} has values below 0; images are float32 in [0, 1] (divide 8-bit "
                              f"pixels by 255)"),
                  tf.debugging.assert_less_equal(
                      value, 1.0, summarize=3,
                      message=f"{name}: {what} has values above 1; images are float32 in [0, 1] (divide 8-bit "
                              f"pixels by 255)")]
        with tf.control_dependencies(checks):
            value = tf.identity(value)
    return value


def _endpoints(model, max_samples):
    latent = tf.TensorSpec([None, model.latent_dim], tf.float32, name="z")
    data = tf.TensorSpec([None, *model.data_shape], tf.float32, name="x")

    def decode(z):
        return {"x": model.decode(_checked_batch("decode", z, "z", max_samples, image_range=False))}

    def bounded(name, num_samples):
        checks = [tf.debugging.assert_non_negative(
                      num_samples, message=f"{name}: num_samples must be at least 0"),
                  tf.debugging.assert_less_equal(
                      num_samples, max_samples,
                      message=f"{name}: num_samples must be at most {max_samples}, {_LIMIT_ADVICE}")]
        with tf.control_dependencies(checks):  # nothing sized by num_samples runs before the checks pass
            return tf.identity(num_samples)

    def sample(num_samples, seed):
        return {"x": model.sample(bounded("sample", num_samples), seed)}

    def sample_codes(num_samples, seed):
        return {"z": model.sample_codes(bounded("sample_codes", num_samples), seed)}

    draw = [tf.TensorSpec([], tf.int32, name="num_samples"), tf.TensorSpec([], tf.int32, name="seed")]
    endpoints = [("decode", decode, [latent]), ("sample", sample, draw), ("sample_codes", sample_codes, draw)]
    if model.encoder is not None:
        def encode(x):
            return {"z": model.encode(_checked_batch("encode", x, "x", max_samples, _is_image(model)))}

        def reconstruct(x):
            return {"x": model.reconstruct(_checked_batch("reconstruct", x, "x", max_samples, _is_image(model)))}

        endpoints += [("encode", encode, [data]), ("reconstruct", reconstruct, [data])]
    return endpoints


def warmup_inputs(signature, latent_dim, data_shape):
    """The inputs (name → numpy array) of the warm-up request of ``signature``: small and valid.

    ``decode``/``serving_default``: zero codes; ``sample``: ``num_samples`` = :data:`WARMUP_BATCH`,
    ``seed`` = 0; ``encode``/``reconstruct``: mid-grey images (points at the origin for 2-D data).
    """
    if signature in ("decode", "serving_default"):
        return {"z": np.zeros([WARMUP_BATCH, latent_dim], np.float32)}
    if signature in ("sample", "sample_codes"):
        return {"num_samples": np.int32(WARMUP_BATCH), "seed": np.int32(0)}
    if signature in ("encode", "reconstruct"):
        fill = 0.5 if len(data_shape) == 3 else 0.0
        return {"x": np.full([WARMUP_BATCH, *data_shape], fill, np.float32)}
    raise ValueError(f"No warm-up inputs for signature {signature!r}; the signatures are decode, sample, "
                     f"sample_codes, encode, reconstruct and serving_default.")


def predict_request(signature, inputs, model_name=""):
    """A TF Serving ``PredictRequest`` for ``signature`` with ``inputs`` (name → array-like)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = signature
    if model_name:
        request.model_spec.name = model_name
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return request


def write_warmup(path, signatures, latent_dim, data_shape):
    """Writes ``<path>/assets.extra/tf_serving_warmup_requests``: one ``PredictionLog`` per name in ``signatures``."""
    target = os.path.join(path, WARMUP_FILE)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with tf.io.TFRecordWriter(target) as writer:
        for signature in signatures:
            log = prediction_log_pb2.PredictionLog()
            log.predict_log.request.CopyFrom(
                predict_request(signature, warmup_inputs(signature, latent_dim, data_shape)))
            writer.write(log.SerializeToString())
    return target


def read_warmup(path):
    """The ``PredictRequest``s of the warm-up records of the export at ``path``, in file order.

    Raises:
      FileNotFoundError: if the export has no warm-up records (exports made before vegan_tf 0.3).
    """
    target = os.path.join(path, WARMUP_FILE)
    if not os.path.isfile(target):
        raise FileNotFoundError(f"{path} has no warm-up records ({WARMUP_FILE}); it predates them: export the "
                                f"model again with vegan_tf.export.export.")
    requests = []
    for record in tf.data.TFRecordDataset(target).as_numpy_iterator():
        log = prediction_log_pb2.PredictionLog.FromString(record)
        if log.WhichOneof("log_type") != "predict_log":
            raise ValueError(f"{target} holds a {log.WhichOneof('log_type')} record; vegan_tf writes predict_log "
                             f"records only.")
        requests.append(log.predict_log.request)
    return requests


def _expected_rows(signature, inputs):
    if signature in ("sample", "sample_codes"):
        return int(inputs["num_samples"])
    return int(next(iter(inputs.values())).shape[0])


def replay_warmup(path, loaded=None):
    """Answers the export's warm-up requests through ``tf.saved_model.load(path)`` and checks the answers.

    Each request goes to the signature it names (``serving_default`` if none), as TF Serving would
    send it. Every output must be finite, have one row per requested sample or input row, and be
    in [0, 1] if it is an image batch.

    Args:
      path: an export's version directory.
      loaded: the already loaded SavedModel of ``path`` (loaded here if not given).

    Returns:
      A list of ``(signature_name, {output_name: numpy array})``, one per record.

    Raises:
      FileNotFoundError: if the export has no warm-up records.
      ValueError: if a record names a signature the export lacks, or an answer breaks the contract.
    """
    requests = read_warmup(path)
    loaded = tf.saved_model.load(str(path)) if loaded is None else loaded
    answers = []
    for request in requests:
        signature = request.model_spec.signature_name or "serving_default"
        if signature not in loaded.signatures:
            raise ValueError(f"A warm-up record of {path} asks for signature {signature!r}; the export has "
                             f"{sorted(loaded.signatures)}.")
        inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        outputs = {name: value.numpy() for name, value in loaded.signatures[signature](
            **{name: tf.constant(value) for name, value in inputs.items()}).items()}
        rows = _expected_rows(signature, inputs)
        for name, value in outputs.items():
            where = f"Warm-up request {signature!r} of {path}: output {name!r}"
            if value.shape[:1] != (rows,):
                raise ValueError(f"{where} has shape {list(value.shape)}, expected {rows} rows.")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{where} holds NaN or infinite values.")
            if value.ndim == 4 and (value.min() < 0.0 or value.max() > 1.0):
                raise ValueError(f"{where} leaves [0, 1]: range [{value.min()}, {value.max()}].")
        answers.append((signature, outputs))
    return answers


def read_metadata(path):
    """The dict of ``assets.extra/vegan_tf_export.json`` of the export at ``path`` (``{}`` for older exports).

    Keys: ``max_samples``, ``latent_dim``, ``data_shape``, ``image_range`` (``[0, 1]`` or ``None``),
    ``signatures``, ``step`` (the model's training step), ``sampler`` (the latent sampler's kind and
    settings), ``sampler_fit`` (what it was fitted to, when the binary exported it: the codes, their
    number and the seed), ``vegan_tf_version``.
    """
    target = os.path.join(path, METADATA_FILE)
    if not os.path.isfile(target):
        return {}
    with open(target) as f:
        return json.load(f)


class ExportError(ValueError):
    """An export version directory that does not load; the message names it and what is missing or broken."""


def _missing_files(path):
    """The files of a SavedModel (``saved_model.pb``, the variables' index and every data shard) that ``path`` lacks."""
    shards = glob.glob(os.path.join(path, "variables", "variables.data-*-of-*"))
    count = int(shards[0].rsplit("-of-", 1)[1]) if shards else 1
    needed = ["saved_model.pb", os.path.join("variables", "variables.index"),
              *(os.path.join("variables", f"variables.data-{i:05d}-of-{count:05d}") for i in range(count))]
    return [name for name in needed if not os.path.isfile(os.path.join(path, name))]


def check_export(path, warmup=True):
    """Checks that the export version directory ``path`` loads; returns the loaded SavedModel.

    The SavedModel's files must all be there, ``tf.saved_model.load`` must read them, and the
    export's own warm-up records must be answered (:func:`replay_warmup`). Reads only.

    Args:
      path: an export's version directory (``<export_dir>/<version>``).
      warmup: whether the warm-up records must be there (every export of this version writes them);
        ``False`` accepts an export made before vegan_tf wrote them, and replays them if present.

    Raises:
      ExportError: naming ``path`` and what is missing or broken.
    """
    path = str(path)
    if not os.path.isdir(path):
        raise ExportError(f"Export {path} does not load: it is not a directory.")
    missing = _missing_files(path)
    if warmup and not os.path.isfile(os.path.join(path, WARMUP_FILE)):
        missing.append(WARMUP_FILE)
    if missing:
        raise ExportError(f"Export {path} does not load: {', '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} missing.")
    stage = f"reading {METADATA_FILE}"
    try:
        read_metadata(path)
        stage = "tf.saved_model.load"
        loaded = tf.saved_model.load(path)
        stage = f"answering its warm-up records ({WARMUP_FILE})"
        if os.path.isfile(os.path.join(path, WARMUP_FILE)):
            replay_warmup(path, loaded)
    except Exception as error:  # noqa: BLE001 - whatever breaks, the export does not load
        reason = (str(error).strip() or "no message").splitlines()[0].rstrip(".") + "."
        raise ExportError(f"Export {path} does not load: {stage} fails with {type(error).__name__}: {reason}") \
            from error
    return loaded


def move_aside(path):
    """Renames the export version ``path`` to ``<path>.damaged-<unix time>`` and returns the new path.

    TF Serving serves integer versions only, so the damaged one is no longer served, and the
    version number is free for a fresh export; the files are kept for a look.
    """
    target = f"{os.path.normpath(str(path))}.damaged-{int(time.time())}"
    os.rename(path, target)
    return target


def sampler_settings(sampler):
    """The kind and settings of a latent sampler, as an export's metadata records them."""
    return {"kind": sampler.kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in sampler.settings().items()}}


def made_by(path, step, sampler, sampler_fit):
    """Whether the export at ``path`` (a version directory) is of model step ``step`` with the latent sampler of
    settings ``sampler`` (``sampler_settings``) fitted to ``sampler_fit``. An export without metadata counts as
    its version's step and the prior."""
    metadata = read_metadata(path)
    made = (metadata.get("step", int(os.path.basename(os.path.normpath(path)))),
            metadata.get("sampler", {"kind": "prior"}), metadata.get("sampler_fit"))
    return made == (step, sampler, sampler_fit)


def export(model, export_dir, version=None, max_samples=DEFAULT_MAX_SAMPLES, sampler_fit=None):
    """Writes ``model`` as a SavedModel to ``<export_dir>/<version>/`` and returns that path.

    The export holds the signatures above with their input checks, the metadata file and the
    warm-up records; the warm-up records are replayed on the finished export before it is
    renamed into place.

    Args:
      model: a built ``vegan_tf`` model.
      export_dir: the model's base directory (what TF Serving's ``--model_base_path`` names).
      version: a positive integer; by default one more than the largest version present
        (1 for an empty directory).
      max_samples: the largest ``num_samples`` of ``sample`` and the largest batch of the other
        signatures (a positive integer).
      sampler_fit: what the latent sampler was fitted to (a JSON-able dict), recorded in the metadata.

    Raises:
      FileExistsError: if ``<export_dir>/<version>`` already exists.
      ValueError: if ``max_samples`` is not a positive integer, or the model's latent sampler is not fitted.
    """
    from vegan_tf import __version__

    if isinstance(max_samples, bool) or int(max_samples) != max_samples or max_samples < 1:
        raise ValueError(f"max_samples must be a positive integer (config key train.max_samples), got {max_samples!r}.")
    max_samples = int(max_samples)
    if not model.sampler.fitted:
        raise ValueError(f"The model's {model.sampler.kind!r} latent sampler is not fitted, so its `sample` signature "
                         f"could not answer: fit it first (model.fit_sampler(dataset)).")
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

    # A tf.Module holding the traced signatures and exactly the variables they read, each once:
    # keras.export.ExportArchive.track(model) would store every variable twice (the Keras wrapper
    # and the tf.Variable the functions capture; keras-team/keras#23553) and the critics' too.
    module = tf.Module()
    functions = {}
    for name, fn, signature in _endpoints(model, max_samples):
        function = tf.function(fn, input_signature=signature)
        setattr(module, name, function)
        functions[name] = function.get_concrete_function()
    module.captured_variables = list({id(v): v for f in functions.values() for v in f.variables}.values())
    functions["serving_default"] = functions["decode"]  # the first endpoint is also `serving_default`
    signatures = list(functions)
    try:
        tf.saved_model.save(module, tmp, signatures=functions)
        write_warmup(tmp, signatures, model.latent_dim, model.data_shape)
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump({"max_samples": max_samples, "latent_dim": int(model.latent_dim),
                       "data_shape": [int(d) for d in model.data_shape],
                       "image_range": [0.0, 1.0] if _is_image(model) else None,
                       "signatures": sorted(signatures), "step": int(model.step.numpy()),
                       "sampler": sampler_settings(model.sampler),
                       **({"sampler_fit": sampler_fit} if sampler_fit else {}),
                       "vegan_tf_version": __version__}, f, indent=2)
        replay_warmup(tmp)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
