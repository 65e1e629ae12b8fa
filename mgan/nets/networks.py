"""Generator and discriminator networks built from the papers' layer tables.

A layer is written as in the papers: ``"5c2s512o"`` is a 5x5 kernel, stride 2, 512 output channels.
Every conv/UpConv is followed by BN then LReLU (METHODS §3.1), except the generator's last UpConv, which goes
straight into tanh (D4) unless ``literal_output_block`` is set. The discriminator ends in a linear FC head:
``feature_dim`` (500) for the metric GANs, 1 for DCGAN-style baselines.

Layouts (METHODS D3, §3.2, §3.3):

==========  =======================  =========================================================================
layout      data shape               generator / discriminator
==========  =======================  =========================================================================
literal     32x32xC (DMGAN papers)   z as 1x1, five stride-2 UpConvs 512..C / 4 stride-2 convs, FC on 2x2x512
mbgan       32x32xC (MBGAN papers)   FC to 4x4x512, UpConvs to 32, stride-1 UpConv to C / first conv stride 1
mnist       28x28xC ('project7')     FC to 7x7x256, UpConvs 14, 28, stride-1 to C / 28->28->14->7->4
mnist_s2    28x28xC (Table 1's       FC to 7x7x256, stride-2 UpConvs 14, 28 (C) / every conv stride 2 as DMGAN
            strides)                 Table 1 prints it: 28->14->7->4->2, flatten 2x2x512 = 2048 (about 1/3 the cost)
celeba64    64x64xC                  FC to 4x4x512, four stride-2 UpConvs / four stride-2 convs
digits8     8x8xC (sklearn digits)   FC to 2x2x256, UpConvs 4, 8, stride-1 to C / 8->8->4->2 (project layout)
mlp         vectors (synthetic)      G 16->128->128->D, D D->128->128->head (KM-GAN stand-in, §6.7)
dcgan_tf1_  28x28x1                  carpedm20/DCGAN-tensorflow's MNIST networks without the label inputs (KM-GAN
mnist                                D25 alternative): G FC 1024, FC 7x7x128, UpConvs 14x14x128, 28x28x1 (ReLU,
                                     tanh for its sigmoid, D19) / D convs 11, 74 channels (5x5, stride 2), FC 1024
==========  =======================  =========================================================================

Generator options (issue 21, METHODS D34-D35): ``g_project_bn='channel'`` reshapes the projection of z to maps and
batch-normalises per channel (statistics over batch and positions); ``'unit'`` batch-normalises each of the dense
outputs (statistics over the batch only), then reshapes, as carpedm20/DCGAN-tensorflow's MNIST generator does.
``g_activation`` is the generator's hidden activation: ``'lrelu'`` (METHODS §3.1) or ``'relu'`` (the TF1 code).
``label_concat='every_layer'`` (D36) concatenates the one-hot label of a conditional network to the input of every
layer as the TF1 MNIST networks do (constant maps before each conv/UpConv, a vector before the head); ``'input'`` gives
it to G with z and to a conditional D with the image only.

``width`` scales every hidden channel count (the papers' sizes are ``width=1``); tests and tiny runs use
narrow networks. ``conv_impl='fast'`` uses the drop-in fast layers of :mod:`mgan.nets.layers` (same weights, same
function) on a CPU and the plain Keras layers on a GPU or TPU; ``'keras'`` the plain Keras layers everywhere.
"""
import re

import keras
from keras import layers

from mgan.nets.precision import OUTPUT_DTYPE

LAYOUTS = {
    # name: (generator projection or None (z reshaped to 1x1), generator UpConvs, discriminator convs, data HxW)
    "literal": (None, ["5c2s512o", "5c2s256o", "5c2s128o", "5c2s64o", "5c2sCo"],
                ["5c2s64o", "5c2s128o", "5c2s256o", "5c2s512o"], (32, 32)),
    "mbgan": ((4, 4, 512), ["5c2s256o", "5c2s128o", "5c2s64o", "5c1sCo"],
              ["5c1s64o", "5c2s128o", "5c2s256o", "5c2s512o"], (32, 32)),
    "mnist": ((7, 7, 256), ["5c2s128o", "5c2s64o", "5c1sCo"],
              ["5c1s64o", "5c2s128o", "5c2s256o", "5c2s512o"], (28, 28)),
    "mnist_s2": ((7, 7, 256), ["5c2s128o", "5c2sCo"],
                 ["5c2s64o", "5c2s128o", "5c2s256o", "5c2s512o"], (28, 28)),
    "celeba64": ((4, 4, 512), ["5c2s256o", "5c2s128o", "5c2s64o", "5c2sCo"],
                 ["5c2s64o", "5c2s128o", "5c2s256o", "5c2s512o"], (64, 64)),
    "digits8": ((2, 2, 256), ["5c2s128o", "5c2s64o", "5c1sCo"],
                ["5c1s64o", "5c2s128o", "5c2s256o"], (8, 8)),
    "mlp": None,
    "dcgan_tf1_mnist": None,  # built by _tf1_mnist_generator / _tf1_mnist_discriminator
}
TF1_MNIST = {"g_fc": 1024, "g_proj": (7, 7, 128), "g_up": 128, "d_convs": (11, 74), "d_fc": 1024}
MLP_HIDDEN = (128, 128)

