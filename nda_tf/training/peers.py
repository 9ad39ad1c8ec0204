"""The workers of a multi-worker run: a bounded wait for them before the
strategy starts, and a lost one named by its task.

`tf.distribute.MultiWorkerMirroredStrategy()` waits for every worker of
TF_CONFIG's cluster inside TensorFlow's C++ runtime, with no deadline and
without returning to Python, so SIGTERM and SIGINT are not handled there.
`wait_for_peers` waits first, in Python: each worker answers probes on its
own port (the one TF_CONFIG gives it, which the strategy's server takes
over later) and polls its peers' ports until each answers, a deadline
passes or a signal arrives. TensorFlow is imported by `lost_peer` only,
so that the training commands' flags import this module without it.
"""

import contextlib
import json
import os
import re
import socket
import threading
import time

from nda_tf.training import signals

# Long enough for machines booted by hand or one by one by a scheduler.
DEFAULT_PEER_TIMEOUT = 600
_POLL_SECONDS = 0.5
# How long a probe waits to connect, and then for the peer's answer.
_PROBE_SECONDS = 1.0
# A peer's answers: still waiting for one of its own peers, or has seen
# them all (a peer whose TensorFlow server already listens sends neither).
_WAITING, _READY = b"W", b"R"
_JOBS = ("chief", "worker")
_TASK = re.compile(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)")


class PeerWaitError(RuntimeError):
    """A worker of a multi-worker run did not start in time, or the wait
    for it was stopped."""


class PeerLostError(RuntimeError):
    """A worker of a multi-worker run stopped while the others trained."""


def cluster_tasks(tf_config=None):
    """`({(job, index): address}, (job, index) of this task)` from
    TF_CONFIG (its JSON text; default: the environment variable)."""
    text = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    try:
        parsed = json.loads(text)
        me = (parsed["task"]["type"], int(parsed["task"]["index"]))
        # The tasks that run the strategy: an evaluator or parameter
        # server of the same TF_CONFIG is not waited for.
        tasks = {
            (job, index): address
            for job, addresses in parsed["cluster"].items()
            if job in _JOBS
            for index, address in enumerate(addresses)
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            "--strategy=multiworker needs TF_CONFIG with a cluster and this "
            f"worker's task (README, Multi-worker): {error!r} in {text!r}"
        ) from None
    if me not in tasks:
        raise ValueError(f"TF_CONFIG: task {me} is not in the cluster {text!r}")
    for task, address in tasks.items():
        _check_address(task, address)
    return tasks, me


def _check_address(task, address):
    """A ValueError naming the task unless `address` is `host:port`: the
    probes and the answering server split it so, and a port out of range
    would stop them with an error naming nothing."""
    text = address if isinstance(address, str) else ""
    host, _, port = text.rpartition(":")
    digits = port.isascii() and port.isdigit() and len(port) <= 5
    if not (host.strip("[]") and digits and 1 <= int(port) <= 65535):
        raise ValueError(
            f"TF_CONFIG: {task[0]} {task[1]}'s address {address!r} is not "
            "host:port with a port in 1..65535"
        )


def task_name(task, tasks):
    """ "worker 1 (host:port)"."""
    return f"{task[0]} {task[1]} ({tasks[task]})"


def wait_for_peers(timeout=DEFAULT_PEER_TIMEOUT, tf_config=None):
    """Returns once every other worker of TF_CONFIG's cluster answers on
    its port.

    Raises:
        PeerWaitError: in one line naming the workers that did not start,
            after `timeout` seconds or on SIGTERM.
    """
    tasks, me = cluster_tasks(tf_config)
    peers = sorted(task for task in tasks if task != me)
    if not peers:
        return
    states = dict.fromkeys(peers, "down")
    deadline = time.monotonic() + timeout
    with (
        _Answering(me, tasks) as answering,
        signals.raising_on_sigterm(
            lambda number: PeerWaitError(
                "stopped by SIGTERM while waiting for "
                f"{_names(_pending(states), tasks)}"
            )
        ),
    ):
        while True:
            states = {task: _probe(tasks[task]) for task in peers}
            # Ready only once this worker has seen every peer: a worker
            # goes on (into TensorFlow's unbounded wait) only when all its
            # peers say so, so none goes on while another is missing.
            answering.ready = "down" not in states.values()
            if set(states.values()) == {"ready"}:
                return
            if time.monotonic() >= deadline:
                raise PeerWaitError(_timeout_line(states, tasks, timeout))
            time.sleep(_POLL_SECONDS)


def _pending(states):
    """The peers not started or, if all are, those not ready."""
    down = [task for task, state in states.items() if state == "down"]
    return down or [t for t, state in states.items() if state != "ready"]


def _names(pending, tasks):
    return " and ".join(task_name(task, tasks) for task in pending)


def _timeout_line(states, tasks, timeout):
    pending = _pending(states)
    if states[pending[0]] == "down":
        return (
            f"{_names(pending, tasks)} did not start within {timeout:g} s "
            "(--peer_timeout): start every worker with the same command "
            "and its own TF_CONFIG, or give them longer with --peer_timeout"
        )
    return (
        f"{_names(pending, tasks)} started but still waited for its own "
        f"peers after {timeout:g} s (--peer_timeout): every worker needs "
        "the same TF_CONFIG cluster and to reach every other"
    )


