"""LSOT on MNIST: a convolutional auto-encoder, then the Brenier map from N(0, I) onto its codes.

The auto-encoder has the WAE paper's MNIST shape at reduced width (encoder 4x4 stride-2
convolutions 64, 128, 256 with batch norm; decoder dense to 7x7x256, transposed convolutions to
14x14x128 and 28x28x64, one sigmoid channel), d_z = 8, squared Euclidean cost; the potential phi is
an MLP of three ReLU layers of 512. Batch 100, Adam(1e-3, beta_1 = 0.5) for both players.
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.

Samples are drawn from a flow-matching latent sampler fitted to the codes (``sampler.kind``), the best of the latent
samplers on benchmarks/quality.py's protocol (two seeds, chosen by the FD against held-out
training images): FD 16.2 against 42.8 (its own map) from the prior.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("lsot")
    c.data.name = "mnist"
    c.model.update(arch="conv", filters=(64, 128, 256), decoder_filters=(256, 128, 64), batch_norm=True,
                   transport_hidden=(512, 512, 512))
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), transport_optimizer=adam(1e-3, beta_1=0.5))
    c.train.num_steps, c.train.steps_per_epoch = 20000, 500
    c.sampler.kind = "flow_matching"
    return c
