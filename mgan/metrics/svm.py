"""The SVM protocol of MBGAN Tables 3-4 (METHODS §5.6, D31), after DCGAN (Radford et al. 2016, §5.1).

"The activations of all D conv layers are max-pooled to a 4×4 grid, flattened and concatenated" into one vector per
image (the paper: "with size of 18432"); "a regularised linear L2-SVM is trained on it". The paper states neither C,
the normalisation nor the label budget; the package protocol (D31):

1. features: the post-LeakyReLU output of every conv layer of the trained D, in inference mode (BN moving
   statistics), each max-pooled to a ``grid`` x ``grid`` map (non-overlapping windows of side h / grid; a map already
   smaller than the grid is kept as it is), flattened and concatenated in layer order (:func:`conv_features`);
2. z-scored with the statistics of the training images (scikit-learn ``StandardScaler``; inside cross-validation,
   with those of each fold's training part);
3. scikit-learn ``LinearSVC`` (L2 penalty, squared hinge = "L2-SVM"), C chosen by ``folds``-fold stratified
   cross-validation on the training split over ``Cs`` (``GridSearchCV``), refit on the training split, and scored on
   the test split (CIFAR-10: 10,000; SVHN: 26,032; data sets without a test split: a held-out part, named).
   ``n_train`` (``--svm_n_train``) draws a random subset of the training split, e.g. DCGAN's 1,000 SVHN labels.

scikit-learn is used instead of a hand-written SVM (the brief: prefer maintained libraries).
"""
import os
import time
import warnings

import numpy as np

from mgan import data as mdata

GRID = 4
DEFAULT_CS = (1e-5, 1e-4, 1e-3, 1e-2)  # z-scored features of dimension 10^3-10^4: the best C is small
DEFAULT_FOLDS = 5
MAX_ITER = 2000
PAPER_FEATURE_DIM = 18432  # MBGAN §4 "with size of 18432"; the §3.2 D gives 16 · (64+128+256+512) = 15,360


def conv_layer_names(discriminator):
    """The names of the post-activation output of each conv layer of D, in order (``conv{i}_lrelu``)."""
    names = [layer.name for layer in discriminator.layers if layer.name.startswith("conv")
             and layer.name.endswith("_lrelu")]
    if not names:
        raise ValueError(f"discriminator {discriminator.name!r} has no conv layers (layout 'mlp'?): the SVM protocol "
                         f"pools conv activations (METHODS §5.6)")
    return names


