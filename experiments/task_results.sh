#!/usr/bin/env bash
# Results of the looped model on one task: `looped reproduce` over three seeds, the per-step view of each seed at
# the headline length, and the committed model, results/<task>/model: the seed with the best oracle accuracy on
# validation examples of its own (seed 777) at the selection length, never on the reported examples.
#   bash experiments/task_results.sh TASK RUNS THREADS HEADLINE_LENGTH SELECTION_LENGTH
set -euo pipefail
task=$1 runs=$2 threads=$3 headline=$4 selection=$5
looped reproduce --tasks "$task" --methods looped --seeds 3 --samples 1000 --threads "$threads" --out results \
  --runs "$runs" --progress false
for seed in 0 1 2; do
  run=$runs/$task/looped/seed$seed
  looped eval --checkpoint "$run" --lengths "$headline" --samples 1000 --profile "$headline" --threads "$threads" \
    --out "results/$task/steps/seed$seed"
  looped eval --checkpoint "$run" --lengths "$selection" --stopping oracle --samples 1000 --seed 777 \
    --threads "$threads" --out "$run/select"
done
best=$(python - "$runs/$task/looped" <<'PY'
import json, sys
path = sys.argv[1] + "/seed{}/select/accuracy.json"
scores = {s: json.load(open(path.format(s)))["rules"]["oracle"]["accuracy"][0] for s in range(3)}
print(max(scores, key=scores.get))
PY
)
rm -rf "results/$task/model" && cp -r "$runs/$task/looped/seed$best/best" "results/$task/model"
echo "committed model: seed $best"
