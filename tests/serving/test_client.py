"""The serving clients against local stand-ins of TF Serving."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import serving
from nda_tf.experiments import score as score_cli
from tests.export import trained
from tests.serving import standin

IMAGES = trained.gradients(6, seed=11)


@pytest.fixture(scope="module")
def model_dir():
    return trained.exported_detector()


@pytest.fixture(scope="module")
def server(model_dir):
    with standin.StandIn({"nda_ood": {1: model_dir}}) as s:
        yield s


@pytest.fixture(scope="module")
def expected(model_dir):
    sig = tf.saved_model.load(model_dir).signatures["serving_default"]
    return {k: v.numpy() for k, v in sig(images=tf.constant(IMAGES)).items()}


def test_rest_score_matches_the_model(server, expected):
    client = serving.RestClient(server.url, "nda_ood")
    out = client.score(IMAGES)
    np.testing.assert_allclose(out["score"], expected["score"], rtol=1e-6)
    np.testing.assert_array_equal(out["is_outlier"], expected["is_outlier"])
    np.testing.assert_allclose(
        out["in_distribution_probability"],
        expected["in_distribution_probability"],
        rtol=1e-6,
    )
    path, body = server.requests[-1]
    assert path == "/v1/models/nda_ood:predict"
    assert body["signature_name"] == "serving_default"
    assert set(body) == {"signature_name", "inputs"}
    np.testing.assert_array_equal(np.array(body["inputs"]["images"]), IMAGES)


def test_rest_versions_floats_and_single_images(server, expected):
    url = f"{server.url}/v1/models/nda_ood/versions/1:predict"
    client = serving.RestClient(url)
    out = client.score(IMAGES[0])  # one [H, W, 3] image
    assert out["score"].shape == (1,)
    np.testing.assert_allclose(out["score"], expected["score"][:1], rtol=1e-6)
    floats = client.score(IMAGES.astype(np.float32) / 255.0)
    np.testing.assert_allclose(floats["score"], expected["score"], atol=1e-5)
    assert server.requests[-1][1]["signature_name"] == "serving_float"
    assert serving.RestClient(server.url, "nda_ood", version=1).url == url


def test_rest_errors_carry_the_server_message(server):
    client = serving.RestClient(server.url, "nda_ood")
    with pytest.raises(serving.ServingError, match="3 entries in the last"):
        client.predict({"images": IMAGES[..., :1]})
    with pytest.raises(serving.ServingError, match="Servable not found"):
        serving.RestClient(server.url, "other").score(IMAGES)
    with pytest.raises(serving.ServingError, match="version 7 not found"):
        serving.RestClient(server.url, "nda_ood", version=7).score(IMAGES)
    with pytest.raises(ValueError, match="images must be \\[N, H, W, 3\\]"):
        client.score(IMAGES[..., :2])
    with pytest.raises(ValueError, match="finite and in \\[0, 1\\]"):
        client.score(np.full([1, 4, 4, 3], np.nan, np.float32))
    with pytest.raises(ValueError, match="timeout must be > 0, received 0"):
        serving.RestClient(server.url, "nda_ood", timeout=0)


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_standin_enforces_the_rest_schema(server, expected):
    url = server.url + "/v1/models/nda_ood:predict"
    rows = IMAGES[:2].tolist()
    status, reply = _post(url, {"instances": rows})
    assert status == 200
    assert [r["score"] for r in reply["predictions"]] == pytest.approx(
        expected["score"][:2].tolist(), rel=1e-6
    )
    for body, message in (
        ({"instances": rows, "inputs": {"images": rows}}, "exactly one"),
        ({"inputs": {"image": rows}}, "do not match"),
        ({"inputs": {"images": rows}, "signature": "x"}, "unknown request"),
        ({"inputs": {"images": (IMAGES[:2] / 255).tolist()}}, "integers"),
        ({"inputs": {"images": [[[[0, 0, 0]]], [[0]]]}}, "rectangular"),
        ({"signature_name": "nope", "instances": rows}, "not found"),
    ):
        status, reply = _post(url, body)
        assert status == 400 and message in reply["error"], (body, reply)
    status, reply = _post(server.url + "/v1/models/nda_ood:classify", {})
    assert status == 404


def test_grpc_client(model_dir, expected):
    with standin.GrpcStandIn("nda_ood", model_dir) as server:
        client = serving.GrpcClient(server.target, "nda_ood", version=1)
        try:
            out = client.score(IMAGES)
            np.testing.assert_allclose(
                out["score"], expected["score"], rtol=1e-6
            )
            request = server.requests[-1]
            assert request.model_spec.version.value == 1
            assert request.model_spec.signature_name == "serving_default"
            with pytest.raises(serving.ServingError, match="rank 4"):
                client.predict({"images": IMAGES[0, 0]})
        finally:
            client.close()


def test_predict_url_arguments():
    assert (
        serving.predict_url("http://h:8501/", "m", 3)
        == "http://h:8501/v1/models/m/versions/3:predict"
    )
    with pytest.raises(ValueError, match="needs a model_name"):
        serving.predict_url("http://h:8501")
    with pytest.raises(ValueError, match="already names the model"):
        serving.predict_url("http://h:1/v1/models/m:predict", "m")
    with pytest.raises(ValueError, match="received 'h:8501'"):
        serving.predict_url("h:8501", "m")


def test_score_command(server, expected, tmp_path):
    paths = []
    # Two sizes (one request each) and a grey PNG that becomes RGB.
    for i, image in enumerate(IMAGES[:3]):
        path = tmp_path / f"img{i}.png"
        path.write_bytes(tf.io.encode_png(image).numpy())
        paths.append(str(path))
    big = tf.image.resize(IMAGES[3:4], [48, 40]).numpy().astype(np.uint8)[0]
    paths.append(str(tmp_path / "big.png"))
    (tmp_path / "big.png").write_bytes(tf.io.encode_png(big).numpy())
    grey = IMAGES[4, :, :, :1]
    paths.append(str(tmp_path / "grey.png"))
    (tmp_path / "grey.png").write_bytes(tf.io.encode_png(grey).numpy())
    command = [sys.executable, "-m", "nda_tf.experiments.score"]
    result = subprocess.run(
        command + [f"--url={server.url}", "--model_name=nda_ood", *paths],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=os.getcwd(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == paths
    for line, score, outlier in zip(
        lines[:3], expected["score"], expected["is_outlier"], strict=False
    ):
        assert float(line.split("\t")[1][6:]) == pytest.approx(score, abs=1e-4)
        assert line.endswith("OUTLIER" if outlier else "\tin")
    assert score_cli.format_line("a.png", -1.23456, 0.1, True) == (
        "a.png\tscore=-1.2346\tp_in=0.100\tOUTLIER"
    )


def test_score_command_scores_good_files_and_names_bad_ones(
    server, expected, tmp_path, capsys
):
    good = []
    for i, image in enumerate(IMAGES[:2]):
        good.append(tmp_path / f"img{i}.png")
        good[-1].write_bytes(tf.io.encode_png(image).numpy())
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    paths = [str(p) for p in (good[0], tmp_path, tmp_path / "gone.png")]
    paths += [str(text), str(good[1])]

    class Flags:
        url, grpc, model_name, version, timeout = server.url, None, None, 1, 5
        max_pixels, resolution = 4096, None

    Flags.model_name = "nda_ood"
    with pytest.raises(SystemExit) as stopped:
        score_cli.main(Flags, paths)
    assert stopped.value.code == (
        "nda_tf.experiments.score: 3 of 5 files could not be scored"
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == paths
    assert lines[1:4] == [
        f"{tmp_path}\terror: is a folder, not an image file",
        f"{tmp_path / 'gone.png'}\terror: no such file",
        f"{text}\terror: not a readable PNG, JPEG, BMP or GIF image",
    ]
    for line, score in zip(
        (lines[0], lines[4]), expected["score"][:2], strict=True
    ):
        assert float(line.split("\t")[1][6:]) == pytest.approx(score, abs=1e-4)


def test_large_images_are_resized_before_sending_or_refused(
    server, expected, tmp_path
):
    """--resolution sends what the detector would see, so the scores are
    those of the full-size images; above --max_pixels, an image is an
    error line and a FIFO is never waited on."""
    large = tf.image.resize(IMAGES[:2], [300, 200]).numpy().astype(np.uint8)
    paths = []
    for i, image in enumerate([*large, IMAGES[2]]):
        paths.append(str(tmp_path / f"img{i}.png"))
        (tmp_path / f"img{i}.png").write_bytes(tf.io.encode_png(image).numpy())
    os.mkfifo(tmp_path / "x.png")
    paths.append(str(tmp_path / "x.png"))
    client = serving.RestClient(server.url, "nda_ood")
    as_sent = score_cli.score_files(client, paths[:3], max_pixels=60_000)
    server.requests.clear()
    results = score_cli.score_files(
        client, paths, max_pixels=60_000, resolution=trained.RESOLUTION
    )
    # Both resized large images in one request, as floats of 32 x 32.
    sent = [np.array(body["inputs"]["images"]) for _, body in server.requests]
    assert [a.shape for a in sent] == [(2, 32, 32, 3), (1, 32, 32, 3)]
    assert [b["signature_name"] for _, b in server.requests] == [
        "serving_float",
        "serving_default",
    ]
    for got, full in zip(results[:3], as_sent, strict=True):
        assert got[0] == full[0] and got[3] == full[3]
        assert got[1] == pytest.approx(full[1], abs=1e-4)
    assert results[3] == (paths[3], "is a FIFO, not a regular image file")
    refused = score_cli.score_files(client, paths[:1], max_pixels=59_999)
    assert refused == [
        (
            paths[0],
            "is 200 x 300 = 60000 pixels, more than --max_pixels=59999: "
            "refused before decoding",
        )
    ]


def test_a_server_that_is_down_is_one_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = serving.RestClient(f"http://127.0.0.1:{port}", "nda_ood")
    path = tmp_path / "a.png"
    path.write_bytes(tf.io.encode_png(IMAGES[0]).numpy())
    with pytest.raises(serving.ServerUnreachable, match="no answer from"):
        score_cli.score_files(client, [str(path)])
