"""The SavedModel as a server sees it: saved_model_cli, PredictRequest protos, versions, bounded inputs, warm-up."""

import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from conftest import REPO
from vegan_tf import config as config_lib, export, workdir
from zoo import tiny_model

LIMIT = 50  # the fixture's max_samples


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = tiny_model("wae_mmd")
    path = export.export(model, str(tmp_path_factory.mktemp("export")), max_samples=LIMIT)
    return model, path


@pytest.fixture(scope="module")
def loaded(exported):
    return tf.saved_model.load(exported[1])


def serve(loaded, request):
    """Answers a PredictRequest the way TF Serving does: named inputs in, named outputs out."""
    signature = loaded.signatures[request.model_spec.signature_name or "serving_default"]
    inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
    response = predict_pb2.PredictResponse()
    response.model_spec.CopyFrom(request.model_spec)
    for name, value in signature(**inputs).items():
        response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
    return response


def test_predict_requests_for_every_signature(exported):
    model, path = exported
    loaded = tf.saved_model.load(path)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "wae"
    request.model_spec.signature_name = "sample"
    request.inputs["num_samples"].CopyFrom(tf.make_tensor_proto(3, dtype=tf.int32))
    request.inputs["seed"].CopyFrom(tf.make_tensor_proto(11, dtype=tf.int32))
    images = tf.make_ndarray(serve(loaded, request).outputs["x"])
    assert images.shape == (3, 8, 8, 1) and images.dtype == np.float32
    np.testing.assert_allclose(images, model.sample(3, 11), atol=1e-5)

    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = "encode"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(images))
    codes = tf.make_ndarray(serve(loaded, request).outputs["z"])
    np.testing.assert_allclose(codes, model.encode(images), atol=1e-5)

    request = predict_pb2.PredictRequest()  # no signature name: serving_default = decode
    request.inputs["z"].CopyFrom(tf.make_tensor_proto(codes))
    np.testing.assert_allclose(tf.make_ndarray(serve(loaded, request).outputs["x"]), model.decode(codes), atol=1e-5)


def test_saved_model_cli_lists_the_signatures(exported):
    cli = shutil.which("saved_model_cli", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "saved_model_cli")
    if cli is None:
        pytest.skip("saved_model_cli is not on PATH")
    out = subprocess.run([cli, "show", "--dir", exported[1], "--all"], capture_output=True, text=True,
                         timeout=120).stdout
    for name in ("decode", "sample", "sample_codes", "encode", "reconstruct", "serving_default"):
        assert f"signature_def['{name}']" in out
    assert "inputs['num_samples'] tensor_info:\n        dtype: DT_INT32" in out


