"""The paper's numbers by configuration, and the results table."""

import json
import os

from nda_tf.experiments import gather, paper
from nda_tf.gan.recipe import GAN


def _config(**kwargs):
    return {**GAN.resolve({}), **kwargs}


def test_paper_fid_finds_each_table_cell():
    assert paper.paper_fid(_config()) == 12.61  # the default run
    assert paper.paper_fid(_config(nda="none")) == 18.64
    assert paper.paper_fid(_config(lam=1.0)) == 18.64
    assert paper.paper_fid(_config(lam=0.15)) == 13.01
    assert paper.paper_fid(_config(nda="cutmix", conditional=True)) == 10.30
    assert paper.paper_fid(_config(dataset="cifar100", lam=0.5)) == 19.72
    assert paper.paper_fid(_config(dataset="cifar100", lam=0.25)) is None
    assert paper.paper_fid(_config(nda="none", pda="jigsaw")) == 98.09
    assert paper.paper_fid(_config(nda="horizontal_flip")) == 124.32
    assert paper.paper_fid(_config(dataset="dots")) is None


def _run(root, name, config, best=None):
    folder = os.path.join(root, name)
    os.makedirs(os.path.join(folder, "checkpoints"))
    with open(os.path.join(folder, "config.json"), "w") as file:
        json.dump(_config(**config), file)
    entries = [{"name": "ckpt-10", "step": 10, "metrics": {}}]
    with open(os.path.join(folder, "checkpoints", "manifest.json"), "w") as f:
        json.dump({"checkpoints": entries}, f)
    if best is not None:
        os.makedirs(os.path.join(folder, "best"))
        entries = [{"name": "ckpt-8", "step": 8, "metrics": {"fid": best}}]
        with open(os.path.join(folder, "best", "manifest.json"), "w") as f:
            json.dump({"checkpoints": entries}, f)


def test_the_table_has_a_row_per_run_with_ours_and_the_paper(tmp_path):
    _run(tmp_path, "a_jigsaw", {"steps": 100}, best=13.456)
    _run(tmp_path, "b_none", {"steps": 100, "nda": "none"})
    rows = [gather.run_row(r, "fid") for r in gather.find_runs(tmp_path)]
    lines = gather.markdown(rows, "fid").splitlines()
    assert lines[2] == (
        "| a_jigsaw | cifar10 | no | jigsaw | none | 0.25 | 10/100 | 8 "
        "| 13.46 | 12.61 |"
    )
    assert lines[3] == (
        "| b_none | cifar10 | no | none | none | 0.25 | 10/100 | - | - "
        "| 18.64 |"
    )
