"""WAE-MMD on MNIST with the WAE paper's setting (Tolstikhin et al. 2018, Sec. 4 and Appendix E).

DCGAN-style networks (4x4 stride-2 convolutions 128 -> 1024 with batch norm), d_z = 8,
squared Euclidean cost, lambda = 10, multi-scale IMQ kernel, Adam(1e-3, beta_1 = 0.5),
batch 100, 100 epochs with the learning rate halved after 30 epochs and divided by 5 after 50,
encoder pre-training. Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "mnist"
    c.data.batch_size = 100
    c.model.name = "wae_mmd"
    c.model.latent_dim = 8
    c.model.arch = "conv"
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256)
    c.model.final_stride = 1
    c.model.kernel_size = 4
    c.model.batch_norm = True
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.lam = 10.0
    c.model.kernel = "imq"
    c.model.mmd_estimator = "global"
    c.model.pretrain_encoder = True
    c.model.pretrain_steps = 200
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (0.3, 0.5)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 60000            # 100 epochs of 600 batches
    c.train.steps_per_epoch = 600
    return c
