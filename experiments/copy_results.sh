#!/usr/bin/env bash
# How the copy rows of results/RESULTS.md were made, on a two-core machine, one thread per process (so
# train_seconds are not two-core timings).
# 1. The three seeds of configs/copy.yaml, trained before the file chose checkpoints on per-example confidence,
#    with that given as an override (the result files record that command and the config it trained; reproduce
#    checks the config against the recipe before it skips a finished run). Seeds 0 and 1 ran beside each other,
#    were interrupted at steps 6,772 and 6,611 to end a session and resumed by the same commands beside seed 2.
set -euo pipefail
runs=runs/reproduce-copy-valpe lengths=1,5,10,15,20,25,30,40
override='{"train": {"val_stopping": ["confidence-per-example"]}}'
for seed in 0 1 2; do
  looped reproduce --tasks copy --methods looped --seeds 1 --first_seed $seed --samples 1000 \
    --out "runs/copy-valpe-results-s$seed" --runs $runs --lengths $lengths --override "$override" --threads 1 \
    --progress false &
done
wait
# 2. The looped rows move into results/ (those of the same runs with checkpoints chosen on oracle accuracy are
#    kept under results/copy/experiments/ema-gate-s{0,1,2}/result.json, the recipe's rows without the weight
#    average under results/copy/experiments/no-average/), the best seed's checkpoint (seed 1, the same weights
#    as before) is the committed model, and the table and plots are rewritten from the result files.
for seed in 0 1 2; do cp "runs/copy-valpe-results-s$seed/copy/looped/seed$seed.json" results/copy/looped/; done
cp $runs/copy/looped/seed1/best/{config.json,model.safetensors} results/copy/model/
looped table --out results
