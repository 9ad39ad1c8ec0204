"""The numerosity study (paper Appendix A): does NDA hold the dot count?

Two GANs are trained from the same seed on images with exactly `k` dots
(or CLEVR objects): one plain, one whose NDA is images with other counts.
Each then generates images whose dots are counted; the distributions are
compared (the paper's Figure 6). `study` holds the runs and reports,
`counter` the check of the CLEVR object counter on scenes of known count.

The commands are `python -m nda_tf.experiments.numerosity` and
`python -m nda_tf.experiments.clevr_counter`; the shell recipe of the
CLEVR runs is experiments/numerosity/clevr.sh, the dots pilot
experiments/numerosity/pilot.py. Measured numbers: experiments/RESULTS.md.
"""
