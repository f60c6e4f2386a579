"""The Sinkhorn auto-encoder on MNIST with the WAE paper's networks and schedule.

Patrini et al. (UAI 2019): POT with the Sinkhorn divergence between codes and prior draws as the
latent term, on the setting of configs/wae_mmd_mnist.py (DCGAN-style networks with batch norm,
d_z = 8, squared Euclidean cost, lambda = 10, Adam(1e-3, beta_1 = 0.5), batch 100, 100 epochs, encoder
pre-training), so that it compares with WAE-MMD on D alone. epsilon = 1 and 50 iterations, as
configs/pot_sinkhorn_digits.py. Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("pot", divergence="sinkhorn"))
    c.model.update(lam=10.0, epsilon=1.0, num_iters=50, pretrain_encoder=True)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
