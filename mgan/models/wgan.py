"""WGAN (Arjovsky et al. 2017, arXiv 1701.07875; martinarjovsky/WassersteinGAN) and WGAN-GP (Gulrajani et al. 2017,
arXiv 1704.00028): a 1-unit linear critic, ``n`` critic steps per generator step (METHODS §9).

One ``train_step`` is one *generator* iteration t: ``critic_steps(t)`` critic steps, then one generator step.

- WGAN: before each critic step every critic parameter is clipped to [-c, c] (the reference code clips at the start
  of each critic iteration, D8), so the first critic step starts from clipped initial weights and the generator step
  sees the critic right after its last, unclipped update. Critic loss mean D(G(z)) - mean D(x), generator loss
  -mean D(G(z)) (:mod:`mgan.objectives.losses`); RMSprop. 5 critic steps, but 100 for the first 25 generator iterations
  and for every 500th (the reference's ``Diters`` rule on ``gen_iterations``).
- WGAN-GP (``gp_weight`` λ > 0): the critic loss adds λ · mean(||∇D(x̂)|| - 1)² (``losses.gradient_penalty``, a fresh
  α ~ U[0, 1] per example and critic step); 5 critic steps every iteration; no clipping; Adam.

Real batches: every critic step reads its own real batch, as in both reference codes. The fit batch of iteration t
is ``(x, y)`` with x of shape [k, B, H, W, C], the k = ``critic_steps(t)`` real batches of its critic steps in order
(:func:`critic_fit_batches` builds this stream from the run's batch stream; ``mgan.training.runner`` does so by itself).
A plain batch [B, H, W, C] (``model.fit`` on ordinary batches, the step-time benchmark) is also accepted: its critic
steps then all read that one batch (in general, critic step i reads batch i mod k). The generator step uses no real
data (and so no per-example weights; a critic step weights its batch's terms by that batch's weights). Noise:
critic step i of iteration t draws z from stream ``latent.CRITIC_SALT`` (WGAN-GP's α from
``latent.GP_SALT``) at index t · max_critic_steps + i; the generator step draws fresh z from ``latent.G_STEP_SALT``
at index t. The schedule depends on the checkpointed ``iteration`` only, so a resumed run continues exactly.
"""
import keras
import tensorflow as tf

from mgan.models.base import GANModel
from mgan.nets import latent
from mgan.objectives import losses


def critic_steps(iteration, n_critic=5, burst_steps=100, burst_first=25, burst_every=500):
    """Critic steps of generator iteration ``iteration`` (0-based): ``burst_steps`` while iteration < burst_first
    or iteration is a multiple of ``burst_every`` (0: never), else ``n_critic``. Python ints give an int, tensors an
    int64 tensor (usable inside ``tf.function``)."""
    if isinstance(iteration, int):
        burst = iteration < burst_first or (burst_every > 0 and iteration % burst_every == 0)
        return burst_steps if burst else n_critic
    t = tf.cast(iteration, tf.int64)
    burst = t < burst_first
    if burst_every > 0:
        burst = tf.logical_or(burst, tf.equal(t % burst_every, 0))
    return tf.where(burst, tf.constant(burst_steps, tf.int64), tf.constant(n_critic, tf.int64))


