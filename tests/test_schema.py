"""The declared config schema: every model's and divergence's ``SETTINGS`` against its constructor."""

import inspect

import pytest

from vegan_tf import divergences, models
from vegan_tf.networks import builders

#: Constructor arguments that are not config keys: the networks, the noise seed (fixed by the binary), the sampler.
NOT_CONFIGURED = {"self", "kwargs", "seed", "sampler", *builders.ROLES}


def constructor_defaults(cls, stop):
    """The keyword defaults of ``cls.__init__`` and of its bases' down to ``stop``, the most derived first."""
    found = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or not issubclass(klass, stop):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if name not in NOT_CONFIGURED and name not in found and p.default is not inspect.Parameter.empty:
                found[name] = p.default
    return found


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_a_models_declared_settings_are_its_constructors_defaults(name):
    """Changing a default means changing the declaration too (and what a resumed config.json compares with)."""
    cls = models.MODELS[name]
    assert models.model_arguments(cls) == constructor_defaults(cls, models.GenerativeModel)


@pytest.mark.parametrize("name", sorted(divergences.DIVERGENCES))
def test_a_divergences_declared_settings_are_its_constructors_defaults(name):
    cls = divergences.DIVERGENCES[name]
    assert divergences.settings(cls) == constructor_defaults(cls, divergences.LatentDivergence)


def test_every_declared_setting_is_a_key_of_the_models_config():
    for name, cls in models.MODELS.items():
        config = models.default_config(name)
        assert set(models.model_arguments(cls)) <= set(config)
        if issubclass(cls, models.POT):
            for divergence in divergences.DIVERGENCES.values():
                assert set(divergences.settings(divergence)) <= set(config)


def test_the_divergences_settings_share_the_flat_model_namespace_without_a_collision():
    """A POT config holds every divergence's settings beside the model's own keys (``config.model.kernel``): a
    name two of them declared would set both at once, so each name belongs to one place."""
    owners = {}
    for name, divergence in divergences.DIVERGENCES.items():
        for key in divergences.settings(divergence):
            owners.setdefault(key, []).append(f"divergence {name}")
    for name in ("pot", "wae_mmd", "wae_gan", "aae", "vae", "avb"):
        cls = models.MODELS[name]
        own = {**builders.network_defaults(), **models.model_arguments(cls), **models.TRAINING_KEYS,
               **cls.config_defaults, "name": None, "latent_dim": None}
        for key in own:
            owners.setdefault(key, []).append(f"model {name}")
    shared = {key: places for key, places in owners.items()
              if any(p.startswith("divergence") for p in places) and len(places) > 1}
    assert shared == {}
