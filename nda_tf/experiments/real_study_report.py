"""Old name of `nda_tf.studies.real_study.report` (kept for scripts)."""

from nda_tf.lazy import moved

moved(__name__, "nda_tf.studies.real_study.report")
