"""The zoo of saved_models/: listed with metrics, SavedModels load and check inputs, Keras models train on."""

import json
import shutil

import numpy as np
import pytest

from conftest import REPO
from vegan_tf import export, pretrained, train, workdir
from vegan_tf.workdir import shipping
from zoo import assert_weights_close, digits_batches, tiny_config, tiny_model

SHIPPED = pretrained.available(REPO / "saved_models")


def test_something_is_shipped():
    assert "wae_mmd_mnist" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_samples_decodes_and_checks_inputs(name):
    model = pretrained.load(name, root=REPO / "saved_models")
    x = model.sample(4, seed=3).numpy()
    assert x.shape == (4, *model.data_shape)
    np.testing.assert_array_equal(x, model.sample(4, seed=3).numpy())
    if len(model.data_shape) == 3:
        assert 0.0 <= x.min() and x.max() <= 1.0
    z = np.zeros((2, model.latent_dim), np.float32)
    assert model.decode(z).shape == (2, *model.data_shape)
    with pytest.raises(ValueError, match=rf"z must have shape \[batch, {model.latent_dim}\], got \[2, 3\]"):
        model.decode(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="float32"):
        model.decode(np.zeros((2, model.latent_dim), np.int64))
    if "encode" in model.signatures:
        codes = model.encode(x)
        assert codes.shape == (4, model.latent_dim)
        assert model.reconstruct(x).shape == x.shape


def test_unknown_name_lists_what_is_there():
    with pytest.raises(FileNotFoundError, match="available: .*wae_mmd_mnist"):
        pretrained.load("no_such_model", root=REPO / "saved_models")


def _truncate(path):
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


@pytest.mark.parametrize("damage, loader, fault", [
    ("saved_model.pb truncated", pretrained.load, r"3000 does not load: .*saved_model.pb'?: Error parsing message"),
    ("variables deleted", pretrained.load,
     r"3000 does not load: variables/variables.index, variables/variables.data-00000-of-00001 are missing"),
    ("model.keras truncated", pretrained.load_model, r"model.keras is truncated \(its zip archive has no end\)"),
    ("model.keras not a zip", pretrained.load_model, r"model.keras is not a zip archive, which a .keras file is"),
])
def test_a_damaged_entry_is_refused_naming_the_entry_and_the_fault(tmp_path, damage, loader, fault):
    entry = tmp_path / "wae_mmd_digits"
    shutil.copytree(REPO / "saved_models" / "wae_mmd_digits", entry)
    if damage == "saved_model.pb truncated":
        _truncate(entry / "3000" / "saved_model.pb")
    elif damage == "variables deleted":
        shutil.rmtree(entry / "3000" / "variables")
    elif damage == "model.keras truncated":
        _truncate(entry / "model.keras")
    else:
        (entry / "model.keras").write_text("not a Keras file\n")
    with pytest.raises(pretrained.DamagedEntryError, match=rf"(?s)The shipped model 'wae_mmd_digits' is damaged.*"
                                                          rf"{fault}.*To repair it, copy the entry again"):
        loader("wae_mmd_digits", root=tmp_path)


