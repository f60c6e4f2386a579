"""LSOT on MNIST: a convolutional auto-encoder, then the Brenier map from N(0, I) onto its codes.

The auto-encoder has the WAE paper's MNIST shape at reduced width (encoder 4x4 stride-2
convolutions 64, 128, 256 with batch norm; decoder dense to 7x7x256, transposed convolutions to
14x14x128 and 28x28x64, one sigmoid channel), d_z = 8, squared Euclidean cost; the potential phi is
an MLP of three ReLU layers of 512. Batch 100, Adam(1e-3, beta_1 = 0.5) for both players.
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "mnist"
    c.data.batch_size = 100
    c.model.name = "lsot"
    c.model.latent_dim = 8
    c.model.arch = "conv"
    c.model.filters = (64, 128, 256)
    c.model.decoder_filters = (256, 128, 64)
    c.model.final_stride = 1
    c.model.kernel_size = 4
    c.model.batch_norm = True
    c.model.transport_hidden = (512, 512, 512)
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.transport_fit = "median"
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.transport_optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 20000
    c.train.steps_per_epoch = 500
    return c
