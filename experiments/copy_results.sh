#!/usr/bin/env bash
# How results/copy was made: three seeds of the copy recipe (token shift, supervision at T(n) .. T(n)+4, the
# unsure term), the per-step view at n = 30 for each looped seed and the committed model (the seed with the best
# oracle accuracy at n = 25 on validation examples of its own; experiments/task_results.sh), then one baseline
# seed per method. Every run has one thread and one or two other runs beside it, so train_seconds are
# one-thread timings on a shared machine.
# The previous recipe's results and model (no shift, no fixed point) are under
# results/copy/experiments/previous-recipe/, and what led from it to this one in results/copy/experiments/README.md.
set -euo pipefail
runs=runs/reproduce-copy-shift
for seed in 0 1 2; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 --threads 1 \
    --progress false --out results --runs $runs &
done
wait
bash experiments/task_results.sh copy $runs 1 30 25  # the seeds are done: this adds the views and the model
looped reproduce --tasks copy --methods ntp,ntp-pause,ntp-looped,fap-pause,looped-no-injection --seeds 1 \
  --samples 1000 --threads 1 --progress false --out results --runs $runs
