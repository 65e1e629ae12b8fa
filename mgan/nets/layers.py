"""Custom layers: fast drop-in convolution layers for CPU training (issue 4) and SAGAN's self-attention block.

`SelfAttention` (Zhang et al. 2019, SAGAN, METHODS §9) is documented in its class; the rest of this docstring is
about the convolutions.

`FastConv2D` and `FastConv2DTranspose` subclass `keras.layers.Conv2D` / `keras.layers.Conv2DTranspose`.  They keep the
constructor, the variables (`kernel`, `bias`: same names, shapes and Keras layouts), `get_config` and serialization of
their parents, so checkpoints and `.keras` files are interchangeable with the plain layers.  Only `call` differs: for
the configurations the networks use (2-D, channels_last, padding 'same', strides 1 or 2, no dilation, no groups, no
`output_padding`, float32 or bfloat16 (mgan.nets.precision), static spatial shape and channels) the convolution runs
through a `tf.custom_gradient` whose forward pass and two backward passes (input gradient, kernel gradient) are chosen
per operation from a few equivalent formulations.  Everything else falls back to the parent's `call`.

The three operations of a strided 'same' convolution ``down(x, k) = conv2d(x, k, s, 'SAME')`` are

* ``down``  -- the forward conv (also the input gradient of a transposed conv),
* ``up``    -- its adjoint, ``conv2d_transpose`` (the forward pass of a transposed conv and the input gradient of a
  conv),
* ``wgrad`` -- the kernel gradient ``d<down(x, k), dy>/dk`` (shared by both layers with the roles of x/dy swapped).

Formulations (all compute the same function up to float32 round-off):

* ``native``  -- the TensorFlow op (`Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`; with oneDNN on, the
  `_MklNative*` kernels).
* ``phase``   -- (``up``, stride 2) sub-pixel decomposition: one stride-1 VALID conv of the padded input with the
  4 phase sub-kernels stacked on the output channels (4*C_out), then `tf.nn.depth_to_space(., 2)` and a crop.  The
  sub-kernels are built from the stored (kh, kw, out, in) kernel with `tf` ops inside the call.
* ``flip``    -- (``up``, stride 1) a forward conv of the padded input with the spatially flipped, in/out-transposed
  kernel.
* ``patches`` -- (``wgrad``) explicit im2col: `tf.image.extract_patches` of x (same 'SAME' padding arithmetic as the
  conv) and one GEMM ``patches^T @ dy``.

Which formulation wins depends on the shape and on whether oneDNN is on (`TF_ENABLE_ONEDNN_OPTS`, default on for x86
Linux); `choose_impl` holds the rules.  Measured on the project's 2-core AVX-512 CPU, batch 64 (op micro-benchmarks,
`benchmarks/layer_time.py`, whole DMGAN-step profiles):

* oneDNN on: `Conv2DBackpropInput` is as fast as a forward conv of the same size -- the phase form loses 1.5-3.5x --
  except when the transposed conv has a handful of output channels (RGB/gray), where phase is ~2x faster.
  `Conv2DBackpropFilter` is 2-2.5x slower than one im2col GEMM on deep layers over small maps (kernel elements /
  (batch*h*w) >= 1000, e.g. 8x8x256 <-> 4x4x512, 4x4x256 <-> 2x2x512) and faster elsewhere.
* oneDNN off (Eigen): `Conv2DBackpropInput` is 2-10x slower than the phase form on maps up to 8x8 with many channels
  (4x4x512 -> 8x8x256: ~1.8 s vs ~0.4 s); `Conv2DBackpropFilter` loses to the GEMM only on 2x2/1x1 maps.
* XLA (`jit_compile=True`) compiles these convolutions into far slower code on this CPU (a 4x4x512 -> 8x8x256
  transposed conv: seconds); a whole DMGAN step under XLA was ~16x slower.  Don't jit the training step.

`set_impl_override` / `impl_override` force a formulation (benchmarks, tests).
"""
from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

__all__ = ["FastConv2D", "FastConv2DTranspose", "SelfAttention", "choose_impl", "set_impl_override", "impl_override",
           "onednn_enabled"]

# --------------------------------------------------------------------------------------------------------------------
# implementation choice

_OVERRIDE: dict[str, str] = {}
_ONEDNN: bool | None = None

_VALID = {"down": ("native",), "up": ("native", "phase", "flip"), "wgrad": ("native", "patches")}


def onednn_enabled() -> bool:
    """True when TensorFlow runs its oneDNN (MKL) CPU kernels (the default on x86 unless TF_ENABLE_ONEDNN_OPTS=0)."""
    global _ONEDNN
    if _ONEDNN is None:
        try:
            from tensorflow.python.util import _pywrap_util_port
            _ONEDNN = bool(_pywrap_util_port.IsMklEnabled())
        except Exception:  # pragma: no cover - private API moved
            _ONEDNN = False
    return _ONEDNN


