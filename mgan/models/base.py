"""The common GAN model: a ``keras.Model`` whose ``train_step`` is one whole iteration of a paper's algorithm.

The Keras contract every model of the package keeps (subclasses write only their ``train_step`` and options):

- ``compile(d_optimizer=..., g_optimizer=...)``: one optimizer per network. ``model.optimizer`` is a
  ``keras.optimizers.MultiOptimizer`` over the two, so learning-rate callbacks (``LearningRateScheduler``,
  ``ReduceLROnPlateau``) and ``TensorBoard`` act on the optimizers that train.
- ``fit`` on batches ``x``, ``(x, y)`` or ``(x, y, sample_weight)``: images in [-1, 1], int labels, optional
  per-example weights of the batch means. The noise is drawn inside ``train_step`` from a stateless generator
  seeded by (``seed``, ``iteration``); ``iteration`` is a non-trainable model variable (saved with the weights and in
  checkpoints), so a resumed run sees the same noise.
- The logs are the model's ``keras.metrics.Mean`` trackers (averages since their last reset) plus ``loss`` =
  d_loss + g_loss, so loss-watching callbacks such as ``TerminateOnNaN`` work.
- ``model(z)`` / ``model((z, y))`` and ``predict`` return generated samples (G in inference mode).
- ``save`` / ``keras.saving.load_model`` (after ``import mgan``) round-trip the whole GAN: both networks, centers,
  counters and optimizer states (``get_config`` / ``from_config``, registered serializable classes).
- ``evaluate`` raises: a GAN has no held-out loss; sample quality is scored with :mod:`mgan.metrics`.
"""
import keras
import numpy as np
import tensorflow as tf

from mgan.errors import check_choice
from mgan.models import input_checks
from mgan.nets import latent

CLIP_SCOPES = ("all", "kernels")
_COMPILE_OPTIONS = ("jit_compile", "run_eagerly", "steps_per_execution")


