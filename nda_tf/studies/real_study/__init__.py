"""Does NDA help on real images at CPU scale? A study over training (#18).

Plain and NDA GANs are trained with one configuration (`runs.CONFIG`) and
the same seeds on the training part of a seeded, class-stratified split of
an image folder (CIFAR-10's training JPEGs); every kept checkpoint is then
scored on the held-out part only (`scores`): the discriminator as an
anomaly detector (paper Table 5: AUROC against the local severity-5
corruptions, noise sets and NDA-made sets), D(x) - D(T(x)) per transform
(Figure 4), and the EMA generator's FD and precision / recall against the
held-out images on the offline backbone. Scores are cached per checkpoint
as JSON, so scoring again only scores the new checkpoints; `report` turns
the cache into curves (PNGs, plain vs NDA with the seeds' range) and
markdown tables.

The command is `python -m nda_tf.experiments.real_study`; the shell
recipes are experiments/real_study/cifar10.sh (the study of
experiments/RESULTS.md) and experiments/authors_study/cifar10.sh (the
authors' code and ours, scored the same way).
"""
