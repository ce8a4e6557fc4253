#!/usr/bin/env bash
# How results/parity was made: three seeds of the default parity recipe, one after another on two CPU threads
# (so train_seconds are two-core timings), the per-step view at n = 40 for each seed, the committed model (the
# seed with the best oracle accuracy at n = 35 on validation examples of its own; experiments/task_results.sh),
# and the checks of that model on sparse and dense inputs and of what it computes.
# looped-no-injection (one seed) was trained earlier, with the width-64 recipe of the time (d_model 64,
# 16 heads; configs/parity.yaml before it moved to width 128), one CPU thread, two runs side by side:
#   looped reproduce --tasks parity --methods looped-no-injection,ntp,ntp-looped,fap-pause,ntp-pause --seeds 1 \
#     --samples 1000 --out results --runs runs/reproduce
# (its other runs have since been replaced by the fixed-depth baselines below, on the current recipe).
set -euo pipefail
bash experiments/task_results.sh parity runs/reproduce-d128 2 40 35
# The fixed-depth baselines, one seed each, one thread, beside one or two other jobs.
looped reproduce --tasks parity --methods ntp,ntp-pause,ntp-looped,fap-pause --seeds 1 --samples 1000 --threads 1 \
  --progress false --out results --runs runs/reproduce-d128
python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
  --out results/parity/by_ones.json
python experiments/parity_phase.py --checkpoint results/parity/model --lengths 20,40 \
  --out results/parity/experiments/phase.json
# The same probe on the width-64 model committed before (seed 2 of the width-64 recipe), kept for comparison.
python experiments/parity_phase.py --checkpoint results/parity/experiments/width64-model --lengths 20,40 \
  --out results/parity/experiments/phase_width64.json
