"""What the command-line experiments share."""


def quiet_logs():
    """Our progress messages only; TensorFlow's INFO lines are noise here."""
    import logging

    import tensorflow as tf

    tf.get_logger().setLevel(logging.WARNING)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("nda_tf")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
