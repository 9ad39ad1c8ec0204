"""The paper's numbers by configuration, and the results table."""

import json
import os

from nda_tf.gan.recipe import GAN
from nda_tf.studies.paper import numbers as paper
from nda_tf.studies.paper import tables as gather


def _config(**kwargs):
    return {**GAN.resolve({}), **kwargs}


def test_paper_fid_finds_each_table_cell():
    # The default jigsaw excludes the identity: Appendix O's 12.59, not
    # Table 2's 12.61, which allows it.
    assert paper.paper_fid(_config()) == 12.59
    with_identity = "jigsaw(exclude_identity=False)"
    assert paper.paper_fid(_config(nda=with_identity)) == 12.61
    assert paper.paper_fid(_config(nda="none")) == 18.64
    assert paper.paper_fid(_config(lam=1.0)) == 18.64
    assert paper.paper_fid(_config(lam=0.15)) == 13.01
    assert paper.paper_fid(_config(nda="cutmix", conditional=True)) == 10.30
    assert paper.paper_fid(_config(dataset="cifar100", lam=0.5)) == 19.72
    assert paper.paper_fid(_config(dataset="cifar100", lam=0.25)) is None
    assert paper.paper_fid(_config(nda="none", pda="jigsaw")) == 98.09
    assert paper.paper_fid(_config(nda="horizontal_flip")) == 124.32
    assert paper.paper_fid(_config(dataset="dots")) is None
    # Section 5's mixture and Appendix O's vertical flips.
    mixture = "jigsaw | stitch|mixup|cutout|cutmix"
    assert paper.paper_fid(_config(nda=mixture)) == 16.24
    assert paper.paper_fid(_config(nda="vertical_flip")) == 15.84
    always = "vertical_flip(probability=1.0)"
    assert paper.paper_fid(_config(nda=always)) == 14.74
    assert paper.paper_fid(_config(nda=always, lam=0.5)) is None
    # A run on some classes is not a paper cell.
    assert paper.paper_fid(_config(nda="none", classes=["3"])) is None


def test_the_other_tables_numbers():
    assert paper.paper_linear_top1("cifar10", "cutout") == 92.26
    assert paper.paper_linear_top1("cifar100", "none") == 69.63
    assert paper.paper_linear_top1("stl10", "none") is None
    assert paper.paper_lam("cifar100") == 0.5 and paper.paper_lam("x") == 0.25
    config = {"dataset": "cityscapes", "nda": "jigsaw", "lam": 0.25}
    assert paper.pix2pix_paper({**config, "loss": "cgan"}) == (0.84, 0.34, 0.28)
    assert (
        paper.pix2pix_paper({**config, "nda": "stitch", "loss": "cgan"}) is None
    )


def test_paper_fid_of_consistency_regularised_runs():
    cr = {"nda": "none", "cr_weight": 10.0}
    assert paper.paper_fid(_config(**cr)) == 14.56
    assert paper.paper_fid(_config(**cr, conditional=True)) == 11.48
    assert paper.paper_fid(_config(cr_weight=10.0)) is None  # CR + jigsaw
    assert paper.paper_fid(_config(**cr, cr_fake_weight=10.0)) is None
    assert paper.paper_fid(_config(nda="none", diffaugment="color")) is None


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
        "| 13.46 | 12.59 |"
    )
    assert lines[3] == (
        "| b_none | cifar10 | no | none | none | 0.25 | 10/100 | - | - "
        "| 18.64 |"
    )


def _write(path, record):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        json.dump(record, file)


def _ood_report(aurocs):
    """An ood.json with the given entry AUROCs (other measures fixed)."""
    entries = {
        name: {"auroc": v, "fpr95": 0.5, "aupr_in": 0.6, "aupr_out": 0.7}
        for name, v in aurocs.items()
    }
    sets = {name: {"num_images": 100, "group": None} for name in aurocs}
    if "cifar10_corrupted" in aurocs:
        del sets["cifar10_corrupted"]
        for c in ("fog_5", "snow_5"):
            sets[f"cifar10_corrupted/{c}"] = {
                "num_images": 50,
                "group": "cifar10_corrupted",
            }
    return {"in_distribution": {"num_images": 100}, "sets": sets,
            "entries": entries}  # fmt: skip


