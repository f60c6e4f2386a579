"""The sliced Wasserstein auto-encoder (SWAE) on the embedded scikit-learn digits (8x8): a POT row composed by config.

Kolouri et al., "Sliced Wasserstein Auto-Encoders" (ICLR 2019): POT with a deterministic encoder,
the squared Euclidean cost and, as latent divergence, the sliced Wasserstein divergence SW_2^2
between a batch of codes and a batch of prior draws, on L = 50 random directions per step (their
code's MNIST setting; ``vegan_tf.divergences.SlicedWasserstein``, global batch). lambda = 10, the
weight of their code's MNIST runs and WAE-MMD's; their reconstruction term is a per-pixel mean,
ours the sum over pixels, so the same lambda weighs the latent term less here. Kept so that this
row differs from configs/wae_mmd_digits.py and configs/pot_sinkhorn_digits.py in D alone (with their
Adam(1e-3, beta_1 = 0.5) and encoder pre-training). Measured on 600 steps without pre-training
(tests/test_quality.py's short run, seed 0, digits-feature FD): 18.7 at lambda = 10, 25.1 at
lambda = 100, 105.3 without the latent term (lambda = 0); WAE-MMD's config 17.2.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("pot", divergence="sliced_wasserstein")
    c.model.update(lam=10.0, pretrain_encoder=True)
    c.model.sliced_wasserstein.update(num_projections=50, sw_p=2.0)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
