"""The public loss and center functions against independent NumPy computations and hand-computed cases."""
import numpy as np
import pytest
import tensorflow as tf

from mgan.objectives import centers, losses


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def np_norm(v):
    return np.sqrt(np.sum(np.asarray(v, np.float64) ** 2, axis=-1))


def np_ip(v, ip_norm):
    return np_norm(v) ** 2 if ip_norm == "squared" else np_norm(v)


@pytest.mark.parametrize("ip_norm", ["squared", "plain"])
@pytest.mark.parametrize("use_weights", [False, True])
@pytest.mark.parametrize("m,d,lam", [(64, 500, 1.2), (7, 3, 1.8), (1, 16, 0.0)])
def test_dmgan_discriminator_loss_matches_numpy(m, d, lam, use_weights, ip_norm, rng):
    fr, ff, cr, cf = (rng.normal(size=(m, d)).astype(np.float32) for _ in range(4))
    w = rng.uniform(1, 5, size=m).astype(np.float32) if use_weights else None
    got = losses.dmgan_discriminator_loss(fr, ff, cr, cf, lam, weights=w, ip_norm=ip_norm).numpy()
    w64 = np.ones(m) if w is None else w.astype(np.float64)
    want = np_ip(fr - cr, ip_norm).mean() + np_ip(ff - cf, ip_norm).mean() - lam * np.mean(w64 * np_norm(ff - fr))
    assert rel_err(got, want) < 1e-5


def test_dmgan_generator_loss_matches_numpy(rng):
    fr, ff = rng.normal(size=(2, 32, 500)).astype(np.float32)
    assert rel_err(losses.dmgan_generator_loss(fr, ff).numpy(), np_norm(ff - fr).mean()) < 1e-5


def test_l_ip_is_squared_by_default_and_l_d_never_is():
    # D32: a sample at distance 3 from its center costs 9 in L_ip (squared) or 3 (plain); L_d and L_G stay plain
    f = np.array([[3.0, 0.0]], np.float32)
    z = np.zeros_like(f)
    assert abs(losses.dmgan_discriminator_loss(f, z, z, z, lam=0.0).numpy() - 9.0) < 1e-5
    assert abs(losses.dmgan_discriminator_loss(f, z, z, z, lam=0.0, ip_norm="plain").numpy() - 3.0) < 1e-5
    assert abs(losses.dmgan_discriminator_loss(z, f, z, z, lam=1.0).numpy() - (9.0 - 3.0)) < 1e-5
    assert abs(losses.dmgan_generator_loss(z, f).numpy() - 3.0) < 1e-5


def test_squared_l_ip_gradient_is_the_center_loss_step():
    # d/df ||f - c||² = 2 (f - c): the direction of Eq. 3's center update, so one gradient step on L_ip moves each
    # feature straight toward its center (what makes the squared form the center-loss form)
    f = tf.Variable([[3.0, 1.0], [-1.0, 2.0]])
    c = np.array([[1.0, 1.0], [0.0, 0.0]], np.float32)
    with tf.GradientTape() as tape:
        l_ip, _, _ = losses.dmgan_loss_terms(f, tf.zeros((2, 2)), c, np.zeros((2, 2), np.float32))
    m = len(c)  # batch mean
    np.testing.assert_allclose(tape.gradient(l_ip, f).numpy(), 2 * (f.numpy() - c) / m, rtol=1e-6)


def test_unknown_ip_norm_and_unpaired_shapes_fail():
    a = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match="ip_norm"):
        losses.dmgan_discriminator_loss(a, a, a, a, 1.0, ip_norm="cubed")
    with pytest.raises(ValueError, match="paired by index"):
        losses.dmgan_loss_terms(a, a[:3], a, a)
    with pytest.raises(ValueError, match=r"weights must have shape \[m\]"):
        losses.dmgan_loss_terms(a, a, a, a, weights=np.ones(5, np.float32))


def test_discriminator_loss_centers_carry_no_gradient_and_gap_sign(rng):
    fr = tf.Variable(rng.normal(size=(4, 3)).astype(np.float32))
    ff = tf.Variable(rng.normal(size=(4, 3)).astype(np.float32))
    c = tf.Variable(np.zeros((4, 3), np.float32))
    with tf.GradientTape() as tape:
        loss = losses.dmgan_discriminator_loss(fr, ff, c, c, lam=1.0)
    g = tape.gradient(loss, [fr, ff, c])
    assert g[2] is None
    # with zero centers and lam large, moving ff away from fr lowers the loss
    with tf.GradientTape() as tape:
        loss = losses.dmgan_discriminator_loss(fr, ff, c, c, lam=100.0)
    gff = tape.gradient(loss, ff).numpy()
    direction = (ff - fr).numpy()
    assert np.sum(gff * direction) < 0


