"""Paper Figure 9 (`study`): how far MoCo runs keep images from their NDA
versions. Command `python -m nda_tf.experiments.nda_distance`, shell
recipe experiments/moco/figure9.sh."""
