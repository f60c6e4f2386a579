"""WAE-GAN on MNIST with the WAE paper's setting (Tolstikhin et al. 2018, Algorithm 1, Sec. 4).

The DCGAN-style networks of configs/wae_mmd_mnist.py (4x4 stride-2 convolutions 128 -> 1024 with
batch norm), d_z = 8, prior N(0, I), squared Euclidean cost, lambda = 10 ("all reported experiments
use this value", Sec. 4). The latent discriminator is a ReLU MLP of 4 x 512 (the WAE code's
d_num_layers / d_num_filters). Adam with beta_1 = 0.5: 1e-3 for encoder/decoder, 5e-4 for the
adversary (the code's lr / lr_adv), both halved after 30 epochs and divided by 5 after 50. Batch 100,
100 epochs, encoder pre-training, no p-trick (the code's gan_p_trick is off for MNIST).
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("wae_gan"))
    c.model.update(critic_hidden=(512, 512, 512, 512), lam=10.0, pretrain_encoder=True)
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(5e-4, beta_1=0.5))
    return c