def accelerator_present() -> bool:
    """True when TensorFlow sees a GPU or TPU. The fast formulations and their rules are tuned on a CPU; on an
    accelerator the vendor's convolution kernels are used through Keras' own layers (``networks.conv_classes``)."""
    return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))


def set_impl_override(**ops: str | None) -> None:
    """Force a formulation per operation, e.g. ``set_impl_override(wgrad='native', up='phase')``; ``None`` or
    ``'auto'`` restores the automatic rule.  Takes effect at the next trace of a layer call."""
    for op, impl in ops.items():
        if op not in _VALID:
            raise ValueError(f"unknown operation {op!r}; expected one of {sorted(_VALID)}")
        if impl is None or impl == "auto":
            _OVERRIDE.pop(op, None)
        elif impl not in _VALID[op]:
            raise ValueError(f"unknown implementation {impl!r} for {op!r}; expected one of {_VALID[op]}")
        else:
            _OVERRIDE[op] = impl


@contextlib.contextmanager
def impl_override(**ops: str | None):
    """Context-manager form of `set_impl_override` (restores the previous overrides on exit)."""
    saved = dict(_OVERRIDE)
    try:
        set_impl_override(**ops)
        yield
    finally:
        _OVERRIDE.clear()
        _OVERRIDE.update(saved)


def choose_impl(op: str, *, stride: int, kernel_size: tuple[int, int], big_hw: tuple[int, int],
                small_hw: tuple[int, int], c_big: int, c_small: int, batch: int | None = None) -> str:
    """The formulation of `op` ('down' | 'up' | 'wgrad') for a 'same' conv mapping a [batch, *big_hw, c_big] tensor
    to a [batch, *small_hw, c_small] one with `stride` (for a transposed conv the roles are mirrored: big = its
    output).  `batch` None (unknown at trace time) counts as 64."""
    if op not in _VALID:
        raise ValueError(f"unknown operation {op!r}; expected one of {sorted(_VALID)}")
    if op in _OVERRIDE:
        impl = _OVERRIDE[op]
        if (impl == "phase" and stride != 2) or (impl == "flip" and stride != 1):
            return "native"  # a forced formulation applies where it is defined
        return impl
    if op == "down":
        return "native"
    batch = batch or 64
    small = small_hw[0] * small_hw[1]
    kh, kw = kernel_size
    if op == "up":
        if stride != 2:
            return "native"  # 'flip' ties with oneDNN and is far slower without (Eigen, few output channels)
        if onednn_enabled():
            # oneDNN's backprop-input kernel is as fast as a forward conv except for a few output channels (RGB)
            return "phase" if c_big <= 8 else "native"
        # Eigen's Conv2DBackpropInput is several times slower than a forward conv of the same size on small maps
        return "phase" if small <= 64 and c_big * c_small >= 8192 else "native"
    # wgrad: Conv2DBackpropFilter is slow when the kernel (the GEMM output) is large compared with the reduction
    # length batch*h*w (deep layers on small maps); one explicit-im2col GEMM is then 2-3x faster.
    ratio = kh * kw * c_big * c_small / (batch * small)
    if onednn_enabled():
        return "patches" if ratio >= 1000 else "native"
    return "patches" if ratio >= 1000 and batch * small <= 256 else "native"

# --------------------------------------------------------------------------------------------------------------------
# the three operations


