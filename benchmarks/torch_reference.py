"""vegan_tf's WAE-MMD step written in plain PyTorch: the reference of ``step_time.py``.

PyTorch is not a dependency of vegan_tf: ``step_time.py`` imports this module only in its
PyTorch worker process, and only when torch is installed.

The networks are rebuilt layer by layer from the spec that vegan_tf's side sends (widths,
4x4 kernels, strides; TF's "same" padding reproduced by asymmetric zero padding where TF pads
asymmetrically and by cropping after a transposed convolution whose "same" output is not
symmetric; batch norm with Keras' eps = 1e-3 and momentum 0.99; ReLU; sigmoid output).
The objective is vegan_tf's WAE-MMD: squared L2 summed over pixels and averaged over the
batch, plus lam times the unbiased multi-scale IMQ MMD² against N(0, prior_scale² I) draws of the
batch size; Adam with Keras' epsilon. A step is ``zero_grad``, prior draw, forward,
``backward``, ``step`` and ``loss.item()`` (the host sync vegan_tf's step makes too).
"""

from __future__ import annotations

import torch
from torch import nn

import harness


def same_padding(size, k, s):
    """(before, after) zero padding of TF's ``padding="same"`` for a forward convolution."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class Crop(nn.Module):
    """``t[:, :, start:start + size, start:start + size]``: TF's "same" output of a transposed convolution."""

    def __init__(self, start, size):
        super().__init__()
        self.start, self.size = start, size

    def forward(self, t):
        return t[:, :, self.start:self.start + self.size, self.start:self.start + self.size]


def build_networks(spec):
    """(encoder, decoder) of vegan_tf's ``Encoder``/``Decoder`` for ``spec``, on NCHW images."""
    h, w, c = spec["data_shape"]
    d, k, bn = spec["latent_dim"], spec["kernel_size"], spec["batch_norm"]

    def norm(width, dims):  # Keras' BatchNormalization: momentum 0.99 (torch counts 1 - it), eps 1e-3
        return [(nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(width, eps=1e-3, momentum=0.01)] if bn else []

    def mlp(width):
        layers = []
        for hidden in spec["hidden"]:
            layers += [nn.Linear(width, hidden, bias=not bn), *norm(hidden, 1), nn.ReLU()]
            width = hidden
        return layers, width

    if spec["arch"] == "mlp":
        layers, width = mlp(h * w * c)
        encoder = nn.Sequential(nn.Flatten(), *layers, nn.Linear(width, d))
        layers, width = mlp(d)
        return encoder, nn.Sequential(*layers, nn.Linear(width, h * w * c), nn.Unflatten(1, (c, h, w)))

    # Encoder: stride-2 "same" convolutions (no bias with batch norm), batch norm, ReLU; flatten; dense head.
    layers, ch, size = [], c, h
    for f in spec["filters"]:
        before, after = same_padding(size, k, 2)
        if before == after:
            layers.append(nn.Conv2d(ch, f, k, stride=2, padding=before, bias=not bn))
        else:
            layers += [nn.ZeroPad2d((before, after, before, after)), nn.Conv2d(ch, f, k, stride=2, bias=not bn)]
        layers += [*norm(f, 2), nn.ReLU()]
        ch, size = f, -(-size // 2)
    encoder = nn.Sequential(*layers, nn.Flatten(), nn.Linear(ch * size * size, d))

    # Decoder: dense to (f0, s0, s0), ReLU; stride-2 "same" transposed convolutions, batch norm, ReLU; the last one.
    def conv_t(cin, cout, stride, bias, size):
        crop = k - stride  # the full output is larger than TF's "same" one (stride * input) by k - stride
        if crop % 2 == 0:
            return [nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=crop // 2, bias=bias)]
        return [nn.ConvTranspose2d(cin, cout, k, stride=stride, bias=bias), Crop(crop // 2, size * stride)]

    f0 = spec["decoder_filters"][0]
    size = h // (2 ** (len(spec["decoder_filters"]) - 1) * spec["final_stride"])
    layers, ch = [nn.Linear(d, size * size * f0), nn.Unflatten(1, (f0, size, size)), nn.ReLU()], f0
    for f in spec["decoder_filters"][1:]:
        layers += [*conv_t(ch, f, 2, not bn, size), *norm(f, 2), nn.ReLU()]
        ch, size = f, size * 2
    return encoder, nn.Sequential(*layers, *conv_t(ch, c, spec["final_stride"], True, size))


def mmd(q, p, scales, base):
    """The unbiased multi-scale IMQ MMD² of two samples of the same size (``vegan_tf.divergences.mmd``)."""
    n = q.shape[0]
    off = 1.0 - torch.eye(n)

    def sq_dist(a, b):
        return ((a * a).sum(1, keepdim=True) + (b * b).sum(1, keepdim=True).T - 2.0 * a @ b.T).clamp_min(0.0)

    dqq, dpp, dqp = sq_dist(q, q), sq_dist(p, p), sq_dist(q, p)
    total = 0.0
    for s in scales:
        cs = base * s
        total = total + ((cs / (cs + dqq)) * off).sum() / (n * (n - 1))
        total = total + ((cs / (cs + dpp)) * off).sum() / (n * (n - 1))
        total = total - 2.0 * (cs / (cs + dqp)).sum() / (n * n)
    return total


#: The settings of vegan_tf's WAE-MMD that this port implements.
SUPPORTED = {"encoder_kind": "deterministic", "output_activation": "sigmoid", "cost": "l2sq", "cost_scale": 1.0,
             "kernel": "imq", "optimizer": "adam"}


class TorchSide(harness.Side):
    """The variants ``torch`` (eager) and ``torch_compile`` (forward+loss and Adam step under ``torch.compile``)."""

    def __init__(self, threads):
        super().__init__()
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)

    def versions(self):
        return {"torch": torch.__version__}

    def setup(self, spec, x_nhwc, warmup, variants):
        """Builds and warms up ``variants`` on the batch ``x_nhwc``; returns setup seconds, errors, parameter count."""
        x = torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())
        # Counted before the runners are built: each seeds itself, so this draw does not shift their random streams.
        params = sum(p.numel() for net in build_networks(spec) for p in net.parameters())
        setup_s, errors = self.build(variants, warmup, lambda variant: self._runner(variant, spec, x))
        return {"setup_s": setup_s, "errors": errors, "params": params}

    def _runner(self, variant, spec, x):
        differ = {key: spec[key] for key, value in SUPPORTED.items() if spec[key] != value}
        if differ:
            raise ValueError(f"The PyTorch reference implements {SUPPORTED} only; the case has {differ}.")
        torch.manual_seed(0)
        encoder, decoder = build_networks(spec)
        encoder.train(), decoder.train()
        opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=spec["learning_rate"],
                               betas=(spec["beta_1"], spec["beta_2"]), eps=spec["epsilon"])
        n, d = x.shape[0], spec["latent_dim"]

        def loss_fn(x, pz):
            z = encoder(x)
            reconstruction = (x - torch.sigmoid(decoder(z))).square().flatten(1).sum(1).mean()
            return reconstruction + spec["lam"] * mmd(z, pz, spec["kernel_scales"], spec["kernel_base"])

        def opt_step():
            opt.step()

        if variant == "torch_compile":
            loss_fn, opt_step = torch.compile(loss_fn), torch.compile(opt_step)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(x, spec["prior_scale"] * torch.randn(n, d))
            loss.backward()
            opt_step()
            return loss.item()

        return lambda steps: harness.timed_loop(step, steps)
