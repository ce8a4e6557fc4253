#!/usr/bin/env bash
# How the copy rows of results/RESULTS.md were made, in the order they were run on a two-core machine, one
# thread per process, two to four processes at a time (so train_seconds are not two-core timings).
# 1. Seeds 0 and 1 of configs/copy.yaml, trained before the file held these settings, with them given as flags
#    (the result files record that command and the config it trained; reproduce checks the config against the
#    recipe before it skips a finished run).
set -euo pipefail
out=runs/copy-longdecay-results runs=runs/reproduce-longdecay lengths=1,5,10,15,20,25,30,40
for seed in 0 1; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 --out $out \
    --runs $runs --lengths $lengths --max_steps 14000 \
    --override '{"train": {"lr_stall_steps": 1000, "decay_steps": 4000}}' --threads 1 --progress false
done
# 2. Seed 2 with the recipe file itself; seeds 0 and 1 are reported as done already.
looped reproduce --tasks copy --methods looped --seeds 3 --samples 1000 --out $out --runs $runs --lengths $lengths \
  --threads 1 --progress false
# 3. The looped rows move into results/ (the rows of the recipe capped at 9,000 steps they replace are kept under
#    results/copy/experiments/capped-9000/), and the table and plots are rewritten from the result files.
mkdir -p results/copy/experiments/capped-9000
git mv results/copy/looped/seed*.json results/copy/experiments/capped-9000/
cp $out/copy/looped/seed*.json results/copy/looped/
looped table --out results
