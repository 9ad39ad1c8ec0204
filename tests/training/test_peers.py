"""The wait for a multi-worker run's peers and the naming of a lost one,
in one process: peers are threads and sockets on 127.0.0.1 (the real
two-process runs are in test_multiworker.py)."""

import json
import socket
import struct
import threading

import pytest
import tensorflow as tf

from nda_tf.training import peers
from tests.training.test_multiworker import _free_ports


def _tf_config(ports, index):
    workers = [f"127.0.0.1:{port}" for port in ports]
    return json.dumps(
        {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": index},
        }
    )


def _ports():
    return _free_ports(2).split(",")


def test_two_workers_find_each_other_and_free_their_ports():
    ports = _ports()
    servers, errors = [], []

    def worker(index):
        try:
            peers.wait_for_peers(10, _tf_config(ports, index))
            # As the strategy's server does next: it must find the port
            # free, and answers probes (saying nothing, as gRPC does).
            servers.append(socket.create_server(("", int(ports[index]))))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for server in servers:
        server.close()
    assert errors == []
    assert len(servers) == 2


def test_a_peer_that_never_starts_is_named_after_the_timeout():
    ports = _ports()
    with pytest.raises(peers.PeerWaitError) as raised:
        peers.wait_for_peers(1, _tf_config(ports, 0))
    assert str(raised.value) == (
        f"worker 1 (127.0.0.1:{ports[1]}) did not start within 1 s "
        "(--peer_timeout): start every worker with the same command and "
        "its own TF_CONFIG, or give them longer with --peer_timeout"
    )


def test_a_peer_still_waiting_for_others_is_not_taken_as_ready():
    ports = _ports()
    # Worker 1 is up but answers "waiting" (it has not seen all its
    # peers): worker 0 must not go on into TensorFlow's unbounded wait.
    with socket.create_server(("", int(ports[1]))) as server:
        stop = threading.Event()

        def answer_waiting():
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    connection, _ = server.accept()
                except OSError:
                    continue
                with connection:
                    connection.sendall(b"W")

        thread = threading.Thread(target=answer_waiting)
        thread.start()
        try:
            with pytest.raises(peers.PeerWaitError) as raised:
                peers.wait_for_peers(1.5, _tf_config(ports, 0))
        finally:
            stop.set()
            thread.join()
    assert str(raised.value).startswith(
        f"worker 1 (127.0.0.1:{ports[1]}) started but still waited for its "
        "own peers after 1.5 s (--peer_timeout)"
    )


def test_a_reset_connection_does_not_stop_the_answers():
    ports = _ports()
    tasks = {
        ("worker", 0): f"127.0.0.1:{ports[0]}",
        ("worker", 1): f"127.0.0.1:{ports[1]}",
    }
    answering = peers._Answering(("worker", 0), tasks)
    # A client (a port scanner, say) that connects and resets at once:
    # its connection waits in the queue before the answering thread starts,
    # so the thread's first answer goes to a reset connection.
    client = socket.create_connection(("127.0.0.1", int(ports[0])))
    no_linger = struct.pack("ii", 1, 0)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, no_linger)
    client.close()
    with answering:
        assert peers._probe(tasks[("worker", 0)]) == "waiting"
        assert answering.thread.is_alive()


def test_a_prober_that_does_not_close_delays_no_other_probe():
    ports = _ports()
    tasks = {
        ("worker", 0): f"127.0.0.1:{ports[0]}",
        ("worker", 1): f"127.0.0.1:{ports[1]}",
    }
    address = ("127.0.0.1", int(ports[0]))
    with peers._Answering(("worker", 0), tasks):
        # Clients that read their answer but never close (a stalled
        # prober, a health check): were each waited for, a probe behind
        # them would time out and read "no answer" as ready.
        holds = [socket.create_connection(address) for _ in range(3)]
        try:
            assert peers._probe(tasks[("worker", 0)]) == "waiting"
            for hold in holds:
                hold.settimeout(10)
                assert hold.recv(1) == b"W"
                assert hold.recv(1) == b""  # closed by the worker
        finally:
            for hold in holds:
                hold.close()


