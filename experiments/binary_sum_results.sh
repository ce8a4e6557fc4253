#!/usr/bin/env bash
# How results/binary_sum was made, in the order it was run on a two-core machine.
# 1. Three seeds of configs/binary_sum.yaml, trained ahead of `looped reproduce` on one CPU thread each, two or
#    three jobs at a time (so their train_seconds are not two-core timings). Seed 0 was trained before the
#    recipe file existed, with the same settings given as flags, under runs/x-bsum, then moved to $runs/seed0;
#    reproduce checks that each run directory's saved config is the recipe's before it reports it.
set -euo pipefail
runs=runs/reproduce/binary_sum/looped
for seed in 0 1 2; do
  looped train --config configs/binary_sum.yaml --seed $seed --out $runs/seed$seed --threads 1 --progress false
done
# 2. Accuracy against length, one seed at a time as each finished training (the JSON of each seed records the
#    invocation that wrote it).
looped reproduce --tasks binary_sum --methods looped --seeds 1 --samples 1000 --threads 1 --out results \
  --runs runs/reproduce --progress false
looped reproduce --tasks binary_sum --methods looped --seeds 2 --samples 1000 --threads 1 --out results \
  --runs runs/reproduce --progress false
looped reproduce --tasks binary_sum --methods looped --seeds 3 --samples 1000 --threads 2 --out results \
  --runs runs/reproduce --progress false
# 3. The per-step view at n = 30, and model selection on validation examples of their own (seed 777) at n = 25.
for seed in 0 1 2; do
  looped eval --checkpoint $runs/seed$seed --lengths 30 --samples 1000 --profile 30 --threads 1 \
    --out results/binary_sum/steps/seed$seed --progress false
  looped eval --checkpoint $runs/seed$seed --lengths 25 --stopping oracle --samples 1000 --seed 777 \
    --threads 1 --out $runs/seed$seed/select --progress false
done
# Oracle accuracy at n = 25 on those examples: seed 0 0.999, seed 1 0.993, seed 2 0.967; seed 0 is committed.
rm -rf results/binary_sum/model && cp -r $runs/seed0/best results/binary_sum/model
# 4. Baselines, one seed each, capped at 1,500 steps (the looped seeds ran 5,075-5,875), one thread each, two at
#    a time.
for method in ntp fap-pause ntp-pause ntp-looped; do
  looped reproduce --tasks binary_sum --methods $method --seeds 1 --max_steps 1500 --samples 1000 --threads 1 \
    --out results --runs runs/reproduce --progress false
done
# 5. The looped model without input injection, one seed, uncapped, one thread beside other jobs.
looped reproduce --tasks binary_sum --methods looped-no-injection --seeds 1 --samples 1000 --threads 1 --out results \
  --runs runs/reproduce --progress false
