"""Tests of vegan_tf.data: embedded sets, toy sets, .npz files, TFDS through mock_data."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import data
from vegan_tf.data import images, tfds_sets


def batches(ds):
    return [b for b in ds.as_numpy_iterator()]


# ----------------------------------------------------------------------------- digits
def test_digits_shapes_range_and_split():
    info = data.dataset_info("digits")
    assert info == data.DatasetInfo("digits", "image", (8, 8, 1), 1500, 297)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.num_train = 3
    train, test = data.load_array("digits", "train"), data.load_array("digits", "test")
    assert train.shape == (1500, 8, 8, 1) and test.shape == (297, 8, 8, 1)
    assert train.dtype == np.float32
    assert train.min() == 0.0 and train.max() == 1.0 and test.max() <= 1.0
    # The split is a partition of sklearn's 1,797 images, scaled by 1/16.
    from sklearn.datasets import load_digits

    everything = np.sort((load_digits().images / 16.0).reshape(1797, -1), axis=0)
    ours = np.sort(np.concatenate([train, test]).reshape(1797, -1), axis=0)
    np.testing.assert_allclose(ours, everything, atol=1e-7)


def test_digits_shuffle_is_deterministic_per_seed_and_reshuffles_each_epoch():
    first = batches(data.get_dataset("digits", batch_size=100, seed=1))
    again = batches(data.get_dataset("digits", batch_size=100, seed=1))
    other = batches(data.get_dataset("digits", batch_size=100, seed=2))
    assert len(first) == 15 and first[0].shape == (100, 8, 8, 1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    # Same multiset of images, just another order.
    np.testing.assert_allclose(
        np.sort(np.concatenate(first).ravel()), np.sort(data.load_array("digits", "train").ravel())
    )
    two_epochs = batches(data.get_dataset("digits", batch_size=1500, seed=1, repeat=True).take(2))
    assert not np.array_equal(two_epochs[0], two_epochs[1])
    # The test split is not shuffled by default.
    np.testing.assert_array_equal(
        np.concatenate(batches(data.get_dataset("digits", "test", batch_size=50, drop_remainder=False))),
        data.load_array("digits", "test"),
    )


def test_batching_drop_remainder_and_limit():
    ds = data.get_dataset("digits", batch_size=64)
    assert ds.element_spec == tf.TensorSpec((64, 8, 8, 1), tf.float32)
    assert len(batches(ds)) == 1500 // 64
    kept = batches(data.get_dataset("digits", batch_size=64, drop_remainder=False))
    assert len(kept) == 24 and kept[-1].shape[0] == 1500 - 23 * 64
    unbatched = data.get_dataset("digits", "test", limit=10)
    assert unbatched.element_spec == tf.TensorSpec((8, 8, 1), tf.float32)
    np.testing.assert_array_equal(np.stack(batches(unbatched)), data.load_array("digits", limit=10))
    # limit is applied before shuffling: a shuffled limited set holds the same 10 examples.
    shuffled = np.stack(batches(data.get_dataset("digits", "test", limit=10, shuffle=True)))
    np.testing.assert_array_equal(
        np.sort(shuffled.reshape(10, -1), axis=0), np.sort(data.load_array("digits", limit=10).reshape(10, -1), axis=0)
    )
    assert data.load_array("digits", limit=0).shape == (0, 8, 8, 1)
    with pytest.raises(ValueError, match="batch_size"):
        data.get_dataset("digits", batch_size=0)


# ----------------------------------------------------------------------------- toy sets
@pytest.mark.parametrize("name,k", [("eight_gaussians", 8), ("25_gaussians", 25)])
def test_gaussian_mixtures_match_their_modes(name, k):
    assert data.dataset_info(name) == data.DatasetInfo(name, "points", (2,), 100_000, 10_000)
    points = data.load_array(name, "train")
    assert points.shape == (100_000, 2) and points.dtype == np.float32
    centres, std = data.toy_modes(name)
    assert centres.shape == (k, 2)
    dist = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    nearest, mode = dist.min(axis=1), dist.argmin(axis=1)
    assert np.mean(nearest < 4 * std) > 0.999  # P(|N(0, s^2 I_2)| > 4s) = e^-8
    assert abs(np.mean(nearest**2) / (2 * std**2) - 1) < 0.05  # per-mode std as stated
    counts = np.bincount(mode, minlength=k)
    assert counts.min() > 0.9 * len(points) / k and counts.max() < 1.1 * len(points) / k
    np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=0.02)
    np.testing.assert_array_equal(points, data.load_array(name, "train"))  # fixed seed
    test = data.load_array(name, "test")
    assert test.shape == (10_000, 2) and not np.array_equal(test, points[:10_000])


def test_toy_mode_coordinates_follow_gan_toy():
    centres, std = data.toy_modes("eight_gaussians")
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2 / 1.414, rtol=1e-6)
    assert std == pytest.approx(0.02 / 1.414)
    centres, std = data.toy_modes("25_gaussians")
    np.testing.assert_allclose(np.unique(centres[:, 0]), np.arange(-2, 3) * 2 / 2.828, rtol=1e-6)
    assert std == pytest.approx(0.05 / 2.828)


def test_swiss_roll():
    points = data.load_array("swiss_roll", "train")
    assert points.shape == (100_000, 2) and points.dtype == np.float32
    # make_swiss_roll's x, z lie within about t * [-1, 1] with t <= 4.5 pi, plus noise.
    assert np.abs(points).max() < 4.5 * np.pi / 7.5 + 0.3
    assert np.abs(points).max() > 1.5
    with pytest.raises(ValueError, match="no discrete modes"):
        data.toy_modes("swiss_roll")
    with pytest.raises(ValueError, match="eight_gaussians"):
        data.toy_modes("digits")
    batch = next(iter(data.get_dataset("swiss_roll", batch_size=32, seed=3)))
    assert batch.shape == (32, 2) and batch.dtype == tf.float32


# ----------------------------------------------------------------------------- local .npz
def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(5, 4, 4), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    path = str(tmp_path / "tiny.npz")
    np.savez(path, x_train=x_train, y_train=np.arange(5), x_test=x_test, y_test=np.arange(3))
    assert data.dataset_info(path) == data.DatasetInfo(path, "image", (4, 4, 1), 5, 3)
    np.testing.assert_allclose(data.load_array(path, "train"), x_train[..., None] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data.load_array("npz:" + path), x_test[..., None] / 255.0, rtol=1e-6)
    batch = next(iter(data.get_dataset(path, batch_size=2)))
    assert batch.shape == (2, 4, 4, 1) and batch.dtype == tf.float32

    floats = rng.random((4, 3, 3, 3)).astype(np.float32)
    float_path = str(tmp_path / "floats.npz")
    np.savez(float_path, x_train=floats, x_test=floats[:2])
    np.testing.assert_array_equal(data.load_array(float_path, "train"), floats)


def test_npz_errors(tmp_path):
    missing = str(tmp_path / "nope.npz")
    with pytest.raises(data.DatasetNotFoundError, match="nope.npz"):
        data.get_dataset(missing)
    assert issubclass(data.DatasetNotFoundError, FileNotFoundError)
    path = str(tmp_path / "bad.npz")
    np.savez(path, images=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"x_train.*found keys \['images'\]"):
        data.load_array(path, "train")


def test_npz_that_is_not_an_archive_is_named_and_never_unpickled(tmp_path):
    """Random bytes named .npz: numpy's own advice would be to load it with allow_pickle."""
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(np.random.default_rng(0).bytes(256))
    with pytest.raises(ValueError, match=r"garbage.npz' is not a valid .npz file \(not a zip archive\)") as raised:
        data.dataset_info(str(garbage))
    assert "pickle" not in str(raised.value)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"not a valid .npz file \(a single .npy array\).*np.savez"):
        data.load_array(str(single))