def test_a_taken_port_is_one_line():
    ports = _ports()
    with socket.create_server(("", int(ports[0]))):
        with pytest.raises(peers.PeerWaitError, match="port .* is taken"):
            peers.wait_for_peers(1, _tf_config(ports, 0))


@pytest.mark.parametrize(
    "tf_config",
    [None, "", "{", '{"cluster": {"worker": ["a:1"]}}', _tf_config([1], 3)],
)
def test_a_bad_tf_config_is_a_value_error(tf_config, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        peers.cluster_tasks(tf_config)


@pytest.mark.parametrize(
    "address", ["hostA", "hostA:", ":80", "hostA:x", "hostA:0", "h:65536", 7]
)
def test_a_bad_address_is_one_line_naming_its_task(address):
    tf_config = json.dumps(
        {
            "cluster": {"worker": ["hostB:2", address]},
            "task": {"type": "worker", "index": 0},
        }
    )
    with pytest.raises(ValueError) as raised:
        peers.cluster_tasks(tf_config)
    assert str(raised.value) == (
        f"TF_CONFIG: worker 1's address {address!r} is not host:port with "
        "a port in 1..65535"
    )


def test_good_addresses_pass():
    tf_config = json.dumps(
        {
            "cluster": {"worker": ["[::1]:1", "h.example:65535"]},
            "task": {"type": "worker", "index": 0},
        }
    )
    tasks, _ = peers.cluster_tasks(tf_config)
    assert tasks[("worker", 0)] == "[::1]:1"


def test_only_the_chief_and_workers_are_peers():
    tf_config = json.dumps(
        {
            "cluster": {"chief": ["a:1"], "worker": ["b:2"], "ps": ["c:3"]},
            "task": {"type": "worker", "index": 0},
        }
    )
    tasks, me = peers.cluster_tasks(tf_config)
    assert tasks == {("chief", 0): "a:1", ("worker", 0): "b:2"}
    assert me == ("worker", 0)


TASKS = {("worker", 0): "hostA:1", ("worker", 1): "hostB:2"}
# Seen from TensorFlow 2.21 when worker 1, then worker 0 (the coordination
# service's leader), was SIGKILLed mid-step.
HEARTBEATS = """Graph execution error:

Detected at node generator_1/bn1_1/CollectiveReduceV2 defined at (most recent
Collective ops is aborted by: Error reported from /job:worker/task:1: The \
following tasks are unhealthy (stopped sending heartbeats):
/job:worker/replica:0/task:1
The tasks have crashed. Check the task logs for an earlier error.
\t [[{{node generator_1/bn1_1/CollectiveReduceV2}}]]"""
RESET = """Graph execution error:

Collective ops is aborted by: recvmsg:Connection reset by peer
Additional GRPC error information from remote target \
/job:worker/replica:0/task:0 while calling \
/tensorflow.WorkerService/CompleteInstance:"""
RESTART = (
    "start every worker again with the same command: they resume from the "
    "last checkpoint"
)
STOPPED = "stopped, so this worker stops too"


def test_the_lost_worker_is_named_from_tensorflows_message():
    line = peers._lost_line(HEARTBEATS, TASKS, ("worker", 0))
    assert line == f"worker 1 (hostB:2) {STOPPED}; {RESTART}"
    line = peers._lost_line(RESET, TASKS, ("worker", 1))
    assert line == f"worker 0 (hostA:1) {STOPPED}; {RESTART}"


def test_an_unnamed_lost_worker_is_said_so_with_the_peers():
    message = "Graph execution error:\n\nCollective ops is aborted by: EOF"
    line = peers._lost_line(message, TASKS, ("worker", 0))
    assert line == (
        "a peer worker stopped (one of worker 1 (hostB:2); TensorFlow says: "
        f"Collective ops is aborted by: EOF); {RESTART}"
    )


THREE = {
    ("worker", 0): "hostA:1",
    ("worker", 1): "hostB:2",
    ("worker", 2): "hostC:3",
}
# As TensorFlow reports a crashed worker 2 to worker 1: worker 0, the
# coordination service's leader, reports it and is healthy.
REPORTED_BY_0 = """Graph execution error:

Detected at node StatefulPartitionedCall defined at (most recent call last):
  File "/work/nda_tf/training/loop.py", line 300, in _train
    step(batch)
Collective ops is aborted by: Error reported from /job:worker/task:0: The \
following tasks are unhealthy (stopped sending heartbeats):
/job:worker/replica:0/task:2
The tasks have crashed. Check the task logs for an earlier error.
\t [[{{node StatefulPartitionedCall}}]] [Op:__inference_step_1234]"""
# A tf.data read of a bucket failing on a worker: no worker is lost.
BUCKET = """Graph execution error:

Detected at node IteratorGetNext defined at (most recent call last):
  File "/work/nda_tf/training/loop.py", line 300, in _train
    batch = next(iterator)
Error executing an HTTP request: libcurl code 7 meaning 'Couldn't connect \
to server', error details: Failed to connect to storage.googleapis.com
\t when reading gs://my-bucket/data/train-00001-of-00064
\t [[{{node IteratorGetNext}}]] [Op:__inference_step_1234]"""


class _Worker1Of3(tf.distribute.MultiWorkerMirroredStrategy):
    """Worker 1 of THREE, without its server: only what `lost_peer`
    reads."""

    def __init__(self):
        pass

    cluster_resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(
            {"worker": [THREE[("worker", i)] for i in range(3)]}
        ),
        task_type="worker",
        task_id=1,
    )


