"""The recipes of the zoo, each a ``keras.Model`` on ``GenerativeModel``, and building them from a config.

``MODELS`` maps the name used in config files (``config.model.name``) to its class;
``default_config(name)`` is every key a config of that model may set, with its default: the
declared schema (the network keys of ``networks.builders``, each class's ``SETTINGS``, each
divergence's ``SETTINGS``), which a test holds equal to the constructors' defaults, so that a
default changes in both places or not at all; ``build(model_config, data_shape)`` makes the
networks and the model.
"""

from __future__ import annotations

import inspect

from vegan_tf import divergences
from vegan_tf.models.aae import AAE
from vegan_tf.models.base import SAMPLER_CODES, Batch, GenerativeModel, Update
from vegan_tf.models.lsot import LSOT
from vegan_tf.models.pot import AVB, DIVERGENCE_SETTINGS, POT, VAE, WAEGAN, WAEMMD
from vegan_tf.models.sinkhorn import SinkhornGenerator
from vegan_tf.models.wgan import WGAN
from vegan_tf.networks import builders

MODELS = {
    "pot": POT,
    "wae_mmd": WAEMMD,
    "wae_gan": WAEGAN,
    "aae": AAE,
    "vae": VAE,
    "avb": AVB,
    "wgan_gp": WGAN,
    "sinkhorn": SinkhornGenerator,
    "lsot": LSOT,
}

#: Keys of ``config.model`` used by the training binary, not by the model.
TRAINING_KEYS = {"pretrain_encoder": False, "pretrain_steps": 200}
def model_arguments(cls):
    """The declared settings of ``cls`` and its bases (each class's ``SETTINGS``), with the most derived default."""
    args = {}
    for klass in cls.__mro__:
        if issubclass(klass, GenerativeModel):
            args.update({k: v for k, v in vars(klass).get("SETTINGS", {}).items() if k not in args})
    return args


def _model_class(name):
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; choose one of {sorted(MODELS)}.")
    return MODELS[name]


def _network_keys(cls):
    return {k for role in cls.network_roles for k in builders.ROLE_KEYS[role]}


def default_config(name):
    """Every key ``config.model`` may hold for model ``name``, with its default.

    The network keys of the model's roles (``vegan_tf.networks.builders``), its declared
    settings (``SETTINGS`` of its class and bases), for a POT model the name of its
    ``divergence`` and every divergence's settings under the divergence's name (``"mmd":
    {"kernel": ...}``, so that a config can switch the divergence), and the training keys of
    models with an encoder.
    """
    cls = _model_class(name)
    defaults = builders.network_defaults()
    config = {"name": name, "latent_dim": 8, **{k: defaults[k] for k in sorted(_network_keys(cls))}}
    config.update(model_arguments(cls))
    if issubclass(cls, POT):
        for divergence in divergences.DIVERGENCES.values():
            if divergence.SETTINGS:
                config[divergence.name] = {k: _tupled(v) for k, v in divergences.settings(divergence).items()}
    if "encoder" in cls.network_roles:
        config.update(TRAINING_KEYS)
    config.update(cls.config_defaults)
    return {k: _tupled(v) for k, v in config.items()}


def nest_divergence_settings(model_config):
    """``(config, moved)``: a POT model's config with the 0.2 flat divergence settings moved under their divergence.

    vegan_tf 0.2 kept every divergence's settings in ``config.model`` itself (``model.kernel``);
    they are ``model.<divergence>.<setting>`` now (``model.mmd.kernel``). A flat key set to a
    value replaces the nested one; a flat key left at None (the aliases ``config.base_config``
    keeps for 0.2's command lines) is dropped. ``moved`` lists the ``(old, new)`` names of the
    keys that held values. Other models' configs are returned as they are.
    """
    cfg = dict(model_config)
    if not issubclass(MODELS.get(cfg.get("name"), object), POT):
        return cfg, []
    moved = []
    for key, owner in DIVERGENCE_SETTINGS.items():
        if key not in cfg:
            continue
        value = cfg.pop(key)
        if value is not None:
            cfg[owner.name] = {**dict(cfg.get(owner.name) or {}), key: value}
            moved.append((f"model.{key}", f"model.{owner.name}.{key}"))
    return cfg, moved


def player_names(model_config):
    """The players (optimizer names) of the model ``model_config`` builds, the first being ``model.optimizer``."""
    cfg = dict(model_config)
    cls = _model_class(cfg.get("name"))
    players = inspect.getattr_static(cls, "players")
    if issubclass(cls, LSOT):  # LSOT's map has a player when it is trained jointly
        players = cls.players_for(_joint_map(cfg))
    elif issubclass(cls, SinkhornGenerator):  # the learnt cost's f_φ is a player
        players = cls.players_for(cfg.get("learn_cost", False))
    elif isinstance(players, property):  # a POT model's players depend on its divergence
        players = cls.players_for(divergences.get(cfg.get("divergence", model_arguments(cls).get("divergence"))))
    return list(players)


