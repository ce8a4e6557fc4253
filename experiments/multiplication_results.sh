#!/usr/bin/env bash
# How the looped multiplication rows of results/RESULTS.md and the committed model were made: three seeds of
# configs/multiplication.yaml in full (at most 12,000 steps), one thread each, two or three processes on a two-core
# machine (so train_seconds are not two-core timings). Seed 0 was interrupted at step 4,432 to end a session
# and resumed by the same command; seeds 1 and 2 ran beside it.
set -euo pipefail
runs=runs/reproduce-mult-full lengths=1,4,8,11,13,16,22
out() { echo "runs/mult-full-results$([ "$1" = 0 ] || echo "-s$1")"; }  # seed 0's folder has no suffix
for seed in 0 1 2; do
  looped reproduce --tasks multiplication --methods looped --seeds 1 --first_seed $seed --samples 1000 \
    --out "$(out $seed)" --runs $runs --lengths $lengths --threads 1 --progress false &
done
wait
# The result files replace the row cut to 5,000 steps (whose rerun is kept in experiments/rerun-s0/), and the
# table and plots are rewritten from the result files.
for seed in 0 1 2; do
  cp "$(out $seed)/multiplication/looped/seed$seed.json" results/multiplication/looped/
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
