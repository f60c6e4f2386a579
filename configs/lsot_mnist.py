"""LSOT on MNIST: a convolutional auto-encoder, then the Brenier map from N(0, I) onto its codes.

The auto-encoder has the WAE paper's MNIST shape at reduced width (encoder 4x4 stride-2
convolutions 64, 128, 256 with batch norm; decoder dense to 7x7x256, transposed convolutions to
14x14x128 and 28x28x64, one sigmoid channel), d_z = 8, squared Euclidean cost, batch 100,
Adam(1e-3, beta_1 = 0.5). The map is the ``transport`` latent sampler, fitted to the codes after
training (``vegan_tf.models.LSOT``): phi an MLP of three ReLU layers of 512.
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.

On benchmarks/quality.py's protocol (two seeds) the map scores FD 40.4 and a flow-matching latent
sampler fitted to the same codes 16.2, the best of the samplers
(``--config.sampler.kind=flow_matching``; chosen by the FD against held-out training images).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("lsot", transport_map="sampler")
    c.data.name = "mnist"
    c.model.update(arch="conv", filters=(64, 128, 256), decoder_filters=(256, 128, 64), batch_norm=True)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps, c.train.steps_per_epoch = 20000, 500
    c.sampler.kind = "transport"
    c.sampler.transport.hidden = (512, 512, 512)
    return c
