r"""Measures what an install of nda_tf costs: disk, packages and time.

    python benchmarks/install_size.py [--source=.] [--specs=.,.[all]] \
        [--keep=DIR] [--json=OUT]

For each requirement spec (`.` is the source tree, `.[ood]` one extra),
a new virtual environment is made with this interpreter's `venv`, the
spec is installed into it with pip (non-editable, as a user would), and
the script prints the environment's size on disk (bytes of every file,
hard links counted once), its number of installed distributions (`pip
list`, pip and setuptools included since every venv has them), its
largest distributions and the install's wall time (which depends on
pip's cache and on the network). Results are in docs/install.md.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time


def tree_size(root):
    """Bytes of every file under root, each inode once."""
    seen, total = set(), 0
    for folder, _, files in os.walk(root):
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def distributions(python):
    """[(name, bytes of its files)] installed in the venv of python."""
    script = (
        "import importlib.metadata as m, json, os\n"
        "out = []\n"
        "for d in m.distributions():\n"
        "    size = 0\n"
        "    for f in d.files or ():\n"
        "        p = d.locate_file(f)\n"
        "        if os.path.isfile(p): size += os.path.getsize(p)\n"
        "    out.append((d.metadata['Name'], size))\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, check=True
    )
    return sorted(json.loads(done.stdout), key=lambda d: -d[1])


def measure(spec, source, workdir):
    env_dir = pathlib.Path(workdir) / "venv"
    shutil.rmtree(env_dir, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True)
    python = str(env_dir / "bin" / "python")
    target = spec.replace(".", str(pathlib.Path(source).resolve()), 1)
    start = time.perf_counter()
    subprocess.run(
        [python, "-m", "pip", "install", "-q", target],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    seconds = time.perf_counter() - start
    dists = distributions(python)
    return {
        "spec": spec,
        "bytes": tree_size(env_dir),
        "packages": len(dists),
        "install_seconds": round(seconds, 1),
        "largest": [[n, s] for n, s in dists[:8]],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default=".")
    parser.add_argument("--specs", default=".,.[all]", help="comma-separated")
    parser.add_argument("--keep", default="", help="work folder to keep")
    parser.add_argument("--json", default="", help="write results here")
    args = parser.parse_args()
    specs = []  # split on commas outside brackets: ".[ood,video]" is one
    depth, current = 0, ""
    for char in args.specs:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            specs.append(current)
            current = ""
        else:
            current += char
    specs.append(current)
    results = []
    for spec in filter(None, specs):
        workdir = args.keep or tempfile.mkdtemp(prefix="nda_install_")
        try:
            result = measure(spec, args.source, workdir)
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        results.append(result)
        largest = ", ".join(
            f"{name} {size / 2**20:.0f}" for name, size in result["largest"]
        )
        print(
            f"{spec}: {result['bytes'] / 2**20:.0f} MiB, "
            f"{result['packages']} packages, "
            f"{result['install_seconds']} s; largest (MiB): {largest}",
            flush=True,
        )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
