"""A folder of images as training data: decoding, splits, damaged files, streaming, workers and the binary."""

import json
import logging
import os
import struct
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from vegan_tf import data, train
from vegan_tf.data import folders


def write_image(path, image):
    """``image`` (uint8 [H, W, C]) as PNG, JPEG or BMP by the file's extension."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".bmp"):
        with open(path, "wb") as f:
            f.write(bmp_bytes(image))
        return
    encode = tf.io.encode_png if path.endswith(".png") else tf.io.encode_jpeg
    tf.io.write_file(path, encode(tf.constant(image)))


def bmp_bytes(image):
    """A 24-bit BMP of an RGB ``image`` (rows bottom-up, padded to 4 bytes)."""
    height, width, _ = image.shape
    row = width * 3 + (-width * 3) % 4
    pixels = b"".join(image[y, :, ::-1].tobytes().ljust(row, b"\0") for y in range(height - 1, -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def face_folder(root, count, size=(218, 178), seed=0):
    """``count`` random RGB JPEGs of ``size`` in ``root`` (some in a subfolder)."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        image = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        write_image(os.path.join(root, "batch2" if i % 3 == 0 else "", f"face{i:04d}.jpg"), image)
    return str(root)


def grey_folder(root, count, seed=0):
    """``count`` random 8x8 grey PNGs (the digits' shape)."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        write_image(os.path.join(root, f"{i:04d}.png"), rng.integers(0, 256, (8, 8, 1), dtype=np.uint8))
    return str(root)


def test_mixed_formats_and_channels_come_out_at_one_shape(tmp_path):
    rng = np.random.default_rng(1)
    train_dir = tmp_path / "train"
    write_image(str(train_dir / "a_grey.png"), rng.integers(0, 256, (30, 40, 1), dtype=np.uint8))
    write_image(str(train_dir / "b_rgba.png"), rng.integers(0, 256, (20, 20, 4), dtype=np.uint8))
    write_image(str(train_dir / "c.JPEG"), rng.integers(0, 256, (50, 30, 3), dtype=np.uint8))
    write_image(str(train_dir / "deep" / "d.bmp"), rng.integers(0, 256, (9, 13, 3), dtype=np.uint8))
    write_image(str(tmp_path / "test" / "e.png"), rng.integers(0, 256, (12, 12, 3), dtype=np.uint8))
    (train_dir / "readme.txt").write_text("not an image")
    source = data.Source(str(tmp_path), image_size=12, crop="center", channels=3)
    info = data.dataset_info(source)
    assert (info.kind, info.shape, info.num_train, info.num_test) == ("image", (12, 12, 3), 4, 1)
    images = data.load_array(source, "train")
    assert images.shape == (4, 12, 12, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    bmp = tf.io.decode_image(tf.io.read_file(str(train_dir / "deep" / "d.bmp"))).numpy()
    assert bmp.shape == (9, 13, 3)
    # Without options: the first image's size and channels (a grey 30x40), every other image resized to it.
    plain = data.Source(str(tmp_path))
    assert data.dataset_info(plain).shape == (30, 40, 1)
    assert data.load_array(plain, "train").shape == (4, 30, 40, 1)


def test_the_celeb_a_crop_keeps_the_central_140_square(tmp_path):
    image = np.zeros((218, 178, 3), np.uint8)
    image[39:179, 19:159] = 255
    write_image(str(tmp_path / "train" / "face.png"), image)
    write_image(str(tmp_path / "test" / "face.png"), image)
    out = data.load_array(data.Source(str(tmp_path), crop="celeb_a", image_size=64), "test")
    assert out.shape == (1, 64, 64, 3)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


def test_the_test_split_is_drawn_from_file_names_and_subfolders_win(tmp_path):
    root = face_folder(tmp_path / "faces", 60, size=(8, 8))
    source = data.Source(root, test_fraction=0.25)
    test = set(folders.files(source, "test"))
    assert 5 <= len(test) <= 25 and not test & set(folders.files(source, "train"))
    assert test == set(folders.files(data.Source(root, test_fraction=0.25), "test"))  # the same every time
    face_folder(tmp_path / "faces" / "more", 20, size=(8, 8), seed=1)  # new files move no old one
    os.utime(root)
    assert test <= set(folders.files(source, "test"))
    split = tmp_path / "split"
    face_folder(split / "train", 6, size=(8, 8))
    face_folder(split / "test", 2, size=(8, 8))
    write_image(str(split / "ignored.png"), np.zeros((8, 8, 3), np.uint8))
    info = data.dataset_info(data.Source(str(split)))
    assert (info.num_train, info.num_test) == (6, 2)


def test_damaged_files_are_left_out_and_counted_or_refused_above_the_share(tmp_path, caplog):
    root = face_folder(tmp_path, 40, size=(16, 16))
    whole = (tmp_path / "face0001.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "text.png").write_text("hello")
    (tmp_path / "empty.gif").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        info = data.dataset_info(data.Source(root, max_bad_fraction=0.1))
    assert info.num_train + info.num_test == 40
    assert "3 of the 43 images" in caplog.text and "truncated.jpg" in caplog.text
    with pytest.raises(ValueError, match=r"3 of the 43 images .* damaged .*data.max_bad_fraction=0.01"):
        data.dataset_info(data.Source(root))
    # A file whose first and last bytes look whole but that does not decode is dropped by the pipeline.
    (tmp_path / "zz_inside.jpg").write_bytes(whole[:20] + b"\0" * 50 + whole[-2:])
    source = data.Source(root, max_bad_fraction=0.1, test_fraction=0.01)
    names = folders.files(source, "train")
    assert any(n.endswith("zz_inside.jpg") for n in names)
    assert len(data.load_array(source, "train")) == len(names) - 1


def test_folders_without_images_or_unreadable_are_clear_errors(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(data.DatasetNotFoundError, match=r"holds no image .*\.png"):
        data.dataset_info(str(tmp_path / "empty"))
    face_folder(tmp_path / "locked", 3, size=(8, 8))

    def refused(top, onerror=None, **kwargs):
        onerror(PermissionError(13, "Permission denied", top))
        return iter(())

    monkeypatch.setattr(folders.os, "walk", refused)
    with pytest.raises(data.DatasetNotFoundError, match=r"cannot be read \(Permission denied\).*may list it"):
        data.dataset_info(str(tmp_path / "locked"))


def test_skip_and_shard_act_on_file_names(tmp_path):
    source = data.Source(grey_folder(tmp_path, 40), test_fraction=0.01)
    stream = lambda **kw: [b for b in data.get_dataset(source, batch_size=4, seed=2, repeat=True, **kw)
                           .take(4).as_numpy_iterator()]
    np.testing.assert_array_equal(np.stack(stream()[2:]), np.stack(stream(skip=2)[:2]))
    shards = [folders.files(source, "train")[i::2] for i in (0, 1)]
    assert not set(shards[0]) & set(shards[1]) and sorted(shards[0] + shards[1]) == folders.files(source, "train")
    every = data.load_array(source, "train")
    halves = [data.get_dataset(source, shuffle=False, shard=(2, i)) for i in (0, 1)]
    np.testing.assert_array_equal(np.stack(list(halves[1].as_numpy_iterator())), every[1::2])


def test_two_workers_read_their_own_files_and_take_the_one_device_step(tmp_path):
    """Each worker reads every other file; the cluster's step is the one-device step on both workers' batches."""
    import multi_worker_folder as worker
    from test_multi_worker import finish, npz_weights, start_cluster
    from zoo import tiny_model

    folder = data.Source(grey_folder(tmp_path / "images", 64))
    single = tiny_model("wae_mmd")
    np.savez(tmp_path / "initial.npz", **{f"w{i}": w for i, w in enumerate(single.get_weights())})
    workers = start_cluster([sys.executable, os.path.join(REPO, "tests", "multi_worker_folder.py"), str(tmp_path),
                             folder.name])
    try:
        tf.random.set_seed(worker.SEED)  # as the workers: the shuffle's order depends on the global seed too
        halves = [data.get_dataset(folder, batch_size=worker.GLOBAL_BATCH // 2, shuffle=True, seed=worker.SEED,
                                   repeat=True, shard=(2, i)) for i in (0, 1)]
        both = tf.data.Dataset.zip(tuple(halves)).map(lambda a, b: tf.concat([a, b], 0))
        single.fit(both.take(worker.STEPS), epochs=1, verbose=0)
    finally:
        codes, outputs = finish(workers)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    for task in (0, 1):
        step, weights = npz_weights(tmp_path / f"worker-{task}.npz")
        assert step == worker.STEPS
        for a, b in zip(weights, single.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"worker {task}")


def celeba_config(folder, num_steps=8):
    """configs/wae_mmd_celeba.py (the WAE paper's networks and crop) at tiny widths on ``folder``."""
    from vegan_tf import config as config_lib

    config = config_lib.from_file(REPO / "configs" / "wae_mmd_celeba.py")
    config.data.name, config.data.batch_size = folder, 8
    config.model.update(filters=(4, 4, 4, 4), decoder_filters=(4, 4, 4, 4), latent_dim=4, pretrain_steps=2)
    config.train.update(num_steps=num_steps, steps_per_epoch=4, eval_samples=8, verbose=0, steps_per_execution=1,
                        sample_every_epochs=100)
    return config


def test_the_celeba_recipe_trains_resumes_mid_epoch_and_exports_from_a_folder_of_jpegs(tmp_path):
    from test_train import StopAt
    from zoo import weights

    folder = face_folder(tmp_path / "img_align_celeba", 48)
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    metrics = train.train_and_evaluate(celeba_config(folder), str(straight))
    assert metrics["step"] == 8 and np.isfinite(metrics["test_reconstruction_l2sq"])
    assert (straight / "export" / "8" / "saved_model.pb").is_file()
    with pytest.raises(KeyboardInterrupt):
        train.train_and_evaluate(celeba_config(folder), str(resumed), callbacks=[StopAt(6)])
    assert weights(resumed)[1] == 4
    train.train_and_evaluate(celeba_config(folder), str(resumed))
    for a, b in zip(weights(straight)[0], weights(resumed)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    from vegan_tf import pretrained

    exported = pretrained.Pretrained(str(resumed / "export" / "8"))
    assert exported.data_shape == (64, 64, 3) and exported.sample(3, seed=1).shape == (3, 64, 64, 3)


def test_the_binary_refuses_a_bad_folder_before_writing(tmp_path):
    """A folder without images, a bad crop or test share: an error naming it, and no workdir file written or changed."""
    import hashlib

    from test_train import run_cli

    (tmp_path / "no_images").mkdir()
    faces = face_folder(tmp_path / "faces", 12, size=(16, 16))
    kept = tmp_path / "kept"  # a finished run on the folder, which a failing run must leave as it is
    train.train_and_evaluate(celeba_config(faces, num_steps=4), str(kept))
    digest = lambda: {p: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(kept.rglob("*")) if p.is_file()}
    before = digest()
    cases = [(str(tmp_path / "no_images"), [], "holds no image"),
             (faces, ["--config.data.crop=middle"], "data.crop='middle' is not a crop"),
             (faces, ["--config.data.test_fraction=0.0"], "data.test_fraction=0.0 must be in")]
    for index, (folder, extra, message) in enumerate(cases):
        for workdir in (tmp_path / f"run{index}", *([kept] if index == 0 else [])):
            result = run_cli("--config=configs/wae_mmd_celeba.py", f"--workdir={workdir}",
                             f"--config.data.name={folder}", *extra)
            assert result.returncode != 0 and message in result.stderr, result.stderr[-2000:]
        assert not (tmp_path / f"run{index}").exists() or not os.listdir(tmp_path / f"run{index}")
    assert digest() == before


def test_a_npz_too_large_to_hold_is_refused_before_it_is_read_with_the_folder_advice(tmp_path, monkeypatch):
    from vegan_tf.data import arrays

    path = tmp_path / "big.npz"
    np.savez(path, x_train=np.zeros((64, 8, 8), np.uint8), x_test=np.zeros((8, 8, 8), np.uint8))
    monkeypatch.setattr(arrays, "MAX_BYTES", 2000)  # x_train holds 4,096 bytes (and a header)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("read before it was refused"))
    with pytest.raises(ValueError, match=r"x_train is 0.0 GiB uncompressed, more than .*pass the folder as data.name"):
        data.dataset_info(str(path))


def test_a_config_json_from_before_the_image_options_resumes_as_it_was_read():
    """A workdir's config.json without data.image_size, crop, ... is the data read as it was: no change to refuse."""
    from vegan_tf import config as config_lib
    from vegan_tf import workdir

    for path, name in (("configs/wae_mmd_digits.py", "digits"), ("configs/wae_mmd_celeba.py", "celeb_a")):
        new = config_lib.from_file(REPO / path)
        old = json.loads(new.to_json_best_effort())
        for key in ("image_size", "channels", "crop", "test_fraction", "max_bad_fraction"):
            del old["data"][key]
        assert old["data"]["name"] == name and workdir.config_changes(old, new) == []
        new.data.image_size = 32
        assert [c[0] for c in workdir.config_changes(old, new)] == ["data.image_size"]
