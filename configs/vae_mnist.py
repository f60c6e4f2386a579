"""VAE on MNIST as the WAE paper's baseline (Tolstikhin et al. 2018, Sec. 4; Kingma & Welling 2014).

"VAEs used the same latent spaces ... standard Gaussian priors ... Gaussian encoders ... For MNIST
we used Bernoulli decoders ... deep nets of the same architectures as used in WAE": the
DCGAN-style networks of configs/wae_mmd_mnist.py with a Gaussian encoder head, d_z = 8, N(0, I),
Bernoulli likelihood, beta = 1, Adam(1e-3, beta_1 = 0.5), batch 100, 100 epochs, the WAE schedule.
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("vae"))
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
