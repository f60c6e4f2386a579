"""The three network roles of the zoo: encoder, decoder (generator), critic."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

ENCODER_KINDS = ("deterministic", "gaussian", "implicit")


@keras.saving.register_keras_serializable("vegan_tf")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' ``BatchNormalization`` (axis -1) computed by TensorFlow's fused kernel.

    Same variables, same forward values and the same moving-statistics update as the Keras layer,
    so checkpoints and ``.keras`` files are interchangeable; Keras 3 builds batch norm from
    separate moment, subtract, multiply and tile ops (forward and backward), the fused kernel
    (``FusedBatchNormV3`` and its fused gradient) does it in one pass each. On the WAE paper's
    reduced conv networks it takes a fifth off a CPU training step (benchmarks/README.md).

    Only image activations ``[N, H, W, C]`` take the fused kernel: on dense activations
    ``[N, C]`` (as ``[N, 1, 1, C]``) it is slower than Keras' ops on a CPU (0.86 against 0.54 ms
    forward and backward for 100 × 512), so those, and anything else the fused op does not
    cover (another axis, masks, renorm, no centre or scale), take the Keras layer. The fused op
    returns the Bessel-corrected batch variance; the moving variance is updated with the biased
    one, as Keras does. The class keeps Keras' name, by which ``.keras`` files address a layer's
    weights.
    """

    def _fusable(self, inputs, mask):
        return (len(inputs.shape) == 4 and self.axis in (-1, 3) and mask is None and not self.renorm
                and self.center and self.scale and not self.synchronized)

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        x = inputs
        if x.dtype not in (tf.float32, tf.bfloat16, tf.float16):
            x = tf.cast(x, tf.float32)
        gamma, beta = tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32)
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(x, gamma, beta, epsilon=self.epsilon,
                                                                is_training=True)
            n = tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32)
            variance = variance * (n - 1.0) / tf.maximum(n, 1.0)  # the fused op's is Bessel-corrected
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
            self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon, is_training=False)
        return tf.cast(y, self.compute_dtype)


def _batch_norm(synchronized, dtype=None):
    if synchronized:
        return keras.layers.BatchNormalization(synchronized=True, dtype=dtype)
    return BatchNormalization(dtype=dtype)


def _policy(mixed_precision):
    """The Keras dtype policy of a network's layers: bf16 compute with float32 variables, or float32."""
    return "mixed_bfloat16" if mixed_precision else None


def _mlp(hidden, activation, batch_norm, name, first_bias_stddev=0.0, sync_batch_norm=False, dtype=None):
    layers = [keras.layers.Flatten(dtype=dtype)]
    for i, width in enumerate(hidden):
        spread = i == 0 and first_bias_stddev > 0 and not batch_norm
        bias = keras.initializers.RandomNormal(stddev=first_bias_stddev) if spread else "zeros"
        layers.append(keras.layers.Dense(width, use_bias=not batch_norm, bias_initializer=bias, dtype=dtype))
        if batch_norm:
            layers.append(_batch_norm(sync_batch_norm, dtype))
        layers.append(keras.layers.Activation(activation, dtype=dtype))
    return keras.Sequential(layers, name=name)


def _conv_down(filters, kernel_size, activation, batch_norm, name, sync_batch_norm=False, dtype=None):
    """Stride-2 convolutions, then flatten (WAE encoder / DCGAN critic torso)."""
    layers = []
    for f in filters:
        layers.append(keras.layers.Conv2D(f, kernel_size, strides=2, padding="same", use_bias=not batch_norm,
                                          dtype=dtype))
        if batch_norm:
            layers.append(_batch_norm(sync_batch_norm, dtype))
        layers.append(keras.layers.Activation(activation, dtype=dtype))
    layers.append(keras.layers.Flatten(dtype=dtype))
    return keras.Sequential(layers, name=name)


def _float32(*tensors):
    """The network's outputs in float32 (losses and exports stay float32 under ``mixed_precision``)."""
    out = tuple(None if t is None else tf.cast(t, tf.float32) for t in tensors)
    return out if len(out) > 1 else out[0]


def _check_arch(arch, data_shape):
    if arch not in ("mlp", "conv"):
        raise ValueError(f"Unknown network arch {arch!r}; choose 'mlp' or 'conv'.")
    if arch == "conv" and len(data_shape) != 3:
        raise ValueError(f"arch='conv' needs image data [H, W, C], got data_shape={tuple(data_shape)}; use arch='mlp'.")


