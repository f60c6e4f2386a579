"""The configuration schema every ``configs/*.py`` file starts from.

A config file is the paper's deltas from the declared defaults:

    def get_config():
        c = base_config("wae_mmd")            # every key of WAE-MMD, with its declared defaults
        c.data.name = "mnist"
        c.model.lam = 10.0                    # what the paper sets
        return c

``base_config(model)`` holds every key the model takes (``vegan_tf.models.default_config``:
network sizes, the model's declared ``SETTINGS``, for POT models every divergence's settings under its
name), one
optimizer per player, the schedule and the training settings. The training binary locks the
result, so a mistyped ``--config.x=y`` override is an error that suggests the key meant.

    config.seed                   int, seeds weights, data order and training noise
    config.data.name              a ``vegan_tf.data`` name ("digits", "mnist", "eight_gaussians"), a .npz path or a
                                  folder of images
    config.data.image_size, .channels, .crop   how images are brought to one shape (``vegan_tf.data.images``)
    config.data.test_fraction     the share of a folder's images held out as its test split
    config.data.max_bad_fraction  the share of a folder's files that may be damaged (left out, logged)
    config.data.data_dir          TFDS data_dir ("" for the TFDS default)
    config.data.download          TFDS sets: download and prepare the set with TFDS when it is not there (False)
    config.data.batch_size        global batch size (split over replicas)
    config.model.name             a key of ``vegan_tf.models.MODELS``
    config.model.*                network sizes and the model's own arguments (``models.default_config``)
    config.model.<divergence>.*   POT models: each latent divergence's settings (``model.mmd.kernel``)
    config.optimizers.<player>    name (adam, rmsprop, sgd), learning_rate and that optimizer's arguments
    config.sampler.kind           the latent sampler ``sample`` draws codes from (``vegan_tf.samplers``: prior, gmm,
                                  transport, flow_matching), fitted by the binary after training
    config.sampler.codes          the codes it is fitted to: "draw" (one of Q(Z|x) per image) or "mean"
    config.sampler.fit_examples   training images whose codes it is fitted to
    config.sampler.<kind>.*       each fitted kind's settings (``samplers.default_settings``)
    config.schedule               learning-rate schedule applied to every player
    config.train.*                steps, checkpoints, logging, strategy, export (``max_samples``: its request bound)
"""

from __future__ import annotations

import ml_collections
from ml_collections import config_dict

from vegan_tf import _moved, _shipped

__getattr__ = _moved.moved(__name__, {"SCHEDULES": "vegan_tf.optimizers:SCHEDULES"})

#: Types of the model keys whose default is "derived from another key" (``None``).
_DERIVED_TYPES = {"output_activation": str, "transport_bias_stddev": float}


def adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999):
    """An Adam optimizer's config (Keras' defaults)."""
    return ml_collections.ConfigDict({"name": "adam", "learning_rate": learning_rate, "beta_1": beta_1,
                                      "beta_2": beta_2})


def rmsprop(learning_rate=1e-3):
    """An RMSprop optimizer's config (WGAN with weight clipping: Arjovsky et al. 2017, Algorithm 1)."""
    return ml_collections.ConfigDict({"name": "rmsprop", "learning_rate": learning_rate})


