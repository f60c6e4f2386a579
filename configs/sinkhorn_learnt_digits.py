"""Sinkhorn generator with a learnt cost on the embedded digits (8x8): MLP generator and cost network.

Genevay, Peyre & Cuturi (2018), Sec. 3.2 and Algorithm 1: the cost c(x, y) = |f(x) - f(y)|^2 on
the unit-norm features f of a cost network (MLP 256-256 to 32 features), which one update per step
moves up the debiased Sinkhorn divergence while the generator moves it down. The cost is in
[0, 4] (2 - 2 cos); epsilon = 0.01; 100 Sinkhorn iterations; batch 100; Adam(1e-3, beta_1 = 0.5)
for the generator, Adam(1e-4, beta_1 = 0.5) for the cost network. The fixed pixel cost is
configs/sinkhorn_digits.py.

Measured (2,000 steps, seed 0, FD in the digits classifier's features, precision / recall):
epsilon 0.003, 0.01, 0.05, 0.2 with the cost network at 1e-3: 66.7, 34.6, 45.8, 303.7; epsilon 0.01
with it at 1e-4: 27.7 (0.52 / 0.73). The fixed pixel cost scored 25.3 (0.90 / 0.39) and WGAN-GP
(configs/wgan_gp_digits.py) 15.6 in the same run.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("sinkhorn", learn_cost=True)
    c.model.update(epsilon=0.01, num_iters=100, cost_features=32)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.cost_optimizer = adam(1e-4, beta_1=0.5)
    return c
