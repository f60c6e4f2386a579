"""Image-quality metrics: sharpness, FID and KID.

* :func:`sharpness` -- variance of the Laplacian, the blurriness measure used
  in the WAE paper (Tolstikhin et al., 2018) to compare VAE and WAE samples.
* :func:`fid_from_activations` -- Fréchet Inception Distance (Heusel et al.,
  2017) between Gaussians fitted to two sets of network activations.
* :func:`kid_from_activations` -- Kernel Inception Distance (Bińkowski et al.,
  2018, "Demystifying MMD GANs"): unbiased MMD² with a cubic polynomial kernel.

The activations (e.g. Inception pool features) are computed elsewhere; these
functions take numpy arrays (KID's U-statistic is ``divergences.mmd_u_statistic``).
"""

from __future__ import annotations

import numpy as np

from vegan_tf import divergences


def laplacian(images):
    """3x3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]] of grayscale images, 'valid' mode.

    Args:
      images: float [N, H, W, C] (channels averaged to gray) or [N, H, W].

    Returns:
      [N, H-2, W-2] array. 'valid' (no padding) so that no artificial edges
      are created at the border.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x.mean(axis=-1)
    if x.ndim != 3 or min(x.shape[1:]) < 3:
        raise ValueError(f"expected [N, H, W(, C)] images with H, W >= 3, got {x.shape}")
    return x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:] - 4.0 * x[:, 1:-1, 1:-1]


def sharpness(images):
    """Mean over images of the variance of the Laplacian of each image.

    Images are float NHWC in [0, 1] (or NHW); RGB is converted to gray by the
    channel mean; the Laplacian is the 3x3 kernel [[0,1,0],[1,-4,1],[0,1,0]]
    in 'valid' mode (no padding, see :func:`laplacian`); the variance is the
    population variance (ddof=0) over the (H-2)(W-2) filter responses. Higher
    means sharper; a constant image scores 0.
    """
    lap = laplacian(images)
    return float(np.mean(np.var(lap.reshape(len(lap), -1), axis=1)))


def mean_cov(act):
    """Sample mean and unbiased (ddof=1) covariance of activations [n, ...] (flattened), in float64."""
    act = np.asarray(act, dtype=np.float64)
    act = act.reshape(len(act), -1)
    return act.mean(axis=0), np.cov(act, rowvar=False, ddof=1)


def _sqrtm_psd(sym):
    """Square root of a symmetric positive semi-definite matrix by eigh."""
    w, v = np.linalg.eigh(0.5 * (sym + sym.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet (W2²) distance between N(mu1, sigma1) and N(mu2, sigma2).

        ||mu1 - mu2||² + tr(S1) + tr(S2) - 2 tr((S1 S2)^{1/2}).

    The trace term is computed without a general (complex) matrix square
    root: S1 S2 is similar to the symmetric PSD matrix M = S1^{1/2} S2 S1^{1/2}
    (same eigenvalues, also when S1 is singular), so
    tr((S1 S2)^{1/2}) = Σ sqrt(λ_i(M)), with tiny negative round-off
    eigenvalues clipped to 0.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    root1 = _sqrtm_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    eig = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_sqrt = np.sum(np.sqrt(np.clip(eig, 0.0, None)))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)


def fid_from_activations(act1, act2):
    """FID (Heusel et al., 2017) between two activation sets [n1, d], [n2, d].

    Fits a Gaussian to each set (sample mean, unbiased covariance with
    ddof=1, as the reference implementation's ``np.cov``) and returns their
    :func:`frechet_distance`. Computed in float64.
    """
    mu1, sigma1 = mean_cov(act1)
    mu2, sigma2 = mean_cov(act2)
    return frechet_distance(mu1, sigma1, mu2, sigma2)


def polynomial_mmd2(x, y):
    """Unbiased MMD² between samples x [m, d], y [n, d] with k(u, v) = (u·v/d + 1)³.

    The within-set averages exclude the diagonal (i = j) terms, which makes
    the estimator unbiased (it can be slightly negative).
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    d = x.shape[1]

    def kernel(a, b):
        return (a @ b.T / d + 1.0) ** 3

    return float(divergences.mmd_u_statistic(kernel(x, x), kernel(y, y), kernel(x, y)))


def kid_from_activations(act1, act2, num_subsets=100, subset_size=1000, seed=0, return_std=False):
    """KID (Bińkowski et al., 2018): mean of :func:`polynomial_mmd2` over subsets.

    For each of `num_subsets` subsets, ``min(subset_size, n1, n2)`` rows are
    drawn without replacement from each set, in this order::

        rng = np.random.default_rng(seed)
        idx1 = rng.choice(n1, size, replace=False)
        idx2 = rng.choice(n2, size, replace=False)

    Returns the mean of the subset estimates (each unbiased, so the mean is too), and with
    ``return_std`` also their standard deviation. Subsets as large as both sets are permutations
    of them, which MMD ignores: every estimate is then the same (use a smaller ``subset_size``).
    """
    act1 = np.asarray(act1, np.float64).reshape(len(act1), -1)
    act2 = np.asarray(act2, np.float64).reshape(len(act2), -1)
    size = min(subset_size, len(act1), len(act2))
    if size < 2:
        raise ValueError("KID needs at least 2 samples per set")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        idx1 = rng.choice(len(act1), size, replace=False)
        idx2 = rng.choice(len(act2), size, replace=False)
        values.append(polynomial_mmd2(act1[idx1], act2[idx2]))
    if return_std:
        return float(np.mean(values)), float(np.std(values))
    return float(np.mean(values))
