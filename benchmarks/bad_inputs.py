r"""Tries bad command-line values on every command; counts one-line errors.

    python benchmarks/bad_inputs.py [--only=gan,export] [--json=out.json] \
        [--subprocess] [--match=beta,1e400]

Each case runs `python -m nda_tf.experiments.<command> ARGS` as a user
types it: by default in this process (the module run as `__main__` with
that `sys.argv`, file descriptors 1 and 2 captured, so TensorFlow's C++
lines count too; TensorFlow starts once), or with `--subprocess` in a
fresh process each (no `TF_CPP_MIN_LOG_LEVEL` set; also shows start-up
noise, but costs a TensorFlow start per case: minutes each on a busy
machine). A case passes when the command exits non-zero, prints no
traceback, its stderr is exactly one line `PROG: error: MESSAGE`
(score's per-file errors: one line per file on stdout and a one-line
count on stderr), and it leaves the workspace as it found it (nothing
created, changed or removed under the temporary folder). It prints a
line per case and the total; the failures show their stderr. `--match`
keeps the cases whose command line holds any of the comma-separated
texts (with `--only`: both). It first makes a workspace in a temporary
folder: a 2-step GAN run of the dots data (about 30 s), a folder, a
file, a garbage .npz, a text file named .png, a folder with a dangling
symlink.

Slow (a command, not a test). Results are recorded in
benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_GAN = [
    "--dataset=dots(counts=(2,))",
    "--arch=sngan",
    "--ch=4",
    "--z_dim=8",
    "--d_steps=1",
    "--batch_size=4",
    "--steps=2",
    "--eval_metrics=none",
]
TINY_MOCO = [
    "--dataset=dots(counts=(2,4))",
    "--arch=small",
    "--width=4",
    "--batch_size=8",
    "--queue_size=16",
    "--hidden_dim=8",
    "--projection_dim=4",
    "--steps=2",
]


def cases(w):
    """`(command, args)` pairs, each with one bad value; `w` the paths of
    the workspace."""
    run, file, folder = w["run"], w["file"], w["folder"]
    logdir = f"--logdir={w['tmp']}/new_run"
    gan = [
        ["--steps=abc"],
        ["--steps=0"],
        ["--lam=0"],
        ["--lam=1.5"],
        ["--nda=jigsw"],
        ["--pda=flipz"],
        ["--arch=resnet99"],
        ["--eval_metrics=fdi"],
        ["--eval_num_samples=0"],
        ["--eval_backbone=vgg"],
        ["--batch_size=-1"],
        ["--d_steps=0"],
        ["--seed=-1"],
        ["--resolution=0"],
        ["--save_every=0"],
        ["--keep=0"],
        ["--log_every=-5"],
        ["--strategy=gpu9"],
        ["--pda_probability=2"],
        ["--ema_decay=1"],
        ["--beta_1=-0.1"],
        ["--lr_g=0"],
        ["--loss=wasserstein2"],
        ["--frobnicate=1"],
        ["extra_argument"],
        ["--dataset=no_such_dataset"],
        ["--dataset=folder:/nonexistent"],
        ["--dataset=npz:/nonexistent.npz"],
        [f"--dataset=npz:{w['garbage_npz']}"],
        [f"--dataset=folder:{w['broken_folder']}"],
        ["--conditional"],  # dots(counts=(2,)) has one class
        [f"--logdir={file}"],
        ["--logdir=/proc/nda_tf_run"],
        # Review finding 3: was a local folder named "gs:".
        ["--logdir=gs://bucket/run"],
        [f"--export_dir={file}"],
        # Issue 28, item 8: taken silently, or failing only as divergence.
        ["--beta_2=1"],
        ["--beta_1=1"],
        ["--nda="],
        ["--lr_g=1e400"],
        ["--nda=mixup(alpha=1e400)"],
        # Review finding 8: an int no float holds, an OverflowError.
        [f"--nda=mixup(alpha={10**400})"],
        ["--nda=dots(counts=(0,))"],
        ["--dataset=dots(counts=(0,))"],
        ["--steps=99999999999999999999"],
        [f"--dataset=folder:{w['dangling_folder']}"],
    ]
    out = [("gan", [*TINY_GAN, logdir, *args]) for args in gan]
    moco = [
        ["--queue_size=4"],
        ["--temperature=0"],
        ["--arch=resnet1000"],
        ["--stem=foo"],
        ["--momentum=2"],
        ["--batch_size=7"],
        ["--test_dataset=cifar100", f"--data_dir={folder}"],
    ]
    out += [("moco", [*TINY_MOCO, logdir, *args]) for args in moco]
    export_dir = f"--out={w['tmp']}/serving"
    export = [
        ["--logdir=/nonexistent", export_dir],
        [f"--logdir={run}"],
        [f"--logdir={run}", export_dir, "--tpr=2"],
        [f"--logdir={run}", export_dir, "--tpr=0"],
        [f"--logdir={run}", export_dir, "--num_calibration=1"],
        [f"--logdir={run}", export_dir, "--what=critic"],
        [f"--logdir={run}", f"--out={file}"],
        [f"--logdir={run}", export_dir, "--checkpoint=nosuch"],
        [f"--logdir={run}", export_dir, "--version=0"],
        [f"--logdir={run}", export_dir, "--detector_name=bad name!"],
        [f"--logdir={run}", f"--out={w['served']}"],  # version 1 exists
        [f"--logdir={run}", export_dir, "--calibration_data=no_such_set"],
        [f"--logdir={run}", export_dir, "--label=-1"],
        [f"--logdir={file}", export_dir],
        [f"--logdir={run}", export_dir, "--version=99999999999999999999"],
    ]
    out += [("export", args) for args in export]
    evaluate = [
        ["--logdir=/nonexistent"],
        [f"--logdir={run}", "--metrics=fdi"],
        [f"--logdir={run}", "--backbone=vgg"],
        [f"--logdir={run}", "--num_samples=0"],
        [f"--logdir={run}", "--batch_size=0"],
        [f"--logdir={run}", "--weights=/nonexistent.pb"],
        [f"--logdir={run}", "--kid_subsets=0"],
        [f"--logdir={run}", "--checkpoint=/etc"],
    ]
    out += [("evaluate", args) for args in evaluate]
    url = "--url=http://127.0.0.1:9"
    score = [
        [url, "--model_name=m"],
        ["--url=not_a_url", "--model_name=m", w["image"]],
        [url, "--grpc=127.0.0.1:9", "--model_name=m", w["image"]],
        [url, "--model_name=m", folder],
        [url, "--model_name=m", "/nonexistent.png"],
        [url, "--model_name=m", w["text_png"]],
        [url, "--model_name=m", w["image"]],  # nothing listens there
        [url, "--model_name=m", "--timeout=0", w["image"]],
        [url, "--model_name=m", "--version=x", w["image"]],
        [url, "--model_name=m", "--timeout=1e400", w["image"]],
        # Review finding 5: a 40 GB float32 copy of each image.
        [url, "--model_name=m", "--resolution=100000", w["image"]],
    ]
    out += [("score", args) for args in score]
    numerosity = [
        ["--quick", "--num_samples=0", logdir],
        ["--quick", "--negative_counts=a,b", logdir],
        ["--quick", "--k=0", logdir],
        ["--quick", "--arch=foo", logdir],
        ["--quick", "--logdir=/proc/nda_tf_run"],
    ]
    out += [("numerosity", args) for args in numerosity]
    linear = [
        ["--logdir=/nonexistent"],
        [f"--logdir={run}", "--epochs=0"],
        [f"--logdir={run}", "--lr=0"],
        [f"--logdir={run}"],  # a GAN run, not a MoCo one
    ]
    out += [("linear_eval", args) for args in linear]
    distance = [
        ["--logdirs=/nonexistent"],
        [f"--logdirs={run}", "--nda=foo"],
        [f"--logdirs={run}", f"--out={folder}"],
        [f"--logdirs={run}", "--num_images=0"],
    ]
    out += [("nda_distance", args) for args in distance]
    out += [
        ("gather", ["--runs=/nonexistent"]),
        ("gather", [f"--runs={w['tmp']}", "--out=/dev/full"]),
        ("gather", [f"--runs={w['tmp']}", "--metric=nosuch"]),
        ("ood", ["--logdir=/nonexistent"]),
        ("ood", [f"--logdir={run}", "--batch_size=0"]),
        ("ood", [f"--logdir={run}", "--label=first"]),
        ("ood", [f"--logdir={run}", "--label=5"]),  # unconditional D
        ("ood", [f"--logdir={run}", "--out=/proc/nda_tf_ood"]),
    ]
    return out


def workspace(tmp):
    """The files the cases point at, under `tmp`."""
    import numpy as np

    w = {"tmp": tmp, "run": os.path.join(tmp, "gan_run")}
    w["file"] = os.path.join(tmp, "a_file")
    with open(w["file"], "w") as f:
        f.write("not a folder\n")
    w["folder"] = os.path.join(tmp, "a_folder")
    os.makedirs(w["folder"])
    w["garbage_npz"] = os.path.join(tmp, "garbage.npz")
    with open(w["garbage_npz"], "wb") as f:
        f.write(b"PK\x03\x04 this is no zip")
    w["text_png"] = os.path.join(tmp, "text.png")
    with open(w["text_png"], "w") as f:
        f.write("a text file named .png\n")
    w["image"] = os.path.join(tmp, "image.png")
    w["broken_folder"] = os.path.join(tmp, "broken_images")
    os.makedirs(os.path.join(w["broken_folder"], "a"))
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "png = tf.io.encode_png(np.zeros([32, 32, 3], np.uint8)).numpy()\n"
        "for path in sys.argv[1:]:\n"
        "    open(path, 'wb').write(png)\n"
    )
    good = os.path.join(w["broken_folder"], "a", "good.png")
    # A folder whose one other image is a link to a file moved away.
    w["dangling_folder"] = os.path.join(tmp, "dangling_images")
    os.makedirs(os.path.join(w["dangling_folder"], "a"))
    kept = os.path.join(w["dangling_folder"], "a", "good.png")
    os.symlink(
        os.path.join(tmp, "moved.png"),
        os.path.join(w["dangling_folder"], "a", "moved.png"),
    )
    _python(["-c", script, w["image"], good, kept])
    with open(os.path.join(w["broken_folder"], "a", "bad.png"), "wb") as f:
        f.write(np.zeros(10, np.uint8).tobytes())
    made = _python(
        ["-m", "nda_tf.experiments.gan", *TINY_GAN, f"--logdir={w['run']}"]
    )
    if made.returncode:
        sys.exit(f"could not make the GAN run: {made.stderr[-2000:]}")
    w["served"] = os.path.join(tmp, "served")
    os.makedirs(os.path.join(w["served"], "nda_ood", "1"))
    return w


def _python(args):
    # As a new user runs them: no TensorFlow log level of one's own.
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


class _Done:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _in_process(command, argv):
    """Runs the command's module as `__main__` here; returns what a
    subprocess would: exit status, stdout and stderr (file descriptors)."""
    import runpy
    import traceback

    from nda_tf.experiments import cli

    prog = f"nda_tf.experiments.{command}"
    saved_argv = sys.argv
    sys.argv = [prog, *argv]
    captured = [tempfile.TemporaryFile() for _ in range(2)]
    saved = [os.dup(1), os.dup(2)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(captured[0].fileno(), 1)
    os.dup2(captured[1].fileno(), 2)
    code = 0
    try:
        runpy.run_module(prog, run_name="__main__")
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)  # as the interpreter does
            code = 1
        else:
            code = stop.code or 0
    except BaseException:  # what would end the process with a traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        sys.argv = saved_argv
        # The next command defines its own flags.
        for flag in cli.FLAGS.get_flags_for_module(prog):
            delattr(cli.FLAGS, flag.name)
        cli.FLAGS.unparse_flags()
    texts = []
    for file in captured:
        file.seek(0)
        texts.append(file.read().decode("utf-8", "replace"))
        file.close()
    return _Done(code, *texts)


def _snapshot(root):
    """{path: (size, mtime)} of the files under `root`, {path: None} of
    its folders: a file made and removed again (a lock) leaves nothing."""
    found = {}
    for folder, dirs, files in os.walk(root):
        found.update((os.path.join(folder, name), None) for name in dirs)
        for name in files:
            path = os.path.join(folder, name)
            status = os.lstat(path)
            found[path] = (status.st_size, status.st_mtime_ns)
    return found


def _changes(before, after):
    """The paths a case created, changed or removed."""
    return sorted(
        p for p in set(before) | set(after) if before.get(p) != after.get(p)
    )


def _remove_new(paths, before):
    """Removes what a case created, so the next case starts alike."""
    for path in reversed(paths):
        if path in before or not os.path.lexists(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)


def judge(command, done):
    """`(ok, why)`: a non-zero exit with one line `PROG: error: ...`."""
    prog = f"nda_tf.experiments.{command}"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode == 0:
        return False, "exit status 0"
    if "Traceback" in done.stderr or "Traceback" in done.stdout:
        return False, "traceback"
    if command == "score" and len(lines) == 1 and done.stdout.strip():
        # Per-file errors: one line per file, then the count.
        per_file = all("\terror: " in x for x in done.stdout.splitlines())
        return per_file, "one line per file" if per_file else "bad lines"
    if len(lines) != 1:
        return False, f"{len(lines)} lines on stderr"
    if not lines[0].startswith(f"{prog}: error: "):
        return False, "not a PROG: error: line"
    return True, "one line"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="commands, comma-separated")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument(
        "--subprocess", action="store_true", help="a fresh process per case"
    )
    parser.add_argument(
        "--match", default="", help="texts of the cases' arguments, any of"
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    texts = list(filter(None, args.match.split(",")))
    sys.path.insert(0, ROOT)  # this tree's nda_tf, in process too
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        w = workspace(tmp)
        todo = [
            (command, argv)
            for command, argv in cases(w)
            if (not only or command in only)
            and (not texts or any(t in " ".join(argv) for t in texts))
        ]
        before = _snapshot(tmp)
        for command, argv in todo:
            if args.subprocess:
                done = _python(["-m", f"nda_tf.experiments.{command}", *argv])
            else:
                done = _in_process(command, argv)
            ok, why = judge(command, done)
            written = _changes(before, _snapshot(tmp))
            if written:
                ok, why = (
                    False,
                    "wrote "
                    + ", ".join(p.replace(tmp, "$TMP") for p in written[:3]),
                )
                _remove_new(written, before)
            before = _snapshot(tmp)
            shown = " ".join(a.replace(tmp, "$TMP") for a in argv)
            answer = (done.stderr.strip().splitlines() or [""])[-1]
            results.append(
                {
                    "command": command,
                    "args": shown,
                    "ok": ok,
                    "why": why,
                    "exit": done.returncode,
                    "answer": answer.replace(tmp, "$TMP")[:300],
                }
            )
            mark = "ok  " if ok else "FAIL"
            print(f"{mark} {command} {shown}: {results[-1]['answer']}")
            if not ok:
                print(f"     ({why}) stderr tail:")
                for line in done.stderr.strip().splitlines()[-6:]:
                    print(f"     | {line.replace(tmp, '$TMP')[:300]}")
            sys.stdout.flush()
    passed = sum(r["ok"] for r in results)
    minutes = (time.monotonic() - started) / 60
    print(
        f"\n{passed} of {len(results)} bad values gave a one-line error "
        f"({len({r['command'] for r in results})} commands, {minutes:.1f} "
        f"min, {'subprocesses' if args.subprocess else 'in one process'})"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
