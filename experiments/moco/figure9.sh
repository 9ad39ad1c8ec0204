#!/usr/bin/env bash
# Figure 9: cosine distance between the representations of CIFAR-10 test
# images and of their jigsaw versions, MoCo-v2 vs jigsaw NDA. Needs the
# runs of cifar10.sh (moco_c10_none and moco_c10_jigsaw; any finished or
# partly trained checkpoints). Writes figure9.png and figure9.json to RUNS.
# Expected: the NDA run's distances are larger. Minutes on a CPU.
set -euo pipefail
RUNS=${RUNS:-runs}
python -m nda_tf.experiments.nda_distance \
  --logdirs="${RUNS}/moco_c10_none,${RUNS}/moco_c10_jigsaw" \
  --labels=MoCo-v2,NDA-jigsaw --nda=jigsaw --num_images=1000 \
  --out="${RUNS}/figure9.png" "$@"