class _Network(keras.layers.Layer):
    """Stores constructor arguments and echoes them in ``get_config``."""

    def __init__(self, **kwargs):
        base = {k: kwargs.pop(k) for k in ("name", "dtype", "trainable") if k in kwargs}
        super().__init__(**base)
        self._args = dict(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, tuple(value) if isinstance(value, list) else value)

    def get_config(self):
        config = super().get_config()
        config.update({k: list(v) if isinstance(v, tuple) else v for k, v in self._args.items()})
        return config

    def build(self, input_shape=None):
        # The input shape is known from the constructor: one call on zeros creates every weight.
        if not self.built:
            args, kwargs = self.dummy_inputs()
            self.call(*args, **kwargs)
            self.built = True

    def dummy_inputs(self):
        raise NotImplementedError


@keras.saving.register_keras_serializable("vegan_tf")
class Encoder(_Network):
    """Encoder Q(Z|X): deterministic, Gaussian or implicit.

    ``call(x, training=False, noise=None)`` returns ``(mean, log_var)``:

    * ``deterministic``: ``mean`` is the code z = E(x); ``log_var`` is ``None``.
    * ``gaussian``: Q(Z|x) = N(mean, diag(exp(log_var))) (Kingma & Welling 2014).
    * ``implicit``: z = E(x, ε) with ε ~ N(0, I_noise_dim) given as ``noise``
      and concatenated to the input features (AVB, Mescheder et al. 2017, Fig. 2);
      ``log_var`` is ``None``.

    Args:
      data_shape: shape of one example, e.g. ``(28, 28, 1)`` or ``(2,)``.
      latent_dim: d_z.
      arch: ``"mlp"`` or ``"conv"``.
      hidden: MLP widths (``arch="mlp"``).
      filters: channels of the stride-2 convolutions (``arch="conv"``).
      kernel_size: convolution kernel size.
      batch_norm: batch norm after every hidden layer.
      sync_batch_norm: batch norm statistics of the global batch, all-reduced over every replica
        (``keras.layers.BatchNormalization(synchronized=True)``), rather than of each replica's
        rows; a step on R replicas then equals the one-device step. Only with ``batch_norm``.
      kind: one of ``deterministic``, ``gaussian``, ``implicit``.
      noise_dim: size of ε for ``implicit``.
      mixed_precision: compute in bfloat16 with float32 variables (Keras' ``mixed_bfloat16``
        policy), outputs cast to float32; for the convolutional networks on CPUs with bf16
        matrix units (AVX512-BF16, AMX) and on TPUs.
    """

    def __init__(self, data_shape, latent_dim, arch="mlp", hidden=(256, 256), filters=(32, 64),
                 kernel_size=4, batch_norm=False, kind="deterministic", noise_dim=0, sync_batch_norm=False,
                 mixed_precision=False, **kwargs):
        _check_arch(arch, data_shape)
        if kind not in ENCODER_KINDS:
            raise ValueError(f"Unknown encoder kind {kind!r}; choose one of {ENCODER_KINDS}.")
        if kind == "implicit" and noise_dim <= 0:
            raise ValueError("An implicit encoder needs noise_dim > 0.")
        super().__init__(data_shape=tuple(data_shape), latent_dim=latent_dim, arch=arch, hidden=tuple(hidden),
                         filters=tuple(filters), kernel_size=kernel_size, batch_norm=batch_norm, kind=kind,
                         noise_dim=noise_dim, sync_batch_norm=sync_batch_norm, mixed_precision=mixed_precision,
                         **kwargs)
        dtype = _policy(mixed_precision)
        if arch == "mlp":
            self.torso = _mlp(hidden, "relu", batch_norm, "torso", sync_batch_norm=sync_batch_norm, dtype=dtype)
        else:
            self.torso = _conv_down(filters, kernel_size, "relu", batch_norm, "torso", sync_batch_norm, dtype)
        if kind == "implicit":
            self.noise_mixer = _mlp((hidden or (256,))[-1:], "relu", False, "noise_mixer", dtype=dtype)
        self.head = keras.layers.Dense(latent_dim * (2 if kind == "gaussian" else 1), name="head", dtype=dtype)

    def dummy_inputs(self):
        noise = tf.zeros((2, self.noise_dim)) if self.kind == "implicit" else None
        return (tf.zeros((2,) + self.data_shape),), {"noise": noise}

    def call(self, x, training=False, noise=None):
        h = self.torso(x, training=training)
        if self.kind == "implicit":
            if noise is None:
                raise ValueError("An implicit encoder needs `noise` of shape [batch, noise_dim].")
            return self._mix(h, noise, training), None
        out = _float32(self.head(h))
        if self.kind == "gaussian":
            mean, log_var = tf.split(out, 2, axis=-1)
            return mean, log_var
        return out, None

    def _mix(self, h, noise, training):
        h = self.noise_mixer(tf.concat([h, tf.cast(noise, h.dtype)], axis=-1), training=training)
        return _float32(self.head(h))

    def implicit_draws(self, x, noise, training=False):
        """An implicit encoder's codes of every row of ``x`` for each of k noise draws: ``noise`` ``[k, n, noise_dim]``
        gives ``[k, n, latent_dim]``, the k-th with ``noise[k]`` (the torso runs once, on ``x``)."""
        if self.kind != "implicit":
            raise ValueError(f"implicit_draws needs an implicit encoder, this one is {self.kind!r}.")
        h = self.torso(x, training=training)
        k, n = tf.shape(noise)[0], tf.shape(noise)[1]
        tiled = tf.reshape(tf.repeat(h[None], k, axis=0), tf.concat([[k * n], tf.shape(h)[1:]], 0))
        z = self._mix(tiled, tf.reshape(noise, [k * n, self.noise_dim]), training)
        return tf.reshape(z, [k, n, self.latent_dim])


