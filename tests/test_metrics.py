"""Tests of vegan_tf.metrics (toy and image metrics) against closed forms and references."""

import itertools

import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.optimize
import scipy.spatial.distance

from test_costs_divergences import numpy_mmd
from vegan_tf.metrics import (
    fid_from_activations,
    kid_from_activations,
    mode_coverage,
    sharpness,
    toy_report,
    wasserstein2,
)

# ---------------------------------------------------------------- W2


def test_w2_of_a_shift_is_the_shift_length():
    x = np.random.default_rng(0).normal(size=(300, 2))
    shift = np.array([0.3, -0.4])
    assert wasserstein2(x, x + shift) == pytest.approx(0.5, rel=1e-9)
    assert wasserstein2(x, x) == pytest.approx(0.0, abs=1e-12)


def test_w2_brute_force_equal_sizes():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    cost = scipy.spatial.distance.cdist(x, y, "sqeuclidean")
    best = min(cost[range(5), list(s)].mean() for s in itertools.permutations(range(5)))
    assert wasserstein2(x, y) == pytest.approx(np.sqrt(best), rel=1e-10)


def test_w2_linear_program_unequal_sizes():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    cost = scipy.spatial.distance.cdist(x, y, "sqeuclidean")
    # min <P, C> s.t. P 1 = 1/3, P^T 1 = 1/4, P >= 0.
    rows = np.kron(np.eye(3), np.ones((1, 4)))
    cols = np.kron(np.ones((1, 3)), np.eye(4))
    lp = scipy.optimize.linprog(
        cost.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.r_[np.full(3, 1 / 3), np.full(4, 1 / 4)]
    )
    assert wasserstein2(x, y) == pytest.approx(np.sqrt(lp.fun), rel=1e-8)


# ---------------------------------------------------------------- mode coverage

RING = np.stack([2 * np.cos(np.arange(8) * np.pi / 4), 2 * np.sin(np.arange(8) * np.pi / 4)], 1)
STD = 0.02


def _near(centers, per_mode, rng):
    """`per_mode` points per centre, each within 2 std of it."""
    angle = rng.uniform(0, 2 * np.pi, size=(len(centers), per_mode))
    radius = rng.uniform(0, 2 * STD, size=(len(centers), per_mode))
    offsets = np.stack([radius * np.cos(angle), radius * np.sin(angle)], -1)
    return (centers[:, None, :] + offsets).reshape(-1, 2)


def test_mode_coverage_all_half_and_noise():
    rng = np.random.default_rng(3)
    full = mode_coverage(_near(RING, 100, rng), RING, STD)
    assert full["modes_covered"] == 8 and full["num_modes"] == 8
    assert full["high_quality"] == 1.0
    np.testing.assert_array_equal(full["counts"], np.full(8, 100))

    half = mode_coverage(_near(RING[::2], 200, rng), RING, STD)
    assert half["modes_covered"] == 4 and half["high_quality"] == 1.0
    np.testing.assert_array_equal(half["counts"], [200, 0] * 4)

    noise = rng.uniform(-1.0, 1.0, size=(800, 2))  # inside the ring, > 0.5 from every mode
    none = mode_coverage(noise, RING, STD)
    assert none["modes_covered"] == 0 and none["high_quality"] == 0.0
    np.testing.assert_array_equal(none["counts"], np.zeros(8))

    mixed = mode_coverage(np.vstack([_near(RING, 50, rng), noise[:400]]), RING, STD)
    assert mixed["modes_covered"] == 8 and mixed["high_quality"] == 0.5


def test_mode_coverage_threshold_and_boundary():
    rng = np.random.default_rng(4)
    # 7 modes with 100 samples and one with 10: threshold 0.2 * 710 / 8 = 17.75.
    samples = np.vstack([_near(RING[:7], 100, rng), _near(RING[7:], 10, rng)])
    result = mode_coverage(samples, RING, STD)
    assert result["min_count"] == pytest.approx(17.75)
    assert result["modes_covered"] == 7 and result["counts"][7] == 10
    # With the threshold lowered to one expected-share of 0.1 (8.875) it counts.
    assert mode_coverage(samples, RING, STD, min_share=0.1)["modes_covered"] == 8
    # High quality is strict: distance < num_std * std.
    grid = np.array([[0.0, 0.0], [4.0, 0.0]])
    at_radius = np.array([[1.5, 0.0], [1.4999, 0.0], [4.0, 1.5], [4.0, 1.4999]])
    result = mode_coverage(at_radius, grid, std=0.5, num_std=3.0)
    np.testing.assert_array_equal(result["counts"], [1, 1])
    assert result["high_quality"] == 0.5


def test_toy_report():
    rng = np.random.default_rng(5)
    samples = _near(RING, 20, rng)
    report = toy_report(samples, samples + [0.0, 0.1], RING, STD)
    assert report["w2"] == pytest.approx(0.1, rel=1e-9)
    assert report["modes_covered"] == 8 and report["high_quality"] == 1.0


# ---------------------------------------------------------------- sharpness


