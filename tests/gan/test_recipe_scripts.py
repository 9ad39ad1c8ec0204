"""Every GAN recipe script (experiments/gan/*.sh) asks for valid runs: each
cell's flags parse as the GAN command's and resolve to a checked config.
The scripts run with a stand-in `python` that records its arguments."""

import glob
import json
import os
import subprocess
import sys

import pytest
from absl import flags

from nda_tf.experiments import cli
from nda_tf.gan import augment, recipe
from nda_tf.gan.recipe import GAN
from nda_tf.studies.paper import numbers as paper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCRIPTS = sorted(
    path
    for path in glob.glob(os.path.join(ROOT, "experiments", "gan", "*.sh"))
    if not os.path.basename(path).startswith("_")
)


def _cells(script, tmp_path):
    """(echoed header, argv) of each run the script starts."""
    record = tmp_path / "calls.jsonl"
    shim = tmp_path / "bin" / "python"
    shim.parent.mkdir(parents=True)
    shim.write_text(
        "#!/bin/sh\n"
        f'"{sys.executable}" -c "import json, sys; '
        'print(json.dumps(sys.argv[1:]))" "$@" >> '
        f'"{record}"\n'
    )
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{shim.parent}:{os.environ['PATH']}")
    env["RUNS"] = str(tmp_path / "runs")
    env.pop("EXTRA_FLAGS", None)
    out = subprocess.run(
        ["bash", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(headers) == len(calls) > 0
    return list(zip(headers, calls, strict=True))


def _config(argv):
    assert argv[:2] == ["-m", "nda_tf.experiments.gan"]
    values = flags.FlagValues()
    cli.define_flags((*GAN.all_options(), *cli.command_options()), values)
    values(["gan", *argv[2:]])
    config = GAN.resolve(cli.values(GAN.all_options(), values))
    augment.parse_policy(config["diffaugment"])
    return config


# The cells the paper has no FID for; every other cell's number is in
# nda_tf.studies.paper.numbers (the scripts carry none of their own).
NOT_IN_THE_PAPER = {
    "c10_bcr_biggan", "c10_cr_jigsaw", "c10_diffaugment",
    "c10_diffaugment_jigsaw", "c10_cats_plain", "c10_cats_other_classes",
}  # fmt: skip


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_every_cell_is_a_valid_run_with_its_paper_number(script, tmp_path):
    for header, argv in _cells(script, tmp_path):
        config = _config(argv)
        name = header.split()[1]
        assert header == f"== {name}"
        assert config["eval_backbone"] == "inception"
        found = paper.paper_fid(config)
        assert (found is None) == (name in NOT_IN_THE_PAPER), (name, found)
        # The paper's BigGANs, trained with the authors' D step and start.
        assert config["arch"] == "biggan" and config["d_calls"] == 2
        assert config["init"] == "authors"


def test_cr_cells_and_appendix_j_counts(tmp_path):
    def configs(name):
        path = os.path.join(ROOT, "experiments", "gan", name)
        found = {}
        for header, argv in _cells(path, tmp_path / name):
            found[header.split()[1]] = (header, _config(argv))
        return found

    cr = configs("cr_biggan.sh")
    for name, conditional, fid in [
        ("c10_cr_biggan", False, 14.56),
        ("c10c_cr_biggan", True, 11.48),
    ]:
        _, config = cr[name]
        assert paper.paper_fid(config) == fid
        assert config["conditional"] is conditional
        assert (config["cr_weight"], config["cr_fake_weight"]) == (10.0, 0.0)
        assert config["nda"] == "none"
    for script, count in [
        ("celeba64_uncond.sh", 19_962),
        ("stl10_32_uncond.sh", 8_000),
        ("cifar10_uncond.sh", 10_000),
    ]:
        for _, config in configs(script).values():
            assert recipe.fid_num_samples(config) == count
            assert config["eval_split"] == "test"
