#!/usr/bin/env bash
# How results/parity was made: three seeds of the default parity recipe and one seed of each baseline (two
# processes side by side, one CPU thread each), the per-step view at n = 40 for each looped seed, and the
# committed model: the looped seed with the best oracle accuracy at n = 35 on validation examples of its own.
set -euo pipefail
looped reproduce --tasks parity --methods looped --seeds 3 --threads 1 --progress false &
looped reproduce --tasks parity --methods looped-no-injection,ntp,ntp-looped,fap-pause,ntp-pause --seeds 1 \
  --threads 1 --progress false &
wait
looped reproduce --tasks parity --methods looped --seeds 3 --progress false  # redraws the table with all runs
for seed in 0 1 2; do
  looped eval --checkpoint runs/reproduce/parity/looped/seed$seed --lengths 40 --samples 1000 --profile 40 \
    --threads 1 --out results/parity/steps/seed$seed
done
# Model selection on validation examples of their own (seed 777) at n = 35, not on the reported n = 40.
for seed in 0 1 2; do
  looped eval --checkpoint runs/reproduce/parity/looped/seed$seed --lengths 35 --stopping oracle --samples 1000 \
    --seed 777 --threads 1 --out runs/reproduce/parity/looped/seed$seed/select
done
best=$(python - <<'PY'
import json
path = "runs/reproduce/parity/looped/seed{}/select/accuracy.json"
scores = {s: json.load(open(path.format(s)))["rules"]["oracle"]["accuracy"][0] for s in range(3)}
print(max(scores, key=scores.get))
PY
)
rm -rf results/parity/model && cp -r runs/reproduce/parity/looped/seed$best/best results/parity/model
echo "committed model: seed $best"
