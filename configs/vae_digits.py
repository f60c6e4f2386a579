"""VAE on the embedded scikit-learn digits (8x8): MLP networks, about a minute on 2 CPU cores.

Kingma & Welling (2014): Gaussian encoder, Bernoulli decoder (Appendix C.1), analytic KL, one
reparameterised sample per example, Adam. d_z = 8 and beta = 1.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "vae"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.encoder_kind = "gaussian"
    c.model.likelihood = "bernoulli"
    c.model.decoder_scale = 1.0
    c.model.beta = 1.0
    c.optimizers.optimizer = adam(1e-3)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