@keras.saving.register_keras_serializable("vegan_tf")
class Decoder(_Network):
    """Decoder / generator G(z); returns the pre-activation output ("logits").

    The model applies ``output_activation`` (``sigmoid`` for images in [0, 1],
    ``linear`` for points) so that Bernoulli costs can use the logits.

    For ``arch="conv"`` the decoder is: dense to ``(h0, w0, decoder_filters[0])``,
    ReLU (the WAE code's ``h0``; the paper's table leaves it out), then a 4×4
    stride-2 transposed convolution with batch norm and ReLU for every further
    entry of ``decoder_filters``, then a transposed convolution of stride
    ``final_stride`` to the data channels. h0 = H / (2^(len−1) · final_stride).

    Args:
      data_shape, latent_dim, arch, hidden, kernel_size, batch_norm, sync_batch_norm, mixed_precision:
        as ``Encoder``.
      decoder_filters: channels at each resolution, coarsest first.
      final_stride: 1 (the WAE MNIST ``dcgan_mod`` decoder) or 2 (the CelebA one).
      output_activation: ``"sigmoid"`` or ``"linear"``.
    """

    def __init__(self, data_shape, latent_dim, arch="mlp", hidden=(256, 256), decoder_filters=(64, 32),
                 kernel_size=4, batch_norm=False, final_stride=1, output_activation="sigmoid", sync_batch_norm=False,
                 mixed_precision=False, **kwargs):
        _check_arch(arch, data_shape)
        if output_activation not in ("sigmoid", "linear"):
            raise ValueError(f"output_activation must be 'sigmoid' or 'linear', got {output_activation!r}.")
        super().__init__(data_shape=tuple(data_shape), latent_dim=latent_dim, arch=arch, hidden=tuple(hidden),
                         decoder_filters=tuple(decoder_filters), kernel_size=kernel_size, batch_norm=batch_norm,
                         final_stride=final_stride, output_activation=output_activation,
                         sync_batch_norm=sync_batch_norm, mixed_precision=mixed_precision, **kwargs)
        dtype = _policy(mixed_precision)
        if arch == "mlp":
            self.body = keras.Sequential(
                [_mlp(hidden, "relu", batch_norm, "torso", sync_batch_norm=sync_batch_norm, dtype=dtype),
                 keras.layers.Dense(math.prod(data_shape), dtype=dtype),
                 keras.layers.Reshape(tuple(data_shape), dtype=dtype)], name="body")
        else:
            self.body = self._conv_body()

    def _conv_body(self):
        h, w, c = self.data_shape
        factor = 2 ** (len(self.decoder_filters) - 1) * self.final_stride
        if h % factor or w % factor:
            raise ValueError(f"Image size {h}x{w} is not divisible by {factor} = 2^(len(decoder_filters)-1) * "
                             f"final_stride; change decoder_filters or final_stride.")
        f0, dtype = self.decoder_filters[0], _policy(self.mixed_precision)
        layers = [keras.layers.Dense((h // factor) * (w // factor) * f0, dtype=dtype),
                  keras.layers.Reshape((h // factor, w // factor, f0), dtype=dtype),
                  keras.layers.Activation("relu", dtype=dtype)]
        for f in self.decoder_filters[1:]:
            layers.append(keras.layers.Conv2DTranspose(f, self.kernel_size, strides=2, padding="same",
                                                       use_bias=not self.batch_norm, dtype=dtype))
            if self.batch_norm:
                layers.append(_batch_norm(self.sync_batch_norm, dtype))
            layers.append(keras.layers.Activation("relu", dtype=dtype))
        layers.append(keras.layers.Conv2DTranspose(c, self.kernel_size, strides=self.final_stride, padding="same",
                                                   dtype=dtype))
        return keras.Sequential(layers, name="body")

    def dummy_inputs(self):
        return (tf.zeros((2, self.latent_dim)),), {}

    def call(self, z, training=False):
        return _float32(self.body(z, training=training))

    def activate(self, logits):
        """Maps the decoder output to data space."""
        return tf.sigmoid(logits) if self.output_activation == "sigmoid" else logits


@keras.saving.register_keras_serializable("vegan_tf")
class Critic(_Network):
    """A scalar-valued network f(x): WGAN critic, GAN discriminator, latent discriminator.

    ``call(x) -> [batch]``; with ``features`` = k > 0, ``[batch, k]`` (the learnt cost's feature map). No batch norm by default (the WGAN-GP penalty is per
    example, Gulrajani et al. 2017, Sec. 4); LeakyReLU(0.2) for ``conv`` as in DCGAN.

    Args:
      input_shape_: shape of one input, e.g. ``(8,)`` for a latent discriminator.
      arch, hidden, filters, kernel_size, batch_norm, sync_batch_norm, mixed_precision: as ``Encoder``.
      extra_dim: size of an extra vector input concatenated to the features
        (e.g. the code z of AVB's T(x, z)); 0 for none.
      first_bias_stddev: the MLP's first-layer biases start N(0, stddev²) instead of 0.
        Where the network's input gradient is the output, as LSOT's map T = ∇φ, a ReLU
        φ has a piecewise-constant gradient whose jumps sit on the first layer's hinges
        and get no gradient signal of their own: zero biases put every hinge through
        the origin (cells that are wedges about 0), random ones spread them over the
        input's support so the map can place its jumps anywhere.
      features: 0 for a scalar output; k > 0 for k outputs (a feature map).
    """

    def __init__(self, input_shape_, arch="mlp", hidden=(256, 256), filters=(32, 64), kernel_size=4,
                 batch_norm=False, extra_dim=0, first_bias_stddev=0.0, sync_batch_norm=False, mixed_precision=False,
                 features=0, **kwargs):
        _check_arch(arch, input_shape_)
        super().__init__(input_shape_=tuple(input_shape_), arch=arch, hidden=tuple(hidden), filters=tuple(filters),
                         kernel_size=kernel_size, batch_norm=batch_norm, extra_dim=extra_dim,
                         first_bias_stddev=first_bias_stddev, sync_batch_norm=sync_batch_norm,
                         mixed_precision=mixed_precision, features=int(features), **kwargs)
        dtype = _policy(mixed_precision)
        if arch == "mlp":
            self.torso = _mlp(hidden, "relu", batch_norm, "torso", first_bias_stddev, sync_batch_norm, dtype)
        else:
            self.torso = _conv_down(filters, kernel_size, "leaky_relu", batch_norm, "torso", sync_batch_norm, dtype)
        if extra_dim:
            self.joint = _mlp((hidden or (256,))[-1:], "relu", False, "joint", dtype=dtype)
        self.head = keras.layers.Dense(self.features or 1, name="head", dtype=dtype)

    def dummy_inputs(self):
        extra = tf.zeros((2, self.extra_dim)) if self.extra_dim else None
        return (tf.zeros((2,) + self.input_shape_),), {"extra": extra}

    def call(self, x, training=False, extra=None):
        h = self.torso(x, training=training)
        if self.extra_dim:
            if extra is None:
                raise ValueError(f"This critic takes an extra input of size {self.extra_dim}.")
            h = self.joint(tf.concat([h, tf.cast(extra, h.dtype)], axis=-1), training=training)
        out = self.head(h)
        return _float32(out if self.features else tf.squeeze(out, axis=-1))
