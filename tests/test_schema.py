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
                assert config.get(divergence.name, {}) == divergences.settings(divergence)


def test_the_flat_names_of_0_2_find_one_divergence_and_collide_with_no_model_key():
    """0.2 kept every divergence's setting in ``config.model`` itself (``config.model.kernel``): each such name
    must still say which divergence it belongs to, and no divergence may be named like a model key."""
    owners = {}
    for name, divergence in divergences.DIVERGENCES.items():
        for key in [*divergences.settings(divergence), name]:
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


def test_a_pot_configs_divergence_settings_sit_under_their_divergence():
    from vegan_tf import config as config_lib

    c = config_lib.base_config("wae_mmd")
    assert c.model.divergence == "mmd" and c.model.mmd.kernel == "imq" and c.model.sinkhorn.epsilon == 0.1
    assert "kl" not in c.model  # a divergence without settings has no section
    c.model.sinkhorn.epsilon = 0.5  # another divergence's setting, changed: refused while it is not the chosen one
    with pytest.raises(ValueError, match=r"config.model.sinkhorn.epsilon is a setting of the 'sinkhorn' divergence"):
        models.build(c.model, (8, 8, 1))
    c.model.divergence = "sinkhorn"
    model = models.build(c.model, (8, 8, 1))
    assert model.divergence.name == "sinkhorn" and model.divergence.epsilon == 0.5
    with pytest.raises(ValueError, match=r"config.model.mmd has \['kernal'\], which the 'mmd' divergence does not"):
        models.build({"name": "wae_mmd", "mmd": {"kernal": "rbf"}}, (8, 8, 1))


def test_the_flat_divergence_settings_of_0_2_still_work_and_warn():
    """A 0.2 config file or command line (``config.model.kernel``) and a 0.2 ``config.json`` (every setting flat)."""
    import json

    from vegan_tf import config as config_lib
    from vegan_tf.workdir import configfile

    c = config_lib.base_config("wae_mmd")
    c.model.kernel = "rbf"  # 0.2's name, kept as a None alias until resolved
    c.lock()
    with pytest.warns(DeprecationWarning, match=r"model.kernel is model.mmd.kernel; the flat names go in vegan_tf 0.4"):
        config_lib.resolve(c)
    assert c.model.mmd.kernel == "rbf" and "kernel" not in c.model and "epsilon" not in c.model
    with pytest.warns(DeprecationWarning, match="model.kernel is model.mmd.kernel"):
        assert models.build({"name": "wae_mmd", "kernel": "rbf"}, (8, 8, 1)).divergence.kernel == "rbf"

    new = config_lib.base_config("wae_mmd")
    config_lib.resolve(new)
    old = json.loads(new.to_json_best_effort())  # as 0.2 wrote it: every divergence setting in model itself
    for owner in divergences.DIVERGENCES.values():
        old["model"].update(old["model"].pop(owner.name, {}))
    assert "kernel" in old["model"] and "mmd" not in old["model"]
    assert configfile.config_changes(old, new) == []  # a 0.2 workdir resumes under the nested schema
    old["model"]["kernel"] = "rbf"
    assert configfile.config_changes(old, new) == [("model.mmd.kernel", "rbf", "imq")]


def test_a_0_2_workdirs_config_json_reads_nested(tmp_path):
    import json

    from vegan_tf import config as config_lib, workdir

    c = config_lib.resolve(config_lib.base_config("pot", divergence="sinkhorn"))
    flat = json.loads(c.to_json_best_effort())
    for owner in divergences.DIVERGENCES.values():
        flat["model"].update(flat["model"].pop(owner.name, {}))
    flat["model"]["epsilon"] = 2.0
    (tmp_path / "config.json").write_text(json.dumps(flat))
    read = workdir.read_config(str(tmp_path))
    assert read.model.sinkhorn.epsilon == 2.0 and "epsilon" not in read.model


def test_resolving_leaves_the_own_settings_of_a_model_that_is_not_pot():
    """The Sinkhorn generator's epsilon is its own key, not a divergence's: it stays where it is."""
    from vegan_tf import config as config_lib

    c = config_lib.base_config("sinkhorn")
    c.model.epsilon = 0.3
    config_lib.resolve(c)
    assert c.model.epsilon == 0.3 and "sinkhorn" not in c.model
    assert models.build(c.model, (3,)).epsilon == 0.3