@pytest.mark.parametrize("values, message", [
    (np.full((3, 4, 4), 200.0, np.float32), r"values in \[200, 200\].*Divide them by 255"),
    (np.full((3, 4, 4), -0.5, np.float32), r"values in \[-0.5, -0.5\]"),
    (np.array([[[np.nan]]] * 3, np.float32), r"NaN or infinite"),
])
def test_float_images_outside_the_unit_range_are_refused_with_the_fix(tmp_path, values, message):
    path = str(tmp_path / "floats.npz")
    np.savez(path, x_train=values, x_test=np.zeros((2, *values.shape[1:]), np.float32))
    with pytest.raises(ValueError, match=message):
        data.dataset_info(path)
    np.savez(path, x_train=np.full((3, 4, 4), 200, np.uint8), x_test=np.zeros((2, 4, 4), np.uint8))
    assert float(data.load_array(path, "train").max()) == pytest.approx(200 / 255)  # uint8 is scaled, as before


# ----------------------------------------------------------------------------- TFDS
def test_tfds_mnist_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    assert data.dataset_info("mnist") == data.DatasetInfo("mnist", "image", (28, 28, 1), 60_000, 10_000)
    with tfds.testing.mock_data(num_examples=10):
        ds = data.get_dataset("mnist", batch_size=4, seed=1)
        assert ds.element_spec == tf.TensorSpec((4, 28, 28, 1), tf.float32)
        got = batches(ds)
        assert len(got) == 2
        assert all(0.0 <= b.min() and b.max() <= 1.0 for b in got)
        again = batches(data.get_dataset("mnist", batch_size=4, seed=1))
        np.testing.assert_array_equal(np.stack(got), np.stack(again))
        assert data.load_array("mnist", "test", limit=3).shape == (3, 28, 28, 1)


