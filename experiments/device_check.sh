#!/usr/bin/env bash
# One prepared run on a lent GPU machine (16 CPU cores + one GPU), all at once:
#  - a parity recipe sweep on the CPU cores, one thread per run (experiments/sweep.py);
#  - the training-throughput benchmark on the GPU (bf16 autocast);
#  - `looped train --task parity --device cuda` (samples/s against the CPU runs made elsewhere).
# Results land in $OUT (a tarball plus logs). Usage: bash experiments/device_check.sh SWEEP_ARGS...
set -uo pipefail
export PYTHONUNBUFFERED=1
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" runs
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1
( python3 benchmarks/bench_train.py --device cuda --steps 40 > "$OUT/bench_cuda.txt" 2>&1
  timeout 150 python3 -m looped.cli train --task parity --device cuda --out runs/parity-cuda --progress false \
    > "$OUT/train_cuda.txt" 2>&1 ) &
timeout "${SWEEP_SECONDS:-470}" python3 experiments/sweep.py "$@" > "$OUT/sweep.txt" 2>&1
wait
tar czf "$OUT/runs.tgz" --exclude='*.safetensors' --exclude='trainer_state.pt' runs
