"""Serving the zoo as TF Serving does, without a TF Serving binary (none installs here).

The clients in examples/ talk to stand-in servers that answer through ``tf.saved_model.load``
the way TF Serving's REST and gRPC front ends do (named inputs in, named outputs out, a refused
request as HTTP 400 / INVALID_ARGUMENT); saved_models/models.config is checked against the zoo;
and every shipped entry is held to the signature contract and replays its warm-up records.
"""

import http.server
import json
import pathlib
import sys
import threading
from concurrent import futures

import grpc
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format
from PIL import Image
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
from tensorflow_serving.config import model_server_config_pb2

from conftest import REPO
from vegan_tf import export, pretrained
from zoo import tiny_model

sys.path.insert(0, str(REPO / "examples"))
import grpc_client  # noqa: E402
import rest_client  # noqa: E402

SAVED_MODELS = REPO / "saved_models"
ZOO = list(pretrained.available(SAVED_MODELS))
LIMIT = 30


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A tiny WAE-MMD exported as model ``tiny``: (model, export path, loaded SavedModel)."""
    model = tiny_model("wae_mmd")
    path = export.export(model, str(tmp_path_factory.mktemp("models") / "tiny"), max_samples=LIMIT)
    return model, path, tf.saved_model.load(path)


# ------------------------------------------------------------------ REST
def answer_rest(loaded, body):
    """TF Serving's answer to a columnar REST predict body: (HTTP status, JSON answer)."""
    signature = loaded.signatures[body.get("signature_name") or "serving_default"]
    specs = signature.structured_input_signature[1]
    inputs = {name: tf.constant(value, specs[name].dtype) for name, value in body["inputs"].items()}
    try:
        outputs = signature(**inputs)
    except tf.errors.InvalidArgumentError as error:
        return 400, {"error": error.message}
    outputs = {name: value.numpy().tolist() for name, value in outputs.items()}
    return 200, {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}