def test_available_lists_generator_entries_only():
    assert "feature_nets" not in SHIPPED  # feature networks have no version subdirectory
    assert list(SHIPPED) == sorted(SHIPPED)
    assert all(set(metrics) == set(pretrained.HEADLINE_METRICS) for metrics in SHIPPED.values())


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A saved_models/ directory with one complete entry (export, model.keras, metrics.json) and one bare export."""
    root = tmp_path_factory.mktemp("saved_models")
    model = tiny_model("wae_mmd")
    export.export(model, str(root / "tiny_digits"), max_samples=20)
    model.save(str(root / "tiny_digits" / "model.keras"))
    (root / "tiny_digits" / "metrics.json").write_text(json.dumps(
        {"step": 4, "fd": 12.5, "kid": 0.25, "precision": 0.5, "recall": 0.75, "relative_sharpness": 0.9}))
    export.export(model, str(root / "bare_digits"))
    (root / "feature_nets" / "digits").mkdir(parents=True)
    return root, model


def test_available_reads_the_cards_headline_metrics(zoo):
    root, _ = zoo
    found = pretrained.available(root)
    assert found["tiny_digits"] == {"fd": 12.5, "kid": 0.25, "precision": 0.5, "recall": 0.75}
    assert found["bare_digits"] == {"fd": None, "kid": None, "precision": None, "recall": None}
    assert "feature_nets" not in found and "tiny_digits" in list(found)


def test_load_model_returns_a_keras_model_that_trains_on(zoo):
    root, model = zoo
    loaded = pretrained.load_model("tiny_digits", root=root)
    assert type(loaded) is type(model)
    assert_weights_close(loaded, model, rtol=0, atol=0)
    np.testing.assert_allclose(loaded.sample(3, seed=1), model.sample(3, seed=1), atol=1e-6)
    before = [w.copy() for w in loaded.get_weights()]
    history = loaded.fit(digits_batches(num_batches=2), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert any(not np.array_equal(a, b) for a, b in zip(before, loaded.get_weights()))
    with pytest.raises(FileNotFoundError, match=r"'bare_digits' has no Keras file .*pretrained.load\('bare_digits'\)"):
        pretrained.load_model("bare_digits", root=root)
    with pytest.raises(FileNotFoundError, match="No shipped model 'nope'; available: .*tiny_digits"):
        pretrained.load_model("nope", root=root)


def test_pretrained_checks_inputs_before_calling_the_signatures(zoo):
    root, _ = zoo
    model = pretrained.load("tiny_digits", root=root)
    assert model.max_samples == 20
    assert model.sample(20, seed=0).shape == (20, 8, 8, 1)
    with pytest.raises(ValueError, match=r"num_samples is 21; this export takes at most 20 .*train.max_samples"):
        model.sample(21)
    with pytest.raises(ValueError, match="num_samples must be at least 0"):
        model.sample(-1)
    with pytest.raises(ValueError, match="z has 21 rows; this export takes at most 20"):
        model.decode(np.zeros((21, model.latent_dim), np.float32))
    z = np.zeros((2, model.latent_dim), np.float32)
    z[0, 0] = np.nan
    with pytest.raises(ValueError, match="z contains NaN or infinite values"):
        model.decode(z)
    with pytest.raises(ValueError, match=r"x must hold images in \[0, 1\], got values in \[0.0, 255.0\]"):
        model.encode(np.full((2, 8, 8, 1), 255.0, np.float32) * np.arange(2).reshape(2, 1, 1, 1))
    assert pretrained.load("bare_digits", root=root).max_samples == export.DEFAULT_MAX_SAMPLES


def test_ship_makes_a_finished_workdir_a_zoo_entry(tmp_path):
    config = tiny_config("wae_mmd")
    config.model.pretrain_encoder, config.model.hidden = False, (16,)
    config.train.num_steps, config.train.steps_per_epoch, config.train.eval_samples = 4, 2, 32
    config.train.sample_every_epochs = 10
    run = tmp_path / "run"
    train.train_and_evaluate(config, str(run))
    root = tmp_path / "saved_models"
    with pytest.raises(FileNotFoundError, match="config.json is missing: ship a workdir of a finished"):
        shipping.ship(tmp_path / "nothing", "tiny_digits", root=root, command="python -m vegan_tf.train ...")
    assert not root.exists() or not list(root.iterdir())  # a failed ship writes nothing

    entry = shipping.ship(run, "tiny_digits", root=root, command="python -m vegan_tf.train --config=X",
                            machine="a test machine")
    assert sorted(p.name for p in entry.iterdir()) == ["4", "README.md", "config.json", "metrics.json", "model.keras"]
    card = json.loads((entry / "metrics.json").read_text())
    assert "files" not in card and card["step"] == 4  # no paths of the training machine
    readme = (entry / "README.md").read_text()
    assert "python -m vegan_tf.train --config=X" in readme and "a test machine" in readme
    assert pretrained.available(root)["tiny_digits"]["fd"] == card["fd"]
    assert 'name: "tiny_digits"' in (root / pretrained.SERVING_CONFIG).read_text()
    assert "| `tiny_digits` | wae_mmd | digits | 4 |" in shipping.zoo_table(root)

    loaded = pretrained.load_model("tiny_digits", root=root)  # the trained weights, no optimizer state
    trained, _ = workdir.load(str(run))
    assert_weights_close(loaded, trained, rtol=0, atol=0)
    assert loaded.player_optimizers() and all(int(o.iterations.numpy()) == 0 for o in loaded.player_optimizers().values())
    history = loaded.fit(digits_batches(num_batches=2), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    served = pretrained.load("tiny_digits", root=root)
    np.testing.assert_allclose(served.sample(4, seed=3), trained.sample(4, seed=3), atol=1e-5)

    shutil.rmtree(run / "export")  # shipping again from a workdir that cannot be shipped keeps the entry
    with pytest.raises(FileNotFoundError, match="export has no version"):
        shipping.ship(run, "tiny_digits", root=root)
    assert (entry / "4" / "saved_model.pb").is_file() and (entry / "model.keras").is_file()


def test_a_shipped_entry_keeps_its_fitted_latent_sampler(tmp_path):
    config = tiny_config("wae_mmd")
    config.model.pretrain_encoder, config.model.hidden = False, (16,)
    config.train.num_steps, config.train.steps_per_epoch, config.train.eval_samples = 4, 2, 32
    run = tmp_path / "run"
    train.train_and_evaluate(config, str(run))
    config.sampler.kind, config.sampler.gmm.components = "gmm", 2
    train.train_and_evaluate(config, str(run))  # the mixture fitted to the finished run: export version 5
    root = tmp_path / "saved_models"
    entry = shipping.ship(run, "tiny_gmm", root=root)
    assert sorted(p.name for p in entry.iterdir()) == ["5", "README.md", "config.json", "metrics.json", "model.keras"]
    readme = (entry / "README.md").read_text()
    assert "`gmm` latent sampler fitted to" in readme and "prior draws: fd" in readme
    keras_model = pretrained.load_model("tiny_gmm", root=root)
    assert keras_model.sampler.kind == "gmm" and keras_model.sampler.fitted
    served = pretrained.load("tiny_gmm", root=root)
    np.testing.assert_allclose(served.sample(4, seed=3), keras_model.sample(4, seed=3), atol=1e-5)
    np.testing.assert_allclose(served.sample_codes(4, seed=3), keras_model.sample_codes(4, seed=3), atol=1e-5)


#: How far a shipped model's FD, recomputed here, may be from its card's: the samples are the same
#: (the export's `sample` with the evaluation's seeds), so only float round-off (oneDNN kernels, the
#: SavedModel's graph against the Keras model's) separates them.
FD_TOLERANCE = 0.01  # relative


@pytest.mark.parametrize("name", [n for n, m in SHIPPED.items() if m["fd"] is not None])
def test_shipped_model_reproduces_its_cards_fd(name):
    from vegan_tf import config as config_lib, evaluate
    from vegan_tf.metrics import feature_net, images

    model = pretrained.load(name, root=REPO / "saved_models")
    entry = REPO / "saved_models" / name
    config = config_lib.from_json((entry / "config.json").read_text())
    net = feature_net.find(config.data.name, root=REPO / "saved_models")
    mu, sigma, n = feature_net.test_statistics(net)  # the test images' side, shipped with the feature network
    samples = evaluate.evaluation_samples(model, n, seed=config.seed)
    mu_s, sigma_s = images.mean_cov(feature_net.FeatureNet(net)(samples))
    fd = images.frechet_distance(mu, sigma, mu_s, sigma_s)
    assert fd == pytest.approx(SHIPPED[name]["fd"], rel=FD_TOLERANCE)


@pytest.mark.parametrize("name", [n for n in SHIPPED if (REPO / "saved_models" / n / "model.keras").is_file()])
def test_shipped_keras_model_is_the_served_model_and_trains_on(name):
    model = pretrained.load_model(name, root=REPO / "saved_models")
    served = pretrained.load(name, root=REPO / "saved_models")
    np.testing.assert_allclose(model.sample(8, seed=2), served.sample(8, seed=2), atol=1e-5)
    assert model.player_optimizers()  # compiled with its run's optimizers


def test_a_shipped_npz_run_keeps_only_the_files_name_and_evaluate_asks_for_the_data(tmp_path, monkeypatch):
    from vegan_tf import data, evaluate

    path = tmp_path / "mydigits.npz"
    np.savez(path, x_train=data.load_array("digits", "train"), x_test=data.load_array("digits", "test"))
    config = tiny_config("wae_mmd")
    config.data.name = str(path)
    config.model.pretrain_encoder, config.model.hidden = False, (16,)
    config.train.num_steps, config.train.steps_per_epoch, config.train.eval_samples = 2, 2, 32
    train.train_and_evaluate(config, str(tmp_path / "run"))
    entry = shipping.ship(tmp_path / "run", "npz_digits", root=tmp_path / "zoo")
    assert json.loads((entry / "config.json").read_text())["data"]["name"] == "mydigits.npz"
    monkeypatch.setenv("VEGAN_TF_SAVED_MODELS", str(tmp_path / "zoo"))
    with pytest.raises(ValueError, match=r"trained on 'mydigits.npz', which is not on this machine: pass --data"):
        evaluate.load_target("npz_digits")
    _, name, _ = evaluate.load_target("npz_digits", data_name=str(path))
    assert str(name) == str(path)


def test_the_shipping_names_of_0_2_forward_from_pretrained_with_a_deprecation_warning():
    for name in ("ship", "model_card", "zoo_table"):
        with pytest.warns(DeprecationWarning, match=f"vegan_tf.workdir.shipping.{name}"):
            assert getattr(pretrained, name) is getattr(shipping, name)


def test_shipped_folders_are_also_looked_for_where_a_user_install_puts_them(tmp_path, monkeypatch):
    """``pip install --user`` copies configs/ and saved_models/ under the user base, not under sys.prefix."""
    import site

    from vegan_tf import _shipped

    monkeypatch.setattr(site, "getuserbase", lambda: str(tmp_path))
    assert _shipped.shipped_dirs("configs")[-1] == tmp_path / "share" / "vegan_tf" / "configs"
    assert tmp_path / "share" / "vegan_tf" / "saved_models" in list(_shipped.roots())
