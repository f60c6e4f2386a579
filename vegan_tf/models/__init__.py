"""The recipes of the zoo, each a ``keras.Model`` on ``GenerativeModel``.

``MODELS`` maps the name used in config files (``config.model.name``) to its
class; ``build(model_config, data_shape)`` makes the networks and the model from
a config (see ``configs/``).
"""

from __future__ import annotations

from vegan_tf import networks
from vegan_tf.models.base import GenerativeModel
from vegan_tf.models.wae_mmd import WAEMMD

MODELS = {
    "wae_mmd": WAEMMD,
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
    net = {k: cfg[k] for k in NETWORK_KEYS if k in cfg}
    latent_dim = cfg["latent_dim"]
    output = net.get("output_activation", "linear" if len(data_shape) == 1 else "sigmoid")
    decoder = networks.Decoder(data_shape, latent_dim, arch=net.get("arch", "mlp"), hidden=net.get("hidden", (256, 256)),
                               decoder_filters=net.get("decoder_filters", (64, 32)),
                               kernel_size=net.get("kernel_size", 4), batch_norm=net.get("batch_norm", False),
                               final_stride=net.get("final_stride", 1), output_activation=output)
    encoder = networks.Encoder(data_shape, latent_dim, arch=net.get("arch", "mlp"), hidden=net.get("hidden", (256, 256)),
                               filters=net.get("filters", (32, 64)), kernel_size=net.get("kernel_size", 4),
                               batch_norm=net.get("batch_norm", False), kind=net.get("encoder_kind", "deterministic"),
                               noise_dim=net.get("noise_dim", 0))
    kwargs = {k: v for k, v in cfg.items() if k not in NETWORK_KEYS and k not in TRAINING_KEYS}
    return cls(decoder=decoder, encoder=encoder, **kwargs)


__all__ = ["GenerativeModel", "MODELS", "WAEMMD", "build"]
