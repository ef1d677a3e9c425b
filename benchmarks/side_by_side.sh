#!/usr/bin/env bash
# Times the same training steps with infopro-dl4j (`infopro bench step`) and PyTorch (benchmarks/pytorch_step.py)
# and prints the ratios. Needs the tool jar (mvn -B -DskipTests package) and Debian's python3-torch; never run in CI.
# Usage: benchmarks/side_by_side.sh [DEPTH] [INPUT] [BATCH]   (defaults: 20 1x28x28 128; PYTHON=... picks the interpreter)
# WARMUP and STEPS (default 30 and 20) set the steps left out and the steps timed, on both sides: the JVM's JIT compiler
# is still compiling during the first few dozen steps (docs/benchmarks.md), a training run is thousands
# of steps, and the median of the steps after that is what a run sees.
# Both run on the same C allocator: tcmalloc where it is installed, as the infopro launcher does (PyTorch's CPU
# performance guide recommends it too); INFOPRO_MALLOC=glibc runs both on glibc's malloc.
# Each side keeps its own thread settings: the infopro tool sets GOMP_SPINCOUNT=1000 and OPENBLAS_THREAD_TIMEOUT=4
# itself (backend.IdleNativeThreads), PyTorch runs on its defaults; such variables set in the environment reach both.
set -euo pipefail
cd "$(dirname "$0")/.."
depth=${1:-20}; input=${2:-1x28x28}; batch=${3:-128}; warmup=${WARMUP:-30}; steps=${STEPS:-20}
py=${PYTHON:-/usr/bin/python3}   # Debian's interpreter, where python3-torch installs
jar=examples/target/infopro.jar
[ -f "$jar" ] || { echo "build the tool first: mvn -B -DskipTests package" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "needs PyTorch: apt-get install -y python3-torch" >&2; exit 2; }
. scripts/tcmalloc.sh
preload=$(tcmalloc_library)
echo "allocator: ${preload:-glibc malloc}"
echo "warm-up steps: $warmup, timed steps: $steps"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for mk in "e2e 1" "infopro-contrast 4"; do
  set -- $mk
  ours=$(LD_PRELOAD=$preload java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$jar" bench step --arch "resnet$depth" \
         --input "$input" --batch "$batch" --method "$1" --k "$2" --steps "$steps" --warmup "$warmup" --json 2>/dev/null | grep '^{')
  torch=$(LD_PRELOAD=$preload "$py" benchmarks/pytorch_step.py --depth "$depth" --input "$input" --batch "$batch" --method "$1" \
          --k "$2" --steps "$steps" --warmup "$warmup")
  python3 - "$ours" "$torch" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{o['arch']} {o['input']} batch {o['batch']} {o['method']} K={o['k']}: infopro-dl4j median {o['median_step_ms']} ms"
      f" (min {o['min_step_ms']}), {t['framework']} median {t['median_step_ms']} ms (min {t['min_step_ms']}),"
      f" ratio {o['median_step_ms'] / t['median_step_ms']:.2f}x (min {o['min_step_ms'] / t['min_step_ms']:.2f}x);"
      f" whole-process peak RSS {o['peak_rss_mib']} MiB vs {t['peak_rss_mib']} MiB")
PY
done