@pytest.mark.parametrize("shape", [(16, 28, 28, 1), (5, 32, 32, 3), (3, 100)])
def test_adaptive_weights_match_numpy(shape, rng):
    x = rng.uniform(-1, 1, size=shape).astype(np.float32)
    g = rng.uniform(-1, 1, size=shape).astype(np.float32)
    l1 = np.abs(g.astype(np.float64) - x).reshape(shape[0], -1).sum(1)
    want = np.exp(l1.mean() / l1)
    assert rel_err(losses.adaptive_weights(x, g).numpy(), want) < 1e-5


@pytest.mark.parametrize("shape", [(16, 28, 28, 1), (3, 100)])
def test_normalized_adaptive_weights_match_numpy_and_average_one(shape, rng):
    x = rng.uniform(-1, 1, size=shape).astype(np.float32)
    g = rng.uniform(-1, 1, size=shape).astype(np.float32)
    l1 = np.abs(g.astype(np.float64) - x).reshape(shape[0], -1).sum(1)
    w = np.exp(l1.mean() / l1)
    got = losses.adaptive_weights(x, g, normalize=True).numpy()
    assert rel_err(got, w / w.mean()) < 1e-5
    assert abs(got.mean() - 1.0) < 1e-5
    # D33: as printed, every weight is above 1 and their mean is at least e (λ is scaled up by about 3)
    assert losses.adaptive_weights(x, g).numpy().mean() >= np.e - 1e-5


def test_adaptive_weights_equal_gaps_give_e_and_small_gap_gets_large_weight():
    x = np.zeros((4, 2, 2, 1), np.float32)
    g = np.ones_like(x)
    np.testing.assert_allclose(losses.adaptive_weights(x, g).numpy(), np.e, rtol=1e-6)
    g[0] *= 0.1
    w = losses.adaptive_weights(x, g).numpy()
    assert w[0] > w[1] and np.argmax(w) == 0


def test_dcgan_losses_match_numpy(rng):
    r, f = rng.normal(size=(2, 10, 1)).astype(np.float32)
    sig = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
    want_d = -np.mean(np.log(sig(r))) - np.mean(np.log(1 - sig(f)))
    assert rel_err(losses.dcgan_discriminator_loss(r, f).numpy(), want_d) < 1e-5
    assert rel_err(losses.dcgan_generator_loss(f).numpy(), -np.mean(np.log(sig(f)))) < 1e-5


def np_update_centers(c, f, y, gamma):
    c = c.astype(np.float64).copy()
    new = c.copy()
    for k in range(c.shape[0]):
        mask = y == k
        delta = (c[k] - f[mask]).sum(0) / (1 + mask.sum())
        new[k] = c[k] - gamma * delta
    return new


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0])
def test_update_centers_matches_numpy(gamma, rng):
    c = rng.normal(size=(10, 500)).astype(np.float32)
    f = rng.normal(size=(64, 500)).astype(np.float32)
    y = rng.integers(0, 7, size=64)  # classes 7..9 absent
    got = centers.update_centers(c, f, y, gamma).numpy()
    np.testing.assert_allclose(got, np_update_centers(c, f, y, gamma), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[7:], c[7:])


def test_update_centers_hand_computed():
    c = np.array([[0.0, 0.0], [2.0, 2.0], [5.0, -5.0]], np.float32)
    f = np.array([[1.0, 3.0], [3.0, 1.0], [4.0, 4.0]], np.float32)
    y = np.array([0, 0, 1])
    # gamma = 1: c0 = (c0 + S0) / (1 + n0) = (4, 4) / 3 ; c1 = ((2,2) + (4,4)) / 2 = (3, 3); class 2 absent
    np.testing.assert_allclose(centers.update_centers(c, f, y, 1.0).numpy(), [[4 / 3, 4 / 3], [3, 3], [5, -5]],
                               rtol=1e-6)
    # gamma = 0.5: c0 = 0 - 0.5 * (2*0 - (4, 4)) / 3 = (2/3, 2/3); c1 = 2 - 0.5 * (2 - 4) / 2 = 2.5
    np.testing.assert_allclose(centers.update_centers(c, f, y, 0.5).numpy(), [[2 / 3, 2 / 3], [2.5, 2.5], [5, -5]],
                               rtol=1e-6)
    # gamma = 0: DMGAN-f, nothing moves
    np.testing.assert_array_equal(centers.update_centers(c, f, y, 0.0).numpy(), c)


