#!/usr/bin/env bash
# How results/parity was made: three seeds of the parity recipe (token shift, supervision at T(n) .. T(n)+4, the
# unsure term), one baseline seed per method, the per-step view at n = 40 for each looped seed, the committed
# model (the seed with the best oracle accuracy at n = 35 on validation examples of its own;
# experiments/task_results.sh), and its check on sparse and dense inputs. Every run has one thread and one other
# run beside it, so train_seconds are one-thread timings on a shared machine.
# Earlier recipes' results are under results/parity/experiments (previous-recipe/, token-shift/); the phase probe
# and by-ones check of the model committed before label smoothing were made with
#   python experiments/parity_phase.py --checkpoint MODEL --lengths 20,40 --out results/parity/experiments/phase.json
#   python experiments/parity_by_ones.py --checkpoint MODEL --lengths 20,30,40 --out OUT
set -euo pipefail
runs=runs/reproduce-unsure
looped_seed() {
  looped reproduce --tasks parity --methods looped --seeds 1 --first_seed "$1" --samples 1000 --threads 1 \
    --progress false --out results --runs "$runs"
}
looped_seed 0 &
looped_seed 1
wait
looped_seed 2 &
looped reproduce --tasks parity --methods ntp-pause,ntp,ntp-looped,fap-pause,looped-no-injection --seeds 1 \
  --samples 1000 --threads 1 --progress false --out results --runs "$runs"
wait
bash experiments/task_results.sh parity "$runs" 1 40 35  # the seeds are done: this adds the views and the model
python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
  --out results/parity/by_ones.json