@pytest.fixture(scope="module")
def rest_server(served):
    """http://localhost:<port>/v1/models/tiny:predict, answered by the SavedModel."""
    loaded = served[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            if self.path != "/v1/models/tiny:predict":
                status, answer = 404, {"error": f"Servable not found for request: {self.path}"}
            else:
                status, answer = answer_rest(loaded, json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("localhost", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rest_client_body_is_what_the_signatures_take(served):
    model, _, loaded = served
    body = json.loads(json.dumps(rest_client.predict_body("sample", rest_client.sample_inputs(4, 9))))
    assert body == {"signature_name": "sample", "inputs": {"num_samples": 4, "seed": 9}}
    status, answer = answer_rest(loaded, body)
    x = np.array(rest_client.parse_response("sample", answer)["x"], np.float32)
    np.testing.assert_allclose(x, model.sample(4, 9), atol=1e-5)
    inputs = rest_client.decode_inputs(3, model.latent_dim, seed=1)
    assert rest_client.shape(inputs["z"]) == [3, model.latent_dim]
    status, answer = answer_rest(loaded, json.loads(json.dumps(rest_client.predict_body("decode", inputs))))
    np.testing.assert_allclose(rest_client.parse_response("decode", answer)["x"],
                               model.decode(np.array(inputs["z"], np.float32)), atol=1e-5)
    assert rest_client.parse_response("encode", {"outputs": [[0.0]]}) == {"z": [[0.0]]}
    assert rest_client.parse_response("x", {"outputs": {"a": 1, "b": 2}}) == {"a": 1, "b": 2}


def test_rest_client_against_a_stand_in_server(served, rest_server, tmp_path):
    model = served[0]
    x = rest_client.predict("tiny", "sample", rest_client.sample_inputs(5, 2), host=rest_server)["x"]
    np.testing.assert_allclose(x, model.sample(5, 2), atol=1e-5)
    png = rest_client.save_grid(x, str(tmp_path / "grid.png"), columns=5)
    with Image.open(png) as image:
        assert image.size == (5 * 8, 8) and image.mode == "L"
        np.testing.assert_allclose(np.asarray(image)[:, :8] / 255.0, np.asarray(x[0])[..., 0], atol=0.5 / 255 + 1e-6)
    with pytest.raises(RuntimeError, match=rf"(?s)HTTP 400: .*num_samples must be at most {LIMIT}"):
        rest_client.predict("tiny", "sample", rest_client.sample_inputs(LIMIT + 1, 0), host=rest_server)
    with pytest.raises(RuntimeError, match="(?s)HTTP 400: .*z contains NaN"):
        rest_client.predict("tiny", "decode", {"z": [[float("nan")] * model.latent_dim]}, host=rest_server)
    with pytest.raises(RuntimeError, match="HTTP 404"):
        rest_client.predict("other", "sample", rest_client.sample_inputs(1, 0), host=rest_server)
    rest_client.main(["--host", rest_server, "--model", "tiny", "--num_samples", "4",
                      "--output", str(tmp_path / "main.png")])
    assert (tmp_path / "main.png").is_file()


def test_rest_client_says_when_no_server_answers():
    with pytest.raises(ConnectionError, match="No TF Serving answers at http://localhost:1/"):
        rest_client.predict("tiny", "sample", rest_client.sample_inputs(1, 0), host="localhost:1", timeout=5)


# ------------------------------------------------------------------ gRPC
class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """TF Serving's Predict over gRPC, answered by one SavedModel."""

    def __init__(self, name, loaded):
        self.name, self.loaded = name, loaded

    def Predict(self, request, context):  # noqa: N802 - the generated name
        if request.model_spec.name != self.name:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {request.model_spec.name}")
        signature = self.loaded.signatures[request.model_spec.signature_name or "serving_default"]
        inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
        try:
            outputs = signature(**inputs)
        except tf.errors.InvalidArgumentError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, error.message)
        response = predict_pb2.PredictResponse()
        response.model_spec.CopyFrom(request.model_spec)
        for name, value in outputs.items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


@pytest.fixture(scope="module")
def grpc_server(served):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService("tiny", served[2]), server)
    port = server.add_insecure_port("localhost:0")
    server.start()
    yield f"localhost:{port}"
    server.stop(grace=None)


def test_grpc_client_requests_are_the_warmup_records(served):
    model, path, _ = served
    records = {r.model_spec.signature_name: r for r in export.read_warmup(path)}
    for signature, inputs in (("sample", grpc_client.sample_inputs(export.WARMUP_BATCH, 0)),
                              ("decode", grpc_client.decode_inputs(np.zeros([export.WARMUP_BATCH, model.latent_dim]))),
                              ("encode", grpc_client.image_inputs(np.full([export.WARMUP_BATCH, 8, 8, 1], 0.5)))):
        request = grpc_client.build_request("tiny", signature, inputs)
        assert request.model_spec.name == "tiny"
        request.model_spec.ClearField("name")  # warm-up records name no model: TF Serving runs them on the one loading
        assert request == records[signature], signature


def test_grpc_client_against_a_stand_in_server(served, grpc_server, capsys):
    model = served[0]
    x = grpc_client.predict(grpc_server, grpc_client.build_request("tiny", "sample", grpc_client.sample_inputs(3, 4)))
    np.testing.assert_allclose(x["x"], model.sample(3, 4), atol=1e-5)
    request = grpc_client.build_request("tiny", "encode", grpc_client.image_inputs(x["x"]))
    codes = grpc_client.predict(grpc_server, request)
    np.testing.assert_allclose(codes["z"], model.encode(x["x"]), atol=1e-5)
    with pytest.raises(RuntimeError, match=rf"(?s)INVALID_ARGUMENT.*num_samples must be at most {LIMIT}"):
        grpc_client.predict(grpc_server, grpc_client.build_request("tiny", "sample",
                                                                   grpc_client.sample_inputs(10**8, 0)))
    with pytest.raises(RuntimeError, match=r"(?s)INVALID_ARGUMENT.*x has values above 1"):
        grpc_client.predict(grpc_server, grpc_client.build_request("tiny", "reconstruct",
                                                                   grpc_client.image_inputs(255 * x["x"] + 1)))
    grpc_client.main(["--target", grpc_server, "--model", "tiny", "--num_samples", "2", "--signature", "reconstruct"])
    assert "tiny reconstruct: mean squared difference" in capsys.readouterr().out


# ------------------------------------------------------------------ models.config
def test_models_config_serves_every_entry_of_the_zoo():
    committed = (SAVED_MODELS / pretrained.SERVING_CONFIG).read_text()
    assert committed == pretrained.serving_config(SAVED_MODELS), (
        "saved_models/models.config is out of step with saved_models/: run "
        "python -c \"from vegan_tf import pretrained; pretrained.write_serving_config('saved_models')\"")
    config = text_format.Parse(committed, model_server_config_pb2.ModelServerConfig())
    entries = config.model_config_list.config
    assert [e.name for e in entries] == [p.name for p in sorted(SAVED_MODELS.iterdir())
                                         if p.is_dir() and pretrained.versions(p)]
    for entry in entries:
        assert entry.base_path == f"/models/{entry.name}" and entry.model_platform == "tensorflow"
        assert (SAVED_MODELS / entry.name).is_dir()


def test_serving_config_lists_generator_entries_only(tmp_path):
    for name in ("b_model", "a_model"):
        (tmp_path / name / "3").mkdir(parents=True)
    (tmp_path / "feature_nets" / "mnist").mkdir(parents=True)
    (tmp_path / "notes").mkdir()
    text = pretrained.serving_config(tmp_path, base_path_prefix="/srv/zoo/")
    config = text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    assert [(e.name, e.base_path) for e in config.model_config_list.config] == [
        ("a_model", "/srv/zoo/a_model"), ("b_model", "/srv/zoo/b_model")]
    assert pretrained.write_serving_config(tmp_path).read_text() == pretrained.serving_config(tmp_path)


# ------------------------------------------------------------------ the shipped zoo
@pytest.fixture(scope="module", params=ZOO)
def shipped(request):
    return pretrained.load(request.param, root=SAVED_MODELS)


def check_contract(shipped):
    signatures = set(shipped.signatures)
    assert {"decode", "sample", "serving_default"} <= signatures
    # sample_codes since vegan_tf 0.3; encode and reconstruct for models with an encoder
    assert signatures - {"decode", "sample", "serving_default", "sample_codes"} in (set(), {"encode", "reconstruct"})
    raw = shipped.signatures
    x = raw["decode"](z=tf.zeros([3, shipped.latent_dim]))["x"]
    assert x.dtype == tf.float32 and tuple(x.shape) == (3, *shipped.data_shape)
    images = len(shipped.data_shape) == 3
    if images:
        assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    np.testing.assert_array_equal(raw["serving_default"](z=tf.zeros([3, shipped.latent_dim]))["x"], x)
    a, b, c = (raw["sample"](num_samples=tf.constant(4), seed=tf.constant(s))["x"].numpy() for s in (5, 5, 6))
    assert a.dtype == np.float32 and a.shape == (4, *shipped.data_shape)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    if "sample_codes" in signatures:  # the codes `sample` decodes
        z = raw["sample_codes"](num_samples=tf.constant(4), seed=tf.constant(5))["z"]
        np.testing.assert_allclose(raw["decode"](z=z)["x"], a, atol=1e-5)
    if "encode" in signatures:
        codes = raw["encode"](x=tf.constant(a))["z"]
        assert codes.dtype == tf.float32 and tuple(codes.shape) == (4, shipped.latent_dim)
        assert tuple(raw["reconstruct"](x=tf.constant(a))["x"].shape) == a.shape


def check_bounds(shipped):
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"at most {shipped.max_samples}.*train.max_samples"):
        shipped.signatures["sample"](num_samples=tf.constant(10**8), seed=tf.constant(0))
    with pytest.raises(ValueError, match=f"at most {shipped.max_samples}"):
        shipped.sample(shipped.max_samples + 1)
    z = np.zeros([2, shipped.latent_dim], np.float32)
    z[1, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="z contains NaN"):
        shipped.signatures["decode"](z=tf.constant(z))
    if "encode" in shipped.signatures:
        x = np.full([2, *shipped.data_shape], np.inf, np.float32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="x contains NaN or infinite"):
            shipped.signatures["encode"](x=tf.constant(x))


def check_warmup(shipped):
    answers = export.replay_warmup(shipped.path)
    assert {name for name, _ in answers} == set(shipped.signatures)


def test_shipped_entry_keeps_the_signature_contract(shipped):
    check_contract(shipped)


def test_shipped_entry_refuses_unbounded_and_non_finite_requests(shipped):
    if shipped.max_samples is None:
        pytest.skip(f"{shipped.path} predates bounded inputs (no {export.METADATA_FILE}): export it again "
                    f"from its workdir with vegan_tf.export.export")
    check_bounds(shipped)


def test_shipped_entry_replays_its_warmup_records(shipped):
    if not (pathlib.Path(shipped.path) / export.WARMUP_FILE).is_file():
        pytest.skip(f"{shipped.path} predates warm-up records: export it again from its workdir "
                    f"with vegan_tf.export.export")
    check_warmup(shipped)


def test_a_fresh_export_passes_every_zoo_check(served):
    entry = pretrained.Pretrained(served[1])
    assert entry.max_samples == LIMIT
    for check in (check_contract, check_bounds, check_warmup):
        check(entry)
