"""Anomaly detection over trained GAN runs (paper Table 5, Figures 4, 8).

`study.evaluate_run` restores a run's discriminator and hands it to
`nda_tf.eval.ood.run.evaluate_discriminator`; `study.overlay` draws
Figure 8 from several runs' reports. The study lives here, not in
`nda_tf.eval`, because it reads GAN runs: evaluation stays free of
algorithm packages. The command is `python -m nda_tf.experiments.ood`,
the shell recipe of Table 5 experiments/ood/table5.sh.
"""