def test_sharpness_hand_computed():
    image = np.zeros((4, 4))
    image[1, 1] = 1.0
    # 'valid' Laplacian responses: [[-4, 1], [1, 0]]; mean -0.5, variance 4.5 - 0.25.
    assert sharpness(image[None, :, :, None]) == pytest.approx(4.25)
    rgb = np.repeat(image[None, :, :, None], 3, axis=-1)
    assert sharpness(rgb) == pytest.approx(4.25)
    batch = np.stack([image, np.full((4, 4), 0.7)])[..., None]
    assert sharpness(batch) == pytest.approx(4.25 / 2)


def test_sharpness_constant_checkerboard_and_blur():
    assert sharpness(np.full((3, 16, 16, 3), 0.3)) == 0.0
    board = (np.indices((16, 16)).sum(0) % 2).astype(float)
    blurred = scipy.ndimage.gaussian_filter(board, sigma=1.0)
    assert sharpness(board[None, ..., None]) > 10 * sharpness(blurred[None, ..., None]) > 0


def test_sharpness_matches_scipy_convolution():
    images = np.random.default_rng(6).uniform(size=(4, 10, 12, 3))
    kernel = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)
    expected = np.mean([np.var(scipy.ndimage.convolve(img.mean(-1), kernel)[1:-1, 1:-1]) for img in images])
    assert sharpness(images) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- FID


def _with_moments(rng, n, mean, cov):
    """n samples whose sample mean and (ddof=1) covariance are exactly `mean`, `cov`."""
    z = rng.normal(size=(n, len(mean)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return mean + z @ np.linalg.cholesky(cov).T


def _fid_reference(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def test_fid_identical_and_closed_forms():
    rng = np.random.default_rng(7)
    act = rng.normal(size=(200, 6))
    assert abs(fid_from_activations(act, act)) < 1e-9
    # Diagonal covariances: FID = |dmu|² + Σ (sqrt(s1) - sqrt(s2))².
    mu1, mu2 = np.zeros(4), np.array([1.0, 0.0, -2.0, 0.5])
    s1, s2 = np.array([1.0, 2.0, 0.5, 3.0]), np.array([4.0, 1.0, 0.5, 0.1])
    x = _with_moments(rng, 100, mu1, np.diag(s1))
    y = _with_moments(rng, 150, mu2, np.diag(s2))
    closed = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert fid_from_activations(x, y) == pytest.approx(closed, rel=1e-9)
    # Identity vs a full covariance S: FID = |dmu|² + d + tr S - 2 Σ sqrt(λ(S)).
    q = rng.normal(size=(4, 4))
    full = q @ q.T + 0.1 * np.eye(4)
    y = _with_moments(rng, 150, mu2, full)
    x = _with_moments(rng, 100, mu1, np.eye(4))
    closed = np.sum((mu1 - mu2) ** 2) + 4 + np.trace(full) - 2 * np.sum(np.sqrt(np.linalg.eigvalsh(full)))
    assert fid_from_activations(x, y) == pytest.approx(closed, rel=1e-9)


def test_fid_matches_scipy_reference():
    rng = np.random.default_rng(8)
    a = rng.normal(size=(80, 8)) @ rng.normal(size=(8, 8))
    b = rng.normal(size=(60, 8)) @ rng.normal(size=(8, 8)) + 0.3
    assert fid_from_activations(a, b) == pytest.approx(_fid_reference(a, b), rel=1e-7)
    # Rank-deficient covariances (n < d) still give a finite, non-negative value.
    low_rank = fid_from_activations(rng.normal(size=(5, 16)), rng.normal(size=(6, 16)))
    assert np.isfinite(low_rank) and low_rank > 0


# ---------------------------------------------------------------- KID


def _mmd2_reference(x, y):
    """Unbiased MMD² with k(u, v) = (u·v / d + 1)³, by explicit loops."""
    d = x.shape[1]
    return numpy_mmd(x, y, lambda u, v: (np.dot(u, v) / d + 1.0) ** 3)


def test_kid_full_set_matches_reference():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(25, 5)), rng.normal(size=(25, 5)) + 0.5
    # One subset of the full size: a permutation of each set, which MMD ignores.
    kid = kid_from_activations(a, b, num_subsets=1, subset_size=100)
    assert kid == pytest.approx(_mmd2_reference(a, b), rel=1e-10)


def test_kid_subsets_match_reference():
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(40, 4)), rng.normal(size=(30, 4)) * 1.5
    sampler = np.random.default_rng(3)
    expected = []
    for _ in range(4):
        idx1 = sampler.choice(40, 12, replace=False)
        idx2 = sampler.choice(30, 12, replace=False)
        expected.append(_mmd2_reference(a[idx1], b[idx2]))
    kid = kid_from_activations(a, b, num_subsets=4, subset_size=12, seed=3)
    assert kid == pytest.approx(np.mean(expected), rel=1e-10)


def test_kid_same_vs_shifted():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(500, 8)), rng.normal(size=(500, 8))
    same = kid_from_activations(a, b, num_subsets=20, subset_size=200)
    shifted = kid_from_activations(a, b + 1.0, num_subsets=20, subset_size=200)
    assert abs(same) < 0.02 < shifted
