"""The SavedModels shipped in saved_models/: they load, sample deterministically and check inputs."""

import numpy as np
import pytest

from conftest import REPO
from vegan_tf import pretrained

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
