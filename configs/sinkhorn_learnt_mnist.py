"""Sinkhorn generator with a learnt cost on MNIST (Genevay, Peyre & Cuturi 2018, Sec. 3.2, Algorithm 1).

The generator of configs/sinkhorn_mnist.py (dense to 7x7x256, 4x4 stride-2 transposed convolutions
to 14x14x128 and 28x28x64 with batch norm, one sigmoid channel; d_z = 32; batch 200) fitted by the
debiased Sinkhorn divergence under the cost c(x, y) = |f(x) - f(y)|^2 on the unit-norm features f
of a cost network (4x4 stride-2 convolutions 32-64, LeakyReLU, to 64 features) that one update per
step moves up the divergence (our reading of the paper's constraint on f: unit-norm features bound
the cost, see models.SinkhornGenerator). epsilon = 0.01 against costs in [0, 4]; at most 100
Sinkhorn iterations; Adam(1e-3, beta_1 = 0.5) for the generator, Adam(1e-4, beta_1 = 0.5) for the
cost network: the settings chosen on the digits (configs/sinkhorn_learnt_digits.py), not yet
tuned on MNIST. Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("sinkhorn", learn_cost=True)
    c.data.name, c.data.batch_size = "mnist", 200
    c.model.update(latent_dim=32, arch="conv", decoder_filters=(256, 128, 64), batch_norm=True, epsilon=0.01,
                   num_iters=100, cost_features=64)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.cost_optimizer = adam(1e-4, beta_1=0.5)
    c.train.num_steps, c.train.steps_per_epoch = 10000, 500
    return c
