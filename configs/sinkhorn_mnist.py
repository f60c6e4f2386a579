"""Sinkhorn generator on MNIST: a DCGAN-style generator fitted by the debiased Sinkhorn divergence.

Genevay, Peyre & Cuturi (2018) on MNIST: generator dense to 7x7x256 then 4x4 stride-2 transposed
convolutions to 14x14x128 and 28x28x64 (batch norm, ReLU), one sigmoid channel; d_z = 32;
squared Euclidean cost on the 784 pixels (fixed: the paper's learnt adversarial cost is left out);
epsilon = 5 against squared distances between MNIST digits of about 30 to 140 (median 100);
100 Sinkhorn iterations; batch 200; Adam(1e-3, beta_1 = 0.5). Data: TFDS "mnist"; for a local
copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("sinkhorn")
    c.data.name, c.data.batch_size = "mnist", 200
    c.model.update(latent_dim=32, arch="conv", decoder_filters=(256, 128, 64), batch_norm=True, epsilon=5.0)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps, c.train.steps_per_epoch = 10000, 500
    return c
