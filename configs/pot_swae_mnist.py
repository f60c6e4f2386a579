"""The sliced Wasserstein auto-encoder (SWAE) on MNIST with the WAE paper's networks and schedule.

Kolouri et al., "Sliced Wasserstein Auto-Encoders" (ICLR 2019): POT with the sliced Wasserstein
divergence SW_2^2 between codes and prior draws (L = 50 random directions per step, as their
code's MNIST runs) as the latent term, on the setting of configs/wae_mmd_mnist.py (DCGAN-style
networks with batch norm, d_z = 8, squared Euclidean cost, Adam(1e-3, beta_1 = 0.5), batch 100,
100 epochs, encoder pre-training), so that it compares with WAE-MMD and POT-Sinkhorn on D alone.
lambda = 10: the weight of SWAE's MNIST code (and of the WAE paper). Their code adds it to a
reconstruction loss averaged over pixels (cross-entropy plus L1), ours sums the squared error over
784 pixels, so the latent term weighs relatively less here; lambda is not tuned on
benchmarks/quality.py's protocol (WAE-MMD's was: 300). Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.

Samples are drawn from a flow-matching latent sampler fitted to the codes (``sampler.kind``), the best of the latent
samplers on benchmarks/quality.py's protocol (two seeds, chosen by the FD against held-out
training images): FD 17.5 against 90.9 from the prior.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("pot", divergence="sliced_wasserstein"))
    c.model.update(lam=10.0, pretrain_encoder=True)
    c.model.sliced_wasserstein.update(num_projections=50, sw_p=2.0)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.sampler.kind = "flow_matching"
    return c
