r"""Times `--help` of every command: medians of wall and CPU seconds.

    PYTHONPATH=$PWD python benchmarks/help_time.py [--repeats=3] \
        [--only=gan,moco]

Each run is a fresh `python -m nda_tf.experiments.<command> --help` (or
`nda_tf.serving.score`'s), as a user types it; CPU is the child's user +
system time. It also says whether the command loaded TensorFlow (by
asking the same process, through `-X importtime`, which lists every module
imported). Slow on a loaded machine (a command, not a test); results are
in benchmarks/RESULTS.md.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = (
    "gan moco pix2pix dpc video_finetune detect numerosity evaluate ood export "
    "linear_eval gather import_biggan pix2pix_eval nda_distance score"
).split()


def once(command):
    """(wall seconds, CPU seconds, imported tensorflow) of one --help."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime"]
        + ["-m", f"nda_tf.experiments.{command}", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # absl's --help exits with status 1; the usage goes to stdout.
    if "flags:" not in done.stdout:
        raise SystemExit(f"{command} --help failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    # importtime lines: "import time: self | cumulative | name"
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return wall, cpu, "tensorflow" in imported


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated")
    args = parser.parse_args()
    commands = args.only.split(",") if args.only else COMMANDS
    print(f"# python {sys.version.split()[0]}, cwd {os.getcwd()}")
    print("| command | wall s (median) | CPU s (median) | loads TF |")
    print("| --- | --- | --- | --- |")
    for command in commands:
        runs = [once(command) for _ in range(args.repeats)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        tf = "yes" if any(r[2] for r in runs) else "no"
        print(f"| {command} | {wall:.2f} | {cpu:.2f} | {tf} |", flush=True)


if __name__ == "__main__":
    main()
