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
# Since configs/parity.yaml took adam_beta2: 0.95, the looped rows of the table come from
#   looped reproduce --tasks parity --methods looped --seeds 3 --samples 1000 --out results --runs runs/reproduce-b095 --threads 2 --progress false
# while the baselines, steps/ and model/ below are still those of the recipe before (AdamW's default 0.999): run
# on the current recipe, `looped reproduce` refuses their result files as another recipe's until they are deleted.
set -euo pipefail
bash experiments/task_results.sh parity runs/reproduce-smooth 2 40 35
# The baselines, one seed each, one thread each; they ran two at a time (the ablation beside other jobs).
looped reproduce --tasks parity --methods looped-no-injection --seeds 1 --samples 1000 --threads 1 --progress false \
  --out results --runs runs/reproduce-smooth
looped reproduce --tasks parity --methods ntp-pause,ntp --seeds 1 --samples 1000 --threads 1 --progress false \
  --out results --runs runs/reproduce-smooth &
looped reproduce --tasks parity --methods ntp-looped,fap-pause --seeds 1 --samples 1000 --threads 1 --progress false \
  --out results --runs runs/reproduce-smooth
wait
python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
  --out results/parity/by_ones.json
