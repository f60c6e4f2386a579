"""Encoders, decoders and critics, sized by a few constructor arguments.

Two architectures cover the zoo:

* ``arch="mlp"``: fully connected layers of widths ``hidden`` (toy 2-D data, digits, tests);
* ``arch="conv"``: the DCGAN-style networks of the WAE paper (Tolstikhin et al. 2018,
  Appendix E): 4×4 convolutions of stride 2 with batch norm and ReLU in the
  encoder/critic, a dense layer then 4×4 fractionally strided convolutions in the
  decoder. ``filters=(128, 256, 512, 1024)`` with ``decoder_filters=(1024, 512, 256)``
  and ``final_stride=1`` is the paper's MNIST pair.

Every network is a registered Keras layer that echoes its arguments in
``get_config``, so models holding them round-trip through ``.keras`` files.
``builders.build(role, config, ...)`` makes them from a config's flat keys.
"""

from vegan_tf.networks import builders
from vegan_tf.networks.layers import Critic, Decoder, Encoder

__all__ = ["Critic", "Decoder", "Encoder", "builders"]
