#!/usr/bin/env bash
# How results/binary_sum was made, in the order it was run on a two-core machine.
# 1. Three seeds of configs/binary_sum.yaml, one thread each beside one or two other jobs (seeds 1 and 2 stopped
#    once with a session's end and resumed by running their command again), so train_seconds are not two-core
#    timings. They trained while the recipe file still held a 1,500-step decay, so the recipe came as an
#    override, which the file now holds (the result files record the command as run; reproduce checks that each
#    file's recorded config is the recipe's before it counts it as done).
set -euo pipefail
runs=runs/reproduce-bsum-ve-d3000
override='{"model": {"token_shift": true}, "train": {"extra_supervised_steps": 4, "unsure_weight": 0.1, "label_smoothing": 0.1, "adam_beta2": 0.95, "decay_steps": 3000, "val_stopping": ["confidence-per-example"], "data_options": {"bit_density": "varied"}, "ema_decay": 0.99}}'
for seed in 0 1 2; do
  looped reproduce --tasks binary_sum --methods looped --seeds 1 --first_seed $seed --samples 1000 \
    --out "runs/bsum-ve-d3000-results-s$seed" --runs $runs --override "$override" --threads 1 --progress false &
done
wait
# 2. The 1,500-step recipe's files (result files, baselines, committed model, per-step views, plot) move to
#    results/binary_sum/experiments/shift-varied-ema/ (the recipe before that one is in previous-recipe/), and
#    the new result files take their place.
previous=results/binary_sum/experiments/shift-varied-ema
for seed in 0 1 2; do
  git mv "results/binary_sum/looped/seed$seed.json" "$previous/seed$seed.json"
done
for entry in ntp ntp-pause ntp-looped fap-pause model steps accuracy.png; do
  git mv "results/binary_sum/$entry" "$previous/$entry"
done
for seed in 0 1 2; do
  cp "runs/bsum-ve-d3000-results-s$seed/binary_sum/looped/seed$seed.json" results/binary_sum/looped/
done
# 3. The four fixed-depth baselines, one seed each, capped at 4,500 steps so that, as for the looped seeds, the
#    rate stays flat until the curriculum completes (or step 1,500), side by side; then the per-step views at
#    n = 30, the committed model (the seed with the best oracle accuracy at n = 25 on validation examples of its
#    own) and the table.
looped reproduce --tasks binary_sum --methods ntp-looped --seeds 1 --max_steps 4500 --samples 1000 --threads 1 \
  --out results --runs $runs --progress false &
looped reproduce --tasks binary_sum --methods ntp,ntp-pause,fap-pause --seeds 1 --max_steps 4500 --samples 1000 \
  --threads 1 --out results --runs $runs --progress false &
bash experiments/task_results.sh binary_sum $runs 1 30 25
wait
looped table --out results
