#!/usr/bin/env bash
# Times `simsiam run stopgrad` (npm start's command: two `small` cells at once, 10 epochs,
# with the per-epoch kNN and the linear probe) in this checkout and in another one,
# alternating, in one sitting: bash bench/end-to-end.sh OTHER_CHECKOUT [ROUNDS] [BACKEND]
# OTHER_CHECKOUT must have its node_modules (npm ci, or a link to this one's). Each run
# starts from an empty database; the order alternates between rounds (the first run of a
# round meets cold caches); wall seconds per run are printed, then the medians.
set -euo pipefail
other=${1:?usage: bash bench/end-to-end.sh OTHER_CHECKOUT [ROUNDS] [BACKEND]}
rounds=${2:-3}
backend=${3:-native-cpu}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A times
for r in $(seq 1 "$rounds"); do
  order="here other"; [ $((r % 2)) -eq 0 ] && order="other here"
  for side in $order; do
    dir=$here; [ "$side" = other ] && dir=$(cd "$other" && pwd)
    db="$tmp/$side-$r.db"
    start=$(date +%s%N)
    (cd "$dir" && node bin/simsiam.mjs run stopgrad --backend "$backend" --db "$db" >"$tmp/$side-$r.log" 2>&1) ||
      { echo "run failed in $dir:"; tail -5 "$tmp/$side-$r.log"; exit 1; }
    s=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    times[$side]="${times[$side]:-} $s"
    printf 'round %d %-5s %s: %.1f s\n' "$r" "$side" "$dir" "$s"
  done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
h=$(echo "${times[here]}" | med); o=$(echo "${times[other]}" | med)
printf 'median: this checkout %.1f s, the other %.1f s, ratio %.3f\n' "$h" "$o" "$(awk -v h="$h" -v o="$o" 'BEGIN { print h / o }')"