def test_versions_are_never_overwritten(exported, tmp_path):
    model, _ = exported
    first = export.export(model, str(tmp_path))
    second = export.export(model, str(tmp_path))
    assert (first.endswith("/1"), second.endswith("/2")) == (True, True)
    with pytest.raises(FileExistsError, match="exists already"):
        export.export(model, str(tmp_path), version=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1", "2"]  # no temporary directory left


def test_sample_refuses_num_samples_above_the_limit_before_allocating(loaded):
    sample = loaded.signatures["sample"]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux: the peak so far
    for n in (LIMIT + 1, 10**8, 2**31 - 1):  # 10**8 samples of 8 x 8 would need 25 GB
        with pytest.raises(tf.errors.InvalidArgumentError, match=rf"num_samples must be at most {LIMIT}, the limit "
                                                                 r"fixed at export \(config key train.max_samples"):
            sample(num_samples=tf.constant(n), seed=tf.constant(0))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_samples must be at least 0"):
        sample(num_samples=tf.constant(-1), seed=tf.constant(0))
    assert sample(num_samples=tf.constant(LIMIT), seed=tf.constant(0))["x"].shape[0] == LIMIT
    assert sample(num_samples=tf.constant(0), seed=tf.constant(0))["x"].shape[0] == 0


@pytest.mark.parametrize("signature, name", [("decode", "z"), ("serving_default", "z"), ("encode", "x"),
                                             ("reconstruct", "x")])
def test_signatures_refuse_non_finite_inputs_and_too_many_rows(exported, loaded, signature, name):
    model, _ = exported
    shape = [3, model.latent_dim] if name == "z" else [3, *model.data_shape]
    fn = loaded.signatures[signature]
    for bad, what in ((np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")):
        value = np.full(shape, 0.5, np.float32)
        value[1, 0] = bad
        with pytest.raises(tf.errors.InvalidArgumentError, match=f"{name} contains NaN or infinite values.*{what}"):
            fn(**{name: tf.constant(value)})
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"{name} has more than {LIMIT} rows"):
        fn(**{name: tf.fill([LIMIT + 1, *shape[1:]], 0.5)})
    assert fn(**{name: tf.fill([LIMIT, *shape[1:]], 0.5)})


def test_image_inputs_must_lie_in_the_unit_interval(loaded):
    for signature in ("encode", "reconstruct"):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"x has values above 1.*divide 8-bit pixels by 255"):
            loaded.signatures[signature](x=tf.fill([2, 8, 8, 1], 255.0))
        with pytest.raises(tf.errors.InvalidArgumentError, match="x has values below 0"):
            loaded.signatures[signature](x=tf.fill([2, 8, 8, 1], -0.01))
        assert loaded.signatures[signature](x=tf.constant([np.zeros([8, 8, 1]), np.ones([8, 8, 1])], tf.float32))


def test_points_have_no_range_but_must_be_finite(tmp_path):
    config = config_lib.from_file(REPO / "configs" / "wae_mmd_eight_gaussians.py")
    config.model.hidden = (16,)
    model = workdir.build_model(config)
    loaded = tf.saved_model.load(export.export(model, str(tmp_path)))
    codes = loaded.signatures["encode"](x=tf.constant([[-3.0, 5.0], [0.0, 0.0]]))["z"]
    assert codes.shape == (2, model.latent_dim)
    with pytest.raises(tf.errors.InvalidArgumentError, match="x contains NaN"):
        loaded.signatures["encode"](x=tf.constant([[np.nan, 0.0]], tf.float32))
    assert export.read_metadata(str(tmp_path / "1"))["image_range"] is None


def test_the_limit_is_written_into_the_export(exported):
    model, path = exported
    metadata = export.read_metadata(path)
    assert metadata["max_samples"] == LIMIT
    assert (metadata["latent_dim"], tuple(metadata["data_shape"])) == (model.latent_dim, model.data_shape)
    assert metadata["image_range"] == [0.0, 1.0]
    assert metadata["signatures"] == ["decode", "encode", "reconstruct", "sample", "sample_codes", "serving_default"]
    assert metadata["sampler"] == {"kind": "prior"}
    assert json.loads((pathlib.Path(path) / "assets.extra" / "vegan_tf_export.json").read_text()) == metadata
    with pytest.raises(ValueError, match="max_samples must be a positive integer"):
        export.export(model, path + "-other", max_samples=0)


def test_warmup_records_one_request_per_signature(exported, loaded):
    model, path = exported
    records = list(tf.data.TFRecordDataset(str(pathlib.Path(path) / "assets.extra" / "tf_serving_warmup_requests")))
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in records]
    requests = [log.predict_log.request for log in logs]
    assert [r.model_spec.signature_name for r in requests] == ["decode", "sample", "sample_codes", "encode",
                                                                "reconstruct", "serving_default"]
    assert requests == export.read_warmup(path)
    answers = dict(export.replay_warmup(path, loaded))
    assert set(answers) == set(loaded.signatures)
    z = np.zeros([export.WARMUP_BATCH, model.latent_dim], np.float32)
    np.testing.assert_allclose(answers["decode"]["x"], model.decode(z), atol=1e-5)
    np.testing.assert_allclose(answers["sample"]["x"], model.sample(export.WARMUP_BATCH, 0), atol=1e-5)
    np.testing.assert_allclose(answers["sample_codes"]["z"], model.sample_codes(export.WARMUP_BATCH, 0), atol=1e-6)
    assert answers["encode"]["z"].shape == (export.WARMUP_BATCH, model.latent_dim)
    # The records answer exactly as TF Serving would answer the same PredictRequests.
    for request in requests:
        served = serve(loaded, request)
        for name, proto in served.outputs.items():
            np.testing.assert_array_equal(tf.make_ndarray(proto),
                                          answers[request.model_spec.signature_name or "serving_default"][name])


def test_replay_refuses_records_the_export_cannot_answer(exported, tmp_path):
    _, path = exported
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    log = prediction_log_pb2.PredictionLog()
    log.predict_log.request.CopyFrom(export.predict_request("classify", {"z": np.zeros([1, 2], np.float32)}))
    with tf.io.TFRecordWriter(str(copy / export.WARMUP_FILE)) as writer:
        writer.write(log.SerializeToString())
    with pytest.raises(ValueError, match="asks for signature 'classify'"):
        export.replay_warmup(str(copy))
    (copy / export.WARMUP_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="has no warm-up records"):
        export.replay_warmup(str(copy))


def test_check_export_names_what_is_broken_and_move_aside_hides_the_version(exported, tmp_path):
    from vegan_tf import pretrained

    _, path = exported
    assert "sample" in export.check_export(path).signatures
    copy = tmp_path / "1"
    shutil.copytree(path, copy)
    shard = copy / "variables" / "variables.data-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(export.ExportError, match=rf"Export {copy} does not load: tf.saved_model.load fails with "):
        export.check_export(copy)
    shard.unlink()
    with pytest.raises(export.ExportError, match=r"variables/variables.data-00000-of-00001 is missing\.$"):
        export.check_export(copy)
    moved = export.move_aside(copy)
    assert moved.startswith(f"{copy}.damaged-") and os.path.isdir(moved) and not copy.exists()
    assert pretrained.versions(tmp_path) == []  # TF Serving and the loaders see integer versions only


def test_an_export_whose_warmup_fails_is_not_published(exported, tmp_path, monkeypatch):
    model, _ = exported

    def broken(path, loaded=None):
        raise ValueError("warm-up failed")

    monkeypatch.setattr(export, "replay_warmup", broken)
    with pytest.raises(ValueError, match="warm-up failed"):
        export.export(model, str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # neither a version nor the temporary directory


def test_export_stores_each_variable_it_reads_once_and_nothing_else(tmp_path):
    """The signatures' variables (encoder and decoder), each once: not the discriminator's, not twice."""
    from zoo import tiny_model

    model = tiny_model("wae_gan")
    path = export.export(model, str(tmp_path))
    reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    stored = sum(int(np.prod(shape)) for key, shape in reader.get_variable_to_shape_map().items()
                 if key.endswith("VARIABLE_VALUE"))
    needed = sum(int(np.prod(v.shape)) for net in (model.encoder, model.decoder) for v in net.weights)
    assert stored == needed
