"""The model of a config, and of a workdir: built, compiled, restored, with its latent sampler."""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import tensorflow as tf

from vegan_tf import data, models, optimizers
from vegan_tf.workdir.checkpoints import make_checkpoint, restore, restore_sampler, sampler_checkpoint
from vegan_tf.workdir.checks import JIT_COMPILE, config_errors
from vegan_tf.workdir.configfile import read_config


@config_errors()
def build_model(config, strategy=None):
    """The compiled model of ``config`` (inside ``strategy``'s scope when given)."""
    info = data.dataset_info(data.source(config.data))
    scope = strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()
    with scope:
        model = models.build(config.model, info.shape)
        if config.get("sampler") is not None:
            model.set_sampler(config.sampler.kind, **config.sampler.get(config.sampler.kind, {}))
        model.compile(**optimizers.make_optimizers(config, model),
                      steps_per_execution=config.train.get("steps_per_execution", 0) or None,
                      jit_compile=JIT_COMPILE[config.train.get("jit_compile", "auto")])
    return model


def sampler_spec(config, step):
    """What a fitted latent sampler depends on: its kind and settings, the codes, the seed and the model's step."""
    s = config.sampler
    settings = s[s.kind].to_dict() if s.get(s.kind) else {}
    settings = json.loads(json.dumps(settings))  # as sampler.json holds it (tuples as lists), so specs compare equal
    return {"kind": s.kind, "settings": settings, "codes": s.codes, "fit_examples": s.fit_examples,
            "seed": config.seed, "step": int(step)}


def sampler_fit(config):
    """What a fitted latent sampler of ``config`` was fitted to (its exports record it); None for the prior."""
    s = config.get("sampler")
    if s is None or s.kind == "prior":
        return None
    return {"codes": s.codes, "fit_examples": s.fit_examples, "seed": config.seed}


def sampler_dir(workdir, config, step):
    """``<workdir>/samplers/<step>-<kind>-<digest of sampler_spec>``: where that fitted sampler is kept."""
    spec = sampler_spec(config, step)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(workdir, "samplers", f"{step}-{spec['kind']}-{digest}")



def load(workdir):
    """The model of a training workdir at its latest checkpoint, with its fitted latent sampler, and its config.

    A config whose sampler is not fitted in the workdir (``sampler_dir``) gives a model whose
    ``sample`` raises until ``fit_sampler`` runs; running the training binary again fits it.
    """
    config = read_config(workdir)
    model = build_model(config)
    step = restore(make_checkpoint(model), os.path.join(workdir, "checkpoints"))
    if step == 0:
        raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints.")
    if model.sampler.needs_fit:
        fitted = model.sampler.fresh()
        if restore_sampler(sampler_checkpoint(fitted), sampler_dir(workdir, config, step)) and fitted.fitted:
            model.sampler.set_weights(fitted.get_weights())
        else:
            warnings.warn(f"The {config.sampler.kind!r} latent sampler of {workdir} is not fitted to step {step}: "
                          f"run the training binary on the workdir again to fit it.", RuntimeWarning, stacklevel=2)
    return model, config


def sampler_codes(model, config):
    """The codes a latent sampler of ``config`` is fitted to: ``sampler.codes`` of the first ``sampler.fit_examples``
    training images in file order, seeded by ``config.seed`` (numpy ``[N, latent_dim]``).

    The held-out end of the split (``data.held_out_images``, on which samplers are compared)
    is never among them.
    """
    s = config.sampler
    limit = s.fit_examples
    source = data.source(config.data)
    num_train = data.dataset_info(source).num_train
    if num_train:
        limit = min(limit, num_train - data.held_out_count(num_train))
    train = data.get_dataset(source, "train", batch_size=min(500, limit), shuffle=False, drop_remainder=False,
                             limit=limit)
    return model.collect_codes(train, s.codes, limit, seed=config.seed)