_LAYER_RE = re.compile(r"^(\d+)c(\d+)s(\d+|C)o$")


def parse_layer(spec, out_channels=None):
    """``'5c2s512o'`` -> ``(kernel=5, stride=2, filters=512)``; a ``C`` filter count means ``out_channels``."""
    m = _LAYER_RE.match(spec.replace("-", ""))
    if not m:
        raise ValueError(f"bad layer spec {spec!r}: expected e.g. '5c2s512o'")
    k, s, o = m.groups()
    return int(k), int(s), (out_channels if o == "C" else int(o))


def default_layout(example_shape, family="dmgan"):
    """The layout the papers use for a data shape: DMGAN-paper experiments 'literal', MBGAN-paper 'mbgan' (D3)."""
    if len(example_shape) == 1:
        return "mlp"
    hw = tuple(example_shape[:2])
    if hw == (32, 32):
        return "mbgan" if family == "mbgan" else "literal"
    for name, spec in LAYOUTS.items():
        if spec is not None and spec[3] == hw:
            return name
    raise ValueError(f"no network layout for images of shape {example_shape}; valid layouts: {sorted(LAYOUTS)}")


def check_layout(layout, example_shape):
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid layouts: {sorted(LAYOUTS)}")
    if layout == "mlp":
        if len(example_shape) != 1:
            raise ValueError(f"layout 'mlp' needs vector data, got examples of shape {example_shape}")
        return
    if layout == "dcgan_tf1_mnist":
        if tuple(example_shape) != (28, 28, 1):
            raise ValueError(f"layout 'dcgan_tf1_mnist' makes 28x28x1 images but the data has shape {example_shape}")
        return
    if len(example_shape) != 3 or tuple(example_shape[:2]) != LAYOUTS[layout][3]:
        raise ValueError(f"layout {layout!r} makes {LAYOUTS[layout][3]} images but the data has shape {example_shape}")


def _scaled(c, width):
    return max(1, int(round(c * width)))


def _conv_classes(conv_impl):
    """(Conv, UpConv) layer classes. ``'fast'`` gives the CPU-tuned drop-ins of :mod:`mgan.nets.layers` on a CPU
    and Keras' own layers when a GPU or TPU is present (the drop-ins' formulations are chosen for a CPU)."""
    from mgan.nets import layers as fast_layers

    if conv_impl == "fast" and not fast_layers.accelerator_present():
        return fast_layers.FastConv2D, fast_layers.FastConv2DTranspose
    if conv_impl in ("fast", "keras"):
        return layers.Conv2D, layers.Conv2DTranspose
    raise ValueError(f"unknown conv_impl {conv_impl!r}; valid: ['fast', 'keras']")


def _init(cfg):
    return keras.initializers.RandomNormal(stddev=cfg.init_stddev, seed=None)


def _bn(cfg, name):
    return layers.BatchNormalization(momentum=cfg.bn_momentum, epsilon=cfg.bn_epsilon, name=name)


G_PROJECT_BNS = ("channel", "unit")
G_ACTIVATIONS = ("lrelu", "relu")
LABEL_CONCATS = ("input", "every_layer")
# What 'auto' means for the generator options when a config reaches the builders unresolved (mgan.models.resolve
# fills them per model from the same table).
NETWORK_DEFAULTS = {"g_project_bn": "channel", "g_activation": "lrelu"}


def _option(cfg, name):
    value = getattr(cfg, name)
    return NETWORK_DEFAULTS[name] if value == "auto" else value


@keras.saving.register_keras_serializable(package="mgan")
class TakeLast(layers.Layer):
    """The last ``n`` entries of a vector input: the one-hot label of a conditional generator's z ⊕ onehot(y)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, x):
        return x[:, -self.n:]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _concat_label(h, y, name):
    """carpedm20/DCGAN-tensorflow's ``conv_cond_concat`` (feature maps) or ``concat`` (vectors): h ⊕ y."""
    if len(h.shape) == 2:
        return layers.Concatenate(name=name)([h, y])
    maps = layers.Reshape((1, 1, y.shape[-1]), name=f"{name}_y")(y)
    maps = layers.UpSampling2D(size=tuple(h.shape[1:3]), name=f"{name}_maps")(maps)
    return layers.Concatenate(name=name)([h, maps])


