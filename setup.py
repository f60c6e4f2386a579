"""vegan_tf: optimal-transport generative models (the VEGAN cookbook) in TensorFlow 2 / Keras 3."""

import os
import re

from setuptools import find_packages, setup

VERSION = re.search(r'__version__ = "([^"]+)"', open(os.path.join("vegan_tf", "__init__.py")).read()).group(1)


def shipped_models():
    """saved_models/ goes to <prefix>/share/vegan_tf/saved_models (found by vegan_tf.pretrained)."""
    files = []
    for folder, _, names in os.walk("saved_models"):
        if names:
            files.append((os.path.join("share", "vegan_tf", folder), [os.path.join(folder, n) for n in names]))
    return files

setup(
    name="vegan_tf",
    version=VERSION,
    description="Optimal-transport generative models (WAE, AAE, VAE, AVB, WGAN-GP, Sinkhorn, LSOT) in TensorFlow 2 / Keras 3",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["vegan_tf", "vegan_tf.*"]),
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tensorboard>=2.21",
        "tensorflow-probability[tf]>=0.25",
        "tensorflow-datasets>=4.9",
        "importlib_resources",
        "absl-py",
        "ml-collections>=1.0",
        "scikit-learn",
        "POT>=0.9",
        "Pillow",
        "tqdm",
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist", "tensorflow-serving-api>=2.21,<2.22"],
    },
    data_files=shipped_models(),
    entry_points={
        "console_scripts": [
            "vegan-train=vegan_tf.train:run",
            "vegan-evaluate=vegan_tf.evaluate:run",
        ],
    },
)
