"""KM-GAN's losses (METHODS §6.3, reconstructed) against NumPy written from the formulas."""
import numpy as np
import pytest
import tensorflow as tf

from mgan.objectives import losses


def dist(a, b, squared):
    d2 = ((a - b) ** 2).sum(-1)
    return d2 if squared else np.sqrt(d2)


def data(rng, m=8, k=4, d=3):
    fr, ff = rng.normal(size=(m, d)), rng.normal(size=(m, d))
    cr, cf = rng.normal(size=(k, d)), rng.normal(size=(k, d))
    ar = np.array([0, 0, 1, 1, 1, 2, 0, 1][:m])  # real set 3 empty
    af = np.array([1, 3, 3, 0, 1, 1, 3, 0][:m])  # fake set 2 empty
    return [np.float32(v) for v in (fr, ff, cr, cf)] + [ar, af]


def np_r1(fr, ff, cr, cf, ar, af, sigma, squared):
    def moved(c, f, a):
        out = c.astype(np.float64).copy()
        for k in range(len(c)):
            members = f[a == k]
            out[k] = c[k] - sigma * sum((c[k] - x for x in members), np.zeros(c.shape[1])) / (1 + len(members))
        return out
    return np.mean(dist(moved(cr, fr, ar), moved(cf, ff, af), squared))


def np_r2(fr, ff, ar, af, k, sigma, squared):
    total = 0.0
    for j in range(k):
        if (ar == j).any() and (af == j).any():
            total += dist(fr[ar == j].mean(0), ff[af == j].mean(0), squared)
    return sigma * total


@pytest.mark.parametrize("squared", [True, False])
def test_center_loss_forms_match_numpy(squared, rng):
    fr, ff, cr, cf, ar, af = data(rng)
    r1 = losses.kmgan_center_loss(fr, ff, cr, cf, ar, af, 0.5, "R1", squared).numpy()
    np.testing.assert_allclose(r1, np_r1(fr, ff, cr, cf, ar, af, 0.5, squared), rtol=1e-5)
    r2 = losses.kmgan_center_loss(fr, ff, cr, cf, ar, af, 0.5, "R2", squared).numpy()
    np.testing.assert_allclose(r2, np_r2(fr, ff, ar, af, 4, 0.5, squared), rtol=1e-5)
    with pytest.raises(ValueError, match="center_loss_form"):
        losses.kmgan_center_loss(fr, ff, cr, cf, ar, af, 0.5, "R3")


def test_center_loss_is_differentiable_in_the_features_not_the_centers(rng):
    fr, ff, cr, cf, ar, af = (tf.Variable(v) if i < 4 else v for i, v in enumerate(data(rng)))
    with tf.GradientTape() as tape:
        loss = losses.kmgan_center_loss(fr, ff, cr, cf, ar, af, 0.5)
    g = tape.gradient(loss, [fr, ff, cr, cf])
    assert g[0] is not None and g[1] is not None and g[2] is None and g[3] is None
    assert np.abs(g[0].numpy()).sum() > 0


@pytest.mark.parametrize("squared,reg", [(True, 0.0), (False, 0.0), (True, 5.0)])
def test_d_and_g_losses_match_numpy(squared, reg, rng):
    fr, ff, cr, _, ar, af = data(rng)
    l_d, l_g = losses.kmgan_losses(fr, ff, cr, ar, af, squared=squared, reg_lambda=reg)
    want_g = np.mean(dist(ff, cr[af], squared))  # fake features against *real* centers (D26)
    want_d = np.mean(dist(fr, cr[ar], squared)) - want_g
    if reg:
        mr, mf = fr.mean(0), ff.mean(0)
        want_d += reg * (np.mean(dist(fr, mr, squared)) + np.mean(dist(ff, mf, squared)))
        want_g += reg * dist(mr, mf, squared)
    np.testing.assert_allclose(l_d.numpy(), want_d, rtol=1e-5)
    np.testing.assert_allclose(l_g.numpy(), want_g, rtol=1e-5)


def test_shape_errors(rng):
    fr, ff, cr, cf, ar, af = data(rng)
    with pytest.raises(ValueError, match="centers"):
        losses.kmgan_losses(fr, ff, cr[:, :2], ar, af)
