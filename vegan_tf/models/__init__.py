"""The recipes of the zoo, each a ``keras.Model`` on ``GenerativeModel``.

``MODELS`` maps the name used in config files (``config.model.name``) to its
class; ``build(model_config, data_shape)`` makes the networks and the model from
a config (see ``configs/``).
"""

from __future__ import annotations

from vegan_tf import networks
from vegan_tf.models.aae import AAE
from vegan_tf.models.avb import AVB
from vegan_tf.models.base import GenerativeModel
from vegan_tf.models.lsot import LSOT
from vegan_tf.models.sinkhorn import SinkhornGenerator
from vegan_tf.models.vae import VAE
from vegan_tf.models.wae_gan import WAEGAN
from vegan_tf.models.wae_mmd import WAEMMD
from vegan_tf.models.wgan import WGAN

MODELS = {
    "wae_mmd": WAEMMD,
    "wgan_gp": WGAN,
    "sinkhorn": SinkhornGenerator,
    "lsot": LSOT,
    "wae_gan": WAEGAN,
    "aae": AAE,
    "vae": VAE,
    "avb": AVB,
}

#: Keys of ``config.model`` that size the networks (the rest go to the model class).
NETWORK_KEYS = ("arch", "hidden", "filters", "decoder_filters", "kernel_size", "batch_norm", "final_stride",
                "encoder_kind", "noise_dim", "output_activation", "critic_hidden", "critic_filters")
#: Keys of ``config.model`` used by the training binary, not by the model.
TRAINING_KEYS = ("name", "latent_dim", "pretrain_encoder", "pretrain_steps")


def build(model_config, data_shape):
    """Builds the model named ``model_config.name`` with networks sized by the config."""
    cfg = dict(model_config)
    name = cfg["name"]
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; choose one of {sorted(MODELS)}.")
    cls = MODELS[name]
    return cls.from_model_config(cfg, tuple(data_shape)) if hasattr(cls, "from_model_config") else _default_build(
        cls, cfg, tuple(data_shape))


def _default_build(cls, cfg, data_shape):
    """Encoder + decoder models: sizes both networks from the shared keys."""
    return cls(decoder=make_decoder(cfg, data_shape), encoder=make_encoder(cfg, data_shape), **model_kwargs(cfg))


def make_decoder(cfg, data_shape):
    """The decoder / generator sized by ``config.model`` (linear output for points, sigmoid for images)."""
    output = cfg.get("output_activation", "linear" if len(data_shape) == 1 else "sigmoid")
    return networks.Decoder(data_shape, cfg["latent_dim"], arch=cfg.get("arch", "mlp"),
                            hidden=cfg.get("hidden", (256, 256)), decoder_filters=cfg.get("decoder_filters", (64, 32)),
                            kernel_size=cfg.get("kernel_size", 4), batch_norm=cfg.get("batch_norm", False),
                            final_stride=cfg.get("final_stride", 1), output_activation=output)


def make_encoder(cfg, data_shape):
    """The encoder sized by ``config.model``."""
    return networks.Encoder(data_shape, cfg["latent_dim"], arch=cfg.get("arch", "mlp"),
                            hidden=cfg.get("hidden", (256, 256)), filters=cfg.get("filters", (32, 64)),
                            kernel_size=cfg.get("kernel_size", 4), batch_norm=cfg.get("batch_norm", False),
                            kind=cfg.get("encoder_kind", "deterministic"), noise_dim=cfg.get("noise_dim", 0))


def make_critic(cfg, input_shape, **overrides):
    """A critic on ``input_shape`` sized by ``critic_hidden`` / ``critic_filters`` (default: ``hidden`` / ``filters``).

    Points and latent codes (1-D inputs) always get an MLP; ``overrides`` replace any argument.
    """
    args = dict(arch=cfg.get("arch", "mlp") if len(input_shape) == 3 else "mlp",
                hidden=cfg.get("critic_hidden", cfg.get("hidden", (256, 256))),
                filters=cfg.get("critic_filters", cfg.get("filters", (32, 64))),
                kernel_size=cfg.get("kernel_size", 4), batch_norm=False)
    args.update(overrides)
    return networks.Critic(tuple(input_shape), **args)


def model_kwargs(cfg):
    """The keys of ``config.model`` that are the model's own constructor arguments."""
    return {k: v for k, v in cfg.items() if k not in NETWORK_KEYS and k not in TRAINING_KEYS}


__all__ = ["AAE", "AVB", "GenerativeModel", "LSOT", "MODELS", "SinkhornGenerator", "VAE", "WAEGAN", "WAEMMD", "WGAN",
           "build"]
