"""vegan_tf: optimal-transport generative models (the VEGAN cookbook) in TensorFlow 2 / Keras 3.

Importing the package changes nothing in the process; the binaries' quiet start-up is in
``vegan_tf._startup``.
"""

from vegan_tf import _startup

__version__ = "0.2.0"  # the one place the version is written (setup.py reads it)

if _startup.started_as_binary():  # python -m vegan_tf.train, vegan-train, ...: TensorFlow loads quietly
    _startup.import_tensorflow_quietly()

# Importing the models registers every network and recipe with Keras serialization,
# so that `keras.saving.load_model("m.keras")` works after `import vegan_tf`.
from vegan_tf import costs, divergences, models, networks  # noqa: E402,F401