def test_only_the_tasks_reported_lost_are_named_not_the_reporter():
    error = tf.errors.UnavailableError(None, None, REPORTED_BY_0)
    lost = peers.lost_peer(error, _Worker1Of3())
    assert isinstance(lost, peers.PeerLostError)
    assert str(lost) == f"worker 2 (hostC:3) {STOPPED}; {RESTART}"
    # Several tasks lost at once are each named, in TensorFlow's order.
    both = REPORTED_BY_0.replace(
        "task:2\n", "task:2\n/job:worker/replica:0/task:0\n"
    )
    line = peers._lost_line(both, THREE, ("worker", 1))
    assert line == (
        f"worker 2 (hostC:3) and worker 0 (hostA:1) {STOPPED}; {RESTART}"
    )
    timed_out = (
        "Error reported from /job:worker/task:0: Task "
        "/job:worker/replica:0/task:2 heartbeat timeout. This indicates that "
        "the remote task has failed, got preempted, or crashed unexpectedly."
    )
    line = peers._lost_line(timed_out, THREE, ("worker", 1))
    assert line == f"worker 2 (hostC:3) {STOPPED}; {RESTART}"


@pytest.mark.parametrize(
    "kind", ["UnavailableError", "DeadlineExceededError", "AbortedError"]
)
def test_an_error_that_names_no_lost_worker_is_kept(kind):
    # lost_peer's None makes the caller raise TensorFlow's own error.
    error = getattr(tf.errors, kind)(None, None, BUCKET)
    assert peers.lost_peer(error, _Worker1Of3()) is None
    aborted = "Graph execution error:\n\nThe read was aborted: EOF"
    assert (
        peers.lost_peer(error.__class__(None, None, aborted), _Worker1Of3())
        is None
    )


def test_a_graph_errors_cause_is_its_first_line_after_the_header():
    assert peers._detail(BUCKET) == (
        "Error executing an HTTP request: libcurl code 7 meaning 'Couldn't "
        "connect to server', error details: Failed to connect to "
        "storage.googleapis.com"
    )
    # An aborted collective that names no task: the line saying so.
    unnamed = REPORTED_BY_0.split("Error reported")[0] + "EOF"
    line = peers._lost_line(unnamed, THREE, ("worker", 1))
    assert line == (
        "a peer worker stopped (one of worker 0 (hostA:1), worker 2 "
        "(hostC:3); TensorFlow says: Collective ops is aborted by: EOF); "
        f"{RESTART}"
    )
