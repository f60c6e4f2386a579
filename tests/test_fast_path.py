"""The fast path is the same mathematics: fused batch norm, one-kernel Adam, bf16 compute."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import distribute, networks, optimizers
from vegan_tf.networks.layers import BatchNormalization
from test_zoo import NAMES
from zoo import digits_batches, joint_lsot_config, tiny_config
from vegan_tf import workdir


@pytest.mark.parametrize("shape", [(50, 5, 5, 6), (50, 12)])
def test_fused_batch_norm_is_keras_batch_norm(shape):
    x = tf.random.stateless_normal(shape, [1, 2]) * 3.0 + 1.0
    ours, theirs = BatchNormalization(), keras.layers.BatchNormalization()
    for layer in (ours, theirs):
        layer.build(shape)
        layer.gamma.assign(tf.random.stateless_normal(shape[-1:], [3, 4]))
        layer.beta.assign(tf.random.stateless_normal(shape[-1:], [5, 6]))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outputs = [layer(x, training=True) for layer in (ours, theirs)]
        losses = [tf.reduce_sum(tf.sin(y)) for y in outputs]
    np.testing.assert_allclose(outputs[0], outputs[1], atol=2e-5)
    np.testing.assert_allclose(tape.gradient(losses[0], x), tape.gradient(losses[1], x), atol=2e-5)
    for a, b in ((ours.gamma, theirs.gamma), (ours.beta, theirs.beta)):
        np.testing.assert_allclose(tape.gradient(losses[0], a), tape.gradient(losses[1], b), rtol=1e-4, atol=1e-3)
    # the moving statistics take the biased batch variance, as Keras' layer does
    np.testing.assert_allclose(ours.moving_mean, theirs.moving_mean, atol=1e-6)
    np.testing.assert_allclose(ours.moving_variance, theirs.moving_variance, rtol=1e-5)
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), atol=2e-5)
    assert [v.path.split("/")[-1] for v in ours.weights] == [v.path.split("/")[-1] for v in theirs.weights]


def test_adam_in_one_kernel_is_keras_adam():
    start = [tf.random.stateless_normal((4, 3), [i, 0]) for i in range(3)]
    runs = []
    for opt in (optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5)):
        variables = [tf.Variable(v) for v in start]
        opt.build(variables)
        step = tf.function(lambda k, opt=opt, variables=variables: opt.apply_gradients(
            zip([tf.sin(v * k) for v in variables], variables)))
        for k in range(5):
            step(tf.constant(float(k)))
        runs.append((variables, opt))
    (ours, ours_opt), (theirs, theirs_opt) = runs
    for a, b in zip(ours + ours_opt.variables, theirs + theirs_opt.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert [v.path.split("/")[-1] for v in ours_opt.variables] == [v.path.split("/")[-1] for v in theirs_opt.variables]


def test_adam_is_the_configs_adam_and_a_models_default():
    model = workdir.build_model(tiny_config("wae_mmd"))
    assert type(model.optimizer) is optimizers.Adam
    assert type(model.default_optimizer("optimizer")) is optimizers.Adam
    model.compile(optimizer="adam")
    assert type(model.optimizer) is optimizers.Adam


def test_mixed_precision_computes_in_bfloat16_and_keeps_float32_variables_and_outputs():
    config = tiny_config("wae_mmd")
    config.model.mixed_precision = True
    config.model.pretrain_encoder = False
    model = workdir.build_model(config)
    dense = [layer for layer in model.decoder._flatten_layers() if isinstance(layer, keras.layers.Dense)]
    assert dense and all(layer.compute_dtype == "bfloat16" for layer in dense)
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    x = next(iter(digits_batches()))
    assert model.encode(x).dtype == tf.float32 and model.decode(model.encode(x)).dtype == tf.float32
    history = model.fit(digits_batches().repeat(), epochs=1, steps_per_epoch=4, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    rebuilt = networks.Decoder.from_config(model.decoder.get_config())
    assert rebuilt.mixed_precision and rebuilt.body.layers[-1].compute_dtype == "bfloat16"


def test_xla_is_keras_auto_choice_or_asked_for(two_replicas):
    """``"auto"`` leaves XLA off on a CPU, as Keras does; ``on`` compiles; what cannot compile is refused."""
    assert workdir.build_model(tiny_config("wae_mmd")).jit_compile is False  # no accelerator here
    on = tiny_config("wae_mmd")
    on.train.jit_compile = "on"
    model = workdir.build_model(on)
    assert model.jit_compile is True
    model.fit(digits_batches(), epochs=1, verbose=0)
    assert int(model.step.numpy()) == 4
    lsot = workdir.build_model(joint_lsot_config())
    with pytest.raises(ValueError, match=r"numpy_function\); use jit_compile=False or 'auto'"):
        lsot.compile(jit_compile=True)
    workdir.build_model(tiny_config("lsot")).compile(jit_compile=True)  # its map is fitted after training
    with two_replicas.scope():
        mirrored = workdir.build_model(tiny_config("wae_mmd"))
        with pytest.raises(ValueError, match="not possible under MirroredStrategy"):
            mirrored.compile(jit_compile=True)
    with pytest.raises(ValueError, match="jit_compile must be 'auto', True or False"):
        model.compile(jit_compile="yes")


@pytest.mark.parametrize("name, strategy, setting, message", [
    ("lsot", "default", "maybe", r"config.train.jit_compile is 'maybe'; it must be one of \('auto', 'on', 'off'\)"),
    ("lsot_joint", "default", "on", r"not possible with lsot \(the exact assignment of the joint map runs in SciPy"),
    ("wae_mmd", "mirrored", "on", r"not possible with strategy 'mirrored' \(Keras does not compile"),
])
def test_a_jit_compile_setting_that_cannot_run_is_refused_before_training(name, strategy, setting, message):
    config = joint_lsot_config() if name == "lsot_joint" else tiny_config(name)
    config.train.strategy, config.train.jit_compile = strategy, setting
    with pytest.raises(ValueError, match=message):
        workdir.check_config(config)


@pytest.mark.parametrize("name", sorted(set(NAMES) - {"lsot"}))
def test_the_xla_step_is_the_graph_step(name):
    """Two steps of every player with XLA and without, from the same weights, give the same weights.

    Plain SGD for every player: Adam's first steps move each weight by about its learning rate
    whatever the gradient's size, so a gradient that XLA's other summation order leaves at 1e-9
    instead of -1e-9 would differ by twice the learning rate; SGD's differ as the gradients do.
    """
    runs = []
    for jit in (True, False):
        model = workdir.build_model(tiny_config(name))
        names = list(model.players)
        model.compile(keras.optimizers.SGD(0.05), jit_compile=jit,
                      **{player: keras.optimizers.SGD(0.05) for player in names[1:]})
        if runs:
            model.set_weights(runs[0][0])
        start = model.get_weights()
        model.fit(digits_batches(num_batches=2), epochs=1, verbose=0)
        runs.append((start, model.get_weights()))
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(100, 16), (7, 5), (1, 1)])
def test_training_noise_is_the_same_with_and_without_xla(shape):
    seed = tf.constant([11, 4], tf.int64)
    expected = tf.random.stateless_normal(shape, seed)
    draw = lambda n: distribute.stateless_normal(tf.stack([n, shape[1]]), seed)  # noqa: E731  (a dynamic shape)
    for jit in (False, True):
        got = tf.function(draw, jit_compile=jit)(tf.constant(shape[0]))
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # without the transform XLA would draw another stream for the same op and seed
    xla = tf.function(lambda: tf.random.stateless_normal(shape, seed), jit_compile=True)()
    assert np.max(np.abs(xla - expected)) > 0.1
