"""pythae's ``WAE_MMD``, ``VAE`` and ``Adversarial_AE`` on vegan_tf's networks, stepped as pythae's trainers step them.

The ``pythae`` variant of ``step_time.py``, run in its PyTorch worker (a Python with torch and
pythae). The encoder, decoder and (for ``Adversarial_AE``) discriminator are the networks of
``torch_reference.build_networks`` for the case's spec, wrapped as pythae's ``BaseEncoder`` /
``BaseDecoder`` / ``BaseDiscriminator`` so that both libraries train the same network (same
parameter count as vegan_tf's; on the MLP protocol these are pythae's default MLP 784-512-16 with
vegan_tf's batch norm after the hidden layer). The loss is pythae's own (``model.forward`` with
its default settings: WAE-MMD's multi-scale IMQ MMD, the VAE's KL with a Bernoulli ("bce")
reconstruction as the recipe has, the AAE's BCE adversarial terms with a deterministic
posterior when vegan_tf's encoder is deterministic). One step is what pythae's trainers do per
batch: ``BaseTrainer`` forward, ``zero_grad``, ``loss.backward()``, ``optimizer.step()``,
``loss.item()``; ``AdversarialTrainer`` the auto-encoder's and the discriminator's losses
backward (the first with ``retain_graph``) and both optimizers stepped, then both ``.item()``.
Adam with the recipe's settings (pythae's trainers take an optimizer class and its arguments).
"""

from __future__ import annotations

import torch
from pythae import models
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseDiscriminator, BaseEncoder

import torch_reference

#: vegan_tf recipe -> pythae model.
MODELS = {"wae_mmd": "WAE_MMD", "vae": "VAE", "aae": "Adversarial_AE"}


class Encoder(BaseEncoder):
    def __init__(self, net, kind, latent_dim):
        BaseEncoder.__init__(self)
        self.net, self.kind, self.latent_dim = net, kind, latent_dim

    def forward(self, x):
        out = self.net(x)
        if self.kind == "gaussian":
            mean, log_var = out.chunk(2, dim=-1)
            return ModelOutput(embedding=mean, log_covariance=log_var)
        return ModelOutput(embedding=out, log_covariance=torch.zeros_like(out))


class Decoder(BaseDecoder):
    def __init__(self, net):
        BaseDecoder.__init__(self)
        self.net = net

    def forward(self, z):
        return ModelOutput(reconstruction=torch.sigmoid(self.net(z)))


class Discriminator(BaseDiscriminator):
    def __init__(self, net):
        BaseDiscriminator.__init__(self)
        self.net = net

    def forward(self, z):
        return ModelOutput(embedding=torch.sigmoid(self.net(z))[:, None])


def build(s):
    """``(step, parameter count)`` of pythae's model of the recipe ``s["recipe"]`` on the spec's networks."""
    name = MODELS.get(s["recipe"])
    if name is None:
        raise ValueError(f"pythae has no model of {s['recipe']!r}.")
    nets = torch_reference.build_networks(s)
    h, w, c = s["data_shape"]
    common = {"input_dim": (c, h, w), "latent_dim": s["latent_dim"]}
    enc = Encoder(nets["encoder"], s["encoder_kind"], s["latent_dim"])
    dec = Decoder(nets["decoder"])
    disc = Discriminator(nets["discriminator"]) if "discriminator" in nets else None
    if s.get("pythae_nets") == "default":  # pythae's own default MLPs (and its 256-unit discriminator)
        if s["arch"] != "mlp":
            raise ValueError("pythae's default networks are MLPs; --pythae-nets=default is for the mlp case.")
        enc = dec = disc = None
    o = s["optimizers"]["optimizer"]
    if name == "WAE_MMD":
        model = models.WAE_MMD(models.WAE_MMD_Config(**common), encoder=enc, decoder=dec)
    elif name == "VAE":
        model = models.VAE(models.VAEConfig(reconstruction_loss="bce", **common), encoder=enc, decoder=dec)
    else:
        config = models.Adversarial_AE_Config(deterministic_posterior=s["encoder_kind"] == "deterministic", **common)
        model = models.Adversarial_AE(config, encoder=enc, decoder=dec, discriminator=disc)
    model.train()
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)

    if name != "Adversarial_AE":
        opt = torch_reference.adam(model.parameters(), o)

        def step(x):
            out = model({"data": x}, epoch=1, dataset_size=x.shape[0], uses_ddp=False)
            opt.zero_grad()
            out.loss.backward()
            opt.step()
            return out.loss.item()

        return step, params

    # AdversarialTrainer: the auto-encoder's optimizer on encoder + decoder, the discriminator's on D.
    ae_opt = torch_reference.adam([*model.encoder.parameters(), *model.decoder.parameters()], o)
    d_opt = torch_reference.adam(model.discriminator.parameters(), s["optimizers"]["adversary_optimizer"])

    def adversarial_step(x):
        out = model({"data": x}, epoch=1, dataset_size=x.shape[0], uses_ddp=False)
        ae_opt.zero_grad()
        out.autoencoder_loss.backward(retain_graph=True)
        d_opt.zero_grad()
        out.discriminator_loss.backward()
        ae_opt.step()
        d_opt.step()
        return out.autoencoder_loss.item() + out.discriminator_loss.item()

    return adversarial_step, params
