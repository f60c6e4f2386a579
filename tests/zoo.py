"""What the per-model tests share: every recipe's digits config, shrunk to test size."""

import keras
import numpy as np
import tensorflow as tf

from conftest import REPO
from vegan_tf import config as config_lib, data, models, workdir


def tiny_config(name):
    """``configs/<name>_digits.py`` with small networks and batches."""
    config = config_lib.from_file(REPO / "configs" / f"{name}_digits.py")
    config.seed = 3
    config.data.batch_size = 16
    config.model.hidden = (32, 32)
    for key in ("critic_hidden", "transport_hidden"):
        if key in config.model and config.model.get("transport_map") != "sampler":
            config.model[key] = (32,)  # one layer, also where the digits config derives them from ``hidden``
    if config.sampler.kind == "transport":  # LSOT's map, fitted after training
        config.sampler.transport.update(hidden=(32,), steps=20, batch_size=32)
    config.train.num_steps = 4
    config.train.steps_per_epoch = 2
    config.train.verbose = 0
    config.train.eval_samples = 64
    return config


def joint_lsot_config():
    """LSOT as vegan_tf 0.2 trained it: its map a potential network trained alongside the auto-encoder."""
    config = tiny_config("lsot")
    config.model.transport_map = "joint"
    config.model.transport_hidden = (32,)
    config.optimizers.transport_optimizer = config_lib.adam(1e-3, beta_1=0.5)
    config.sampler.kind = "prior"
    return config


def weights(path):
    """The weights and step of the model a training workdir restores."""
    model, _ = workdir.load(str(path))
    return model.get_weights(), int(model.step.numpy())


def tiny_model(name, strategy=None):
    return workdir.build_model(tiny_config(name), strategy)


def digits_batches(batch_size=16, num_batches=4):
    x = data.load_array("digits", "train", limit=batch_size * num_batches)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch_size, drop_remainder=True)


def assert_weights_close(a, b, rtol=1e-5, atol=1e-6):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def optimizer_state(model):
    """Every player's optimizer variables, by player."""
    return {player: [np.array(v) for v in opt.variables] for player, opt in model.player_optimizers().items()}


__all__ = ["assert_weights_close", "digits_batches", "keras", "models", "optimizer_state", "tiny_config",
           "tiny_model"]
