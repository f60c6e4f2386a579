"""The SavedModel as a server sees it: saved_model_cli, PredictRequest protos, versions."""

import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from vegan_tf import export
from zoo import tiny_model


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = tiny_model("wae_mmd")
    path = export.export(model, str(tmp_path_factory.mktemp("export")))
    return model, path


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
    for name in ("decode", "sample", "encode", "reconstruct", "serving_default"):
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