def _g_act(cfg, name):
    """The generator's hidden activation (``cfg.g_activation``): LReLU (METHODS §3.1, D16 slope) or ReLU."""
    activation = _option(cfg, "g_activation")
    if activation == "relu":
        return layers.ReLU(name=name.replace("lrelu", "relu"))
    if activation != "lrelu":
        raise ValueError(f"unknown g_activation {activation!r}; valid: {list(G_ACTIVATIONS)}")
    return layers.LeakyReLU(cfg.lrelu_slope, name=name)


# The layers whose outputs leave a network (G's tanh, D's head) and SAGAN's spectral-norm wrappers compute in
# OUTPUT_DTYPE (float32) under every precision (mgan.nets.precision): generated images and features are float32, and the
# power iteration and the normalized kernel it writes back stay float32. Under float32 nothing changes.


def _sn(layer, spectral_norm):
    """``layer`` wrapped in ``keras.layers.SpectralNormalization`` (SAGAN, Miyato et al. 2018) when asked (the
    wrapper in float32, the wrapped layer in the precision's compute dtype)."""
    if not spectral_norm:
        return layer
    return layers.SpectralNormalization(layer, name=f"{layer.name}_sn", dtype=OUTPUT_DTYPE)


def _attention(cfg, h, attn_res, spectral_norm, done):
    """h followed by SAGAN's self-attention block if h is the first feature map of resolution ``attn_res``."""
    if done or not attn_res or h.shape[1] != attn_res:
        return h, done
    from mgan.nets.layers import SelfAttention
    block = SelfAttention(spectral_norm=spectral_norm, kernel_initializer=_init(cfg), name=f"attention{attn_res}")
    return block(h), True


def attention_resolutions(layout):
    """The resolutions of hidden feature maps that both networks of ``layout`` have (SAGAN's ``attn_res``)."""
    if LAYOUTS.get(layout) is None:
        return []
    project, upconvs, convs, (size, _) = LAYOUTS[layout]
    g_sizes, res = set(), project[0] if project else 1
    if project:
        g_sizes.add(res)
    for spec in upconvs[:-1]:
        res *= parse_layer(spec, 1)[1]
        g_sizes.add(res)
    d_sizes, res = set(), size
    for spec in convs:
        res //= parse_layer(spec)[1]
        d_sizes.add(res)
    return sorted(g_sizes & d_sizes)


def check_attn_res(layout, attn_res):
    valid = attention_resolutions(layout)
    if attn_res not in valid:
        raise ValueError(f"--attn_res={attn_res}: the {layout!r} networks have no hidden {attn_res}x{attn_res} "
                         f"feature map in both G and D; choose one of {valid}")


def _label_every_layer(cfg, inp, cond_classes):
    """The one-hot label to concatenate to every hidden layer (``label_concat='every_layer'``, the TF1 MNIST
    networks), or None (the label enters with z only, or the network is unconditional)."""
    if cfg.label_concat not in LABEL_CONCATS:
        raise ValueError(f"unknown label_concat {cfg.label_concat!r}; valid: {list(LABEL_CONCATS)}")
    if cfg.label_concat != "every_layer" or not cond_classes:
        return None
    return TakeLast(cond_classes, name="label")(inp)


