"""What the command-line experiments share."""


def quiet_logs():
    """Our progress messages only; TensorFlow's INFO lines are noise here."""
    import logging

    import tensorflow as tf
    from absl import logging as absl_logging

    tf.get_logger().setLevel(logging.WARNING)
    # Some TensorFlow modules log through absl directly (checkpoint saves).
    absl_logging.set_verbosity(absl_logging.WARNING)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("nda_tf")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
