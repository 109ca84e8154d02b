#!/usr/bin/env bash
# What age encryption costs the backup chain: ~1 GB of generated data through
# sha256 -> zstd -> [age, 2 recipients] -> sha256, unencrypted and encrypted
# runs interleaved (one process per run, so each peak RSS is its own); wall
# time, CPU time (user + system, including generating the data) and peak RSS
# (VmHWM), min and median, ratio encrypted / unencrypted.
#
#   bash bench/age_chain_1gb.sh [bytes] [rounds]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${DBDUMP_BIN:-$root/build}
BYTES=${1:-1000000000}
ROUNDS=${2:-5}
[ -x "$BIN/age_chain" ] || { echo "build bench/age_chain first: dbuild <tree> age_chain" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$ROUNDS"); do
  # Alternate which goes first, so drift (other load, caches) hits both.
  if [ $((r % 2)) = 1 ]; then order="plain age"; else order="age plain"; fi
  for mode in $order; do "$BIN/age_chain" "$mode" "$BYTES" | tee -a "$out"; done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def stats(mode, col):
    v = [float(r[col]) for r in rows if r[0] == mode]
    return min(v), statistics.median(v)
print(f"runs per mode: {len(rows) // 2}; raw {int(rows[0][2]) / 1e9:.2f} GB, stored "
      f"{int(rows[0][3]) / 1e6:.0f} MB (zstd)")
for name, col, unit in (("wall time", 1, "s"), ("CPU time", 5, "s"), ("peak RSS", 4, "MiB")):
    scale = 1 / 1024 if col == 4 else 1
    pmin, pmed = stats("plain", col)
    amin, amed = stats("age", col)
    print(f"{name}: unencrypted min {pmin * scale:.2f} {unit} median {pmed * scale:.2f} {unit}; "
          f"encrypted min {amin * scale:.2f} {unit} median {amed * scale:.2f} {unit}; "
          f"ratio (median) {amed / pmed:.3f}, difference (median) {(amed - pmed) * scale:+.2f} {unit}")
PY