def build_generator(cfg, out_shape, cond_classes=0, name="generator", spectral_norm=False, attn_res=0):
    """The generator for data of shape ``out_shape``; its input is z (``cfg.z_dim``) plus a one-hot y when conditional.

    ``cfg`` needs: layout, width, z_dim, conv_impl, bn_momentum, bn_epsilon, lrelu_slope, init_stddev,
    literal_output_block. SAGAN: ``spectral_norm`` wraps every conv/dense layer in spectral normalization, and
    ``attn_res`` > 0 inserts a self-attention block after the first hidden layer of that resolution.
    """
    init = _init(cfg)
    z_dim = cfg.z_dim + cond_classes
    inp = keras.Input((z_dim,), name="z")
    if cfg.layout == "mlp":
        h = inp
        for i, units in enumerate(MLP_HIDDEN):
            h = layers.Dense(_scaled(units, cfg.width), kernel_initializer=init, name=f"fc{i}")(h)
            h = layers.LeakyReLU(cfg.lrelu_slope, name=f"lrelu{i}")(h)
        out = layers.Dense(out_shape[0], kernel_initializer=init, name="out", dtype=OUTPUT_DTYPE)(h)
        return keras.Model(inp, out, name=name)
    if cfg.layout == "dcgan_tf1_mnist":
        return _tf1_mnist_generator(cfg, inp, init, name)
    _, Deconv = _conv_classes(cfg.conv_impl)
    project, upconvs, _, _ = LAYOUTS[cfg.layout]
    attended = False
    y = _label_every_layer(cfg, inp, cond_classes)
    if project is None:
        h = layers.Reshape((1, 1, z_dim), name="reshape_z")(inp)
    else:
        ph, pw, pc = project
        pc = _scaled(pc, cfg.width)
        h = _sn(layers.Dense(ph * pw * pc, kernel_initializer=init, name="project"), spectral_norm)(inp)
        project_bn = _option(cfg, "g_project_bn")
        if project_bn == "unit":  # BN over each of the ph*pw*pc dense outputs, then reshape (D34)
            h = _g_act(cfg, "project_lrelu")(_bn(cfg, "project_bn")(h))
            h = layers.Reshape((ph, pw, pc), name="reshape")(h)
        elif project_bn == "channel":  # reshape, then BN per channel over batch and positions
            h = layers.Reshape((ph, pw, pc), name="reshape")(h)
            h = _g_act(cfg, "project_lrelu")(_bn(cfg, "project_bn")(h))
        else:
            raise ValueError(f"unknown g_project_bn {project_bn!r}; valid: {list(G_PROJECT_BNS)}")
        h, attended = _attention(cfg, h, attn_res, spectral_norm, False)
        if y is not None:
            h = _concat_label(h, y, "project_cond")
    for i, spec in enumerate(upconvs):
        last = i == len(upconvs) - 1
        k, s, o = parse_layer(spec, out_channels=out_shape[-1])
        if not last:
            o = _scaled(o, cfg.width)
        h = _sn(Deconv(o, k, strides=s, padding="same", kernel_initializer=init, name=f"upconv{i}"), spectral_norm)(h)
        if not last or cfg.literal_output_block:
            h = _bn(cfg, f"upconv{i}_bn")(h)
            h = _g_act(cfg, f"upconv{i}_lrelu")(h)
        if not last:
            h, attended = _attention(cfg, h, attn_res, spectral_norm, attended)
            if y is not None:
                h = _concat_label(h, y, f"upconv{i}_cond")
    out = layers.Activation("tanh", name="tanh", dtype=OUTPUT_DTYPE)(h)
    if attn_res and not attended:
        raise ValueError(f"layout {cfg.layout!r}: the generator has no hidden {attn_res}x{attn_res} feature map")
    if tuple(out.shape[1:]) != tuple(out_shape):
        raise ValueError(f"layout {cfg.layout!r} makes {tuple(out.shape[1:])}, data needs {tuple(out_shape)}")
    return keras.Model(inp, out, name=name)