def _same_pads(size: int, k: int, s: int) -> tuple[int, int, int]:
    """TF 'SAME': (output size, pad before, pad after)."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def _down(x, k, stride):
    return tf.nn.conv2d(x, k, stride, "SAME")


def _up(dy, k, stride, big_shape, impl):
    """Adjoint of `_down`: dy [B, h, w, Cl] -> [B, H, W, Cs] with big_shape = (H, W); k [kh, kw, Cs, Cl]."""
    H, W = big_shape
    kh, kw, cs, cl = k.shape
    if impl == "native":
        return tf.nn.conv2d_transpose(dy, k, tf.stack([tf.shape(dy)[0], H, W, cs]), stride, "SAME")
    if impl == "flip":  # stride 1
        _, pth, _ = _same_pads(H, kh, 1)
        _, ptw, _ = _same_pads(W, kw, 1)
        kf = tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2])
        dyp = tf.pad(dy, [[0, 0], [kh - 1 - pth, pth], [kw - 1 - ptw, ptw], [0, 0]])
        return tf.nn.conv2d(dyp, kf, 1, "VALID")
    if impl == "phase":  # stride 2
        h, pth, _ = _same_pads(H, kh, 2)
        w, ptw, _ = _same_pads(W, kw, 2)
        th, tw = -(-kh // 2), -(-kw // 2)            # taps per phase
        mh, mw = -(-(H + pth) // 2), -(-(W + ptw) // 2)  # phase rows/cols needed
        # x_grad_padded[2m+p] = sum_a dy[m-a] k[2a+p]: pad dy by (t-1) before, correlate with the reversed taps
        k6 = tf.pad(k, [[0, 2 * th - kh], [0, 2 * tw - kw], [0, 0], [0, 0]])
        k6 = tf.reverse(tf.reshape(k6, [th, 2, tw, 2, cs, cl]), [0, 2])
        kp = tf.reshape(tf.transpose(k6, [0, 2, 5, 1, 3, 4]), [th, tw, cl, 4 * cs])
        dyp = tf.pad(dy, [[0, 0], [th - 1, mh - h], [tw - 1, mw - w], [0, 0]])
        z = tf.nn.depth_to_space(tf.nn.conv2d(dyp, kp, 1, "VALID"), 2)
        return z[:, pth:pth + H, ptw:ptw + W, :]
    raise ValueError(impl)


def _wgrad(x, dy, k_shape, stride, impl):
    """Kernel gradient of `_down(x, k, stride)` for upstream dy."""
    kh, kw, cs, cl = k_shape
    if impl == "native":
        return tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=[kh, kw, cs, cl], out_backprop=dy,
                                               strides=[1, stride, stride, 1], padding="SAME")
    if impl == "patches":
        p = tf.image.extract_patches(x, [1, kh, kw, 1], [1, stride, stride, 1], [1, 1, 1, 1], "SAME")
        g = tf.matmul(tf.reshape(p, [-1, kh * kw * cs]), tf.reshape(dy, [-1, cl]), transpose_a=True)
        return tf.reshape(g, [kh, kw, cs, cl])
    raise ValueError(impl)


def _info(stride, k_shape, big_hw, small_hw, batch):
    kh, kw, cs, cl = k_shape
    return dict(stride=stride, kernel_size=(kh, kw), big_hw=tuple(big_hw), small_hw=tuple(small_hw), c_big=cs,
                c_small=cl, batch=batch)


def fast_conv2d(x, k, stride):
    """`conv2d(x, k, stride, 'SAME')` (channels_last) with the backward passes chosen by `choose_impl`."""
    k_shape = tuple(k.shape)
    big_hw = tuple(x.shape[1:3])
    small_hw = tuple(_same_pads(n, kk, stride)[0] for n, kk in zip(big_hw, k_shape[:2]))
    info = _info(stride, k_shape, big_hw, small_hw, x.shape[0])
    up_impl, wg_impl = choose_impl("up", **info), choose_impl("wgrad", **info)

    @tf.custom_gradient
    def f(x, k):
        def grad(dy):
            return _up(dy, k, stride, big_hw, up_impl), _wgrad(x, dy, k_shape, stride, wg_impl)
        return _down(x, k, stride), grad

    return f(x, k)


def fast_conv2d_transpose(y, k, stride):
    """`conv2d_transpose(y, k, [B, H*stride, W*stride, k.shape[2]], stride, 'SAME')` (channels_last, Keras 'same'
    output size), backward passes chosen by `choose_impl`."""
    k_shape = tuple(k.shape)
    small_hw = tuple(y.shape[1:3])
    big_hw = tuple(n * stride for n in small_hw)
    info = _info(stride, k_shape, big_hw, small_hw, y.shape[0])
    up_impl, wg_impl = choose_impl("up", **info), choose_impl("wgrad", **info)

    @tf.custom_gradient
    def f(y, k):
        def grad(dz):
            return _down(dz, k, stride), _wgrad(dz, y, k_shape, stride, wg_impl)
        return _up(y, k, stride, big_hw, up_impl), grad

    return f(y, k)


# --------------------------------------------------------------------------------------------------------------------
# layers


def _static_ok(inputs, rank=4) -> bool:
    shape = inputs.shape
    if isinstance(shape, tf.TensorShape):
        if shape.rank is None:
            return False
        shape = shape.as_list()
    return len(shape) == rank and all(d is not None for d in shape[1:])


def _common_ok(layer, inputs) -> bool:
    return (layer.rank == 2 and layer.data_format == "channels_last" and layer.padding == "same"
            and tuple(layer.dilation_rate) == (1, 1) and layer.strides[0] == layer.strides[1]
            and layer.strides[0] in (1, 2) and layer.compute_dtype in FAST_DTYPES
            and keras.backend.backend() == "tensorflow" and _static_ok(inputs))


# Compute dtypes of the fast path: float32, and bfloat16 under the mixed_bfloat16 policy (mgan.nets.precision; the
# kernel is read inside `call`, where Keras casts it to the compute dtype, and every formulation has bfloat16 CPU
# kernels).
FAST_DTYPES = ("float32", "bfloat16")


def _finish(layer, outputs):
    if layer.use_bias:
        outputs = tf.nn.bias_add(outputs, tf.cast(layer.bias, outputs.dtype))
    if layer.activation is not None:
        return layer.activation(outputs)
    return outputs


@keras.saving.register_keras_serializable(package="mgan")
class FastConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` with a faster CPU backward pass (see the module docstring); same variables/config."""

    def _fast_ok(self, inputs) -> bool:
        return getattr(self, "groups", 1) == 1 and _common_ok(self, inputs)

    def call(self, inputs):
        if not self._fast_ok(inputs):
            return super().call(inputs)
        outputs = fast_conv2d(tf.convert_to_tensor(inputs), tf.convert_to_tensor(self.kernel), int(self.strides[0]))
        return _finish(self, outputs)


