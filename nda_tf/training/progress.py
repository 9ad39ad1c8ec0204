"""A progress line for long loops: steps/s, time left and latest metrics."""

import sys
import time


class Progress:
    """Prints `step k/n [====>   ] 12% | 3.4 steps/s | 4m20s left | ...`.

    On a terminal the line is redrawn in place; otherwise (logs, CI) a new
    line is written at most every `log_every_s` seconds and at the end.

    Args:
        total_steps: the step count at the end of the loop.
        initial_step: the step the loop starts from (resumed runs).
        stream: where to write (default stderr).
        log_every_s: seconds between lines when not on a terminal.

    Example:

    >>> bar = Progress(100)
    >>> parts = bar.line(25, {"loss": 0.1}).split(" | ")
    >>> parts[0], parts[-1]
    ('step 25/100 [=====>              ]  25%', 'loss 0.1')
    """

    def __init__(
        self, total_steps, initial_step=0, stream=None, log_every_s=30.0
    ):
        if total_steps < initial_step:
            raise ValueError(
                f"total_steps {total_steps} is before the initial step "
                f"{initial_step}"
            )
        self.total_steps = total_steps
        self.initial_step = initial_step
        self.stream = stream or sys.stderr
        self.log_every_s = log_every_s
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.start_time = time.monotonic()
        self.last_print = -float("inf")

    def rate(self, step):
        """Steps per second since the loop (re)started."""
        elapsed = time.monotonic() - self.start_time
        done = step - self.initial_step
        return done / elapsed if elapsed > 0 and done > 0 else 0.0

    def line(self, step, metrics=None):
        rate = self.rate(step)
        fraction = step / self.total_steps if self.total_steps else 1.0
        filled = int(20 * fraction)
        bar = "=" * filled + (">" if filled < 20 else "") + " " * (19 - filled)
        left = (self.total_steps - step) / rate if rate else None
        parts = [
            f"step {step}/{self.total_steps} [{bar}] {fraction:4.0%}",
            f"{rate:.2f} steps/s",
            f"{_duration(left)} left",
        ]
        parts += [f"{k} {v:.4g}" for k, v in (metrics or {}).items()]
        return " | ".join(parts)

    def update(self, step, metrics=None):
        now = time.monotonic()
        final = step >= self.total_steps
        if not (self.interactive or final) and (
            now - self.last_print < self.log_every_s
        ):
            return
        self.last_print = now
        end = "\n" if final or not self.interactive else ""
        prefix = "\r" if self.interactive else ""
        self.stream.write(prefix + self.line(step, metrics) + end)
        self.stream.flush()


def _duration(seconds):
    if seconds is None:
        return "?"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s"
