"""Studies: each its own package, with its shell recipe beside it in
experiments/ and its command in `nda_tf.experiments`."""
