"""Run directories made by hand for the gatherer's tests: a config.json
and, if given, a best/ manifest with one scored checkpoint."""

import json


def fake_run(root, name, config, best=None):
    """`root/name` holding `config` (and `best`, a manifest entry)."""
    folder = root / name
    (folder / "best").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    if best:
        (folder / "best" / "manifest.json").write_text(
            json.dumps({"checkpoints": [best]})
        )
    return str(folder)
