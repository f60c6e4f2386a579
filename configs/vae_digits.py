"""VAE on the embedded scikit-learn digits (8x8): MLP networks, about a minute on 2 CPU cores.

Kingma & Welling (2014): Gaussian encoder, Bernoulli decoder (Appendix C.1), analytic KL, one
reparameterised sample per example, Adam. d_z = 8 and beta = 1.
"""

from vegan_tf.config import base_config


def get_config():
    c = base_config("vae")  # the defaults are the paper's: Gaussian encoder, Bernoulli decoder, beta = 1
    return c
