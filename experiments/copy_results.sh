#!/usr/bin/env bash
# How results/copy was made: three seeds of the copy recipe (token shift, supervision at T(n) .. T(n)+4, the
# unsure term, a restart from fresh weights for a run whose curriculum is incomplete at step 2,000), the per-step
# view at n = 30 for each looped seed and the committed model (the seed with the best oracle accuracy at n = 25
# on validation examples of its own; experiments/task_results.sh), and one baseline seed per method, capped at
# 3,000 steps and without restarts (the looped seeds ran 2,775-2,875 steps after their restarts). Runs had one
# thread each, with up to three other runs beside them on two cores, so train_seconds are one-thread timings on a
# shared machine. The seeds trained with --out runs/copy-restart-results, and their result files were copied to
# results/copy/looped/ (the files record that command). The baselines trained on the recipe before restarts were
# added to it; the override below restores that recipe (their result files record the commands as they were
# run then, without it); the looped model without input injection, trained later, got the override too. The
# recipe without restarts (whose seed 1 did not generalize) is under results/copy/experiments/shift-no-restart/,
# the previous recipe's results and model (no shift, no fixed point) under
# results/copy/experiments/previous-recipe/, and what led from it to this one in results/copy/experiments/README.md.
set -euo pipefail
runs=runs/reproduce-copy-restart
for seed in 0 1 2; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 --threads 1 \
    --progress false --out runs/copy-restart-results --runs $runs --lengths 1,5,10,15,20,25,30,40 &
done
wait
mkdir -p results/copy/looped && cp runs/copy-restart-results/copy/looped/seed*.json results/copy/looped/
baselines=runs/reproduce-copy-shift no_restarts='{"train": {"restart_after": 0}}'
# The baselines: ntp, ntp-pause and ntp-looped one after another, fap-pause beside them. (The result files of the
# first three record a --methods list that also names fap-pause: that invocation found its result already
# written and skipped it.)
looped reproduce --tasks copy --methods ntp,ntp-pause,ntp-looped --seeds 1 --max_steps 3000 --samples 1000 \
  --threads 1 --progress false --out results --runs $baselines --override "$no_restarts" &
looped reproduce --tasks copy --methods fap-pause --seeds 1 --max_steps 3000 --samples 1000 --threads 1 \
  --progress false --out results --runs $baselines --override "$no_restarts" &
wait
looped reproduce --tasks copy --methods looped-no-injection --seeds 1 --max_steps 3000 --samples 1000 --threads 1 \
  --progress false --out results --runs $baselines --override "$no_restarts"
bash experiments/task_results.sh copy $runs 1 30 25  # the seeds are done: this adds the views and the model
