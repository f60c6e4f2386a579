"""Calls a vegan_tf model served by TF Serving through gRPC (tensorflow-serving-api and grpcio).

Serve the shipped zoo (from the repository's root), then ask a model for samples:

    docker run -p 8501:8501 -p 8500:8500 -v "$PWD/saved_models:/models" tensorflow/serving \\
        --model_config_file=/models/models.config
    python examples/grpc_client.py --model=wae_mmd_mnist --signature=sample --num_samples=16 --seed=0
    python examples/grpc_client.py --model=wae_mmd_mnist --signature=reconstruct --num_samples=4

A request is a ``PredictRequest`` proto (the same kind as the export's warm-up records); a
request the model refuses (too many samples, NaN codes, pixels outside [0, 1]) fails with the
gRPC status ``INVALID_ARGUMENT`` and TF Serving's error text.
"""

import argparse

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


def sample_inputs(num_samples, seed):
    """The inputs of ``sample``: two int32 scalars."""
    return {"num_samples": np.int32(num_samples), "seed": np.int32(seed)}


def decode_inputs(z):
    """The inputs of ``decode``: float32 codes [batch, latent_dim]."""
    return {"z": np.asarray(z, np.float32)}


def image_inputs(x):
    """The inputs of ``encode`` and ``reconstruct``: float32 images [batch, height, width, channels] in [0, 1]."""
    return {"x": np.asarray(x, np.float32)}


def build_request(model, signature, inputs):
    """A ``PredictRequest`` for ``signature`` of ``model`` with ``inputs`` (name → numpy value)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return request


def predict(target, request, timeout=60.0):
    """Sends ``request`` to the server at ``target`` (``host:port``); returns ``{output_name: numpy array}``."""
    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                raise ConnectionError(f"No TF Serving answers at {target}; start it with the docker command at the "
                                      f"top of examples/grpc_client.py.") from None
            raise RuntimeError(f"{target} refused the request ({error.code().name}): {error.details()}") from None
    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="localhost:8500", help="TF Serving's gRPC address")
    parser.add_argument("--model", default="wae_mmd_mnist", help="the model's name in models.config")
    parser.add_argument("--signature", choices=("sample", "reconstruct"), default="sample")
    parser.add_argument("--num_samples", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    x = predict(args.target, build_request(args.model, "sample", sample_inputs(args.num_samples, args.seed)))["x"]
    print(f"{args.model} sample: x of shape {list(x.shape)}, values in [{x.min():.3f}, {x.max():.3f}]")
    if args.signature == "reconstruct":
        again = predict(args.target, build_request(args.model, "reconstruct", image_inputs(x)))["x"]
        print(f"{args.model} reconstruct: mean squared difference {np.mean(np.square(again - x)):.4f}")


if __name__ == "__main__":
    main()
