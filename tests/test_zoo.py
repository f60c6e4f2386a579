"""One harness for every row of the zoo: each ``configs/<row>_digits.py`` (every model in
``vegan_tf.models.MODELS`` and the POT rows composed by config, such as POT-Sinkhorn).

Per row: config round trip, a few ``fit`` steps, each declared player update changing exactly
that player's variables, ``.keras`` reload with every optimizer's state, SavedModel export and
reload through its signatures, and a step on two replicas equal to the step on one device for
the same global batch.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import config as config_lib, export, models
from vegan_tf.models import Batch
from conftest import REPO
from zoo import assert_weights_close, digits_batches, optimizer_state, tiny_model

NAMES = sorted(p.name[:-len("_digits.py")] for p in (REPO / "configs").glob("*_digits.py"))


def test_every_model_has_a_row():
    assert {config_lib.from_file(REPO / "configs" / f"{name}_digits.py").model.name for name in NAMES} == set(
        models.MODELS)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    model = tiny_model(name)
    config = model.get_config()
    clone = type(model).from_config(config)
    clone.build()
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    z = model.prior_sample(5, seed=1)
    np.testing.assert_allclose(clone.decode(z), model.decode(z), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_fit_steps_update_weights_and_log_losses(name):
    model = tiny_model(name)
    before = [np.array(w) for w in model.trainable_weights]
    history = model.fit(digits_batches(), epochs=1, verbose=0)
    assert int(model.step.numpy()) == 4
    assert set(model.tracked) <= set(history.history)
    for key in model.tracked:
        assert np.all(np.isfinite(history.history[key])), key
    changed = [not np.allclose(b, np.array(a)) for b, a in zip(before, model.trainable_weights)]
    assert any(changed)
    for player in model.players:  # every player's optimizer took a step
        assert int(model.player_optimizers()[player].iterations.numpy()) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_each_update_changes_exactly_its_players_variables(name):
    """compare_gan's check that every variable belongs to a player, for the declared updates: an update
    moves its player's variables and no other's. (Not necessarily all of them: LSOT's map T = ∇φ does
    not depend on the biases of a ReLU φ except through its piecewise-constant activation pattern.)"""
    model = tiny_model(name)
    variables = {id(v): v for v in model.trainable_variables}
    owned = {id(v) for player in model.players for v in model.player_variables(player)}
    assert owned == set(variables), "every trainable variable belongs to some player"
    x = next(iter(digits_batches()))
    for update in model.updates:
        mine = {id(v) for v in model.player_variables(update.player)}
        before = {i: np.array(v) for i, v in variables.items()}
        model.apply_update(update, Batch(x, shared=model.prepare(x, True)))
        changed = {i for i, v in variables.items() if not np.array_equal(before[i], np.array(v))}
        assert changed and changed <= mine, f"{update} changed {len(changed - mine)} variables of other players"


@pytest.mark.parametrize("name", NAMES)
def test_keras_reload_keeps_weights_and_every_optimizer(name, tmp_path):
    model = tiny_model(name)
    model.fit(digits_batches(num_batches=2), epochs=1, verbose=0)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert_weights_close(loaded, model, rtol=0, atol=0)
    assert int(loaded.step.numpy()) == int(model.step.numpy())
    state, loaded_state = optimizer_state(model), optimizer_state(loaded)
    assert state.keys() == loaded_state.keys()
    for player in state:
        assert len(state[player]) == len(loaded_state[player]) > 1, player
        for a, b in zip(state[player], loaded_state[player]):
            np.testing.assert_array_equal(a, b)
    # The next step is the same from the reloaded state (same noise, same moments).
    more = digits_batches(num_batches=1)
    model.fit(more, epochs=1, verbose=0)
    loaded.fit(more, epochs=1, verbose=0)
    assert_weights_close(loaded, model, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_savedmodel_signatures_match_the_model(name, tmp_path):
    model = tiny_model(name)
    if not model.sampler.fitted:  # LSOT's map: fitted to the codes after training
        model.fit_sampler(digits_batches())
    path = export.export(model, str(tmp_path / "export"))
    assert path.endswith("/1")
    loaded = tf.saved_model.load(path)
    expected = {"decode", "sample", "sample_codes", "serving_default"}
    if model.encoder is not None:
        expected |= {"encode", "reconstruct"}
    assert set(loaded.signatures) == expected
    z = model.prior_sample(6, seed=2)
    x = loaded.signatures["decode"](z=z)["x"]
    assert x.shape == (6, *model.data_shape)
    np.testing.assert_allclose(x, model.decode(z), atol=1e-5)
    np.testing.assert_allclose(loaded.signatures["serving_default"](z=z)["x"], x, atol=1e-6)
    s1 = loaded.signatures["sample"](num_samples=tf.constant(5), seed=tf.constant(7))["x"]
    s2 = loaded.signatures["sample"](num_samples=tf.constant(5), seed=tf.constant(7))["x"]
    s3 = loaded.signatures["sample"](num_samples=tf.constant(5), seed=tf.constant(8))["x"]
    np.testing.assert_array_equal(s1, s2)
    assert not np.allclose(s1, s3)
    np.testing.assert_allclose(s1, model.sample(5, 7), atol=1e-5)
    codes = loaded.signatures["sample_codes"](num_samples=tf.constant(5), seed=tf.constant(7))["z"]
    np.testing.assert_allclose(codes, model.sample_codes(5, 7), atol=1e-5)
    if len(model.data_shape) == 3:
        assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0
    if model.encoder is not None:
        images = tf.random.stateless_uniform((4, *model.data_shape), seed=[1, 2])
        codes = loaded.signatures["encode"](x=images)["z"]
        assert codes.shape == (4, model.latent_dim)
        np.testing.assert_allclose(codes, model.encode(images), atol=1e-5)
        np.testing.assert_allclose(loaded.signatures["reconstruct"](x=images)["x"], model.reconstruct(images),
                                   atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have shape"):
        loaded.signatures["decode"](z=tf.zeros([2, model.latent_dim + 1]))


@pytest.mark.parametrize("name", NAMES)
def test_two_replicas_take_the_single_device_step(name, two_replicas):
    single = tiny_model(name)
    mirrored = tiny_model(name, two_replicas)
    mirrored.set_weights(single.get_weights())
    batch = digits_batches(batch_size=32, num_batches=1)
    single.fit(batch, epochs=1, verbose=0)
    mirrored.fit(batch, epochs=1, verbose=0)
    assert int(mirrored.step.numpy()) == 1
    assert_weights_close(mirrored, single, rtol=1e-4, atol=1e-5)


SHIPPED_CONFIGS = sorted(p.name for p in (REPO / "configs").glob("*.py"))
DATA_SHAPES = {"digits": (8, 8, 1), "mnist": (28, 28, 1), "celeb_a": (64, 64, 3)}  # else 2-D points


@pytest.mark.parametrize("filename", SHIPPED_CONFIGS)
def test_every_shipped_config_builds_its_model(filename):
    """Every key of every config file is accepted by its model (networks narrowed to build fast)."""
    config = config_lib.from_file(REPO / "configs" / filename)
    assert filename.startswith(config.model.name), f"{filename} builds {config.model.name}"
    for key in ("hidden", "critic_hidden", "transport_hidden", "filters", "decoder_filters", "critic_filters"):
        if config.model.get(key):  # derived widths (None) follow the narrowed ones
            config.model[key] = tuple(4 for _ in config.model[key])
    model = models.build(config.model, DATA_SHAPES.get(config.data.name, (2,)))
    assert model.preview(2, seed=0).shape[0] == 2  # a latent sampler is fitted after training


def test_a_config_composes_a_row_and_refuses_settings_of_another():
    """Any POT row from a config's keys; a setting of a divergence other than the chosen one is an error."""
    config = config_lib.base_config("wae_mmd")
    config.model.update(divergence="sinkhorn", epsilon=0.5, encoder_kind="gaussian", hidden=(8,))
    model = models.build(config.model, (8, 8, 1))
    assert type(model).__name__ == "WAEMMD" and model.divergence.name == "sinkhorn"
    assert model.divergence.epsilon == 0.5 and model.encoder.kind == "gaussian"
    config.model.kernel = "rbf"
    with pytest.raises(ValueError, match="kernel is a setting of the 'mmd' divergence"):
        models.build(config.model, (8, 8, 1))
    with pytest.raises(ValueError, match=r"does not take; its keys are"):
        models.build({**dict(config_lib.base_config("vae").model), "kernal": "imq"}, (8, 8, 1))