def max_pool_to_grid(activation, grid=GRID):
    """[n, h, w, c] -> [n, min(h, grid), min(w, grid), c] by non-overlapping max pooling with windows of side
    h // grid (h and w must then be multiples of grid; a map not larger than the grid is returned as it is)."""
    import tensorflow as tf

    h, w = int(activation.shape[1]), int(activation.shape[2])
    if h <= grid and w <= grid:
        return activation
    if h % grid or w % grid:
        raise ValueError(f"a {h}x{w} activation cannot be max-pooled to a {grid}x{grid} grid with equal windows")
    return tf.nn.max_pool2d(activation, ksize=(h // grid, w // grid), strides=(h // grid, w // grid),
                            padding="VALID")


def feature_model(discriminator):
    """A Keras model: images in [-1, 1] -> the list of D's conv activations (``conv_layer_names``)."""
    import keras

    if isinstance(discriminator.inputs, (list, tuple)) and len(discriminator.inputs) > 1:
        raise ValueError("the SVM protocol feeds images only; this discriminator also takes labels (D20: "
                         "d_label_input=True)")
    outs = [discriminator.get_layer(name).output for name in conv_layer_names(discriminator)]
    return keras.Model(discriminator.inputs, outs, name="d_conv_features")


def conv_features(discriminator, images_uint8, batch_size=500, grid=GRID):
    """The protocol's feature vectors of uint8 NHWC images: float32 [n, dim] (step 1 of the module docstring)."""
    import tensorflow as tf

    model = feature_model(discriminator)
    chunks = []
    for start in range(0, len(images_uint8), batch_size):
        x = tf.convert_to_tensor(mdata.to_unit_range(images_uint8[start:start + batch_size]))
        acts = model(x, training=False)
        acts = acts if isinstance(acts, (list, tuple)) else [acts]
        pooled = [tf.reshape(tf.cast(max_pool_to_grid(a, grid), tf.float32), [tf.shape(a)[0], -1]) for a in acts]
        chunks.append(tf.concat(pooled, axis=1).numpy())
    return np.concatenate(chunks, axis=0).astype(np.float32)


def fit_linear_svm(train_x, train_y, test_x, test_y, Cs=DEFAULT_CS, folds=DEFAULT_FOLDS, seed=0, C=None):
    """z-score + LinearSVC, C by stratified k-fold CV over ``Cs`` (or the given ``C``); returns a dict with the
    test accuracy, the chosen C, the CV accuracy of every C and the number of fits that did not converge."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    if train_x.ndim != 2 or test_x.ndim != 2 or train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"features must be [n, dim] with the same dim, got {train_x.shape} and {test_x.shape}")
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise ValueError("features and labels differ in length")
    pipe = Pipeline([("zscore", StandardScaler()),
                     ("svm", LinearSVC(penalty="l2", loss="squared_hinge", dual="auto", max_iter=MAX_ITER,
                                       random_state=seed))])
    grid = [float(C)] if C is not None else [float(c) for c in Cs]
    t0 = time.time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if len(grid) == 1:
            search = pipe.set_params(svm__C=grid[0]).fit(train_x, train_y)
            cv, best_c = None, grid[0]
        else:
            search = GridSearchCV(pipe, {"svm__C": grid}, cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                                  n_jobs=1).fit(train_x, train_y)
            cv = {f"{c:g}": float(s) for c, s in zip(grid, search.cv_results_["mean_test_score"])}
            best_c = float(search.best_params_["svm__C"])
    return {"accuracy": float(search.score(test_x, test_y)), "C": best_c, "cv_accuracy": cv,
            "not_converged_fits": sum(issubclass(w.category, ConvergenceWarning) for w in caught),
            "fit_seconds": round(time.time() - t0, 1)}


def _subset(x, y, n, seed):
    if n is None or n >= len(x):
        return x, y
    idx = np.sort(np.random.default_rng([seed, 31]).permutation(len(x))[:int(n)])
    return x[idx], y[idx]


def svm_accuracy(discriminator, dataset, data_dir=None, n_train=None, Cs=DEFAULT_CS, folds=DEFAULT_FOLDS, C=None,
                 seed=0, grid=GRID):
    """The whole protocol for a trained discriminator on ``dataset``: a result dict with ``accuracy`` and its
    protocol (feature dimension next to the paper's, splits and counts, C, folds)."""
    from mgan.metrics.classifier import split_train_test

    if n_train is not None and int(n_train) < folds * 2:
        raise ValueError(f"svm_n_train must be at least {2 * folds} (two images per fold), got {n_train}")
    x_tr, y_tr, x_te, y_te, _, test_desc = split_train_test(dataset, data_dir, seed=0)
    x_tr, y_tr = _subset(x_tr, y_tr, n_train, seed)
    t0 = time.time()
    f_tr = conv_features(discriminator, x_tr, grid=grid)
    f_te = conv_features(discriminator, x_te, grid=grid)
    t_feat = time.time() - t0
    res = fit_linear_svm(f_tr, y_tr, f_te, y_te, Cs=Cs, folds=folds, seed=seed, C=C)
    res.update(feature_dim=int(f_tr.shape[1]), paper_feature_dim=PAPER_FEATURE_DIM,
               feature_seconds=round(t_feat, 1), protocol={
                   "name": "MBGAN SVM protocol (METHODS §5.6, D31)", "layers": conv_layer_names(discriminator),
                   "grid": grid, "features": "post-LeakyReLU conv activations, D in inference mode, max-pooled, "
                                             "concatenated", "normalisation": "z-score, training statistics",
                   "classifier": f"sklearn LinearSVC (L2, squared hinge, max_iter {MAX_ITER})",
                   "C": "fixed" if C is not None else f"{folds}-fold stratified CV over {list(Cs)}",
                   "dataset": dataset, "n_train": int(len(x_tr)), "n_train_requested": n_train,
                   "test": test_desc, "n_test": int(len(x_te)), "seed": int(seed)})
    return res


def svm_score_run(run_dir, dataset=None, **kwargs):
    """:func:`svm_accuracy` of the discriminator of a finished run (restored from its final checkpoint)."""
    from mgan.training.trained import load_trained_model

    model, manifest = load_trained_model(run_dir)
    dataset = dataset or manifest["config"]["dataset"]
    res = svm_accuracy(model.discriminator, dataset, **kwargs)
    res["protocol"]["run_dir"] = os.path.abspath(os.fspath(run_dir))
    res["protocol"]["checkpoint_step"] = int(model.iteration.numpy())
    return res
