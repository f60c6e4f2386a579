"""Test setup: two logical CPU devices, so that MirroredStrategy runs two real replicas."""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(_cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


@pytest.fixture
def two_replicas():
    """The process's MirroredStrategy over the two logical CPUs (one per process, see distribute.mirrored_strategy)."""
    from vegan_tf import distribute

    strategy = distribute.mirrored_strategy()
    assert strategy.num_replicas_in_sync == 2
    return strategy


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test of tens of seconds or more, run by benchmarks/faults.py or "
                            "`pytest -m slow`; skipped unless -m names it")
    # numpy 2 warns about Keras/TF variables' __array__ signature on every np.array(variable).
    config.addinivalue_line("filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword")
    config.addinivalue_line("filterwarnings", "ignore:`shuffle=True` was passed")


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run by benchmarks/faults.py or `pytest -m slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
