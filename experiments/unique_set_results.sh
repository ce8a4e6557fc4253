#!/usr/bin/env bash
# How the looped unique set row of results/RESULTS.md and the committed model were made: one seed of
# configs/unique_set.yaml, one thread beside two other jobs (so train_seconds is not a two-core timing).
set -euo pipefail
out=runs/uset-results runs=runs/reproduce-uset-recipe
looped reproduce --tasks unique_set --methods looped --seeds 1 --samples 1000 --out $out --runs $runs \
  --lengths 1,5,10,15,20,25,30,40 --threads 1 --progress false
# The row of the earlier recipe (12,000 steps capped at 6,000, a 2,000-step decay, no rate cuts) moves under
# experiments/; the new result file replaces it, and the table and plots are rewritten from the result files.
mkdir -p results/unique_set/experiments/capped-6000
git mv results/unique_set/looped/seed0.json results/unique_set/experiments/capped-6000/
cp $out/unique_set/looped/seed0.json results/unique_set/looped/
looped table --out results
# Its best checkpoint (every validation score at n = 30 is 0.0, so the latest, step 14,000) is the model.
cp -r $runs/unique_set/looped/seed0/best results/unique_set/model
