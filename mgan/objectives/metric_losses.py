"""Keras layers that add a class-center metric loss to a classifier's training: the IE loss (METHODS §7, D15,
reconstructed from an abstract) and the center loss of Wen et al. (2016), the softmax + center-loss baseline.

Each layer owns the [C, d] class centers and is called on ``(features, labels)`` during training; it adds
``weight · loss`` with ``add_loss`` (so Keras' ``compute_loss`` sums it with the compiled cross-entropy) and returns
that value. The centers are either

- ``'update_rule'`` (default): a non-trainable variable moved after each batch by the center-loss rule
  c_j ← c_j − α Σ_{i: y_i=j}(c_j − f_i)/(1 + n_j) on stop-gradient features,
  :func:`mgan.objectives.centers.update_centers` (the same code as DMGAN's Eqs. 3–4; α = ``center_rate``, 0.5 as Wen et
  al.); the loss of a batch is computed with the centers before that batch's update; or
- ``'trainable'``: trained by the model's optimizer through the loss's gradient (Glorot-uniform start).

The math is in :mod:`mgan.objectives.losses` (``ie_loss``, ``center_loss``); these layers only hold the state.
"""
import keras
import tensorflow as tf

from mgan.objectives import losses
from mgan.objectives.centers import update_centers

CENTER_MODES = ("update_rule", "trainable")


class ClassCenterLoss(keras.layers.Layer):
    """Base of the center-based metric losses: the centers, their update, ``add_loss``. Subclasses define
    ``per_batch(features, labels, centers, sample_weight)``."""

    loss_name = "metric_loss"

    def __init__(self, num_classes, weight=1.0, centers="update_rule", center_rate=0.5, **kwargs):
        super().__init__(**kwargs)
        if centers not in CENTER_MODES:
            raise ValueError(f"centers must be one of {list(CENTER_MODES)}, got {centers!r}")
        if int(num_classes) < 2:
            raise ValueError(f"a class-center loss needs at least 2 classes, got {num_classes}")
        if not weight >= 0 or not 0 <= center_rate <= 1:
            raise ValueError(f"weight must be >= 0 and center_rate in [0, 1]; got {weight}, {center_rate}")
        self.num_classes, self.weight = int(num_classes), float(weight)
        self.center_mode, self.center_rate = centers, float(center_rate)

    def build(self, input_shape):
        feature_shape = input_shape[0]
        self.centers = self.add_weight(name="centers", shape=(self.num_classes, int(feature_shape[-1])),
                                       initializer=self._initializer(), trainable=self.center_mode == "trainable")

    def _initializer(self):
        """Zeros for the update rule (Wen et al.'s implementation; the rule moves them to the class means at once);
        Keras' default weight initializer (Glorot uniform) for trainable centers, which start equal otherwise and
        get almost no gradient to separate."""
        return "zeros" if self.center_mode == "update_rule" else "glorot_uniform"

    def call(self, inputs, sample_weight=None, training=None):
        features, labels = inputs
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        centers = tf.convert_to_tensor(self.centers)
        value = self.weight * self.per_batch(features, labels, centers, sample_weight)
        self.add_loss(value)
        if training and self.center_mode == "update_rule":
            with tf.control_dependencies([value]):
                self.centers.assign(update_centers(centers, features, labels, self.center_rate, sample_weight))
        return value

    def per_batch(self, features, labels, centers, sample_weight):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return ()

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "weight": self.weight,
                "centers": self.center_mode, "center_rate": self.center_rate}


@keras.saving.register_keras_serializable(package="mgan")
class CenterLoss(ClassCenterLoss):
    """Wen et al. (2016): weight · batch mean of ½‖f_i − c_{y_i}‖² (the softmax + center-loss baseline; their λ is
    ``weight``, their α is ``center_rate``)."""

    loss_name = "center_loss"

    def per_batch(self, features, labels, centers, sample_weight):
        return losses.center_loss(features, labels, centers, sample_weight=sample_weight)


@keras.saving.register_keras_serializable(package="mgan")
class IELoss(ClassCenterLoss):
    """The IE loss (METHODS §7.2, reconstructed): weight · batch mean of
    max(0, margin + d_i,y_i − mean_{j≠y_i} d_i,j), distances in the ``projection``
    (:func:`mgan.objectives.losses.ie_loss`)."""

    loss_name = "ie_loss"

    def __init__(self, num_classes, margin=0.5, projection="gaussian_kernel", bandwidth=1.0, weight=1.0,
                 centers="update_rule", center_rate=0.5, **kwargs):
        super().__init__(num_classes, weight=weight, centers=centers, center_rate=center_rate, **kwargs)
        if projection not in losses.IE_PROJECTIONS:
            raise ValueError(f"projection must be one of {list(losses.IE_PROJECTIONS)}, got {projection!r}")
        if not bandwidth > 0 or not margin >= 0:
            raise ValueError(f"bandwidth must be > 0 and margin >= 0; got {bandwidth}, {margin}")
        self.margin, self.projection, self.bandwidth = float(margin), projection, float(bandwidth)

    def per_batch(self, features, labels, centers, sample_weight):
        return losses.ie_loss(features, labels, centers, margin=self.margin, projection=self.projection,
                              bandwidth=self.bandwidth, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "projection": self.projection,
                "bandwidth": self.bandwidth}
