"""WGAN-GP on MNIST with the networks of Gulrajani et al.'s MNIST experiment (``gan_mnist.py``).

Generator: dense to 7x7x256, 4x4 stride-2 transposed convolutions to 14x14x128 and 28x28x64
(ReLU, no batch norm), then to one sigmoid channel; critic: 4x4 stride-2 convolutions with 64, 128,
256 channels and LeakyReLU(0.2), no batch norm (Sec. 4 of the paper). d_z = 128, batch 50,
Algorithm 1's lambda = 10, n_critic = 5, Adam(1e-4, beta_1 = 0, beta_2 = 0.9); 200,000 generator
steps in the paper, 20,000 here. ``--config.model.arch=mlp`` swaps in MLPs of three ReLU
layers of 512 (about 30 times faster per step on a CPU). Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "mnist"
    c.data.batch_size = 50
    c.model.name = "wgan_gp"
    c.model.latent_dim = 128
    c.model.arch = "conv"
    c.model.decoder_filters = (256, 128, 64)
    c.model.final_stride = 1
    c.model.critic_filters = (64, 128, 256)
    c.model.hidden = (512, 512, 512)          # the MLP widths when run with --config.model.arch=mlp
    c.model.critic_hidden = (512, 512, 512)
    c.model.kernel_size = 4
    c.model.batch_norm = False
    c.model.penalty = "gp"
    c.model.lam = 10.0
    c.model.n_critic = 5
    c.model.critic_batches = "same"
    c.optimizers.optimizer = adam(1e-4, beta_1=0.0, beta_2=0.9)
    c.optimizers.critic_optimizer = adam(1e-4, beta_1=0.0, beta_2=0.9)
    c.train.num_steps = 20000
    c.train.steps_per_epoch = 500
    return c
