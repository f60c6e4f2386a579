"""Networks from a config: the keys of ``config.model`` that size them, and one builder per role.

A model's constructor names the networks it takes (``decoder``, ``encoder``, ``critic``,
``discriminator``, ``potential``, ``cost_net``); ``build(role, cfg, data_shape)`` makes each from the flat
keys below, so that ``--config.model.hidden=(512,512)`` resizes every MLP of a model.

    key                    used by                      default
    arch                   all ("mlp" or "conv")        the constructors'
    hidden                 MLP widths                   the constructors'
    filters                encoder / critic convs       the constructors'
    decoder_filters        decoder convs                the constructors'
    kernel_size, batch_norm, final_stride               the constructors'
    sync_batch_norm        encoder / decoder batch norm the constructors' (False: per-replica statistics)
    mixed_precision        encoder / decoder / critics  the constructors' (False; True: bfloat16 compute)
    encoder_kind, noise_dim                             the Encoder's ``kind``, ``noise_dim``
    output_activation      decoder                      sigmoid for images, linear for points
    critic_hidden          critic / discriminator MLP   ``hidden``
    critic_filters         critic convs                 ``filters``
    transport_hidden       LSOT's potential             ``hidden``
    transport_bias_stddev  LSOT's potential             ``prior_scale``
    cost_features          the Sinkhorn generator's     64
                           learnt cost f_φ (outputs)
"""

from __future__ import annotations

import inspect

from vegan_tf.networks.layers import Critic, Decoder, Encoder

ROLES = ("decoder", "encoder", "critic", "discriminator", "potential", "cost_net")


def _defaults(cls):
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty and name != "kwargs"}


def network_defaults():
    """Every network key with its default (``None``: derived from another key, see the table above)."""
    enc, dec = _defaults(Encoder), _defaults(Decoder)
    return {"arch": enc["arch"], "hidden": enc["hidden"], "filters": enc["filters"],
            "decoder_filters": dec["decoder_filters"], "kernel_size": enc["kernel_size"],
            "batch_norm": enc["batch_norm"], "sync_batch_norm": enc["sync_batch_norm"],
            "mixed_precision": enc["mixed_precision"],
            "final_stride": dec["final_stride"], "encoder_kind": enc["kind"],
            "noise_dim": enc["noise_dim"], "output_activation": None, "critic_hidden": None,
            "critic_filters": None, "transport_hidden": None, "transport_bias_stddev": None, "cost_features": 64}


#: The network keys each role reads (a model's config holds those of its roles).
ROLE_KEYS = {
    "decoder": ("arch", "hidden", "decoder_filters", "kernel_size", "batch_norm", "sync_batch_norm", "final_stride",
                "output_activation", "mixed_precision"),
    "encoder": ("arch", "hidden", "filters", "kernel_size", "batch_norm", "sync_batch_norm", "encoder_kind",
                "noise_dim", "mixed_precision"),
    "critic": ("arch", "hidden", "filters", "kernel_size", "critic_hidden", "critic_filters", "mixed_precision"),
    "discriminator": ("arch", "hidden", "filters", "kernel_size", "critic_hidden", "critic_filters",
                      "mixed_precision"),
    "potential": ("hidden", "transport_hidden", "transport_bias_stddev"),
    "cost_net": ("arch", "hidden", "filters", "kernel_size", "critic_hidden", "critic_filters", "mixed_precision",
                 "cost_features"),
}


def build(role, cfg, data_shape, latent_dim, discriminator="latent", prior_scale=1.0):
    """The network of ``role`` sized by the flat config ``cfg`` (missing keys take their defaults).

    Args:
      role: one of ``ROLES``.
      cfg: a mapping of network keys.
      data_shape, latent_dim: the data's and the codes' shapes.
      discriminator: for ``role="discriminator"``: ``"latent"`` (D(z) on codes) or ``"joint"``
        (T(x, z): the critic's torso on x, joined with z).
      prior_scale: σ_z, the default spread of the potential's first-layer biases.
    """
    c = network_defaults()
    c.update({k: v for k, v in dict(cfg).items() if k in c and v is not None})
    data_shape = tuple(data_shape)
    critic = dict(hidden=c["critic_hidden"] or c["hidden"], filters=c["critic_filters"] or c["filters"],
                  kernel_size=c["kernel_size"], mixed_precision=c["mixed_precision"])
    if role == "decoder":
        output = c["output_activation"] or ("linear" if len(data_shape) == 1 else "sigmoid")
        return Decoder(data_shape, latent_dim, arch=c["arch"], hidden=c["hidden"], decoder_filters=c["decoder_filters"],
                       kernel_size=c["kernel_size"], batch_norm=c["batch_norm"], final_stride=c["final_stride"],
                       output_activation=output, sync_batch_norm=c["sync_batch_norm"],
                       mixed_precision=c["mixed_precision"])
    if role == "encoder":
        return Encoder(data_shape, latent_dim, arch=c["arch"], hidden=c["hidden"], filters=c["filters"],
                       kernel_size=c["kernel_size"], batch_norm=c["batch_norm"], kind=c["encoder_kind"],
                       noise_dim=c["noise_dim"], sync_batch_norm=c["sync_batch_norm"],
                       mixed_precision=c["mixed_precision"])
    if role == "cost_net":
        arch = c["arch"] if len(data_shape) == 3 else "mlp"
        return Critic(data_shape, arch=arch, features=c["cost_features"], **critic)
    if role == "critic" or (role == "discriminator" and discriminator == "joint"):
        arch = c["arch"] if len(data_shape) == 3 else "mlp"
        return Critic(data_shape, arch=arch, extra_dim=latent_dim if role == "discriminator" else 0, **critic)
    if role == "discriminator":
        return Critic((latent_dim,), hidden=critic["hidden"], mixed_precision=c["mixed_precision"])
    if role == "potential":
        spread = prior_scale if c["transport_bias_stddev"] is None else c["transport_bias_stddev"]
        return Critic((latent_dim,), hidden=c["transport_hidden"] or c["hidden"], first_bias_stddev=spread)
    raise ValueError(f"Unknown network role {role!r}; choose one of {ROLES}.")