def test_dmgan_loss_terms_match_numpy_and_compose_the_loss(rng):
    fr, ff, cr, cf = (rng.normal(size=(9, 5)).astype(np.float32) for _ in range(4))
    w = rng.uniform(1, 5, size=9).astype(np.float32)
    l_ip, gap, wgap = (t.numpy() for t in losses.dmgan_loss_terms(fr, ff, cr, cf, weights=w))
    assert rel_err(l_ip, (np_norm(fr - cr) ** 2).mean() + (np_norm(ff - cf) ** 2).mean()) < 1e-5
    l_plain = losses.dmgan_loss_terms(fr, ff, cr, cf, weights=w, ip_norm="plain")[0].numpy()
    assert rel_err(l_plain, np_norm(fr - cr).mean() + np_norm(ff - cf).mean()) < 1e-5
    assert rel_err(gap, np_norm(ff - fr).mean()) < 1e-5
    assert rel_err(wgap, np.mean(w * np_norm(ff - fr))) < 1e-5
    assert rel_err(losses.dmgan_discriminator_loss(fr, ff, cr, cf, 1.7, weights=w).numpy(), l_ip - 1.7 * wgap) < 1e-5


def test_sample_weights_scale_each_pair_and_ones_change_nothing(rng):
    """Keras' per-example weights s_i multiply pair i's terms before the batch mean; s = 1 is the paper's loss."""
    fr, ff, cr, cf = (rng.normal(size=(6, 4)).astype(np.float32) for _ in range(4))
    w = rng.uniform(1, 5, size=6).astype(np.float32)
    s = np.array([0.0, 1.0, 2.0, 0.5, 1.0, 3.0], np.float32)
    l_ip, gap, wgap = (t.numpy() for t in losses.dmgan_loss_terms(fr, ff, cr, cf, weights=w, sample_weight=s))
    assert rel_err(l_ip, np.mean(s * np_norm(fr - cr) ** 2) + np.mean(s * np_norm(ff - cf) ** 2)) < 1e-5
    assert rel_err(gap, np.mean(s * np_norm(ff - fr))) < 1e-5
    assert rel_err(wgap, np.mean(s * w * np_norm(ff - fr))) < 1e-5
    assert rel_err(losses.dmgan_generator_loss(fr, ff, sample_weight=s).numpy(), np.mean(s * np_norm(ff - fr))) < 1e-5
    ones = np.ones(6, np.float32)
    for a, b in zip(losses.dmgan_loss_terms(fr, ff, cr, cf, weights=w, sample_weight=ones),
                    losses.dmgan_loss_terms(fr, ff, cr, cf, weights=w)):
        assert a.numpy() == b.numpy()
    r, f = rng.normal(size=(2, 6, 1)).astype(np.float32)
    sig = lambda v: 1 / (1 + np.exp(-v[:, 0].astype(np.float64)))  # noqa: E731
    want_d = -np.mean(s * np.log(sig(r))) - np.mean(s * np.log(1 - sig(f)))
    assert rel_err(losses.dcgan_discriminator_loss(r, f, sample_weight=s).numpy(), want_d) < 1e-5
    assert rel_err(losses.dcgan_generator_loss(f, sample_weight=s).numpy(), -np.mean(s * np.log(sig(f)))) < 1e-5


def test_weighted_center_update_counts_each_feature_by_its_weight():
    c = np.array([[0.0, 0.0], [2.0, 2.0]], np.float32)
    f = np.array([[1.0, 3.0], [3.0, 1.0], [4.0, 4.0]], np.float32)
    y = np.array([0, 0, 1])
    # weight 0 removes feature 0; feature 1 counts twice: c0 = 0 - (3 * 0 - 2 * (3, 1)) / (1 + 2) = (2, 2/3)
    np.testing.assert_allclose(centers.update_centers(c, f, y, 1.0, sample_weight=[0.0, 2.0, 1.0]).numpy(),
                               [[2, 2 / 3], [3, 3]], rtol=1e-6)
    np.testing.assert_array_equal(centers.update_centers(c, f, y, 0.7, sample_weight=np.ones(3)).numpy(),
                                  centers.update_centers(c, f, y, 0.7).numpy())


