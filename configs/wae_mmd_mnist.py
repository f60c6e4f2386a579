"""WAE-MMD on MNIST with the WAE paper's setting (Tolstikhin et al. 2018, Sec. 4 and Appendix E).

DCGAN-style networks (4x4 stride-2 convolutions 128 -> 1024 with batch norm), d_z = 8,
squared Euclidean cost, lambda = 10, multi-scale IMQ kernel, Adam(1e-3, beta_1 = 0.5),
batch 100, 100 epochs with the learning rate halved after 30 epochs and divided by 5 after 50,
encoder pre-training. Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("wae_mmd"))
    c.model.pretrain_encoder = True
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