def build_discriminator(cfg, in_shape, head_dim, cond_classes=0, name="discriminator", norm="batch",
                        spectral_norm=False, attn_res=0):
    """The discriminator: conv stack (BN + LReLU after every conv) and a linear FC head of ``head_dim`` units.

    With ``cond_classes > 0`` the model takes ``[x, onehot_y]`` and concatenates constant one-hot maps to the image
    (carpedm20 ``conv_cond_concat``), used by conditional baselines only (D20, D29). ``norm`` is ``'batch'``
    (default), ``'layer'`` or ``'none'`` (WGAN-GP critics). Returns features (or logits) of shape [N, head_dim].
    SAGAN: ``spectral_norm`` wraps every conv and the head in spectral normalization, and ``attn_res`` > 0 inserts
    a self-attention block after the first conv block whose output has that resolution.
    """
    init = _init(cfg)
    x_in = keras.Input(tuple(in_shape), name="x")
    inputs = [x_in]
    h = x_in
    if cond_classes:
        y_in = keras.Input((cond_classes,), name="y_onehot")
        inputs.append(y_in)
        if cfg.layout == "mlp":
            h = layers.Concatenate(name="cond_concat")([h, y_in])
        else:
            maps = layers.Reshape((1, 1, cond_classes))(y_in)
            maps = layers.UpSampling2D(size=tuple(in_shape[:2]), name="cond_maps")(maps)
            h = layers.Concatenate(name="cond_concat")([h, maps])
    if cfg.layout == "mlp":
        for i, units in enumerate(MLP_HIDDEN):
            h = layers.Dense(_scaled(units, cfg.width), kernel_initializer=init, name=f"fc{i}")(h)
            h = layers.LeakyReLU(cfg.lrelu_slope, name=f"lrelu{i}")(h)
    elif cfg.layout == "dcgan_tf1_mnist":
        h = _tf1_mnist_discriminator_body(cfg, h, init)
    else:
        Conv, _ = _conv_classes(cfg.conv_impl)
        attended = False
        for i, spec in enumerate(LAYOUTS[cfg.layout][2]):
            k, s, o = parse_layer(spec)
            conv = Conv(_scaled(o, cfg.width), k, strides=s, padding="same", kernel_initializer=init, name=f"conv{i}")
            if cond_classes and i > 0 and cfg.label_concat == "every_layer":
                h = _concat_label(h, y_in, f"conv{i}_cond")
            h = _sn(conv, spectral_norm)(h)
            if norm == "batch" and (i > 0 or cfg.d_first_bn):
                h = _bn(cfg, f"conv{i}_bn")(h)
            elif norm == "layer":
                h = layers.LayerNormalization(axis=[1, 2, 3], epsilon=cfg.bn_epsilon, name=f"conv{i}_ln")(h)
            elif norm not in ("batch", "layer", "none"):
                raise ValueError(f"unknown discriminator norm {norm!r}; valid: ['batch', 'layer', 'none']")
            h = layers.LeakyReLU(cfg.lrelu_slope, name=f"conv{i}_lrelu")(h)
            h, attended = _attention(cfg, h, attn_res, spectral_norm, attended)
        if attn_res and not attended:
            raise ValueError(f"layout {cfg.layout!r}: the discriminator has no {attn_res}x{attn_res} feature map")
        h = layers.Flatten(name="flatten")(h)
        if cond_classes and cfg.label_concat == "every_layer":
            h = _concat_label(h, y_in, "flatten_cond")
    out = _sn(layers.Dense(head_dim, kernel_initializer=init, name="head", dtype=OUTPUT_DTYPE), spectral_norm)(h)
    return keras.Model(inputs if cond_classes else x_in, out, name=name)


def _tf1_mnist_generator(cfg, inp, init, name):
    """carpedm20/DCGAN-tensorflow ``generator`` for MNIST (y_dim removed): FC 1024, FC 7x7x(2·64), UpConv 5x5/2 to
    14x14x128, each with BN and ReLU, then UpConv 5x5/2 to 28x28x1 and tanh (its sigmoid, D19)."""
    _, Deconv = _conv_classes(cfg.conv_impl)
    t, w = TF1_MNIST, cfg.width
    h = layers.Dense(_scaled(t["g_fc"], w), kernel_initializer=init, name="fc0")(inp)
    h = layers.ReLU(name="fc0_relu")(_bn(cfg, "fc0_bn")(h))
    ph, pw, pc = t["g_proj"]
    h = layers.Dense(ph * pw * _scaled(pc, w), kernel_initializer=init, name="project")(h)
    h = layers.ReLU(name="project_relu")(_bn(cfg, "project_bn")(h))
    h = layers.Reshape((ph, pw, _scaled(pc, w)), name="reshape")(h)
    h = Deconv(_scaled(t["g_up"], w), 5, strides=2, padding="same", kernel_initializer=init, name="upconv0")(h)
    h = layers.ReLU(name="upconv0_relu")(_bn(cfg, "upconv0_bn")(h))
    h = Deconv(1, 5, strides=2, padding="same", kernel_initializer=init, name="upconv1")(h)
    return keras.Model(inp, layers.Activation("tanh", name="tanh", dtype=OUTPUT_DTYPE)(h), name=name)


def _tf1_mnist_discriminator_body(cfg, h, init):
    """carpedm20/DCGAN-tensorflow ``discriminator`` for MNIST up to its last FC (y_dim removed; the conv widths keep
    the code's c_dim + y_dim = 11 and df_dim + y_dim = 74): conv 5x5/2 + LReLU, conv 5x5/2 + BN + LReLU, FC 1024 +
    BN + LReLU."""
    Conv, _ = _conv_classes(cfg.conv_impl)
    for i, filters in enumerate(TF1_MNIST["d_convs"]):
        h = Conv(_scaled(filters, cfg.width), 5, strides=2, padding="same", kernel_initializer=init,
                 name=f"conv{i}")(h)
        if i > 0:
            h = _bn(cfg, f"conv{i}_bn")(h)
        h = layers.LeakyReLU(cfg.lrelu_slope, name=f"conv{i}_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(_scaled(TF1_MNIST["d_fc"], cfg.width), kernel_initializer=init, name="fc")(h)
    return layers.LeakyReLU(cfg.lrelu_slope, name="fc_lrelu")(_bn(cfg, "fc_bn")(h))
