#!/usr/bin/env bash
# How results/copy was made: three seeds of the copy recipe (token shift, supervision at T(n) .. T(n)+4, the
# unsure term), the per-step view at n = 30 for each looped seed and the committed model (the seed with the best
# oracle accuracy at n = 25 on validation examples of its own; experiments/task_results.sh), and one baseline
# seed per method, capped at 3,000 steps (the looped seeds ran 2,775-4,100). Runs had one thread each, with up
# to three other runs beside them on two cores, so train_seconds are one-thread timings on a shared machine.
# The seeds were first started without --lengths (every length 1 .. 40); that evaluation was stopped and the
# finished runs evaluated as below. The looped model without input injection was not run on this recipe.
# The previous recipe's results and model (no shift, no fixed point) are under
# results/copy/experiments/previous-recipe/, and what led from it to this one in results/copy/experiments/README.md.
set -euo pipefail
runs=runs/reproduce-copy-shift
for seed in 0 1 2; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 --threads 1 \
    --progress false --out results --runs $runs --lengths 1,5,10,15,20,25,30,40 &
done
# The baselines: ntp, ntp-pause and ntp-looped one after another, fap-pause beside them. (The result files of the
# first three record a --methods list that also names fap-pause: that invocation found its result already
# written and skipped it.)
looped reproduce --tasks copy --methods ntp,ntp-pause,ntp-looped --seeds 1 --max_steps 3000 --samples 1000 \
  --threads 1 --progress false --out results --runs $runs &
looped reproduce --tasks copy --methods fap-pause --seeds 1 --max_steps 3000 --samples 1000 --threads 1 \
  --progress false --out results --runs $runs &
wait
bash experiments/task_results.sh copy $runs 1 30 25  # the seeds are done: this adds the views and the model
