#!/usr/bin/env bash
# How the looped multiplication rows of results/RESULTS.md and the committed model were made: three seeds of
# configs/multiplication.yaml, one thread each, two processes on a two-core machine (so train_seconds are not
# two-core timings). They trained while the recipe file still held addition's settings, so copy's settings came
# as an override, which the recipe now holds (the result files record the command as run). Seed 0 was trained
# first by `looped train` with the same settings (results/multiplication/README.md, "Copy's recipe, seed 0"),
# copied into the runs folder and only evaluated here; seeds 1 and 2 trained here, side by side.
set -euo pipefail
runs=runs/reproduce-mult-copy lengths=1,4,8,11,13,16,22
override='{"train": {"lr": 0.001, "warmup_steps": 500, "lr_stall_steps": 1000, "ema_decay": 0.99, "ema_steers_curriculum": true, "decay_steps": 4000, "max_steps": 14000, "eval_every": 1000}}'
for seed in 0 1 2; do
  looped reproduce --tasks multiplication --methods looped --seeds 1 --first_seed $seed --samples 1000 \
    --out "runs/mult-copy-results-s$seed" --runs $runs --lengths $lengths --override "$override" --threads 1 \
    --progress false &
done
wait
# The result files replace the rows of addition's settings (kept in results/multiplication/experiments/
# addition-recipe/), and the table and plots are rewritten from the result files.
for seed in 0 1 2; do
  cp "runs/mult-copy-results-s$seed/multiplication/looped/seed$seed.json" results/multiplication/looped/
done
looped table --out results
# The committed model: the seed whose best checkpoint scored highest on its own validation examples at n = 16
# (summary.json's best_score, 256 examples, oracle stopping), never on the reported examples.
best=$(python - $runs/multiplication/looped <<'PY'
import json, sys
scores = {s: json.load(open(f"{sys.argv[1]}/seed{s}/summary.json"))["best_score"] for s in range(3)}
print(max(scores, key=scores.get))
PY
)
rm -rf results/multiplication/model && cp -r "$runs/multiplication/looped/seed$best/best" results/multiplication/model
echo "committed model: seed $best"
