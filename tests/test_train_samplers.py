"""The training binary's latent sampler: fitted after training, resumable, exported, refitted without training."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import export, samplers, train, workdir
from zoo import tiny_config


def sampler_config(kind="gmm", name="wae_mmd", **settings):
    config = tiny_config(name)
    config.train.eval_samples = 40
    config.sampler.kind = kind
    config.sampler.fit_examples = 200
    for key, value in settings.items():
        config.sampler[kind][key] = value
    return config


def flow_config(steps=40):
    return sampler_config("flow_matching", steps=steps, hidden=(16,), batch_size=32)


def exported_sample(path, n=6, seed=3):
    loaded = tf.saved_model.load(str(path))
    return loaded.signatures["sample"](num_samples=tf.constant(n), seed=tf.constant(seed))["x"].numpy()


def test_the_binary_fits_the_sampler_after_training_and_exports_it(tmp_path):
    config = sampler_config(components=2)
    config.train.sample_every_epochs = 1  # sample grids while the sampler waits to be fitted: prior draws
    metrics = train.train_and_evaluate(config, str(tmp_path))
    assert os.listdir(tmp_path / "logs")
    assert metrics["sampler"]["kind"] == "gmm" and metrics["sampler"]["components"] == 2
    assert metrics["sampler"]["num_codes"] == 200
    assert set(metrics["prior"]) >= {"fd", "kid"} and metrics["fd"] > 0  # the prior's scores beside the sampler's
    assert metrics["reconstruction_fd"] > 0 and metrics["held_out_fd"] > 0
    metadata = export.read_metadata(str(tmp_path / "export" / "4"))
    assert metadata["sampler"] == {"kind": "gmm", "components": 2, "max_components": 30}
    assert metadata["step"] == 4
    model, _ = workdir.load(str(tmp_path))  # the workdir restores the fitted sampler
    assert isinstance(model.sampler, samplers.GaussianMixtureSampler) and model.sampler.fitted
    np.testing.assert_allclose(exported_sample(tmp_path / "export" / "4"), model.sample(6, 3), atol=1e-5)


def test_another_sampler_on_a_finished_workdir_fits_without_training_and_exports_a_new_version(tmp_path):
    train.train_and_evaluate(sampler_config(components=2), str(tmp_path))
    checkpoints = sorted(os.listdir(tmp_path / "checkpoints"))
    metrics = train.train_and_evaluate(flow_config(), str(tmp_path))
    assert metrics["step"] == 4 and "steps_per_s" not in metrics  # nothing trained
    assert sorted(os.listdir(tmp_path / "checkpoints")) == checkpoints
    assert sorted(os.listdir(tmp_path / "export")) == ["4", "5"]
    assert export.read_metadata(str(tmp_path / "export" / "4"))["sampler"]["kind"] == "gmm"  # kept
    assert export.read_metadata(str(tmp_path / "export" / "5"))["sampler"]["kind"] == "flow_matching"
    assert json.loads((tmp_path / "config.json").read_text())["sampler"]["kind"] == "flow_matching"
    # The same command again restores the fitted sampler and keeps its export.
    again = train.train_and_evaluate(flow_config(), str(tmp_path))
    assert sorted(os.listdir(tmp_path / "export")) == ["4", "5"]
    assert again["sampler"] == metrics["sampler"]


def test_a_fit_killed_midway_resumes_to_the_state_of_an_uninterrupted_fit(tmp_path, monkeypatch):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    monkeypatch.setattr(train, "SAMPLER_CHECKPOINT_EVERY", 10)
    train.train_and_evaluate(flow_config(), str(straight))

    fit = samplers.FlowMatchingSampler.fit

    def killed_at_20(self, codes, seed=0, optimizer=None, callback=None, callback_every=100):
        def save_then_die(k):
            callback(k)
            if k == 20:
                raise KeyboardInterrupt("killed during the sampler's fit")
        return fit(self, codes, seed, optimizer, save_then_die, callback_every)

    with monkeypatch.context() as m:
        m.setattr(samplers.FlowMatchingSampler, "fit", killed_at_20)
        with pytest.raises(KeyboardInterrupt):
            train.train_and_evaluate(flow_config(), str(resumed))
    assert not (resumed / "export").exists()
    train.train_and_evaluate(flow_config(), str(resumed))
    a, _ = workdir.load(str(straight))
    b, _ = workdir.load(str(resumed))
    for x, y in zip(a.sampler.get_weights(), b.sampler.get_weights()):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(exported_sample(straight / "export" / "4"), exported_sample(resumed / "export" / "4"),
                               atol=1e-5)


def test_a_sampler_checkpoint_that_does_not_match_is_refused_before_anything_is_written(tmp_path):
    train.train_and_evaluate(sampler_config(components=2), str(tmp_path))
    directory = workdir.sampler_dir(str(tmp_path), sampler_config(components=2), 4)
    # Another sampler's state (a 3-component mixture) where this config's 2-component one belongs.
    other = samplers.get("gmm", 8, components=3)
    workdir.sampler_checkpoint(other).write(os.path.join(directory, "ckpt-1"))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(workdir.CheckpointError, match="another sampler's state.*Delete"):
        train.train_and_evaluate(sampler_config(components=2), str(tmp_path))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("change, message", [
    ({"kind": "mixture"}, "Unknown latent sampler 'mixture'"),
    ({"codes": "median"}, "sampler.codes"),
    ({"fit_examples": 1}, "sampler.fit_examples"),
    ({"gmm.components": -1}, "components must be an int >= 0"),
    ({"transport.transport_fit": "mode", "kind": "transport"}, "transport_fit must be one of"),
])
def test_sampler_settings_no_fit_can_use_are_refused_before_anything_is_written(tmp_path, change, message):
    config = sampler_config()
    for key, value in change.items():
        section, _, name = key.rpartition(".")
        (config.sampler[section] if section else config.sampler)[name] = value
    with pytest.raises(ValueError, match=message):
        train.train_and_evaluate(config, str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_a_model_without_an_encoder_is_refused_a_fitted_sampler(tmp_path):
    config = tiny_config("wgan_gp")
    config.sampler.kind = "gmm"
    with pytest.raises(ValueError, match="no encoder.*sampler.kind=prior"):
        train.train_and_evaluate(config, str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_the_held_out_end_of_the_training_split_is_never_fitted():
    from vegan_tf import data

    config = sampler_config()
    config.sampler.fit_examples = 10**6
    model = workdir.build_model(config)
    codes = workdir.sampler_codes(model, config)
    held_out = data.held_out_images("digits")
    assert len(codes) + len(held_out) == data.dataset_info("digits").num_train == 1500
    np.testing.assert_array_equal(held_out, data.load_array("digits", "train")[-len(held_out):])


def test_a_joint_lsot_workdir_written_by_0_2_resumes_with_its_map_trained_alongside(tmp_path):
    """LSOT's map became the transport sampler; a 0.2 workdir (no transport_map, no sampler keys) keeps its potential."""
    from zoo import joint_lsot_config

    train.train_and_evaluate(joint_lsot_config(), str(tmp_path))
    saved = json.loads((tmp_path / "config.json").read_text())
    del saved["model"]["transport_map"], saved["sampler"]  # as vegan_tf 0.2 wrote it
    (tmp_path / "config.json").write_text(json.dumps(saved))
    before, _ = workdir.load(str(tmp_path))
    potential = [w.numpy().copy() for w in before.potential.weights]
    longer = joint_lsot_config()
    longer.train.num_steps = 8
    train.train_and_evaluate(longer, str(tmp_path))
    after, _ = workdir.load(str(tmp_path))
    assert after.joint and int(after.step.numpy()) == 8
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(potential, after.potential.weights))
    np.testing.assert_allclose(after.sample(3, 1), after.decode(after.transport(after.prior_sample(3, 1))), atol=1e-5)


def test_a_sampler_of_the_same_kind_fitted_to_other_codes_is_another_export(tmp_path):
    """A mixture on the mean codes is not the mixture on drawn codes: its export is a new version, never the old one."""
    train.train_and_evaluate(sampler_config(components=2, name="vae"), str(tmp_path))
    means = sampler_config(components=2, name="vae")
    means.sampler.codes = "mean"
    train.train_and_evaluate(means, str(tmp_path))
    assert sorted(os.listdir(tmp_path / "export")) == ["4", "5"]
    fits = [export.read_metadata(str(tmp_path / "export" / v))["sampler_fit"] for v in ("4", "5")]
    assert [f["codes"] for f in fits] == ["draw", "mean"] and fits[0]["fit_examples"] == 200
    model, _ = workdir.load(str(tmp_path))
    np.testing.assert_allclose(exported_sample(tmp_path / "export" / "5"), model.sample(6, 3), atol=1e-5)