def critic_steps_before(iteration, n_critic=5, burst_steps=100, burst_first=25, burst_every=500):
    """Σ_{s < iteration} critic_steps(s): the real batches the critic has read before generator iteration
    ``iteration`` (closed form; where a resumed run continues in the batch stream)."""
    t = int(iteration)
    bursts = min(t, burst_first)
    if burst_every > 0 and t > burst_first:  # multiples of burst_every in [burst_first, t)
        bursts += -(-t // burst_every) - (-(-burst_first // burst_every))
    return n_critic * t + (burst_steps - n_critic) * bursts


def critic_fit_batches(batches, start_iteration=0, **schedule):
    """The fit batches of a critic model from a stream of ``(x, y)`` real batches (the critic's batch j is element j,
    starting at ``critic_steps_before(start_iteration)``): iteration t gets the next ``critic_steps(t)`` batches,
    stacked to ``(x [k, B, ...], y [k, B])``. ``schedule``: the keyword arguments of :func:`critic_steps`."""
    first = critic_steps(int(start_iteration), **schedule)

    def assign(state, element):  # state: (iteration, batches it still needs)
        t, left = state
        nxt = tf.where(left > 1, t, t + 1)
        return (nxt, tf.where(left > 1, left - 1, critic_steps(t + 1, **schedule))), (t, *element)

    keyed = batches.scan((tf.constant(int(start_iteration), tf.int64), tf.constant(first, tf.int64)), assign)
    max_steps = max(schedule.get("n_critic", 5), schedule.get("burst_steps", 100))
    grouped = keyed.group_by_window(key_func=lambda t, x, y: t,
                                    reduce_func=lambda t, window: window.batch(max_steps),
                                    window_size_func=lambda t: critic_steps(t, **schedule))
    return grouped.map(lambda t, x, y: (x, y)).prefetch(1)


@keras.saving.register_keras_serializable(package="mgan")
class WGAN(GANModel):
    """WGAN (``gp_weight=0``, clipping by ``clip`` before each critic step) or WGAN-GP (``gp_weight`` > 0).

    Args (besides GANModel's): n_critic: critic steps per generator iteration.  burst_steps, burst_first,
      burst_every: WGAN's warm-up and periodic bursts (see :func:`critic_steps`; ``burst_first=0, burst_every=0``
      disables them).  gp_weight: λ of WGAN-GP.  norm_eps: ε inside the penalty's norm.
    Unconditional (D29): G gets z only, D the image only, with a 1-unit linear head.
    """

    metric_names = ("d_loss", "g_loss", "w_distance", "gp", "critic_steps", "g_grad_norm")

    def __init__(self, generator, discriminator, *, n_critic=5, burst_steps=100, burst_first=25, burst_every=500,
                 gp_weight=0.0, norm_eps=losses.NORM_EPS, **kwargs):
        for name, value, low in (("n_critic", n_critic, 1), ("burst_steps", burst_steps, 1),
                                 ("burst_first", burst_first, 0), ("burst_every", burst_every, 0)):
            if int(value) < low:
                raise ValueError(f"{name} must be >= {low}, got {value}")
        if float(gp_weight) < 0:
            raise ValueError(f"gp_weight (λ of WGAN-GP) must be >= 0, got {gp_weight}")
        super().__init__(generator, discriminator, conditional=False, **kwargs)
        self.n_critic, self.burst_steps = int(n_critic), int(burst_steps)
        self.burst_first, self.burst_every = int(burst_first), int(burst_every)
        self.gp_weight = float(gp_weight)
        self.norm_eps = float(norm_eps)

    def get_config(self):
        return {**super().get_config(), "n_critic": self.n_critic, "burst_steps": self.burst_steps,
                "burst_first": self.burst_first, "burst_every": self.burst_every, "gp_weight": self.gp_weight,
                "norm_eps": self.norm_eps}

    @property
    def needs_critic_batches(self):
        """The fit batches carry one real batch per critic step (``critic_fit_batches``; the runner builds them)."""
        return True

    @property
    def schedule(self):
        """The keyword arguments of :func:`critic_steps` for this model."""
        return dict(n_critic=self.n_critic, burst_steps=self.burst_steps, burst_first=self.burst_first,
                    burst_every=self.burst_every)

    @property
    def max_critic_steps(self):
        return max(self.n_critic, self.burst_steps) if (self.burst_first or self.burst_every) else self.n_critic

    @property
    def timing_iteration(self):
        """The first generator iteration with ``n_critic`` critic steps (benchmarks time steady-state iterations)."""
        first = self.burst_first
        steady = [t for t in range(first, first + self.burst_every + 2) if critic_steps(t, **self.schedule) ==
                  self.n_critic]
        return steady[0] if steady else first  # (every iteration a burst when burst_every is 1)

    def iteration_passes(self):
        # per critic step: G fwd (1), D(x) and D(G(z)) fwd + weight bwd (3 + 3); WGAN-GP adds D(x̂) fwd, input bwd
        # and the weight gradient of that backward pass (about 1 + 1 + 2). G step: G fwd + weight bwd (3), D fwd +
        # input bwd (2). Counted at the steady-state n_critic.
        per_critic = 6 + (4 if self.gp_weight > 0 else 0)
        return {"generator": self.n_critic + 3, "discriminator": per_critic * self.n_critic + 2}

    def critic_batches(self, data):
        """(x [k, B, ...], sample_weight [k, B] or None) of a fit batch (a plain [B, ...] batch gives k = 1)."""
        x, _, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = tf.convert_to_tensor(x)
        rank = len(self.discriminator.inputs[0].shape)
        if x.shape.rank == rank:
            x = x[None]
            sample_weight = None if sample_weight is None else tf.convert_to_tensor(sample_weight)[None]
        elif x.shape.rank != rank + 1:
            raise ValueError(f"{self.name}: a fit batch is x [B, ...] or the critic steps' batches [k, B, ...] "
                             f"(mgan.models.wgan.critic_fit_batches); got x of shape {tuple(x.shape)}")
        return x, sample_weight

    def train_step(self, data):
        """One generator iteration: ``critic_steps(iteration)`` critic steps, then one generator step."""
        x, sample_weight = self.critic_batches(data)
        k = tf.shape(x, out_type=tf.int64)[0]
        n = critic_steps(self.iteration, **self.schedule)

        def critic_iteration(i, *_):  # a tf.while_loop: the number of critic steps is a tensor (5 or 100)
            sw = None if sample_weight is None else tf.gather(sample_weight, i % k)
            return (i + 1, *self.critic_step(tf.gather(x, i % k), i, sw))

        zero = tf.constant(0.0)
        _, d_loss, w_distance, gp = tf.while_loop(lambda i, *_: i < n, critic_iteration,
                                                  (tf.constant(0, tf.int64), zero, zero, zero))
        g_loss, g_grad_norm = self.generator_step(tf.shape(x)[1])
        return self.finish_iteration(d_loss=d_loss, g_loss=g_loss, w_distance=w_distance, gp=gp,
                                     critic_steps=tf.cast(n, tf.float32), g_grad_norm=g_grad_norm)

    def critic_noise(self, batch_size, step):
        """The noise of critic step ``step`` of this iteration (stream ``latent.CRITIC_SALT``)."""
        index = self.iteration * self.max_critic_steps + tf.cast(step, tf.int64)
        return latent.training_noise(self.seed, index, batch_size, self.z_dim, self.noise, salt=latent.CRITIC_SALT)

    def critic_step(self, x, step, sample_weight=None):
        """Critic step ``step`` of this iteration on the real batch x: (critic loss, Wasserstein estimate, penalty).
        WGAN clips the critic first (the reference order, D8; the other models clip after their D step)."""
        D = self.discriminator
        self.clip_discriminator()
        m = tf.shape(x)[0]
        fake = self.generator(self.generator_input(self.critic_noise(m, step), None), training=True)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = D(x, training=True), D(fake, training=True)
            w_loss = losses.wgan_critic_loss(real_scores, fake_scores, sample_weight)
            gp = tf.constant(0.0)
            if self.gp_weight > 0:
                gp = losses.gradient_penalty(lambda v: D(v, training=True), x, fake, self.penalty_alpha(m, step),
                                             self.norm_eps, sample_weight)
            d_loss = w_loss + self.gp_weight * gp
        grads = tape.gradient(d_loss, D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, D.trainable_variables))
        return d_loss, -w_loss, gp

    def penalty_alpha(self, batch_size, step):
        """WGAN-GP's α ~ U[0, 1], one per example, of critic step ``step`` (stream ``latent.GP_SALT``)."""
        index = self.iteration * self.max_critic_steps + tf.cast(step, tf.int64)
        pair = latent.seed_pair(self.seed, latent.GP_SALT, index)
        return tf.random.stateless_uniform(tf.reshape(tf.cast(batch_size, tf.int32), [1]), pair)

    def generator_step(self, batch_size):
        """One generator step on -mean D(G(z)) with fresh noise; returns (loss, global norm of its gradient)."""
        G = self.generator
        z = latent.training_noise(self.seed, self.iteration, batch_size, self.z_dim, self.noise,
                                  salt=latent.G_STEP_SALT)
        with tf.GradientTape() as tape:
            g_loss = losses.wgan_generator_loss(self.discriminator(G(z, training=True), training=True))
        grads = tape.gradient(g_loss, G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, G.trainable_variables))
        return g_loss, tf.linalg.global_norm(grads)
