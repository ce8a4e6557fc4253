#!/usr/bin/env bash
# How results/parity was made: three seeds of the default parity recipe, one after another on two CPU threads
# (so train_seconds are two-core timings), the per-step view at n = 40 for each seed, the committed model (the
# seed with the best oracle accuracy at n = 35 on validation examples of its own), and the checks of that
# model on sparse and dense inputs and of what it computes.
# The baselines (one seed each) were trained earlier, with the width-64 recipe of the time (d_model 64,
# 16 heads; configs/parity.yaml before it moved to width 128), one CPU thread each, two runs side by side:
#   looped reproduce --tasks parity --methods looped-no-injection,ntp,ntp-looped,fap-pause,ntp-pause --seeds 1 \
#     --threads 1 --progress false
set -euo pipefail
runs=runs/reproduce-d128
looped reproduce --tasks parity --methods looped --seeds 3 --samples 1000 --threads 2 --out results --runs $runs \
  --progress false
for seed in 0 1 2; do
  looped eval --checkpoint $runs/parity/looped/seed$seed --lengths 40 --samples 1000 --profile 40 --threads 2 \
    --out results/parity/steps/seed$seed
done
# Model selection on validation examples of their own (seed 777) at n = 35, not on the reported n = 40.
for seed in 0 1 2; do
  looped eval --checkpoint $runs/parity/looped/seed$seed --lengths 35 --stopping oracle --samples 1000 \
    --seed 777 --threads 2 --out $runs/parity/looped/seed$seed/select
done
best=$(python - "$runs" <<'PY'
import json, sys
path = sys.argv[1] + "/parity/looped/seed{}/select/accuracy.json"
scores = {s: json.load(open(path.format(s)))["rules"]["oracle"]["accuracy"][0] for s in range(3)}
print(max(scores, key=scores.get))
PY
)
rm -rf results/parity/model && cp -r $runs/parity/looped/seed$best/best results/parity/model
echo "committed model: seed $best"
python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
  --out results/parity/by_ones.json
python experiments/parity_phase.py --checkpoint results/parity/model --lengths 20,40 \
  --out results/parity/experiments/phase.json
# The same probe on the width-64 model committed before (seed 2 of the width-64 recipe), kept for comparison.
python experiments/parity_phase.py --checkpoint results/parity/experiments/width64-model --lengths 20,40 \
  --out results/parity/experiments/phase_width64.json
