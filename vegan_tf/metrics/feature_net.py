"""Feature networks for sample-quality scores: small classifiers trained here and shipped as SavedModels.

Fréchet distance, KID and precision/recall compare samples with real images in the feature
space of a network trained to tell the classes apart (Heusel et al. 2017 use Inception's pool
layer on natural images; on MNIST-like data a small classifier of the same data is the usual
choice). This module trains one per dataset, exports it with two signatures,

    features   x: float32 [batch, H, W, C] in [0, 1]  ->  f: float32 [batch, 128] (penultimate layer)
    logits     x                                        ->  logits: float32 [batch, 10]

and finds the shipped one for a dataset name (``saved_models/feature_nets/<name>/``, with a
README giving the command and the test accuracy). Any other SavedModel whose ``features``
signature maps images to vectors can be passed instead (e.g. an InceptionV3 pool layer for
CIFAR-10 or CelebA):

    python -m vegan_tf.metrics.feature_net --data=digits --out=saved_models/feature_nets/digits
    python -m vegan_tf.metrics.feature_net --data=/path/to/mnist.npz --out=saved_models/feature_nets/mnist
"""

from __future__ import annotations

import json
import os
import pathlib

import keras
import numpy as np
import tensorflow as tf

#: Dataset names (a ``.npz`` file counts by its stem) -> the shipped feature network's folder name.
SHIPPED = {"digits": "digits", "mnist": "mnist"}
FEATURE_DIM = 128


def _name_of(data_name):
    stem = pathlib.Path(str(data_name)).name
    return stem[:-len(".npz")] if stem.endswith(".npz") else stem


def find(data_name, root=None):
    """The path of the shipped feature network for ``data_name``, or ``None``."""
    from vegan_tf._shipped import roots  # the same search path as the shipped models

    name = SHIPPED.get(_name_of(data_name))
    if name is None:
        return None
    for r in roots(root):
        path = r / "feature_nets" / name
        if (path / "saved_model.pb").is_file():
            return str(path)
    return None


class FeatureNet:
    """A SavedModel with a ``features`` signature, called in batches on numpy images."""

    def __init__(self, path):
        self.path = str(path)
        self._loaded = tf.saved_model.load(self.path)  # kept alive while the signature is used
        if "features" not in self._loaded.signatures:
            raise ValueError(f"{self.path} has no `features` signature (signatures: {list(self._loaded.signatures)}).")
        self._features = self._loaded.signatures["features"]
        spec = self._features.structured_input_signature[1]["x"]
        self.input_shape = tuple(spec.shape[1:])

    def __call__(self, images, batch_size=500):
        images = np.asarray(images, np.float32)
        if tuple(images.shape[1:]) != self.input_shape:
            raise ValueError(f"The feature network {self.path} takes images of shape {list(self.input_shape)}, "
                             f"got {list(images.shape[1:])}; pass a feature network for this data.")
        return np.concatenate([self._features(x=tf.constant(images[i:i + batch_size]))["f"].numpy()
                               for i in range(0, len(images), batch_size)])


