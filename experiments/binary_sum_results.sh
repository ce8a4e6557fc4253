#!/usr/bin/env bash
# How results/binary_sum was made. The three looped seeds were trained ahead of `looped reproduce`, on one CPU
# thread each, two or three jobs at a time on a two-core machine (so their train_seconds are not two-core
# timings), each with
#   looped train --config configs/binary_sum.yaml --seed S --out runs/reproduce/binary_sum/looped/seedS --threads 1
# (seed 0 was trained under runs/x-bsum and moved there). `looped reproduce` checks that each run directory's
# saved config is the recipe's, then evaluates it; seed 0 was evaluated first, while seeds 1 and 2 trained:
#   looped reproduce --tasks binary_sum --methods looped --seeds 1 --samples 1000 --threads 1 --out results \
#     --runs runs/reproduce --progress false
set -euo pipefail
bash experiments/task_results.sh binary_sum runs/reproduce 2 30 25
