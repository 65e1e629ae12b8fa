"""The CNN classifier of the IE-loss experiment (METHODS §7.2, reconstructed): a conv feature extractor → a linear
feature f → a linear softmax classifier, trained with softmax cross-entropy plus an optional center-based metric loss
(:mod:`mgan.objectives.metric_losses`).

``net`` = three blocks of (two 3×3 conv + BN + ReLU, 2×2 max-pool) with widths small (32, 64, 128), medium
(64, 128, 256) or large (128, 256, 512), times ``width`` (the smoke scale's channel multiplier). The pooling pads
odd maps ('same'), so 28×28 inputs give 4×4 maps. The feature layer has no activation (so a 2-D feature can use the
whole plane, as in Wen et al.'s MNIST plots).

``MetricClassifier`` is a ``keras.Model``: ``call(x)`` gives the logits (``predict``/``evaluate`` are Keras' own, so
``evaluate`` reports the compiled cross-entropy and metrics on test data); ``train_step`` is one whole update
(forward, CE + metric loss, one optimizer step on the network and on trainable centers, the center rule);
``embed(x)`` gives the features (float32).

Under a mixed precision policy (:mod:`mgan.nets.precision`) the feature extractor computes in bfloat16, while the
softmax layer, the metric-loss layer (its centers and arithmetic) and every variable stay float32.
"""
import keras
import tensorflow as tf

from mgan.objectives.metric_losses import CenterLoss, IELoss

NETS = {"small": (32, 64, 128), "medium": (64, 128, 256), "large": (128, 256, 512)}  # METHODS §7.2
LOSSES = ("softmax", "center", "ie")  # softmax alone, softmax + center loss (Wen et al.), softmax + IE loss


def _channels(width, w):
    return max(1, int(round(w * width)))


def build_feature_network(input_shape, net="small", feature_dim=128, width=1.0):
    """The conv feature extractor of METHODS §7.2 ending in the linear feature layer f (a ``keras.Model``)."""
    if net not in NETS:
        raise ValueError(f"net must be one of {list(NETS)}, got {net!r}")
    if int(feature_dim) < 1 or not width > 0:
        raise ValueError(f"feature_dim must be >= 1 and width > 0; got {feature_dim}, {width}")
    x = keras.Input(tuple(input_shape))
    h = x
    for block, w in enumerate(NETS[net]):
        for j in range(2):
            h = keras.layers.Conv2D(_channels(width, w), 3, padding="same", use_bias=False,
                                    name=f"block{block + 1}_conv{j + 1}")(h)
            h = keras.layers.BatchNormalization(name=f"block{block + 1}_bn{j + 1}")(h)
            h = keras.layers.ReLU()(h)
        h = keras.layers.MaxPooling2D(2, padding="same", name=f"block{block + 1}_pool")(h)
    f = keras.layers.Dense(int(feature_dim), name="feature")(keras.layers.Flatten()(h))
    return keras.Model(x, f, name=f"{net}_features")


def metric_loss_layer(loss, num_classes, **options):
    """None for 'softmax', else the :mod:`mgan.objectives.metric_losses` layer of ``loss`` with its options
    (center: weight, centers, center_rate; ie: also margin, projection, bandwidth)."""
    if loss == "softmax":
        return None
    if loss == "center":
        return CenterLoss(num_classes, name="center_loss", dtype="float32", **options)
    if loss == "ie":
        return IELoss(num_classes, name="ie_loss", dtype="float32", **options)
    raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")


@keras.saving.register_keras_serializable(package="mgan")
class MetricClassifier(keras.Model):
    """Softmax classifier with an optional metric loss on its features (the IE-loss experiment)."""

    def __init__(self, input_shape, num_classes, net="small", feature_dim=128, width=1.0, loss="softmax",
                 loss_options=None, **kwargs):
        super().__init__(**kwargs)
        self.settings = {"input_shape": list(input_shape), "num_classes": int(num_classes), "net": net,
                         "feature_dim": int(feature_dim), "width": float(width), "loss": loss,
                         "loss_options": dict(loss_options or {})}
        self.backbone = build_feature_network(input_shape, net, feature_dim, width)
        self.head = keras.layers.Dense(int(num_classes), name="logits", dtype="float32")  # float32 logits
        self.metric_loss = metric_loss_layer(loss, int(num_classes), **self.settings["loss_options"])
        self.metric_tracker = keras.metrics.Mean(name=self.metric_loss.loss_name) if self.metric_loss else None
        self.head.build((None, int(feature_dim)))
        if self.metric_loss is not None:
            self.metric_loss.build(((None, int(feature_dim)), (None,)))
        self.built = True

    def call(self, x, training=False):
        return self.head(self.backbone(x, training=training))

    def embed(self, x, training=False):
        return tf.cast(self.backbone(x, training=training), tf.float32)

    @property
    def metrics(self):
        return super().metrics + ([self.metric_tracker] if self.metric_tracker is not None else [])

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            features = self.backbone(x, training=True)
            logits = self.head(features)
            if self.metric_loss is not None:
                metric = self.metric_loss((features, y), sample_weight=sample_weight, training=True)
                self.metric_tracker.update_state(metric)
            loss = self._compute_loss(x=x, y=y, y_pred=logits, sample_weight=sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=tf.shape(x)[0])
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self.compute_metrics(x, y, logits, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.settings}
