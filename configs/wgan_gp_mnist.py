"""WGAN-GP on MNIST with the networks of Gulrajani et al.'s MNIST experiment (``gan_mnist.py``).

Generator: dense to 7x7x256, 4x4 stride-2 transposed convolutions to 14x14x128 and 28x28x64
(ReLU, no batch norm), then to one sigmoid channel; critic: 4x4 stride-2 convolutions with 64, 128,
256 channels and LeakyReLU(0.2), no batch norm (Sec. 4 of the paper). d_z = 128, batch 50,
Algorithm 1's lambda = 10, n_critic = 5, Adam(beta_1 = 0, beta_2 = 0.9); 200,000 generator
steps in the paper, 20,000 here. The learning rate is 1e-3, not the paper's 1e-4: on
benchmarks/quality.py's protocol (MLP 784-512-16 generator and critic, batch 100, 6,000 steps,
constant rate; Fréchet distance in the MNIST classifier's features) 1e-4 reaches an FD of 84.0,
5e-4 50.0 and 1e-3 38.8, with precision and recall both higher. ``--config.model.arch=mlp`` swaps in MLPs of three ReLU
layers of 512 (about 30 times faster per step on a CPU). Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("wgan_gp")
    c.data.name, c.data.batch_size = "mnist", 50
    c.model.update(latent_dim=128, arch="conv", decoder_filters=(256, 128, 64), critic_filters=(64, 128, 256),
                   hidden=(512, 512, 512))  # hidden: the MLP widths when run with --config.model.arch=mlp
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.0, beta_2=0.9),
                        critic_optimizer=adam(1e-3, beta_1=0.0, beta_2=0.9))
    c.train.num_steps, c.train.steps_per_epoch = 20000, 500
    return c
