#!/usr/bin/env bash
# Times the same training steps with infopro-dl4j (`infopro bench step`) and PyTorch (benchmarks/pytorch_step.py)
# and prints the ratios. Needs the tool jar (mvn -B -DskipTests package) and Debian's python3-torch; never run in CI.
# Usage: benchmarks/side_by_side.sh [DEPTH] [INPUT] [BATCH]   (defaults: 20 1x28x28 128; PYTHON=... picks the interpreter)
# ROUNDS (default 3) repeats the four runs (ours and PyTorch's, end to end and InfoPro K = 4, alternating) and ends with
# the median over the rounds of each ratio: the machine's speed drifts over minutes, and a ratio of two runs taken
# side by side is steadier than either time.
# WARMUP and STEPS set the steps left out and the steps timed, on both sides (default: 2000 / DEPTH warm-up steps, at
# least 30, so 100 for ResNet-20 and 30 for ResNet-110; 20 timed). The JVM's JIT compiler compiles a method after
# thousands of calls, and a step calls each layer's code once per layer, so a shallow network needs more steps: after
# 30 steps of ResNet-20 the compiler still ran for 16% of the timed steps' time, after 100 for 2-11% (docs/benchmarks.md,
# "Warm-up"). A training run is thousands of steps, and the steps after that are what a run sees. Each round line
# shows `jit_compile_ms`, the compiler's time during our timed steps, to check it.
# Both run on the same C allocator: tcmalloc where it is installed, as the infopro launcher does (PyTorch's CPU
# performance guide recommends it too); INFOPRO_MALLOC=glibc runs both on glibc's malloc.
# Each side keeps its own thread settings: the infopro tool sets GOMP_SPINCOUNT=1000 and OPENBLAS_THREAD_TIMEOUT=4
# itself (backend.IdleNativeThreads), PyTorch runs on its defaults; such variables set in the environment reach both.
set -euo pipefail
cd "$(dirname "$0")/.."
depth=${1:-20}; input=${2:-1x28x28}; batch=${3:-128}; warmup=${WARMUP:-$(( 2000 / depth > 30 ? 2000 / depth : 30 ))}; steps=${STEPS:-20}
py=${PYTHON:-/usr/bin/python3}   # Debian's interpreter, where python3-torch installs
jar=examples/target/infopro.jar
[ -f "$jar" ] || { echo "build the tool first: mvn -B -DskipTests package" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "needs PyTorch: apt-get install -y python3-torch" >&2; exit 2; }
. scripts/tcmalloc.sh
preload=$(tcmalloc_library)
echo "allocator: ${preload:-glibc malloc}"
echo "warm-up steps: $warmup, timed steps: $steps"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
rounds=${ROUNDS:-3}
results=$(mktemp); trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
for mk in "e2e 1" "infopro-contrast 4"; do
  set -- $mk
  ours=$(LD_PRELOAD=$preload java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$jar" bench step --arch "resnet$depth" \
         --input "$input" --batch "$batch" --method "$1" --k "$2" --steps "$steps" --warmup "$warmup" --json 2>/dev/null | grep '^{')
  torch=$(LD_PRELOAD=$preload "$py" benchmarks/pytorch_step.py --depth "$depth" --input "$input" --batch "$batch" --method "$1" \
          --k "$2" --steps "$steps" --warmup "$warmup")
  echo "{\"round\": $round, \"ours\": $ours, \"torch\": $torch}" >> "$results"
  python3 - "$ours" "$torch" "$round" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"round {sys.argv[3]}: {o['arch']} {o['input']} batch {o['batch']} {o['method']} K={o['k']}: infopro-dl4j median"
      f" {o['median_step_ms']} ms (min {o['min_step_ms']}), {t['framework']} median {t['median_step_ms']} ms"
      f" (min {t['min_step_ms']}), ratio {o['median_step_ms'] / t['median_step_ms']:.2f}x"
      f" (min {o['min_step_ms'] / t['min_step_ms']:.2f}x); JIT compiling {o['jit_compile_ms']} ms during our timed steps;"
      f" whole-process peak RSS {o['peak_rss_mib']} MiB vs"
      f" {t['peak_rss_mib']} MiB")
PY
done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def per_round(method):
    return {r['round']: r for r in rows if r['ours']['method'] == method}
e2e, k4 = per_round('e2e'), per_round('infopro-contrast')
def fmt(xs):
    return ' '.join(f'{x:.2f}' for x in xs) + f' -> median {statistics.median(xs):.2f}x'
rounds = sorted(e2e)
ms = lambda r, side: r[side]['median_step_ms']
print(f"over {len(rounds)} rounds (ratios of medians, per round):")
print('  end to end, ours / PyTorch:       ' + fmt([ms(e2e[i], 'ours') / ms(e2e[i], 'torch') for i in rounds]))
print('  InfoPro K = 4, ours / PyTorch:    ' + fmt([ms(k4[i], 'ours') / ms(k4[i], 'torch') for i in rounds]))
print('  ours, K = 4 / end to end:         ' + fmt([ms(k4[i], 'ours') / ms(e2e[i], 'ours') for i in rounds]))
print('  PyTorch, K = 4 / end to end:      ' + fmt([ms(k4[i], 'torch') / ms(e2e[i], 'torch') for i in rounds]))
PY
