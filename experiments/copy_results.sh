#!/usr/bin/env bash
# How the copy rows of results/RESULTS.md were made, on a two-core machine, one thread per process, at most two
# processes at a time (so train_seconds are not two-core timings).
# 1. The three seeds of configs/copy.yaml, trained before the file held the weight average, with it given as an
#    override (the result files record that command and the config it trained; reproduce checks the config
#    against the recipe before it skips a finished run). Seed 2 was interrupted at step 8,160 to end a session
#    and resumed by the same command.
set -euo pipefail
runs=runs/reproduce-copy-emagate lengths=1,5,10,15,20,25,30,40
override='{"train": {"ema_decay": 0.99, "ema_steers_curriculum": true}}'
out_of() { if [ "$1" = 2 ]; then echo runs/copy-emagate-results; else echo "runs/copy-emagate-results-s$1"; fi; }
for seed in 2 0 1; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 --out "$(out_of $seed)" \
    --runs $runs --lengths $lengths --override "$override" --threads 1 --progress false
done
# 2. The looped rows move into results/ (the rows of the recipe without the average they replace are kept under
#    results/copy/experiments/no-average/), the best seed's checkpoint (seed 1) becomes the committed model,
#    and the table and plots are rewritten from the result files.
mkdir -p results/copy/experiments/no-average
git mv results/copy/looped/seed*.json results/copy/experiments/no-average/
for seed in 0 1 2; do cp "$(out_of $seed)/copy/looped/seed$seed.json" results/copy/looped/; done
cp runs/reproduce-copy-emagate/copy/looped/seed1/best/{config.json,model.safetensors} results/copy/model/
looped table --out results
