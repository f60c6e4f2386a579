"""Sinkhorn generator on the embedded scikit-learn digits (8x8): MLP generator, a few minutes on 2 CPU cores.

Debiased Sinkhorn divergence with the squared Euclidean cost on the 64 pixels; epsilon = 0.5
against squared distances between digits of about 5 to 15; 50 Sinkhorn iterations (marginal error
about 1.5e-3, the loss within 3e-5 of its converged value: benchmarks/sinkhorn_solver.py); batch 100;
Adam(1e-3, beta_1 = 0.5).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("sinkhorn")
    c.model.update(epsilon=0.5, num_iters=50)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
