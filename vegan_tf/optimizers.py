"""One optimizer per player from ``config.optimizers``, with the learning-rate schedule of ``config.schedule``."""

from __future__ import annotations

import keras

from vegan_tf.config import SCHEDULES

OPTIMIZERS = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}


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