@keras.saving.register_keras_serializable(package="mgan")
class FastConv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` with faster CPU forward/backward passes (see the module docstring); same
    variables/config."""

    def _fast_ok(self, inputs) -> bool:
        return self.output_padding is None and _common_ok(self, inputs)

    def call(self, inputs):
        if not self._fast_ok(inputs):
            return super().call(inputs)
        outputs = fast_conv2d_transpose(tf.convert_to_tensor(inputs), tf.convert_to_tensor(self.kernel),
                                        int(self.strides[0]))
        return _finish(self, outputs)


# --------------------------------------------------------------------------------------------------------------------
# SAGAN self-attention

@keras.saving.register_keras_serializable(package="mgan")
class SelfAttention(keras.layers.Layer):
    """SAGAN's self-attention block (Zhang et al. 2019, arXiv 1805.08318, Eqs. 1-3, in the form of METHODS §9).

    On a feature map x [B, H, W, C] with N = H·W positions: f, g are 1x1 convs to C̄ = max(1, C // ``key_ratio``)
    channels and h a 1x1 conv to C channels (with biases); s_ij = f(x_i)ᵀ g(x_j); β_j,i = softmax_i(s_ij) (Eq. 1);
    o_j = Σ_i β_j,i h(x_i) (Eq. 2 without the later version's output conv v); y = γ·o + x (Eq. 3) with γ a trainable
    scalar initialised to 0, so the block starts as the identity. ``spectral_norm`` wraps f, g and h in
    ``keras.layers.SpectralNormalization`` (SAGAN normalises every layer).
    """

    def __init__(self, key_ratio=8, spectral_norm=False, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if int(key_ratio) < 1:
            raise ValueError(f"key_ratio must be >= 1 (C / channels of f and g), got {key_ratio}")
        self.key_ratio = int(key_ratio)
        self.spectral_norm = bool(spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _conv(self, filters, name):
        # f, g, h take this block's policy (also when the block is rebuilt from a saved file under another global
        # policy); a spectral-norm wrapper runs in float32 as in mgan.nets.networks
        conv = keras.layers.Conv2D(filters, 1, kernel_initializer=self.kernel_initializer, name=name,
                                   dtype=self.dtype_policy)
        if self.spectral_norm:
            return keras.layers.SpectralNormalization(conv, name=f"{name}_sn", dtype="float32")
        return conv

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.key_channels = max(1, channels // self.key_ratio)
        self.f = self._conv(self.key_channels, "f")
        self.g = self._conv(self.key_channels, "g")
        self.h = self._conv(channels, "h")
        for conv in (self.f, self.g, self.h):
            conv.build(input_shape)
        self.gamma = self.add_weight(shape=(), initializer="zeros", trainable=True, name="gamma")

    def call(self, x, training=False):
        shape = tf.shape(x)
        n = shape[1] * shape[2]

        def flat(t):
            return tf.reshape(t, tf.stack([shape[0], n, tf.shape(t)[-1]]))

        f, g, h = (flat(conv(x, training=training)) for conv in (self.f, self.g, self.h))
        h = tf.cast(h, x.dtype)  # (a float32 spectral-norm wrapper returns float32; the block computes in x's dtype)
        scores = tf.cast(tf.einsum("bic,bjc->bji", tf.cast(f, x.dtype), tf.cast(g, x.dtype)), tf.float32)
        beta = tf.cast(tf.nn.softmax(scores, axis=-1), x.dtype)  # β[b, j, i], a softmax over i (in float32)
        o = tf.reshape(tf.einsum("bji,bic->bjc", beta, h), shape)
        return tf.cast(self.gamma, x.dtype) * o + x

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward_macs(self, input_shape):
        """Multiply-adds of one example: the three 1x1 convs and the two attention products."""
        n, c = int(input_shape[-3]) * int(input_shape[-2]), int(input_shape[-1])
        ck = max(1, c // self.key_ratio)
        return n * c * (2 * ck + c) + n * n * (ck + c)

    def get_config(self):
        return {**super().get_config(), "key_ratio": self.key_ratio, "spectral_norm": self.spectral_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
