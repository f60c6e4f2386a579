"""WAE-MMD on CelebA 64x64 with the WAE paper's setting (Tolstikhin et al. 2018, Sec. 4 and Appendix E).

140x140 centre crop resized to 64x64; d_z = 64, prior N(0, 2 I) (sigma_z^2 = 2), squared Euclidean
cost, lambda = 100, IMQ kernel, Adam(1e-3, beta_1 = 0.5), batch 100, 55 epochs with the
learning rate halved after 30 epochs, divided by 5 after 50; DCGAN encoder 128 -> 1024 and
decoder 1024 -> 128 with final stride 2. Data: TFDS "celeb_a" (prepare it with `tfds build celeb_a`).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "celeb_a"
    c.data.batch_size = 100
    c.model.name = "wae_mmd"
    c.model.latent_dim = 64
    c.model.prior_scale = 2.0 ** 0.5
    c.model.arch = "conv"
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256, 128)
    c.model.final_stride = 2
    c.model.kernel_size = 5
    c.model.batch_norm = True
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.lam = 100.0
    c.model.kernel = "imq"
    c.model.mmd_estimator = "global"
    c.model.pretrain_encoder = True
    c.model.pretrain_steps = 200
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (30 / 55, 50 / 55)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 89100            # 55 epochs of 1620 batches (162,079 train images)
    c.train.steps_per_epoch = 1620
    return c
