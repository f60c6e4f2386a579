"""Calls a vegan_tf model served by TF Serving through its REST API: standard library only (Pillow for a PNG).

Serve the shipped zoo (from the repository's root), then ask a model for samples:

    docker run -p 8501:8501 -p 8500:8500 -v "$PWD/saved_models:/models" tensorflow/serving \\
        --model_config_file=/models/models.config
    python examples/rest_client.py --model=wae_mmd_mnist --signature=sample --num_samples=16 --seed=0 \\
        --output=samples.png
    python examples/rest_client.py --model=wae_mmd_mnist --signature=decode --num_samples=16 --seed=0

``sample`` asks the server for ``num_samples`` images from ``seed``; ``decode`` draws the codes
here (standard normal, from ``seed``) and sends them. The request is TF Serving's "columnar"
predict body, ``{"signature_name": ..., "inputs": {name: value}}``; a request the model refuses
(too many samples, NaN codes) comes back as HTTP 400 with TF Serving's error text.
"""

import argparse
import json
import math
import random
import sys
import urllib.error
import urllib.request

#: The output of each signature of a vegan_tf export (TF Serving returns a lone output unnamed).
OUTPUT = {"decode": "x", "sample": "x", "encode": "z", "reconstruct": "x", "serving_default": "x"}


def predict_body(signature, inputs):
    """The JSON body (a dict) of a predict request: ``signature`` with ``inputs`` (name → number or nested list)."""
    return {"signature_name": signature, "inputs": inputs}


def sample_inputs(num_samples, seed):
    """The inputs of ``sample``."""
    return {"num_samples": int(num_samples), "seed": int(seed)}


def decode_inputs(num_samples, latent_dim, seed):
    """The inputs of ``decode``: ``num_samples`` standard-normal codes of size ``latent_dim`` drawn from ``seed``."""
    rng = random.Random(seed)
    return {"z": [[rng.gauss(0.0, 1.0) for _ in range(latent_dim)] for _ in range(num_samples)]}


def parse_response(signature, answer):
    """``{output_name: nested list}`` from TF Serving's JSON answer (a dict) to a columnar request."""
    if "error" in answer:
        raise RuntimeError(f"TF Serving refused the request: {answer['error']}")
    outputs = answer["outputs"]
    return outputs if isinstance(outputs, dict) else {OUTPUT.get(signature, "output"): outputs}


def predict(model, signature, inputs, host="localhost:8501", timeout=60.0):
    """POSTs a predict request to ``http://<host>/v1/models/<model>:predict``; returns ``{output: nested list}``."""
    url = f"http://{host}/v1/models/{model}:predict"
    body = json.dumps(predict_body(signature, inputs)).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:  # TF Serving answers a refused request with 400 and {"error": ...}
        text = error.read().decode("utf-8", errors="replace")
        try:
            text = json.loads(text)["error"]
        except (ValueError, KeyError, TypeError):
            pass
        raise RuntimeError(f"{url} answered HTTP {error.code}: {text}") from None
    except urllib.error.URLError as error:
        raise ConnectionError(f"No TF Serving answers at {url} ({error.reason}); start it with the docker command "
                              f"at the top of examples/rest_client.py.") from None
    return parse_response(signature, answer)


def latent_dim(model, host="localhost:8501", timeout=60.0):
    """The size of the model's codes, from TF Serving's metadata of the ``decode`` signature."""
    url = f"http://{host}/v1/models/{model}/metadata"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        metadata = json.load(response)
    signature = metadata["metadata"]["signature_def"]["signature_def"]["decode"]
    return int(signature["inputs"]["z"]["tensor_shape"]["dim"][1]["size"])


def shape(nested):
    """The shape of a nested list."""
    dims = []
    while isinstance(nested, list):
        dims.append(len(nested))
        nested = nested[0] if nested else None
    return dims


def save_grid(images, path, columns=None):
    """Writes images (nested list [n, height, width, channels] in [0, 1]) as one PNG grid with Pillow."""
    from PIL import Image

    n, height, width, channels = shape(images)
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    mode = "L" if channels == 1 else "RGB"
    grid = Image.new(mode, (columns * width, rows * height))
    for i, image in enumerate(images):
        pixels = bytes(min(255, max(0, round(value * 255))) for row in image for pixel in row
                       for value in pixel[:1 if channels == 1 else 3])
        grid.paste(Image.frombytes(mode, (width, height), pixels), ((i % columns) * width, (i // columns) * height))
    grid.save(path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="localhost:8501", help="TF Serving's REST address")
    parser.add_argument("--model", default="wae_mmd_mnist", help="the model's name in models.config")
    parser.add_argument("--signature", choices=("sample", "decode"), default="sample")
    parser.add_argument("--num_samples", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="", help="write the images as a PNG grid here (needs Pillow)")
    args = parser.parse_args(argv)
    if args.signature == "sample":
        inputs = sample_inputs(args.num_samples, args.seed)
    else:
        inputs = decode_inputs(args.num_samples, latent_dim(args.model, args.host), args.seed)
    x = predict(args.model, args.signature, inputs, args.host)["x"]
    print(f"{args.model} {args.signature}: x of shape {shape(x)}")
    if args.output:
        if len(shape(x)) != 4:
            print("The model makes 2-D points, not images: no PNG written.", file=sys.stderr)
        else:
            print(f"Wrote {save_grid(x, args.output)}")


if __name__ == "__main__":
    main()