def _probe(address):
    """ "down", "waiting" or "ready": what the worker at `address` says."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection(
            (host.strip("[]"), int(port)), timeout=_PROBE_SECONDS
        ) as connection:
            try:
                answer = connection.recv(1)
            except OSError:
                # TensorFlow's server waits for the client to speak.
                answer = b""
    except OSError:
        return "down"
    return "waiting" if answer == _WAITING else "ready"


class _Answering:
    """Listens on this worker's port and answers each probe with whether
    this worker has seen all its peers, until the `with` block ends (then
    the port is free for the strategy's server)."""

    def __init__(self, me, tasks):
        port = int(tasks[me].rsplit(":", 1)[1])
        try:
            self.server = socket.create_server(("", port))
        except OSError as error:
            raise PeerWaitError(
                f"this worker's port {port} ({task_name(me, tasks)} in "
                f"TF_CONFIG) is taken ({error.strerror}): is a worker of "
                "an earlier run still running?"
            ) from None
        # Accepting in short waits lets the thread see that it must stop.
        self.server.settimeout(0.2)
        self.ready = False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _serve(self):
        with self.server:
            while not self.stop.is_set():
                try:
                    connection, _ = self.server.accept()
                except OSError:
                    continue
                # A client that resets its connection (a port scanner or
                # health check) must not end the answers: peers would then
                # see this worker as down until --peer_timeout.
                with contextlib.suppress(OSError), connection:
                    # Answered and closed at once, without waiting for the
                    # prober to close: one that never does would delay the
                    # probes behind it past their timeout, which reads as
                    # "ready". The TIME_WAIT this leaves does not stop the
                    # strategy's server binding the port (gRPC, as
                    # create_server, sets SO_REUSEADDR).
                    connection.sendall(_READY if self.ready else _WAITING)


# What a worker that stops for a lost peer tells its user to do.
RESUME = (
    "start every worker again with the same command: they resume from the "
    "last checkpoint"
)


@contextlib.contextmanager
def naming_lost_peers(strategy, restart=RESUME):
    """Within the block, a TensorFlow error that means a worker of a
    multi-worker run was lost is raised as `PeerLostError` naming it and
    ending in `restart`; TensorFlow's own error reads "Graph execution
    error:". Other errors pass unchanged."""
    import tensorflow as tf

    try:
        yield
    except tf.errors.OpError as error:
        lost = lost_peer(error, strategy, restart)
        if lost is None:
            raise
        raise lost from error


def lost_peer(error, strategy, restart=RESUME):
    """The `PeerLostError` that `error` (a TensorFlow error of a
    multi-worker step) means, or None if it is not about a lost worker
    (then the caller keeps TensorFlow's own error). `restart`: what the
    line tells the user to do."""
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return None
    message = getattr(error, "message", str(error))
    lost_kinds = (
        tf.errors.UnavailableError,
        tf.errors.AbortedError,
        tf.errors.DeadlineExceededError,
    )
    if not isinstance(error, lost_kinds) and "aborted" not in message:
        return None
    resolver = strategy.cluster_resolver
    tasks = {
        (job, index): address
        for job, addresses in resolver.cluster_spec().as_dict().items()
        for index, address in enumerate(addresses)
    }
    me = (resolver.task_type, resolver.task_id)
    line = _lost_line(message, tasks, me, restart)
    return None if line is None else PeerLostError(line)


# The coordination service lists the tasks that stopped sending heartbeats
# after this colon, one a line; the message goes on with a sentence.
_UNHEALTHY = re.compile(
    r"unhealthy \(stopped sending heartbeats\):"
    r"((?:[\s,]*/job:\w+/(?:replica:\d+/)?task:\d+)+)"
)
# gRPC names the task whose connection it lost; the coordination service
# a task whose heartbeats it stopped receiving.
_REMOTE = re.compile(r"remote target (/job:\w+/(?:replica:\d+/)?task:\d+)")
_TIMED_OUT = re.compile(
    r"(/job:\w+/(?:replica:\d+/)?task:\d+) heartbeat timeout"
)
# How a step hears that a peer's collective failed, without naming it.
_COLLECTIVE_ABORTED = "Collective ops is aborted"


def _lost_line(message, tasks, me, restart=RESUME):
    """One line naming the workers TensorFlow's `message` reports lost,
    or None if it reports none and no aborted collective either: an
    Unavailable error of, say, a gs:// read is no lost worker."""
    # Only where TensorFlow says a task is lost: the message also names
    # the task that reported it ("Error reported from /job:worker/task:0"),
    # a healthy worker.
    found = [
        *_UNHEALTHY.findall(message),
        *_REMOTE.findall(message),
        *_TIMED_OUT.findall(message),
    ]
    named = []
    for job, index in _TASK.findall("\n".join(found)):
        task = (job, int(index))
        if task in tasks and task != me and task not in named:
            named.append(task)
    if named:
        lost = " and ".join(task_name(task, tasks) for task in named)
        return f"{lost} stopped, so this worker stops too; {restart}"
    if _COLLECTIVE_ABORTED not in message:
        return None
    peers = ", ".join(task_name(task, tasks) for task in tasks if task != me)
    return (
        f"a peer worker stopped (one of {peers}; TensorFlow says: "
        f"{_detail(message)}); {restart}"
    )


def _detail(message):
    """The line of `message` that gives the cause: the one that says the
    collective was aborted, and by what; else, in a graph error, the
    first line after "Graph execution error:" that is not where the node
    was defined (a header, then indented traceback lines) or its name."""
    lines = message.splitlines()
    for line in lines:
        if "aborted" in line:
            return line.strip()
    marker = "Graph execution error:"
    after = [line for line in lines if line.strip()]
    for number, line in enumerate(after):
        if line.strip() == marker:
            after = after[number + 1 :]
            break
    for line in after:
        if not (
            line[:1].isspace()
            or line.startswith(("Detected at node", "Node:", "[["))
        ):
            return line.strip()
    stripped = [line.strip() for line in lines if line.strip()]
    return stripped[0] if stripped else "nothing"
