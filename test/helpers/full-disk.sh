#!/bin/bash
# Inside a private mount namespace: checkpoints on a 2 MiB tmpfs that fills up once the
# cell's first checkpoint is written. Then space is freed and the same command reruns.
# Usage: full-disk.sh DIR SPEC DB ARGS...
set -u
dir=$1 spec=$2 db=$3; shift 3
mount -t tmpfs -o size=2m tmpfs "$dir" || exit 90
node "$(dirname "$0")/../../bin/simsiam.mjs" run "$spec" --db "$db" --checkpoint-dir "$dir" "$@" > "$db.first.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do ls "$dir"/*.checkpoint.safetensors > /dev/null 2>&1 && break; sleep 0.05; done
dd if=/dev/zero of="$dir/fill" bs=4k > /dev/null 2>&1
wait $pid
echo "first exit $?" >> "$db.first.log"
cp "$dir"/*.checkpoint.safetensors "$db.kept-checkpoint" 2>/dev/null
rm -f "$dir/fill"
node "$(dirname "$0")/../../bin/simsiam.mjs" run "$spec" --db "$db" --checkpoint-dir "$dir" "$@" > "$db.second.log" 2>&1
echo "second exit $?" >> "$db.second.log"
