"""AAE on MNIST after Makhzani et al. (2016), Sec. 2 and Appendix A.

Encoder, decoder and latent discriminator are ReLU MLPs of two 1000-unit layers (Appendix A),
d_z = 8, Gaussian prior N(0, I), deterministic encoder, squared Euclidean reconstruction. The
phases are the paper's; the optimiser is not: the authors used SGD with momentum, here every
phase has an Adam (beta_1 = 0.5) at the WAE-GAN MNIST rates (1e-3 reconstruction, 5e-4 both
regularisation steps), batch 100, 100 epochs with the WAE schedule. The conv keys size the WAE
paper's networks instead, for comparisons on equal networks (--config.model.arch=conv).
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "mnist"
    c.data.batch_size = 100
    c.model.name = "aae"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (1000, 1000)
    c.model.critic_hidden = (1000, 1000)
    # The WAE paper's conv networks, used with --config.model.arch=conv --config.model.batch_norm=True.
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256)
    c.model.kernel_size = 4
    c.model.final_stride = 1
    c.model.encoder_kind = "deterministic"
    c.model.cost = "l2sq"
    c.model.lam = 1.0
    c.model.prior_trick = False
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(5e-4, beta_1=0.5)
    c.optimizers.generator_optimizer = adam(5e-4, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (0.3, 0.5)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 60000            # 100 epochs of 600 batches
    c.train.steps_per_epoch = 600
    return c
