"""The papers' math as pure functions of tensors, and the Keras layers that hold its state.

- :mod:`~mgan.objectives.losses`: every GAN loss (DMGAN, MBGAN, KM-GAN, the baselines) and the IE / center losses.
- :mod:`~mgan.objectives.centers`: DMGAN's center update (Eqs. 3-4).
- :mod:`~mgan.objectives.kmeans`: KM-GAN's mini-batch K-Means (K-Means++ seeding, Sculley's update).
- :mod:`~mgan.objectives.metric_losses`: Keras layers ``IELoss`` / ``CenterLoss`` holding class centers.
"""
