"""One optimizer per player from ``config.optimizers``, with the learning-rate schedule of ``config.schedule``."""

from __future__ import annotations

import keras
import tensorflow as tf

#: The learning-rate schedules of ``config.schedule.name``.
SCHEDULES = ("constant", "piecewise", "cosine")


@keras.saving.register_keras_serializable("vegan_tf")
class Adam(keras.optimizers.Adam):
    """Keras' Adam (Kingma & Ba 2015, Algorithm 1, with Keras' ε placement) in one kernel per variable.

    Keras 3 writes the update as about 27 small ops per variable; TensorFlow's ``ResourceApplyAdam``
    applies the same formula, m ← m + (1−β₁)(g − m), v ← v + (1−β₂)(g² − v),
    θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε), in one, on the same slot variables (checkpoints and
    ``.keras`` files are interchangeable with Keras' Adam). The step's β powers and learning rate
    are computed once per step for all variables. AMSGrad, sparse gradients and variables that are
    not float32 take Keras' own update.
    """

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        t = tf.cast(self.iterations + 1, tf.float32)
        self._step_scalars = (tf.pow(tf.cast(self.beta_1, tf.float32), t), tf.pow(tf.cast(self.beta_2, tf.float32), t),
                              tf.cast(learning_rate, tf.float32))
        try:
            super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._step_scalars = None

    def update_step(self, gradient, variable, learning_rate):
        scalars = getattr(self, "_step_scalars", None)
        if (scalars is None or self.amsgrad or isinstance(gradient, tf.IndexedSlices)
                or variable.dtype != tf.float32):
            return super().update_step(gradient, variable, learning_rate)
        beta_1_power, beta_2_power, lr = scalars
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=m.value.handle, v=v.value.handle, beta1_power=beta_1_power,
            beta2_power=beta_2_power, lr=lr, beta1=tf.cast(self.beta_1, tf.float32),
            beta2=tf.cast(self.beta_2, tf.float32), epsilon=tf.cast(self.epsilon, tf.float32),
            grad=tf.cast(gradient, tf.float32), use_locking=False)


OPTIMIZERS = {"adam": Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}


def get(identifier):
    """An optimizer from what ``compile`` takes: a name of ``OPTIMIZERS`` (``"adam"``: the Adam above), or
    anything ``keras.optimizers.get`` takes (an instance, a config)."""
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    return keras.optimizers.get(identifier)


def make_schedule(learning_rate, schedule, num_updates):
    """A learning rate (float or Keras schedule) over ``num_updates`` optimizer updates."""
    if schedule.name == "constant":
        return learning_rate
    if schedule.name == "piecewise":
        if len(schedule.boundaries) != len(schedule.factors):
            raise ValueError("schedule.boundaries and schedule.factors must have the same length.")
        boundaries = [max(1, int(b * num_updates)) for b in schedule.boundaries]
        values = [learning_rate] + [learning_rate * f for f in schedule.factors]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    if schedule.name == "cosine":
        warmup = int(schedule.warmup_steps)
        return keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else learning_rate, max(1, num_updates - warmup),
            warmup_target=learning_rate if warmup else None, warmup_steps=warmup)
    raise ValueError(f"Unknown schedule {schedule.name!r}; choose one of {SCHEDULES}.")


def make_optimizer(optimizer_config, schedule, num_updates):
    """The optimizer ``optimizer_config`` names (``name``, ``learning_rate`` and that class's arguments)."""
    args = dict(optimizer_config)
    name = args.pop("name", "adam")  # workdirs written before optimizers had names hold Adam configs
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}.")
    learning_rate = make_schedule(args.pop("learning_rate"), schedule, num_updates)
    try:
        return OPTIMIZERS[name](learning_rate, **args)
    except TypeError as e:
        raise ValueError(f"Optimizer {name!r} does not take {sorted(args)}: {e}. Use vegan_tf.config.adam() "
                         f"or rmsprop() to write its config.") from None


def make_optimizers(config, model):
    """One optimizer per player of ``model`` from ``config.optimizers``."""
    players = set(model.players)
    given = set(config.optimizers.keys())
    if given != players:
        raise ValueError(f"config.optimizers has {sorted(given)}, but {type(model).__name__} has the players "
                         f"{sorted(players)}; give exactly one optimizer config per player.")
    return {player: make_optimizer(config.optimizers[player], config.schedule,
                                   config.train.num_steps * model.updates_per_step(player))
            for player in model.players}
