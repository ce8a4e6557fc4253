#!/usr/bin/env bash
# How results/parity was made: three seeds of the default parity recipe (with label smoothing), one after another
# on two CPU threads, alone (so train_seconds are two-core timings), the per-step view at n = 40 for each seed,
# the committed model (the seed with the best oracle accuracy at n = 35 on validation examples of its own;
# experiments/task_results.sh), and its check on sparse and dense inputs.
# The model committed before label smoothing is results/parity/experiments/unsmoothed-model; the phase probe and
# the by-ones check of it (results/parity/experiments/phase.json, by_ones_unsmoothed.json) were made with
#   python experiments/parity_phase.py --checkpoint MODEL --lengths 20,40 --out results/parity/experiments/phase.json
#   python experiments/parity_by_ones.py --checkpoint MODEL --lengths 20,30,40 --out OUT
# and the same probe on the width-64 model committed before that:
#   python experiments/parity_phase.py --checkpoint results/parity/experiments/width64-model --lengths 20,40 \
#     --out results/parity/experiments/phase_width64.json
set -euo pipefail
bash experiments/task_results.sh parity runs/reproduce-d1500 2 40 35
# The baselines, one seed each, one thread each, in two streams side by side (so their times are not alone).
looped reproduce --tasks parity --methods looped-no-injection --seeds 1 --samples 1000 --threads 1 --progress false \
  --out results --runs runs/reproduce-d1500 &
looped reproduce --tasks parity --methods ntp-pause,ntp,ntp-looped,fap-pause --seeds 1 --samples 1000 --threads 1 \
  --progress false --out results --runs runs/reproduce-d1500
wait
python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
  --out results/parity/by_ones.json