# ----- MBGAN (Eqs. 1-6) --------------------------------------------------------------------------------------------
def np_margin(x, fake, alpha, reduction):
    gap = np.abs(np.asarray(x, np.float64) - np.asarray(fake, np.float64)).reshape(len(x), -1)
    return alpha * (gap.mean(axis=1) if reduction == "mean" else gap.sum(axis=1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mbgan_margin_matches_numpy_in_both_reductions(reduction, rng):
    x, fake = rng.uniform(-1, 1, size=(2, 5, 4, 4, 3)).astype(np.float32)
    got = losses.mbgan_margin(x, fake, 20.0, reduction).numpy()
    assert got.shape == (5,) and rel_err(got, np_margin(x, fake, 20.0, reduction)) < 1e-5
    # the two readings differ by the pixel count (D9): 4 * 4 * 3 = 48
    other = "sum" if reduction == "mean" else "mean"
    ratio = got / losses.mbgan_margin(x, fake, 20.0, other).numpy()
    np.testing.assert_allclose(ratio, 48.0 if reduction == "sum" else 1 / 48.0, rtol=1e-5)


def test_mbgan_margin_carries_no_gradient_and_checks_its_arguments(rng):
    x = tf.Variable(rng.uniform(-1, 1, size=(3, 2, 2, 1)).astype(np.float32))
    fake = tf.Variable(np.zeros((3, 2, 2, 1), np.float32))
    fa = tf.Variable(rng.normal(size=(3, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        h = losses.mbgan_margin(x, fake, 200.0)
        loss = losses.mbgan_discriminator_loss(fa, fa * 0.5, fa * 2.0, h)
    assert tape.gradient(h, [x, fake]) == [None, None]
    assert tape.gradient(loss, [x, fake]) == [None, None]  # h is a constant inside L_D (METHODS §5.1)
    assert tape.gradient(loss, fa) is not None
    with pytest.raises(ValueError, match="unknown margin reduction"):
        losses.mbgan_margin(x, fake, 1.0, "max")
    with pytest.raises(ValueError, match="same shape"):
        losses.mbgan_margin(x, fake[:2], 1.0)
    with pytest.raises(ValueError, match="paired by index"):
        losses.mbgan_discriminator_loss(fa, fa[:2], fa, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="margin must have shape"):
        losses.mbgan_discriminator_loss(fa, fa, fa, np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="paired by index"):
        losses.mbgan_generator_loss(fa, fa[:, :2])


@pytest.mark.parametrize("m,k,scale", [(64, 500, 1.0), (9, 3, 0.01), (1, 5, 10.0)])
def test_mbgan_losses_match_numpy(m, k, scale, rng):
    fa, fp, ff = (rng.normal(size=(m, k)).astype(np.float32) for _ in range(3))
    h = (scale * rng.uniform(0, 3, size=m)).astype(np.float32)
    s = rng.uniform(0, 2, size=m).astype(np.float32)
    hinge = np.maximum(0.0, h + np_norm(fa - fp) - np_norm(fa - ff))
    assert rel_err(losses.mbgan_discriminator_loss(fa, fp, ff, h).numpy(), hinge.mean()) < 1e-5
    assert rel_err(losses.mbgan_discriminator_loss(fa, fp, ff, h, sample_weight=s).numpy(), np.mean(s * hinge)) < 1e-5
    assert rel_err(losses.mbgan_generator_loss(fp, ff).numpy(), np_norm(fp - ff).mean()) < 1e-5
    assert rel_err(losses.mbgan_generator_loss(fp, ff, sample_weight=s).numpy(), np.mean(s * np_norm(fp - ff))) < 1e-5


def test_mbgan_hinge_active_and_inactive_by_hand():
    # anchor at 0, positive at distance 1 (3-4-5 style), fake at distance 5: hinge = max(0, h + 1 - 5)
    fa = np.zeros((2, 2), np.float32)
    fp = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    ff = np.array([[3.0, 4.0], [0.0, 5.0]], np.float32)
    h = np.array([6.0, 2.0], np.float32)  # pair 0 active (6 + 1 - 5 = 2), pair 1 inactive (2 + 1 - 5 < 0)
    np.testing.assert_allclose(losses.mbgan_hinge(fa, fp, ff, h).numpy(), [2.0, 0.0], atol=1e-5)
    assert abs(losses.mbgan_discriminator_loss(fa, fp, ff, h).numpy() - 1.0) < 1e-5
    # gradients: the inactive triplet contributes nothing; the active one pulls the positive in, pushes the fake out
    fp_v, ff_v = tf.Variable(fp), tf.Variable(ff)
    with tf.GradientTape() as tape:
        loss = losses.mbgan_discriminator_loss(fa, fp_v, ff_v, h)
    g_pos, g_fake = tape.gradient(loss, [fp_v, ff_v])
    np.testing.assert_allclose(g_pos.numpy(), [[0.5, 0.0], [0.0, 0.0]], atol=1e-6)  # d||fp||/dfp / m
    np.testing.assert_allclose(g_fake.numpy(), [[-0.3, -0.4], [0.0, 0.0]], atol=1e-6)
    assert abs(losses.mbgan_generator_loss(fa, ff).numpy() - 5.0) < 1e-5  # plain norm, not squared
