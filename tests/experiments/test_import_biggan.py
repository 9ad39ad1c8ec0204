"""`python -m nda_tf.experiments.import_biggan`: the authors' state dicts
(tests/fixtures/biggan_authors) become a GAN run that the other commands
take: sampling, FID/KID evaluation, OOD scoring, SavedModel export."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from nda_tf import training
from nda_tf.experiments import import_biggan
from nda_tf.experiments.export import export_run
from nda_tf.gan.recipe import GAN
from nda_tf.studies.ood import study as ood_study
from tests.eval import graphs
from tests.models.test_biggan_import import FIXTURE
from tests.training.test_run_lock import HOLDER

PROG = "nda_tf.experiments.import_biggan"


@pytest.fixture(scope="module")
def outputs():
    return np.load(FIXTURE / "outputs.npz")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A small npz data set standing in for CIFAR-10."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (24, 32, 32, 3), dtype=np.uint8)
    np.savez(root / "real.npz", images=images, labels=np.arange(24) % 10)
    return f"npz:{root / 'real.npz'}"


def _files(case):
    return {
        "generator": str(FIXTURE / f"{case}_G.pth"),
        "ema_generator": str(FIXTURE / f"{case}_G_ema.pth"),
        "discriminator": str(FIXTURE / f"{case}_D.pth"),
    }


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, dataset):
    out = str(tmp_path_factory.mktemp("imported") / "run")
    import_biggan.import_run(
        out=out, dataset=dataset, step=7, num_grid_samples=4, **_files("uncond")
    )
    return out


@pytest.mark.parametrize("case", ["uncond", "cond"])
def test_the_run_holds_the_authors_nets(case, run_dir, dataset, outputs):
    logdir = run_dir
    if case == "cond":
        logdir = os.path.join(os.path.dirname(run_dir), "cond")
        import_biggan.import_run(
            out=logdir, dataset=dataset, num_grid_samples=2, **_files(case)
        )
    gan, config = training.load_run(GAN, logdir)
    saved = training.read_config(logdir)
    assert saved["recipe"] == "gan" and saved["layout"] == training.LAYOUT
    assert (config["arch"], config["ch"], config["z_dim"]) == ("biggan", 2, 16)
    assert config["num_classes"] == (1 if case == "uncond" else 10)
    labels = outputs["labels"]
    for net, name, x in (
        (gan.generator, "G", outputs["z"]),
        (gan.ema_generator, "G_ema", outputs["z"]),
        (gan.discriminator, "D", outputs["images"]),
    ):
        inputs = x if case == "uncond" else [x, labels]
        np.testing.assert_allclose(
            net(inputs, training=False).numpy(),
            outputs[f"{case}_{name}"],
            atol=1e-4,
            rtol=0,
        )
    record = json.loads(open(os.path.join(logdir, "import.json")).read())
    assert record["discriminator"] == "from file"
    assert len(record["sources"]["generator"]["sha256"]) == 64


def test_a_sample_grid_is_written(run_dir):
    assert training.load_run(GAN, run_dir)[1]["step"] == 7
    grid = os.path.join(run_dir, "samples", "step_0000007.png")
    # 4 images of 32 px in one row of an 8-column grid, 1 px borders.
    import tensorflow as tf

    image = tf.io.decode_png(tf.io.read_file(grid)).numpy()
    assert image.shape == (34, 8 * 33 + 1, 3)
    assert image[1:33, 1:33].std() > 0


def test_evaluate_command_scores_the_imported_run(run_dir, tmp_path):
    graph = tmp_path / "classify_image_graph_def.pb"
    graph.write_bytes(graphs.inception_like_graph_def().SerializeToString())
    command = [
        sys.executable, "-m", "nda_tf.experiments.evaluate",
        f"--logdir={run_dir}", "--metrics=fid,kid", "--backbone=inception",
        f"--weights={graph}", "--num_samples=16", "--batch_size=8",
        "--kid_subset_size=8", f"--cache_dir={tmp_path / 'cache'}",
        "--noprogress",
    ]  # fmt: skip
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    path = os.path.join(run_dir, "eval", "metrics_latest_inception.json")
    record = json.loads(open(path).read())
    assert record["results"]["fid"] > 0
    assert "step 7" in record["generated"]


def test_ood_and_export_take_the_imported_run(run_dir, dataset, tmp_path):
    report, paths = ood_study.evaluate_run(
        run_dir,
        in_name=dataset,  # an npz has no held-out split: named explicitly
        ood_names=["noise:gaussian"],
        num_images=8,
        batch_size=8,
        progress=False,
    )
    assert 0.0 <= report.aurocs["noise:gaussian"] <= 1.0
    assert os.path.isfile(paths["csv"])
    exported = export_run(run_dir, str(tmp_path / "serving"), num_calibration=8)
    assert set(exported) == {"discriminator", "generator"}
    for folder in exported.values():
        assert os.path.isfile(os.path.join(folder, "saved_model.pb"))


def test_bad_files_stop_with_one_line(tmp_path, dataset):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint\n")
    truncated = tmp_path / "truncated.pth"
    whole = (FIXTURE / "uncond_G.pth").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    files = _files("uncond")
    # Their training-state file (torch's legacy layout: magic number,
    # protocol, system info, then the object) pickles numpy scalars.
    counters = tmp_path / "state_dict_best1.pth"
    with open(counters, "wb") as file:
        for part in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"little_endian": True},
            {"itr": np.int64(5), "best_FID": np.float64(12.6)},
        ):
            pickle.dump(part, file, protocol=2)
    hostile = FIXTURE.parent / "pth_hostile"
    cases = {
        str(counters): "is not a state dict of tensors .*numpy",
        # A legacy header that would run code; a view past its storage.
        str(hostile / "legacy_magic_code.pth"): (
            r"is not a state dict of tensors \(refusing to load os\.system"
        ),
        str(hostile / "legacy_oob_heap.pth"): (
            "is not a readable PyTorch state dict: tensor 'w' .* reads "
            "element 2047 of storage '0', which holds 4"
        ),
        str(text): "is not a readable PyTorch state dict",
        str(truncated): "is not a readable PyTorch state dict",
        files["discriminator"]: "not a BigGAN generator state dict",
    }
    for path, message in cases.items():
        with pytest.raises(ValueError, match=message) as error:
            import_biggan.import_run(path, str(tmp_path / "out"))
        assert "\n" not in str(error.value) and path in str(error.value)
    with pytest.raises(ValueError, match="one run holds nets of one arch"):
        import_biggan.import_run(
            files["generator"],
            str(tmp_path / "out"),
            discriminator=str(FIXTURE / "cond_D.pth"),
        )
    # The command line ends with the one line, nothing else.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", PROG, f"--generator={truncated}",
         f"--out={tmp_path / 'out'}"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{PROG}: error: --generator: ")
    assert "truncated" in last
    assert not os.path.exists(tmp_path / "out")


def test_a_failed_import_leaves_nothing_and_a_busy_one_is_refused(
    tmp_path, dataset, monitoring_fails
):
    out = tmp_path / "run"
    files = _files("uncond")
    # Fails after config.json and the checkpoint are written.
    with pytest.raises(OSError, match="the disk is full"):
        import_biggan.import_run(out=str(out), dataset=dataset, **files)
    assert not out.exists()
    # Another process writing the folder: refused, nothing written.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(training.RunDirectoryLockedError, match=str(out)):
            import_biggan.import_run(out=str(out), dataset=dataset, **files)
        assert os.listdir(out) == ["lock"]
    finally:
        holder.kill()
        holder.wait()
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(ValueError, match="is not empty .*'notes.txt'"):
        import_biggan.import_run(out=str(out), dataset=dataset, **files)
    assert sorted(os.listdir(out)) == ["notes.txt"]


@pytest.fixture
def monitoring_fails(monkeypatch):
    from nda_tf.gan import monitoring

    def full(path, grid):
        raise OSError(28, "the disk is full")

    monkeypatch.setattr(monitoring, "save_png", full)
