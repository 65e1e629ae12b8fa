"""Networks match the papers' tables: parameter counts of METHODS §3.4, shapes, BN settings, width knob."""
import keras
import numpy as np
import pytest

from mgan.config import TrainConfig
from mgan.nets import networks


def n_params(model):
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


def cfg(layout, **kw):
    return TrainConfig(layout=layout, conv_impl="keras", **kw)


@pytest.mark.parametrize("layout,shape,cond,expected", [
    ("mbgan", (32, 32, 3), 0, 5_135_363), ("mbgan", (32, 32, 3), 10, 5_217_283),
    ("literal", (32, 32, 3), 0, 5_588_483), ("literal", (32, 32, 3), 10, 5_716_483),
    ("mnist", (28, 28, 1), 0, 2_293_633), ("mnist", (28, 28, 1), 10, 2_419_073),
    ("celeba64", (64, 64, 3), 0, 5_135_363),
])
def test_generator_parameter_counts(layout, shape, cond, expected):
    G = networks.build_generator(cfg(layout), shape, cond_classes=cond)
    assert tuple(G.output.shape[1:]) == shape
    assert n_params(G) == expected


@pytest.mark.parametrize("layout,shape,head,expected", [
    ("mbgan", (32, 32, 3), 500, 8_404_980), ("mbgan", (32, 32, 3), 1, 4_316_673),
    ("literal", (32, 32, 3), 500, 5_332_980), ("mnist", (28, 28, 1), 500, 8_401_780),
    ("celeba64", (64, 64, 3), 500, 8_404_980),
])
def test_discriminator_parameter_counts(layout, shape, head, expected):
    D = networks.build_discriminator(cfg(layout), shape, head)
    assert tuple(D.output.shape[1:]) == (head,)
    assert n_params(D) == expected


def test_literal_layout_spatial_path():
    G = networks.build_generator(cfg("literal"), (32, 32, 3))
    sizes = [l.output.shape[1] for l in G.layers if l.name.startswith("upconv") and "_" not in l.name]
    assert sizes == [2, 4, 8, 16, 32]
    D = networks.build_discriminator(cfg("literal"), (32, 32, 3), 500)
    assert D.get_layer("flatten").output.shape[-1] == 2048
    D = networks.build_discriminator(cfg("mbgan"), (32, 32, 3), 500)
    assert D.get_layer("flatten").output.shape[-1] == 8192


def test_bn_settings_and_init():
    G = networks.build_generator(cfg("mnist"), (28, 28, 1))
    bns = [l for l in G.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert bns and all(l.momentum == 0.9 and l.epsilon == 1e-5 for l in bns)
    # the last UpConv goes straight to tanh (D4): no BN after it
    assert "upconv2_bn" not in [l.name for l in G.layers]
    G2 = networks.build_generator(cfg("mnist", literal_output_block=True), (28, 28, 1))
    assert "upconv2_bn" in [l.name for l in G2.layers]
    k = G.get_layer("upconv0").kernel.numpy()
    assert abs(k.std() - 0.02) < 0.002 and abs(k.mean()) < 0.002
    D = networks.build_discriminator(cfg("mnist", d_first_bn=False), (28, 28, 1), 500)
    assert "conv0_bn" not in [l.name for l in D.layers] and "conv1_bn" in [l.name for l in D.layers]


def test_width_knob_scales_hidden_channels_only():
    G = networks.build_generator(cfg("literal", width=0.125), (32, 32, 3))
    assert G.get_layer("upconv0").filters == 64 and G.get_layer("upconv4").filters == 3
    D = networks.build_discriminator(cfg("literal", width=0.125), (32, 32, 3), 500)
    assert D.get_layer("conv3").filters == 64 and D.output.shape[-1] == 500


def test_conditional_discriminator_concatenates_label_maps():
    D = networks.build_discriminator(cfg("mnist", width=0.125), (28, 28, 1), 1, cond_classes=10)
    x = np.zeros((2, 28, 28, 1), "float32")
    y = np.eye(10, dtype="float32")[[1, 2]]
    assert D([x, y]).shape == (2, 1)
    assert D.get_layer("cond_concat").output.shape[-1] == 11


def test_layout_errors_list_choices():
    with pytest.raises(ValueError, match="valid layouts"):
        networks.check_layout("nope", (32, 32, 3))
    with pytest.raises(ValueError, match="makes"):
        networks.check_layout("literal", (28, 28, 1))
    assert networks.default_layout((32, 32, 3), "dmgan") == "literal"
    assert networks.default_layout((32, 32, 3), "mbgan") == "mbgan"
    assert networks.default_layout((8, 8, 1)) == "digits8"
    assert networks.default_layout((100,)) == "mlp"
