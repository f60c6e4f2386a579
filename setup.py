"""vegan_tf: optimal-transport generative models (the VEGAN cookbook) in TensorFlow 2 / Keras 3."""

import os
import re

from setuptools import find_packages, setup

VERSION = re.search(r'__version__ = "([^"]+)"', open(os.path.join("vegan_tf", "__init__.py")).read()).group(1)


def shipped(top):
    """The files under ``top`` installed to <prefix>/share/vegan_tf/<top>.

    saved_models/ is found there by vegan_tf.pretrained, configs/ by the binaries' --help and --list_configs.
    """
    files = []
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        if names:
            files.append((os.path.join("share", "vegan_tf", folder), [os.path.join(folder, n) for n in names]))
    return files

setup(
    name="vegan_tf",
    version=VERSION,
    description="Optimal-transport generative models (WAE, AAE, VAE, AVB, WGAN-GP, Sinkhorn, LSOT) in TensorFlow 2 / Keras 3",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Science/Research",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
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
        "tensorflow-serving-api>=2.21,<2.22",
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist", "mkdocs"],
    },
    data_files=shipped("saved_models") + shipped("configs"),
    entry_points={
        "console_scripts": [
            "vegan-train=vegan_tf.cli:run_train",
            "vegan-evaluate=vegan_tf.cli:run_evaluate",
        ],
    },
)
