"""vegan_tf's recipes written by hand in plain PyTorch: the ``torch`` variant of ``step_time.py``.

PyTorch is not a dependency of vegan_tf: ``step_time.py`` imports this module only in its
PyTorch worker process, and only when torch is installed. The same worker also runs pythae's
models (``pythae_step.py``) on the networks built here.

The networks are rebuilt layer by layer from the plain-Python spec that vegan_tf's side sends
(``step_time.reference_spec``): widths, 4x4 kernels, strides; TF's "same" padding reproduced by
asymmetric zero padding where TF pads asymmetrically and by cropping after a transposed
convolution whose "same" output is not symmetric; batch norm with Keras' eps = 1e-3 and
momentum 0.99; ReLU (LeakyReLU 0.2 in convolutional critics); logits out, the sigmoid in the
loss. Each recipe's step (``STEPS``) writes its loss out as ``keras_reference.py`` does, with
one ``torch.optim.Adam`` per player (Keras' epsilon); a step ends with ``loss.item()`` (the host
sync vegan_tf's step makes too). The trainable parameter count is checked against vegan_tf's.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import scipy.optimize
import torch
from torch import nn

import harness


# ====================================================================== networks
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


def _norm(bn, width, dims):
    """Keras' BatchNormalization: momentum 0.99 (torch counts 1 - it), eps 1e-3."""
    return [(nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(width, eps=1e-3, momentum=0.01)] if bn else []


def _act(name):
    return nn.LeakyReLU(0.2) if name == "leaky_relu" else nn.ReLU()


def mlp(width, widths, activation="relu", bn=False, first_bias_stddev=0.0):
    """(layers, output width) of vegan_tf's MLP torso on flattened inputs of ``width``."""
    layers = []
    for i, w in enumerate(widths):
        linear = nn.Linear(width, w, bias=not bn)
        if i == 0 and first_bias_stddev > 0 and not bn:
            nn.init.normal_(linear.bias, std=first_bias_stddev)
        layers += [linear, *_norm(bn, w, 1), _act(activation)]
        width = w
    return layers, width


def conv_down(shape, filters, k, activation, bn):
    """(layers, flattened width) of stride-2 "same" convolutions on NCHW images of ``shape`` (h, w, c), then flatten."""
    h, _, ch = shape
    layers, size = [], h
    for f in filters:
        before, after = same_padding(size, k, 2)
        if before == after:
            layers.append(nn.Conv2d(ch, f, k, stride=2, padding=before, bias=not bn))
        else:
            layers += [nn.ZeroPad2d((before, after, before, after)), nn.Conv2d(ch, f, k, stride=2, bias=not bn)]
        layers += [*_norm(bn, f, 2), _act(activation)]
        ch, size = f, -(-size // 2)
    return layers + [nn.Flatten()], ch * size * size


class Net(nn.Module):
    """A torso, an optional second input joined after it in one more layer (``extra``), a head."""

    def __init__(self, torso, head, joint=None, squeeze=False):
        super().__init__()
        self.torso, self.head, self.squeeze = nn.Sequential(*torso), nn.Sequential(*head), squeeze
        self.joint = nn.Sequential(*joint) if joint else None

    def forward(self, x, extra=None):
        h = self.torso(x)
        if self.joint is not None:
            h = self.joint(torch.cat([h, extra], dim=-1))
        out = self.head(h)
        return out.squeeze(-1) if self.squeeze else out


def encoder(s):
    shape, d = s["data_shape"], s["latent_dim"]
    if s["arch"] == "mlp":
        torso, width = mlp(math.prod(shape), s["hidden"], "relu", s["batch_norm"])
        torso = [nn.Flatten(), *torso]
    else:
        torso, width = conv_down(shape, s["filters"], s["kernel_size"], "relu", s["batch_norm"])
    joint = None
    if s["encoder_kind"] == "implicit":
        joint, width = mlp(width + s["noise_dim"], (s["hidden"] or (256,))[-1:])
    return Net(torso, [nn.Linear(width, d * (2 if s["encoder_kind"] == "gaussian" else 1))], joint)


def decoder(s):
    h, w, c = s["data_shape"]
    d, k, bn = s["latent_dim"], s["kernel_size"], s["batch_norm"]
    if s["arch"] == "mlp":
        torso, width = mlp(d, s["hidden"], "relu", bn)
        return Net(torso, [nn.Linear(width, h * w * c), nn.Unflatten(1, (c, h, w))])

    def conv_t(cin, cout, stride, bias, size):
        crop = k - stride  # the full output is larger than TF's "same" one (stride * input) by k - stride
        if crop % 2 == 0:
            return [nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=crop // 2, bias=bias)]
        return [nn.ConvTranspose2d(cin, cout, k, stride=stride, bias=bias), Crop(crop // 2, size * stride)]

    f0 = s["decoder_filters"][0]
    size = h // (2 ** (len(s["decoder_filters"]) - 1) * s["final_stride"])
    layers, ch = [nn.Linear(d, size * size * f0), nn.Unflatten(1, (f0, size, size)), nn.ReLU()], f0
    for f in s["decoder_filters"][1:]:
        layers += [*conv_t(ch, f, 2, not bn, size), *_norm(bn, f, 2), nn.ReLU()]
        ch, size = f, size * 2
    return Net(layers, conv_t(ch, c, s["final_stride"], True, size))


def critic(c):
    """vegan_tf's ``Critic`` (no batch norm): a scalar per example."""
    shape = c["input_shape"]
    if c["arch"] == "mlp":
        torso, width = mlp(math.prod(shape), c["hidden"], "relu", False, c["first_bias_stddev"])
        torso = [nn.Flatten(), *torso]
    else:
        torso, width = conv_down(shape, c["filters"], c["kernel_size"], "leaky_relu", False)
    joint = None
    if c["extra_dim"]:
        joint, width = mlp(width + c["extra_dim"], (c["hidden"] or (256,))[-1:])
    return Net(torso, [nn.Linear(width, 1)], joint, squeeze=True)


def build_networks(s):
    """The recipe's networks by vegan_tf's attribute names."""
    nets = harness.reference_networks(s, decoder, encoder, critic)
    if "potential" in nets:  # T = grad phi ignores phi's constant, as vegan_tf's LSOT
        nets["potential"].head[-1].bias.requires_grad_(False)
    return nets


def trainable(nets):
    return sum(p.numel() for net in nets.values() for p in net.parameters() if p.requires_grad)


# ====================================================================== losses, written out
def sq_dist(a, b):
    return ((a * a).sum(1, keepdim=True) + (b * b).sum(1, keepdim=True).T - 2.0 * a @ b.T).clamp_min(0.0)


def mmd(q, p, scales, base):
    """The unbiased multi-scale IMQ MMD² of two samples of the same size (``vegan_tf.divergences.mmd``)."""
    n = q.shape[0]
    off = 1.0 - torch.eye(n)
    dqq, dpp, dqp = sq_dist(q, q), sq_dist(p, p), sq_dist(q, p)
    total = 0.0
    for s in scales:
        cs = base * s
        total = total + ((cs / (cs + dqq)) * off).sum() / (n * (n - 1))
        total = total + ((cs / (cs + dpp)) * off).sum() / (n * (n - 1))
        total = total - 2.0 * (cs / (cs + dqp)).sum() / (n * n)
    return total


def sinkhorn_divergence(x, y, eps, p, iters, tol=0.0):
    """Debiased Sinkhorn divergence (log domain, uniform weights, the three problems batched), envelope gradient.

    With ``tol`` > 0 the iterations stop once the row marginals' L1 error is below it (vegan_tf's stop).
    """
    x, y = x.flatten(1), y.flatten(1)
    centre = (0.5 * (x.mean(0) + y.mean(0))).detach()
    x, y = x - centre, y - centre
    costs = [sq_dist(a, b) for a, b in ((x, y), (x, x), (y, y))]
    cost = torch.stack(costs if p == 2 else [c.clamp_min(1e-20).sqrt() for c in costs])
    c0 = cost.detach()
    n = x.shape[0]
    log_w = -math.log(n)
    with torch.no_grad():
        f = torch.zeros(3, n)
        g = torch.zeros(3, n)
        for _ in range(iters):
            f_new = -eps * torch.logsumexp(log_w + (g[:, None, :] - c0) / eps, dim=2)
            err = (math.exp(log_w) * (1.0 - torch.exp((f - f_new) / eps)).abs()).sum(1).max() if tol else None
            f = f_new
            g = -eps * torch.logsumexp(log_w + (f[:, :, None] - c0) / eps, dim=1)
            if tol and err.item() <= tol:
                break
        plan = torch.exp(2.0 * log_w + (f[:, :, None] + g[:, None, :] - c0) / eps)
    value = f.sum(1) / n + g.sum(1) / n + (plan * (cost - c0)).sum((1, 2))
    return value[0] - 0.5 * value[1] - 0.5 * value[2]


def reconstruction(s, x, logits):
    if s["cost"] == "bernoulli":
        ce = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return ce.flatten(1).sum(1).mean()
    return (x - torch.sigmoid(logits)).square().flatten(1).sum(1).mean()


# ====================================================================== one step per recipe
def _prior(s, n):
    return s["prior_scale"] * torch.randn(n, s["latent_dim"])


def _params(*nets):
    return [p for net in nets for p in net.parameters() if p.requires_grad]


def descend(opt, loss):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


@contextlib.contextmanager
def frozen(net):
    """No gradients for ``net``'s weights while another player's loss runs through it (as TF's tape skips them)."""
    params = [p for p in net.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def wae(s, nets, opts):
    enc, dec, opt = nets["encoder"], nets["decoder"], opts["optimizer"]

    def step(x):
        z = enc(x)
        pz = _prior(s, x.shape[0])
        if s["divergence"] == "mmd":
            penalty = mmd(z, pz, s["kernel_scales"], s["kernel_base"])
        else:
            penalty = sinkhorn_divergence(z, pz, s["epsilon"], s["p"], s["num_iters"], s["sinkhorn_tol"])
        loss = reconstruction(s, x, dec(z)) + s["lam"] * penalty
        descend(opt, loss)
        return loss

    return step


def wae_gan(s, nets, opts):
    enc, dec, disc = nets["encoder"], nets["decoder"], nets["discriminator"]
    softplus = nn.functional.softplus

    def step(x):
        z0 = enc(x).detach()
        d_loss = s["lam"] * (softplus(-disc(_prior(s, x.shape[0]))).mean() + softplus(disc(z0)).mean())
        descend(opts["adversary_optimizer"], d_loss)
        with frozen(disc):
            z = enc(x)
            loss = reconstruction(s, x, dec(z)) + s["lam"] * softplus(-disc(z)).mean()
            descend(opts["optimizer"], loss)
        return loss

    return step


def avb(s, nets, opts):
    enc, dec, t_net = nets["encoder"], nets["decoder"], nets["discriminator"]
    softplus = nn.functional.softplus

    def step(x):
        noise = torch.randn(x.shape[0], s["noise_dim"])
        with torch.no_grad():
            z0 = enc(x, noise)
        with frozen(t_net):
            z = enc(x, noise)
            loss = reconstruction(s, x, dec(z)) + s["lam"] * t_net(x, z).mean()
            descend(opts["optimizer"], loss)
        t_loss = s["lam"] * (softplus(-t_net(x, z0)).mean() + softplus(t_net(x, _prior(s, x.shape[0]))).mean())
        descend(opts["adversary_optimizer"], t_loss)
        return loss

    return step


def wgan_gp(s, nets, opts):
    gen, f = nets["decoder"], nets["critic"]

    def step(x):
        n = x.shape[0]
        for _ in range(s["n_critic"]):
            with torch.no_grad():
                fake = torch.sigmoid(gen(_prior(s, n)))
            eps = torch.rand(n, 1, 1, 1)
            x_hat = (eps * x + (1.0 - eps) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(f(x_hat).sum(), x_hat, create_graph=True)
            gp = ((grad.flatten(1).square().sum(1) + 1e-12).sqrt() - 1.0).square().mean()
            c_loss = f(fake).mean() - f(x).mean() + s["lam"] * gp
            descend(opts["critic_optimizer"], c_loss)
        with frozen(f):
            g_loss = -f(torch.sigmoid(gen(_prior(s, n)))).mean()
            descend(opts["optimizer"], g_loss)
        return c_loss

    return step


def sinkhorn(s, nets, opts):
    gen = nets["decoder"]

    def step(x):
        loss = sinkhorn_divergence(torch.sigmoid(gen(_prior(s, x.shape[0]))), x, s["epsilon"], s["p"], s["num_iters"],
                                   s["sinkhorn_tol"])
        descend(opts["optimizer"], loss)
        return loss

    return step


def lsot(s, nets, opts):
    enc, dec, phi = nets["encoder"], nets["decoder"], nets["potential"]

    def step(x):
        rec = reconstruction(s, x, dec(enc(x)))
        descend(opts["optimizer"], rec)
        enc.eval()  # the codes of the updated encoder in inference mode, as vegan_tf's LSOT
        with torch.no_grad():
            codes = enc(x)
        enc.train()
        pz = _prior(s, x.shape[0]).requires_grad_(True)
        perm = scipy.optimize.linear_sum_assignment(sq_dist(pz.detach().double(), codes.double()).numpy())[1]
        matched = codes[torch.from_numpy(perm.astype(np.int64))]
        transport, = torch.autograd.grad(phi(pz).sum(), pz, create_graph=True)
        t_loss = ((transport - matched).square().sum(1) + 1e-12).sqrt().mean()
        descend(opts["transport_optimizer"], t_loss)
        return rec + t_loss

    return step


STEPS = {"wae_mmd": wae, "pot_sinkhorn": wae, "wae_gan": wae_gan, "avb": avb, "wgan_gp": wgan_gp,
         "sinkhorn": sinkhorn, "lsot": lsot}
#: Each player's networks (vegan_tf's ``players``).
PLAYERS = {"optimizer": {"wgan_gp": ("decoder",), "sinkhorn": ("decoder",)},
           "adversary_optimizer": ("discriminator",), "critic_optimizer": ("critic",),
           "transport_optimizer": ("potential",), "generator_optimizer": ("encoder",)}


def player_networks(recipe, player):
    names = PLAYERS[player]
    if isinstance(names, dict):
        names = names.get(recipe, ("encoder", "decoder"))
    return names


def adam(params, o):
    return torch.optim.Adam(params, lr=o["learning_rate"], betas=(o["beta_1"], o["beta_2"]), eps=o["epsilon"])


def build(s):
    """``(step, parameter count)``: ``step(x_nchw) -> loss`` (a tensor) trains one step of the recipe."""
    harness.check_reference_spec(s)
    nets = build_networks(s)
    for net in nets.values():
        net.train()
    opts = {name: adam(_params(*(nets[n] for n in player_networks(s["recipe"], name))), o)
            for name, o in s["optimizers"].items()}
    return STEPS[s["recipe"]](s, nets, opts), trainable(nets)


def _value(loss):
    return loss.item() if torch.is_tensor(loss) else float(loss)


class TorchSide(harness.Side):
    """The variants ``torch`` (this module) and ``pythae`` (``pythae_step.py``) in the PyTorch worker process."""

    def __init__(self, threads):
        super().__init__()
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
        self.peaks = {}

    def versions(self):
        out = {"torch": torch.__version__}
        try:
            from importlib import metadata

            out["pythae"] = metadata.version("pythae")
        except (ImportError, metadata.PackageNotFoundError):
            pass
        return out

    def setup(self, spec, x_nhwc, warmup, variants):
        """Builds and warms up ``variants``; returns setup seconds, errors and each variant's parameter count."""
        x = torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())
        params, self.peaks = {}, {}

        def make(variant):
            torch.manual_seed(0)
            if variant == "pythae":
                import pythae_step

                step, params[variant] = pythae_step.build(spec)
            else:
                step, params[variant] = build(spec)
            return lambda n: harness.timed_loop(lambda: _value(step(x)), n)

        setup_s, errors = self.build(variants, warmup, make)
        return {"setup_s": setup_s, "errors": errors, "params": params}

    def run(self, variant, n):
        return harness.peak_tracked(self.peaks, variant, lambda: self.runners[variant](n))

    def memory(self):
        return dict(self.peaks)