def test_paper_tables_put_ours_beside_the_paper(tmp_path):
    root = str(tmp_path)
    # Jigsaw, evaluated by the evaluate command (inception and another).
    _run(root, "c10_jigsaw", {"steps": 100}, best=99.0)
    for backbone, fid in (("efficientnet_lite0", 50.0), ("inception", 13.1)):
        _write(
            os.path.join(root, "c10_jigsaw", "eval", f"m_{backbone}.json"),
            {
                "results": {"fid": fid},
                "backbone": backbone,
                "num_generated": 10000,
                "num_reference": 10000,
                "step": 90,
            },
        )
    # Plain BigGAN, FID from training with its protocol.json.
    _run(root, "c10_plain", {"steps": 100, "nda": "none"}, best=19.5)
    _write(
        os.path.join(root, "c10_plain", "eval", "protocol.json"),
        {"backbone": "inception", "generated": 5000, "reference": 10000},
    )
    _run(root, "c10_cr", {"nda": "none", "cr_weight": 10.0}, best=15.0)
    _run(root, "c10_sweep", {"lam": 0.5})  # no FID yet
    _run(root, "moco", {})  # not a GAN run: skipped by the tables
    _write(os.path.join(root, "moco", "config.json"), {"recipe": "moco"})
    plain = {"dtd": 0.7, "svhn_cropped": 0.8, "cifar10_corrupted": 0.55}
    _write(
        os.path.join(root, "c10_plain", "ood", "latest", "ood.json"),
        _ood_report(plain),
    )
    text = gather.report(root)
    lines = text.splitlines()
    titles = [line for line in lines if line.startswith("## ")]
    assert titles == [
        "## Table 1: PDA vs NDA, CIFAR-10, FID",
        "## Table 2: unconditional BigGAN, FID",
        "## Table 3: conditional BigGAN, FID",
        "## Table 5: anomaly detection, CIFAR-10 test vs OOD sets",
        "## Table 8: lam, CIFAR-10 jigsaw, FID",
        "## Runs",
    ]
    # Inception's evaluate record wins over the training value and the
    # other backbone; backbone and counts sit beside the number.
    assert (
        "| cifar10 | Jigsaw | 13.10 | 12.61 | c10_jigsaw | inception "
        "| 10000 / 10000 |" in lines
    )
    assert (
        "| cifar10 | BigGAN | 19.50 | 18.64 | c10_plain | inception "
        "| 5000 / 10000 |" in lines
    )
    assert "| cifar10 | CR-BigGAN | 15.00 | 14.56 | c10_cr | ? | ? / ? |" in (
        lines
    )
    # Missing runs: the paper's number and empty cells.
    assert "| stl10 | Cutmix |  | 25.34 |  |  |  |" in lines
    assert "| cifar100 | CR-BigGAN |" not in text  # "—" and no run
    assert "| C-10 |" not in text
    assert "| cifar10 | Cutmix |  | 10.30 |  |  |  |" in lines  # Table 3
    # Table 8: plain BigGAN is lam 1; the lam 0.5 run has no FID yet.
    assert "| 1 | 19.50 | 18.64 | c10_plain | inception | 5000 / 10000 |" in (
        lines
    )
    assert "| 0.5 |  | 14.95 | c10_sweep |  |  |" in lines
    # Table 1: PDA rows are empty, NDA jigsaw is the jigsaw run.
    assert "| jigsaw | PDA |  | 98.09 |  |  |  |" in lines
    assert "| jigsaw | NDA | 13.10 | 12.61 | c10_jigsaw | inception " in text
    # Table 5: ours with FPR and AUPR, the paper's and EBM's beside.
    assert (
        "| DTD | BigGAN | 0.70 | 0.70 | 0.48 | 0.50 | 0.60 | 0.70 "
        "| c10_plain/ood/latest | 100 / 100 |" in lines
    )
    assert (
        "| CIFAR-10-C | BigGAN | 0.55 | 0.56 | 0.60 | 0.50 | 0.60 | 0.70 "
        "| c10_plain/ood/latest | 100 / 100 |" in lines
    )
    # The average over the OOD-1 sets present (DTD and SVHN).
    assert (
        "| Average | BigGAN | 0.75 | 0.57 | 0.59 | 0.50 | 0.60 | 0.70 "
        "| c10_plain/ood/latest | 100 / 2 of 5 sets |" in lines
    )
    assert "| TinyImageNet | BigGAN |  | 0.40 | 0.67 | 0.50 |" not in text
    assert "| TinyImageNet | Jigsaw |  | 0.62 | 0.67 |  |  |  |  |  |" in lines
    assert "| c10_sweep | cifar10 | no | jigsaw |" in text  # per-run table
    assert "moco" not in text


def test_more_tables_join_through_the_builder_list(tmp_path, monkeypatch):
    _run(str(tmp_path), "a", {})
    extra = lambda records: f"## Pix2Pix\n\n{len(records)} runs\n"  # noqa: E731
    monkeypatch.setattr(gather, "TABLES", [*gather.TABLES, extra])
    assert "## Pix2Pix\n\n1 runs\n" in gather.report(str(tmp_path))


def test_local_corruptions_are_not_tabulated_as_cifar10c():
    # --corruptions=local names its group "corrupt": computed here, not
    # CIFAR-10-C's images, so Table 5's CIFAR-10-C row stays empty.
    local = _ood_report({"corrupt": 0.7, "dtd": 0.6})
    values = gather.table_5_values(local)
    assert "CIFAR-10-C" not in values
    assert values["DTD"][0]["auroc"] == 0.6
    tfds_report = _ood_report({"cifar10_corrupted": 0.7, "dtd": 0.6})
    values = gather.table_5_values(tfds_report)
    assert values["CIFAR-10-C"] == (
        {"auroc": 0.7, "fpr95": 0.5, "aupr_in": 0.6, "aupr_out": 0.7},
        100,
    )