def test_any_tfds_image_set_by_name_with_mock_data():
    """A name outside the four of old: the image feature, its shape and the splits come from the builder's info."""
    tfds = pytest.importorskip("tensorflow_datasets")
    assert data.is_tfds("svhn_cropped") and not data.is_tfds("digits") and not data.is_tfds("x.npz")
    info = data.dataset_info("svhn_cropped")
    assert (info.kind, info.shape) == ("image", (32, 32, 3))  # sizes unknown until it is prepared
    with tfds.testing.mock_data(num_examples=10):
        ds = data.get_dataset("svhn_cropped", batch_size=4, seed=1)
        assert ds.element_spec == tf.TensorSpec((4, 32, 32, 3), tf.float32)
        got = batches(ds)
        assert len(got) == 2 and all(0.0 <= b.min() and b.max() <= 1.0 for b in got)
        assert data.load_array("svhn_cropped", "test", limit=3).shape == (3, 32, 32, 3)


@pytest.mark.parametrize("name, message", [
    ("oxford_flowers102", r"The images of 'oxford_flowers102' vary in size .* --config.data.image_size=64"),
    ("imdb_reviews", r"'imdb_reviews' has no image feature"),
    ("no_such_set", r"Unknown dataset 'no_such_set'.*any TFDS image dataset by its name"),
])
def test_a_tfds_name_that_cannot_train_is_refused_naming_it(name, message):
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(ValueError, match=message):
        data.dataset_info(name)


def test_tfds_celeb_a_crop_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        batch = next(iter(data.get_dataset("celeb_a", "test", batch_size=3)))
    assert batch.shape == (3, 64, 64, 3) and batch.dtype == tf.float32
    # The crop is the central 140 x 140 of a 218 x 178 image: only that region survives.
    image = np.zeros((218, 178, 3), np.uint8)
    image[39:179, 19:159] = 255
    out = images.transform(tfds_sets.preprocess("celeb_a")(tf.constant(image)), "celeb_a", 64, 0).numpy()
    assert out.shape == (64, 64, 3)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


def test_a_tfds_set_of_varying_sizes_reads_at_the_size_asked_for_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    source = data.Source("oxford_flowers102", image_size=24, crop="center")
    assert data.dataset_info(source).shape == (24, 24, 3)
    with tfds.testing.mock_data(num_examples=6):
        got = batches(data.get_dataset(source, batch_size=3, seed=0))
    assert [b.shape for b in got] == [(3, 24, 24, 3)] * 2 and all(0.0 <= b.min() and b.max() <= 1.0 for b in got)


def test_tfds_not_prepared_raises_clear_error(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.get_dataset("mnist", data_dir=str(tmp_path))
    message = str(error.value)
    assert "'mnist'" in message and str(tmp_path) in message and "tfds build mnist" in message
    assert "--config.data.download=True" in message


# ----------------------------------------------------------------------------- names
def test_unknown_name_and_split():
    with pytest.raises(ValueError, match="digits.*mnist"):
        data.get_dataset("imagenet")
    with pytest.raises(ValueError, match="digits"):
        data.dataset_info("imagenet")
    with pytest.raises(ValueError, match=r"\['train', 'test'\]"):
        data.get_dataset("digits", "validation")
    with pytest.raises(ValueError, match="validation"):
        data.get_dataset("celeb_a", "valid")


def test_tfds_shards_are_disjoint_parts_read_alone(tmp_path, monkeypatch):
    """A set TFDS prepares without network (its own dummy_mnist): the workers' parts are disjoint and make the split."""
    tfds = pytest.importorskip("tensorflow_datasets")
    import tensorflow_datasets.testing  # noqa: F401  (defines dummy_mnist, which list_builders leaves out)

    tfds.testing.DummyMnist(data_dir=str(tmp_path)).download_and_prepare()
    monkeypatch.setitem(tfds_sets._SPECS, "dummy_mnist", tfds_sets._Spec((28, 28, 1), 20, 20, 20))
    source = data.Source("dummy_mnist", data_dir=str(tmp_path))
    every = data.load_array(source, "train")
    parts = [np.stack(list(data.get_dataset(source, shuffle=False, shard=(2, i)).as_numpy_iterator())) for i in (0, 1)]
    assert len(parts[0]) + len(parts[1]) == len(every) == 20
    np.testing.assert_array_equal(np.concatenate(parts), every)