@keras.saving.register_keras_serializable(package="mgan")
class GANModel(keras.Model):
    """Base class. Subclasses set ``metric_names`` (their logged values besides ``loss``), implement
    ``train_step(data)`` and ``iteration_passes()``, and add their options to ``get_config``.

    Args:
      generator, discriminator: Keras models (see mgan.nets.networks).
      num_classes: classes of the data (1 for unlabeled data).
      z_dim, noise: noise dimension and distribution (D11).
      seed: seed of the training noise stream (the run seed).
      conditional: G takes z ⊕ onehot(y) (set by the subclass from its options).
      clip, clip_scope: weight clipping of D after each D step (D8); 0 disables it.
    """

    metric_names = ()

    def __init__(self, generator, discriminator, *, num_classes, z_dim, noise, seed=0, conditional=False, clip=0.0,
                 clip_scope="all", **kwargs):
        super().__init__(**kwargs)
        check_choice("noise", noise, latent.NOISES)
        check_choice("clip_scope", clip_scope, CLIP_SCOPES)
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = int(num_classes)
        self.z_dim = int(z_dim)
        self.noise = noise
        self.seed = int(seed)
        self.conditional = bool(conditional)
        self.clip = float(clip)
        self.clip_scope = clip_scope
        self.iteration = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                         name="iteration")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ("loss",) + tuple(self.metric_names)}
        self.built = True  # both networks are built functional models; no input-dependent state is left

    # ----- Keras API ---------------------------------------------------------------------------------------------
    def compile(self, d_optimizer=None, g_optimizer=None, **options):
        """One optimizer per network (instances, names or configs); ``jit_compile``, ``run_eagerly`` and
        ``steps_per_execution`` as in ``keras.Model.compile`` (``jit_compile`` defaults to False here)."""
        unsupported = sorted(set(options) - set(_COMPILE_OPTIONS))
        if unsupported or d_optimizer is None or g_optimizer is None:
            raise ValueError(f"{type(self).__name__}.compile takes d_optimizer=... and g_optimizer=... (one per "
                             f"network; train_step defines the losses){f', not {unsupported}' if unsupported else ''}")
        d_optimizer, g_optimizer = keras.optimizers.get(d_optimizer), keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two optimizer instances (each keeps its own state)")
        options.setdefault("jit_compile", False)
        # Build the slots now, in network order, so a checkpoint restores them before the first step.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        d_paths = {v.path: d_optimizer for v in self.discriminator.trainable_variables}
        both = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(g_optimizer, d_paths), name="gan")
        both.build(self.trainable_variables)
        super().compile(optimizer=both, **options)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {"d_optimizer": keras.optimizers.serialize(self.d_optimizer),
                "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
                **{k: getattr(self, k) for k in _COMPILE_OPTIONS}}

    def compile_from_config(self, config):
        config = dict(config)
        self.compile(d_optimizer=keras.optimizers.deserialize(config.pop("d_optimizer")),
                     g_optimizer=keras.optimizers.deserialize(config.pop("g_optimizer")), **config)

    def get_config(self):
        return {"name": self.name, "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "num_classes": self.num_classes, "z_dim": self.z_dim, "noise": self.noise, "seed": self.seed,
                "clip": self.clip, "clip_scope": self.clip_scope}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        """Generated samples from noise ``z`` or from ``(z, y)`` (conditional generators need the labels)."""
        z, y = inputs if isinstance(inputs, (tuple, list)) else (inputs, None)
        return self.generator(self.generator_input(z, y), training=training)

    # ----- input checks, once per call (mgan.models.input_checks), never inside train_step ----------------------------
    @property
    def example_shape(self):
        """The shape of one example of the data (the generator's output)."""
        return tuple(self.generator.output_shape[1:])

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        """``keras.Model.fit`` after checking the first batch: batched, of this model's example shape, float in
        [-1, 1] and finite, labels in 0..num_classes-1 (InputDataError with the fix otherwise)."""
        self.check_first_batch(x, y, batch_size)
        return super().fit(x, y, batch_size, *args, **kwargs)

    def check_first_batch(self, x, y=None, batch_size=None):
        first = _first_batch(x, y, batch_size)
        if first is None:  # a Python generator or a PyDataset: not peeked at (it may not be re-iterable)
            return
        images, labels, spec_shape = first
        input_checks.check_batched_spec(spec_shape, self.example_shape)
        for part in tf.nest.flatten(images):  # MBGAN's (x, x_anchor) pairs
            part = np.asarray(part)
            if getattr(self, "needs_critic_batches", False) and part.ndim == len(self.example_shape) + 2:
                part = part[0]  # WGAN: the stack of a generator iteration's critic batches
            input_checks.check_images(part, self.example_shape)
        if labels is not None:
            labels = np.asarray(labels)
            if getattr(self, "needs_critic_batches", False) and labels.ndim == 2:
                labels = labels[0]  # WGAN: the labels of the stacked critic batches
            input_checks.check_labels(labels, self.num_classes)

    def predict(self, x, *args, **kwargs):
        """Generated samples from noise ``z`` or ``(z, y)``; the noise and labels are checked first."""
        z, y = x if isinstance(x, (tuple, list)) else (x, None)
        if not isinstance(z, tf.data.Dataset):
            input_checks.check_noise(z, self.z_dim)
            if y is not None:
                input_checks.check_labels(y, self.num_classes, what="predict")
        return super().predict(x, *args, **kwargs)

    def save(self, filepath, *args, **kwargs):
        """Save the whole GAN as one ``.keras`` archive (other suffixes fail with the fix)."""
        input_checks.check_save_path(filepath)
        return super().save(filepath, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} has no held-out loss to evaluate (its losses measure D against G, not sample "
            f"quality). Score generated samples with mgan.metrics.score_images or `python -m mgan.evaluate`.")

    def iteration_passes(self):
        """Network passes of one iteration in units of a forward pass (a backward pass needing input and weight
        gradients counts 2, input gradients only 1); used to count an iteration's multiply-adds (benchmarks)."""
        raise NotImplementedError(f"{type(self).__name__} does not declare its iteration_passes")

    # ----- pieces of every train_step ------------------------------------------------------------------------------
    @property
    def uses_labels(self):
        """Whether the update needs class labels (the data must then yield (x, y))."""
        return self.conditional

    def unpack(self, data):
        """``(x, y, sample_weight)`` of a batch given as x, (x, y) or (x, y, sample_weight); y is required when
        the model uses labels, else zeros when absent."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = tf.convert_to_tensor(x)
        if y is None:
            if self.uses_labels:
                raise ValueError(f"{self.name} uses class labels: fit it on (x, y) batches, not on images alone")
            y = tf.zeros(tf.shape(x)[:1], tf.int32)
        return x, tf.cast(y, tf.int32), sample_weight

    def iteration_noise(self, batch_size):
        """The noise of the current iteration (``self.iteration``): a pure function of (seed, iteration)."""
        return latent.training_noise(self.seed, self.iteration, batch_size, self.z_dim, self.noise)

    def generator_input(self, z, y):
        return latent.generator_input(z, y, self.num_classes, self.conditional)

    def clip_variables(self):
        """The D variables clipped by D8: all trainable ones, or the conv/dense kernels only."""
        vs = self.discriminator.trainable_variables
        if self.clip_scope == "kernels":
            vs = [v for v in vs if v.path.endswith("kernel")]
        return vs

    def clip_discriminator(self):
        if self.clip > 0:
            for v in self.clip_variables():
                v.assign(tf.clip_by_value(v, -self.clip, self.clip))

    def finish_iteration(self, **values):
        """Count the iteration and track ``values`` plus ``loss`` = d_loss + g_loss; returns train_step's logs."""
        self.iteration.assign_add(1)
        values["loss"] = values["d_loss"] + values["g_loss"]
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def _first_batch(x, y, batch_size):
    """(images, labels or None, static element shape of a tf.data x or None) of the first batch ``fit`` will see,
    as numpy; None when ``x`` cannot be peeked at without consuming it."""
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        xs = spec[0] if isinstance(spec, tuple) else spec
        shape = xs.shape.as_list() if isinstance(xs, tf.TensorSpec) and xs.shape.rank is not None else None
        for element in x.take(1):
            bx, by, _ = keras.utils.unpack_x_y_sample_weight(element)
            return (tf.nest.map_structure(np.asarray, bx), None if by is None else np.asarray(by), shape)
        return None
    if isinstance(x, (np.ndarray, tf.Tensor)) or (isinstance(x, (tuple, list)) and x and all(
            isinstance(v, (np.ndarray, tf.Tensor)) for v in x)):
        if isinstance(x, (tuple, list)) and y is None:  # fit((x, y)) given as one tuple
            x, y = (x[0], x[1]) if len(x) > 1 else (x[0], None)
        b = int(batch_size or 32)
        return (np.asarray(x[:b]), None if y is None else np.asarray(y[:b]), None)
    return None
