"""SIGTERM as an exception, for work that must release what it holds."""

import contextlib
import signal
import threading


@contextlib.contextmanager
def raising_on_sigterm(error):
    """Within the block, SIGTERM raises `error(signal number)`, as SIGINT
    raises KeyboardInterrupt: the process still stops, but through the
    `finally` blocks that release what it holds, which the signal's default
    action would leave behind. Handlers exist in the main thread only;
    elsewhere the block runs with signals left alone.

    Args:
        error: callable of the signal number, returning the exception.

    Example:

    >>> import signal
    >>> try:
    ...     with raising_on_sigterm(lambda number: SystemExit(128 + number)):
    ...         signal.raise_signal(signal.SIGTERM)
    ... except SystemExit as stop:
    ...     print(stop.code)
    143
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(number, frame):
        raise error(number)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
