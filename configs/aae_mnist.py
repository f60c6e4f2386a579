"""AAE on MNIST after Makhzani et al. (2016), Sec. 2 and Appendix A.

Encoder, decoder and latent discriminator are ReLU MLPs of two 1000-unit layers (Appendix A),
d_z = 8, Gaussian prior N(0, I), deterministic encoder, squared Euclidean reconstruction. The
phases are the paper's; the optimiser is not: the authors used SGD with momentum, here every
phase has an Adam (beta_1 = 0.5) at the WAE-GAN MNIST rates (1e-3 reconstruction, 5e-4 both
regularisation steps), batch 100, 100 epochs with the WAE schedule. The conv keys size the WAE
paper's networks instead, for comparisons on equal networks (--config.model.arch=conv).
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("aae"))  # its conv keys serve --config.model.arch=conv
    c.model.update(arch="mlp", batch_norm=False, hidden=(1000, 1000), critic_hidden=(1000, 1000))
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(5e-4, beta_1=0.5),
                        generator_optimizer=adam(5e-4, beta_1=0.5))
    return c
