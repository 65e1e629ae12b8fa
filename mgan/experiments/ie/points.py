"""Training and scoring one point of the IE-loss experiment with Keras ``fit`` (see
:mod:`mgan.experiments.ie.classification`)."""
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mgan import data as data_lib
from mgan.metrics.classifier import split_train_test
from mgan.models.metric_classifier import MetricClassifier
from mgan.nets import precision


@dataclass
class SplitData:
    train: data_lib.ArrayDataset  # the training images (batched by mgan.data.make_batches)
    x_test: np.ndarray
    y_test: np.ndarray
    test: dict  # which split is the test split, its source and size
    identity: dict


def load_split(dataset, data_dir):
    """The training split and the test split (or, for a data set without one, a fixed held-out 20%)."""
    x_tr, y_tr, x_te, y_te, train, test_desc = split_train_test(dataset, data_dir, seed=0)
    ds = data_lib.ArrayDataset(name=train.name, x=x_tr, y=np.asarray(y_tr, np.int32), num_classes=train.num_classes,
                               source=train.source, split=train.split)
    identity = data_lib.data_identity(train) or {"name": train.name, "source": data_lib.portable_source(train.source)}
    return SplitData(ds, x_te, np.asarray(y_te, np.int32), test_desc, identity)


class _EpochCheckpoint(keras.callbacks.Callback):
    """A ``tf.train.CheckpointManager`` save at the end of every Keras epoch, numbered by the epoch."""

    def __init__(self, manager):
        super().__init__()
        self.manager = manager

    def on_epoch_end(self, epoch, logs=None):
        if logs and not all(np.isfinite(v) for v in logs.values() if np.isscalar(v)):
            return  # TerminateOnNaN stops the run; keep the last good checkpoint
        self.manager.save(checkpoint_number=epoch + 1)


def build_model(cfg, data):
    keras.utils.set_random_seed(cfg["seed"])
    with precision.policy(cfg.get("precision", "float32")):  # variables, centers, losses stay float32
        model = _build(cfg, data)
    model.optimizer.build(model.trainable_variables)  # its slots exist before a checkpoint is restored
    return model


def _build(cfg, data):
    model = MetricClassifier(data.train.example_shape, data.train.num_classes, net=cfg["net"],
                             feature_dim=cfg["feature_dim"], width=cfg["width"], loss=cfg["loss"],
                             loss_options=cfg["loss_options"])
    model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def _restore(model, directory):
    """(manager, epochs already done): the point's checkpoints, restored when there are any."""
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=1)
    if manager.latest_checkpoint is None:
        return manager, 0
    ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    return manager, int(manager.latest_checkpoint.rsplit("-", 1)[1])


def train_point(cfg, data, directory, total_steps, verbose=2):
    """Train (or resume) one point; returns (model, facts). ``facts['status']`` is 'done' or 'nan'."""
    model = build_model(cfg, data)
    manager, done_epochs = _restore(model, directory)
    every = cfg["checkpoint_every"]
    epochs = total_steps // every
    t0 = time.time()
    history = model.fit(data_lib.make_batches(data.train, cfg["batch_size"], cfg["seed"], done_epochs * every),
                        steps_per_epoch=every, epochs=epochs, initial_epoch=done_epochs, verbose=verbose, shuffle=False,
                        callbacks=[keras.callbacks.TerminateOnNaN(), _EpochCheckpoint(manager)])
    last = {k: float(v[-1]) for k, v in history.history.items()} if history.history else {}
    finite = all(np.isfinite(v) for v in last.values())
    return model, {"status": "done" if finite else "nan", "resumed_from_step": done_epochs * every,
                   "train_seconds_this_invocation": round(time.time() - t0, 1), "last_logs": last}


def recalibrate_batch_norm(model, data, batches, batch_size, seed):
    """Replace every BN layer's moving statistics by their average over ``batches`` training batches (the
    "precise BN" of Wu & Johnson 2021), the weights fixed; the forward passes run in training mode, so each layer
    sees the batch statistics of the layers before it, as in training. Keras' moving averages (momentum 0.99) lag
    far behind the weights early in training, which made test accuracy measure that lag (e.g. 51% test vs 98%
    training accuracy after 300 steps)."""
    import keras

    bns = [layer for layer in model.backbone.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [bn.momentum for bn in bns]
    stream = iter(data_lib.make_batches(data.train, batch_size, seed + 7919, 0))
    try:
        for k in range(batches):
            for bn in bns:  # moving <- moving * k/(k+1) + batch/(k+1): the running mean of the batch statistics
                bn.momentum = k / (k + 1.0)
            model.backbone(next(stream)[0], training=True)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m


def _test_pass(model, data, batch_size):
    x = data_lib.to_unit_range(data.x_test)
    feats, correct = [], 0
    for i in range(0, len(x), batch_size):
        f = model.embed(x[i:i + batch_size])
        correct += int(np.sum(np.argmax(model.head(f).numpy(), axis=1) == data.y_test[i:i + batch_size]))
        feats.append(f.numpy())
    return correct / len(x), np.concatenate(feats)


def score_point(model, data, recalibrate_batches=0, batch_size=500, seed=0):
    """{test_accuracy, test_accuracy_moving_bn}, test features. ``test_accuracy`` is measured after
    :func:`recalibrate_batch_norm` over ``recalibrate_batches`` training batches of 128 (0: Keras' moving averages,
    then both numbers agree); the features are those of the network that gives ``test_accuracy``."""
    moving, feats = _test_pass(model, data, batch_size)
    scores = {"test_accuracy_moving_bn": moving, "test_accuracy": moving, "bn_recalibration_batches": 0}
    if recalibrate_batches:
        recalibrate_batch_norm(model, data, recalibrate_batches, min(128, data.train.n), seed)
        scores["test_accuracy"], feats = _test_pass(model, data, batch_size)
        scores["bn_recalibration_batches"] = int(recalibrate_batches)
    return scores, feats