def base_config(model: str = "wae_mmd", divergence: str | None = None, **settings) -> ml_collections.ConfigDict:
    """Every key of a run of ``model`` with its default (``divergence`` picks a POT model's row).

    ``settings``: model keys that decide the players, and so the optimizers, set before those are
    made (LSOT's ``transport_map``).
    """
    from vegan_tf import export, models, samplers  # TensorFlow loads with them; config files import this first

    c = ml_collections.ConfigDict()
    c.seed = 0

    c.data = ml_collections.ConfigDict()
    c.data.name = "digits"
    c.data.data_dir = ""
    c.data.download = False                 # TFDS sets: download and prepare with TFDS if not in data_dir
    c.data.batch_size = 100
    c.data.image_size = 0                   # images resized to image_size x image_size (0: as the source gives them)
    c.data.channels = 0                     # 1 grey, 3 RGB (0: as the source gives them)
    c.data.crop = ""                        # "", "center" (largest centred square), "celeb_a" (central 140x140)
    c.data.test_fraction = 0.1              # a folder's test split (without train/ and test/ subfolders)
    c.data.max_bad_fraction = 0.01          # a folder's damaged files left out up to this share, else refused

    defaults = models.default_config(model)
    if divergence is not None:
        defaults["divergence"] = divergence
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ValueError(f"base_config({model!r}) takes model keys; {unknown} are not keys of {model!r}.")
    defaults.update(settings)
    c.model = ml_collections.ConfigDict(
        {k: config_dict.placeholder(_DERIVED_TYPES.get(k, tuple)) if v is None else v for k, v in defaults.items()})
    if issubclass(models.MODELS[model], models.POT):
        for key, owner in models.DIVERGENCE_SETTINGS.items():
            # 0.2's flat name of a divergence setting (``--config.model.kernel=rbf``): None unless set; ``resolve``
            # moves a value set here under its divergence (``model.mmd.kernel``), with a DeprecationWarning.
            c.model[key] = config_dict.placeholder(type(owner.SETTINGS[key]))

    c.optimizers = ml_collections.ConfigDict({player: adam() for player in models.player_names(defaults)})

    c.sampler = ml_collections.ConfigDict()
    c.sampler.kind = "prior"                # prior | gmm | transport | flow_matching
    c.sampler.codes = "draw"                # draw (Z ~ Q(Z|x)) | mean (the encoder's mean code)
    c.sampler.fit_examples = 20000          # training images whose codes the sampler is fitted to
    for kind in samplers.SAMPLERS:
        if samplers.default_settings(kind):
            c.sampler[kind] = ml_collections.ConfigDict(samplers.default_settings(kind))

    c.schedule = ml_collections.ConfigDict()
    c.schedule.name = "constant"           # constant | piecewise | cosine
    c.schedule.boundaries = (0.5, 0.75)     # piecewise: fractions of train.num_steps
    c.schedule.factors = (0.5, 0.2)         # piecewise: cumulative multipliers after each boundary
    c.schedule.warmup_steps = 0

    c.train = ml_collections.ConfigDict()
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150           # a checkpoint, TensorBoard scalars and a progress line per "epoch"
    c.train.sample_every_epochs = 5         # image grid to TensorBoard
    c.train.keep_checkpoints = 3
    c.train.strategy = "default"            # default | mirrored | multi_worker | tpu
    c.train.num_cpu_devices = 1             # >1 splits the CPU into logical devices (for "mirrored" on a CPU)
    c.train.tpu = ""                        # TPU address for strategy="tpu"
    c.train.deterministic = False           # tf op determinism (bit-identical reruns, slower)
    c.train.export = True
    c.train.max_samples = export.DEFAULT_MAX_SAMPLES  # the export's bound on num_samples and batch per request
    c.train.eval_samples = 1000             # samples for the final metrics
    c.train.verbose = 1                     # Keras progress bar: 0 silent, 1 bar, 2 one line per epoch
    c.train.steps_per_execution = 0         # steps per compiled call; 0: 10 on one device, 1 under mirrored and
    #                                         multi_worker (lowered to a divisor of steps_per_epoch)
    c.train.jit_compile = "auto"            # XLA: auto (Keras': on with an accelerator, off on a CPU) | on | off
    return c


def resolve(config: ml_collections.ConfigDict, warn: bool = True) -> ml_collections.ConfigDict:
    """Moves 0.2's flat divergence settings of ``config.model`` under their divergence, in place; returns ``config``.

    ``config.model.kernel = "rbf"`` (a 0.2 config file, command line or ``config.json``) becomes
    ``config.model.mmd.kernel``, with a ``DeprecationWarning`` naming both (the flat names go in
    0.4; ``warn=False`` for a 0.2 workdir's ``config.json``, which the next run writes again); the
    flat aliases left at None are removed. The training binary resolves every config before it
    checks or writes it; ``models.build`` reads either form.
    """
    from vegan_tf import models

    model = config.get("model")
    if model is None or not issubclass(models.MODELS.get(model.get("name"), object), models.POT):
        return config  # other models' settings are their own (the Sinkhorn generator's epsilon)
    flat = {k: model[k] for k in models.DIVERGENCE_SETTINGS if k in model}
    if not flat:
        return config
    nested, moved = models.nest_divergence_settings({"name": model.name, **flat})
    if warn:
        models.warn_moved(moved)
    with config.unlocked():
        for key in flat:
            del model[key]
        for owner, settings in nested.items():
            if owner != "name":
                if owner not in model:
                    model[owner] = ml_collections.ConfigDict()
                for key, value in settings.items():
                    model[owner][key] = value
    return config