def build(model_config, data_shape):
    """Builds the model named ``model_config.name`` with networks sized by the config.

    Keys missing from ``model_config`` take their defaults; a key the model does not know, or a
    setting of a divergence other than the chosen one, is an error that names the key.
    """
    cfg, moved = nest_divergence_settings(model_config)
    warn_moved(moved)
    cls = _model_class(cfg.get("name"))
    defaults = default_config(cfg["name"])
    unknown = sorted(set(cfg) - set(defaults))
    if unknown:
        raise ValueError(f"config.model has {unknown}, which model {cfg['name']!r} does not take; its keys are "
                         f"{sorted(defaults)}.")
    cfg = {**defaults, **cfg}
    args = {k: cfg[k] for k in model_arguments(cls)}
    discriminator = None
    if issubclass(cls, POT):
        chosen = divergences.get(cfg["divergence"]).__class__
        for owner in divergences.DIVERGENCES.values():
            given = dict(cfg.get(owner.name) or {})
            unknown = sorted(set(given) - set(owner.SETTINGS))
            if unknown:
                raise ValueError(f"config.model.{owner.name} has {unknown}, which the {owner.name!r} divergence does "
                                 f"not take; its settings are {sorted(owner.SETTINGS)}.")
            changed = sorted(k for k, v in given.items() if _tupled(v) != _tupled(owner.SETTINGS[k]))
            if owner is not chosen and changed:
                raise ValueError(f"config.model.{owner.name}.{changed[0]} is a setting of the {owner.name!r} "
                                 f"divergence, but config.model.divergence is {cfg['divergence']!r}.")
        args.update({**divergences.settings(chosen), **dict(cfg.get(chosen.name) or {})})
        discriminator = chosen.discriminator
    skipped = {"discriminator"} if discriminator is None else set()
    if issubclass(cls, LSOT):
        skipped |= _lsot_roles_skipped(cfg)
    if issubclass(cls, SinkhornGenerator) and not cfg["learn_cost"]:
        skipped.add("cost_net")
    data_shape = tuple(data_shape)
    for role in cls.network_roles:
        if role in skipped:
            continue
        args[role] = builders.build(role, cfg, data_shape, cfg["latent_dim"], discriminator=discriminator,
                                    prior_scale=cfg.get("prior_scale", 1.0))
    return cls(**args)


def _tupled(value):
    """A list as a tuple, the form a config holds a sequence in (so that declared and given values compare)."""
    return tuple(value) if isinstance(value, list) else value


def warn_moved(moved):
    """The ``DeprecationWarning`` for the ``(old, new)`` names of ``nest_divergence_settings``, if any."""
    if moved:
        import warnings

        from vegan_tf import _moved

        warnings.warn("The divergence settings of vegan_tf 0.2 moved under their divergence: "
                      + ", ".join(f"{old} is {new}" for old, new in moved)
                      + f"; the flat names go in vegan_tf {_moved.REMOVED_IN}.", DeprecationWarning, stacklevel=3)


def xla_unsupported(model_config):
    """Why XLA cannot compile the training step of the model ``model_config`` builds; None where it can."""
    cfg = dict(model_config)
    cls = _model_class(cfg.get("name"))
    if issubclass(cls, LSOT) and not _joint_map(cfg):
        return None
    return cls.xla_unsupported


def _joint_map(cfg):
    """Whether an LSOT config trains its map alongside the auto-encoder (``transport_map``, 0.2's LSOT by default)."""
    return cfg.get("transport_map", LSOT.config_defaults["transport_map"]) == "joint"


def _lsot_roles_skipped(cfg):
    """LSOT builds its potential only for ``transport_map="joint"``; otherwise its map is the ``transport`` sampler."""
    from vegan_tf.models.lsot import TRANSPORT_MAPS

    if cfg["transport_map"] not in TRANSPORT_MAPS:
        raise ValueError(f"config.model.transport_map is {cfg['transport_map']!r}; it must be one of {TRANSPORT_MAPS}.")
    if _joint_map(cfg):
        return set()
    for key in ("transport_hidden", "transport_bias_stddev"):
        if cfg.get(key) is not None:
            raise ValueError(f"config.model.{key} sizes the jointly trained potential, but config.model.transport_map "
                             f"is 'sampler': the map is the transport latent sampler, set "
                             f"config.sampler.transport.hidden (its widths) instead.")
    return {"potential"}


__all__ = ["AAE", "AVB", "Batch", "GenerativeModel", "LSOT", "MODELS", "POT", "SAMPLER_CODES", "SinkhornGenerator", "Update", "VAE",
           "WAEGAN", "WAEMMD", "WGAN", "build", "default_config", "player_names", "xla_unsupported"]
