"""vegan_tf: optimal-transport generative models (the VEGAN cookbook) in TensorFlow 2 / Keras 3."""

__version__ = "0.2.0"  # the one place the version is written (setup.py reads it)

# Importing the models registers every network and recipe with Keras serialization,
# so that `keras.saving.load_model("m.keras")` works after `import vegan_tf`.
from vegan_tf import costs, divergences, models, networks  # noqa: E402,F401