def classifier(data_shape, num_classes=10):
    """A small convolutional classifier whose penultimate layer (``features``) has 128 units."""
    small = data_shape[0] < 16
    inputs = keras.Input(data_shape)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    if not small:
        h = keras.layers.Conv2D(128, 3, strides=2, padding="same", activation="relu")(h)
        h = keras.layers.Conv2D(128, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    features = keras.layers.Dense(FEATURE_DIM, activation="relu", name="features")(h)
    logits = keras.layers.Dense(num_classes, name="logits")(keras.layers.Dropout(0.3)(features))
    return keras.Model(inputs, [features, logits])


def train(data_name, out_dir, epochs=None, seed=0):
    """Trains the classifier of ``data_name``, writes it to ``out_dir`` with its card; returns the test accuracy."""
    from vegan_tf import data

    keras.utils.set_random_seed(seed)
    x_train, y_train = data.load_array(data_name, "train"), data.load_labels(data_name, "train")
    x_test, y_test = data.load_array(data_name, "test"), data.load_labels(data_name, "test")
    epochs = epochs or (40 if len(x_train) < 10_000 else 3)
    net = classifier(x_train.shape[1:])
    net.compile(optimizer=keras.optimizers.Adam(1e-3),
                loss=[None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)], metrics=[[], ["accuracy"]])
    net.fit(x_train, [y_train, y_train], batch_size=128, epochs=epochs, verbose=2)
    accuracy = float(np.mean(np.argmax(net.predict(x_test, verbose=0)[1], axis=1) == y_test))

    module = tf.Module()
    module.net = net = _without_optimizer(net, x_train.shape[1:])
    spec = tf.TensorSpec([None, *x_train.shape[1:]], tf.float32, name="x")
    module.features = tf.function(lambda x: {"f": net(x, training=False)[0]}, input_signature=[spec])
    module.logits = tf.function(lambda x: {"logits": net(x, training=False)[1]}, input_signature=[spec])
    tf.saved_model.save(module, out_dir, signatures={"features": module.features, "logits": module.logits})
    source = data_name if data_name in data.KNOWN_NAMES else f"/path/to/{_name_of(data_name)}.npz"
    card = {"data": _name_of(data_name), "test_accuracy": round(accuracy, 4), "epochs": epochs,
            "train_examples": len(x_train), "test_examples": len(x_test), "feature_dim": FEATURE_DIM}
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(card, f, indent=2)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(f"# Feature network: {card['data']}\n\nA small convolutional classifier of {card['data']} whose "
                f"128-unit penultimate layer is the feature space of vegan_tf's Fréchet distance, KID and "
                f"precision/recall (`vegan_tf.metrics.feature_net`).\n\nTest accuracy {accuracy:.4f} on "
                f"{len(x_test)} test images after {epochs} epochs on {len(x_train)} training images. Made by\n\n"
                f"    python -m vegan_tf.metrics.feature_net --data={source} "
                f"--out=saved_models/feature_nets/{card['data']}\n\n"
                f"Signatures: `features` (x: float32 [batch, H, W, C] in [0, 1] -> f: [batch, 128]) and `logits`.\n\n"
                f"`{TEST_STATISTICS}`: the mean and covariance of the features of the first test images (those "
                f"the evaluation compares samples with), so that a Fréchet distance can be checked without the "
                f"data (`feature_net.test_statistics`).\n")
    write_test_statistics(data_name, out_dir)
    return accuracy


#: The file beside a feature network with the mean and covariance of its features of the first test images.
TEST_STATISTICS = "test_statistics.npz"


def write_test_statistics(data_name, net_dir, num_images=1000):
    """Writes ``net_dir/test_statistics.npz``: ``mu``, ``sigma`` (float64, as the Fréchet distance fits them)
    and ``num_images`` of the features of the first ``num_images`` test images of ``data_name`` (those the
    evaluation compares samples with), so that an FD can be checked where the data is not at hand."""
    from vegan_tf import data
    from vegan_tf.metrics import images

    real = data.load_array(data_name, "test", limit=num_images)
    mu, sigma = images.mean_cov(FeatureNet(net_dir)(real))
    np.savez(os.path.join(net_dir, TEST_STATISTICS), mu=mu, sigma=sigma, num_images=len(real))


def test_statistics(net_dir):
    """``(mu, sigma, num_images)`` of :func:`write_test_statistics`, or None if the network has none."""
    path = os.path.join(net_dir, TEST_STATISTICS)
    if not os.path.isfile(path):
        return None
    with np.load(path) as stats:
        return stats["mu"], stats["sigma"], int(stats["num_images"])


def _without_optimizer(net, data_shape):
    """The same weights in a fresh (uncompiled) network, so that the SavedModel holds no optimizer state."""
    clean = classifier(data_shape)
    clean.set_weights(net.get_weights())
    return clean


def main(argv):
    del argv
    from absl import flags

    accuracy = train(flags.FLAGS.data, flags.FLAGS.out, flags.FLAGS.epochs or None)
    print(f"Test accuracy {accuracy:.4f}; wrote {flags.FLAGS.out}")


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("data", "digits", "A dataset with labels: digits, or a .npz file with y_train/y_test.")
    flags.DEFINE_string("out", None, "Output directory of the SavedModel.", required=True)
    flags.DEFINE_integer("epochs", 0, "Training epochs (default: 40 for small sets, 3 for MNIST-sized ones).")
    app.run(main)
