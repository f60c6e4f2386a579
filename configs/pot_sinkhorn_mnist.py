"""The Sinkhorn auto-encoder on MNIST with the WAE paper's networks and schedule.

Patrini et al. (UAI 2019): POT with the Sinkhorn divergence between codes and prior draws as the
latent term, on the setting of configs/wae_mmd_mnist.py (DCGAN-style networks with batch norm,
d_z = 8, squared Euclidean cost, lambda = 10, Adam(1e-3, beta_1 = 0.5), batch 100, 100 epochs, encoder
pre-training), so that it compares with WAE-MMD on D alone. epsilon = 1 and 50 iterations, as
configs/pot_sinkhorn_digits.py. Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.

Not the WAE setting: lambda = 1, with samples drawn from a Gaussian mixture fitted to the codes
(``sampler.kind``), chosen on benchmarks/quality.py's protocol (MLP 784-512-16, batch 100, 6,000
steps, constant rate; Fréchet distance (FD) in the MNIST classifier's features, lower is better;
10-component mixture), as prior FD / mixture FD / flow-matching FD / test reconstruction error per
image (squared L2) / FD of reconstructions: lambda = 10 gives 59.9 / 26.4 / 28.5 / 10.6 / 22.3
(two seeds), 3 gives 66.0 / 26.4 / 22.9 / 9.52 / 21.4 and 1 gives 68.7 / 21.3 / 19.1 / 8.32 / 20.6
(one seed). The mixture is chosen over flow matching by the FD against held-out training images
(27.3 against 28.8), as benchmarks/quality.py chooses.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("pot", divergence="sinkhorn"))
    c.model.update(lam=1.0, pretrain_encoder=True)
    c.model.sinkhorn.update(epsilon=1.0, num_iters=50)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.sampler.kind = "gmm"
    return c