def from_json(text: str) -> ml_collections.ConfigDict:
    """The config a workdir's ``config.json`` holds (lists become tuples again)."""
    return _shipped.config_from_json(text)


def from_file(path) -> ml_collections.ConfigDict:
    """``get_config()`` of a config file (a ``configs/*.py`` path), as ``--config=path`` loads it."""
    import importlib.util
    import pathlib

    path = pathlib.Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def wae_mnist_setting(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """The WAE paper's MNIST data, networks and schedule (Tolstikhin et al. 2018, Sec. 4 and App. E).

    DCGAN-style encoder (4×4 stride-2 convolutions 128 → 1024 with batch norm) and decoder
    (dense to 7×7×1024, transposed convolutions 512, 256, then stride 1 to one channel), d_z = 8,
    batch 100, 100 epochs with the learning rate halved after 30 and divided by 5 after 50.
    """
    c.data.name, c.data.batch_size = "mnist", 100
    c.model.latent_dim = 8
    c.model.arch, c.model.batch_norm, c.model.kernel_size = "conv", True, 4
    c.model.filters, c.model.decoder_filters, c.model.final_stride = (128, 256, 512, 1024), (1024, 512, 256), 1
    c.schedule.name, c.schedule.boundaries, c.schedule.factors = "piecewise", (0.3, 0.5), (0.5, 0.1)
    c.train.num_steps, c.train.steps_per_epoch = 60000, 600  # 100 epochs of 600 batches
    return c


def eight_gaussians_setting(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """The eight-Gaussians ring with the toy networks every model shares there.

    MLPs of three ReLU layers of 256 (``hidden``), d_z = 2, batch 256, 3,000 steps in epochs of
    500, 2,000 samples for the evaluation (exact W2 and mode coverage).
    """
    c.data.name, c.data.batch_size = "eight_gaussians", 256
    c.model.latent_dim, c.model.arch, c.model.hidden = 2, "mlp", (256, 256, 256)
    c.train.num_steps, c.train.steps_per_epoch, c.train.eval_samples = 3000, 500, 2000
    return c


def wae_celeba_setting(c: ml_collections.ConfigDict, prior_scale: float = 2.0 ** 0.5) -> ml_collections.ConfigDict:
    """The WAE paper's CelebA data, networks and schedule (Tolstikhin et al. 2018, Sec. 4 and App. E).

    140×140 centre crop resized to 64×64, 5×5 convolutions 128 → 1024 with batch norm, decoder
    1024 → 128 with a final stride 2, d_z = 64, prior N(0, σ_z² I) with σ_z² = 2 by default,
    batch 100, 55 epochs with the learning rate halved after 30 and divided by 5 after 50.
    """
    c.data.name, c.data.batch_size = "celeb_a", 100
    c.data.crop, c.data.image_size = "celeb_a", 64  # also a folder of CelebA's 218x178 JPEGs: --config.data.name=DIR
    c.model.latent_dim, c.model.prior_scale = 64, prior_scale
    c.model.arch, c.model.batch_norm, c.model.kernel_size = "conv", True, 5
    c.model.filters, c.model.decoder_filters = (128, 256, 512, 1024), (1024, 512, 256, 128)
    c.model.final_stride = 2
    c.schedule.name, c.schedule.boundaries, c.schedule.factors = "piecewise", (30 / 55, 50 / 55), (0.5, 0.1)
    c.train.num_steps, c.train.steps_per_epoch = 89100, 1620  # 55 epochs of 1620 batches (162,079 images)
    return c
