"""The Sinkhorn auto-encoder on the embedded scikit-learn digits (8x8): a row of the cookbook composed by config.

Patrini et al., "Sinkhorn AutoEncoders" (UAI 2019): POT with a deterministic encoder, the squared
Euclidean cost and, as latent divergence, the Sinkhorn divergence between a batch of codes and a
batch of prior draws (``vegan_tf.divergences.Sinkhorn``; debiased, global batch). d_z = 8, so
prior draws are about 16 apart in squared distance; epsilon = 1 resolves that scale and 50
iterations bring the loss within 1e-6 of its converged value (marginal error about 3e-4, from the
slowly converging self-transport terms: benchmarks/sinkhorn_solver.py). lambda = 10 as WAE-MMD's
(our choice); Adam(1e-3, beta_1 = 0.5) and encoder pre-training as configs/wae_mmd_digits.py, so the two
rows differ in D alone.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("pot", divergence="sinkhorn")
    c.model.update(lam=10.0, pretrain_encoder=True)
    c.model.sinkhorn.update(epsilon=1.0, num_iters=50)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
