#!/usr/bin/env bash
# How results/binary_sum was made, in the order it was run on a two-core machine.
# 1. Three seeds of configs/binary_sum.yaml, one thread each, seeds 0 and 1 side by side, seed 2 later (beside
#    one other job, stopped once and resumed on two threads, then on one), so train_seconds are not two-core
#    timings. They trained while the recipe file still held the previous recipe, so the new settings came as an
#    override, which the recipe now holds (the result files record the command as run; reproduce checks that
#    each file's recorded config is the recipe's before it counts it as done).
set -euo pipefail
runs=runs/reproduce-bsum-varied-ema
override='{"model": {"token_shift": true}, "train": {"extra_supervised_steps": 4, "unsure_weight": 0.1, "label_smoothing": 0.1, "adam_beta2": 0.95, "decay_steps": 1500, "val_stopping": ["confidence-per-example"], "data_options": {"bit_density": "varied"}, "ema_decay": 0.99}}'
for seed in 0 1 2; do
  looped reproduce --tasks binary_sum --methods looped --seeds 1 --first_seed $seed --samples 1000 \
    --out "runs/bsum-varied-ema-results-s$seed" --runs $runs --override "$override" --threads 1 --progress false &
done
wait
# 2. The previous recipe's files (no shift, fixed point, unsure term, uniform bits; its baselines too) move to
#    results/binary_sum/experiments/previous-recipe/, and the new result files take their place.
previous=results/binary_sum/experiments/previous-recipe
mkdir -p $previous
for entry in looped ntp ntp-pause ntp-looped fap-pause looped-no-injection model steps accuracy.png; do
  git mv "results/binary_sum/$entry" "$previous/$entry"
done
mkdir -p results/binary_sum/looped
for seed in 0 1 2; do
  cp "runs/bsum-varied-ema-results-s$seed/binary_sum/looped/seed$seed.json" results/binary_sum/looped/
done
# 3. The per-step views at n = 30 and the committed model (the seed with the best oracle accuracy at n = 25 on
#    validation examples of its own), then the baselines on the new recipe, one seed each, capped at 3,000
#    steps (the looped seeds ran 4,950-5,025; the previous recipe's baselines were capped at 1,500, under its
#    2,000-step decay, so their rate fell from the first step), and the table. The command was stopped once,
#    during ntp-looped at step 750, and run again, which resumed it.
bash experiments/task_results.sh binary_sum $runs 1 30 25
looped reproduce --tasks binary_sum --methods ntp,ntp-pause,ntp-looped,fap-pause --seeds 1 --max_steps 3000 \
  --samples 1000 --threads 1 --out results --runs $runs --progress false
