#!/usr/bin/env bash
# `hackcoach search --batch` over 10,000 queries, start-up included, against the same
# command on one query (start-up alone) in the same run. Uses the release binary.
# Usage: scripts/bench-search-batch.sh [RUNS]   (hyperfine is used when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked --quiet
bin=target/release/hackcoach
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 10,000 queries: the eval phrasings, each also with a typo and a challenge scope added,
# cycled; every line differs so no result could be cached between lines.
grep -hv '^#' tests/data/queries.tsv tests/data/more_queries.tsv | cut -f1 > "$work/base.txt"
awk 'BEGIN{srand(7)} {q[NR]=$0} END{for(i=0;i<10000;i++){s=q[i%NR+1]; n=length(s); p=int(rand()*n)+1;
  v=(i%3==0)? substr(s,1,p-1) substr(s,p+1) : (i%3==1)? "challenge " (i%8+1) " " s : s " " i; print v}}' \
  "$work/base.txt" > "$work/queries.txt"
head -1 "$work/queries.txt" > "$work/one.txt"
wc -l < "$work/queries.txt" | xargs echo "queries:"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$runs" -N \
    "$bin search --batch $work/one.txt" \
    "$bin search --batch $work/queries.txt"
else
  for file in one.txt queries.txt; do
    best=999999
    for _ in $(seq "$runs"); do
      start=$(date +%s%N)
      "$bin" search --batch "$work/$file" > /dev/null
      took=$(( ($(date +%s%N) - start) / 1000000 ))
      (( took < best )) && best=$took
    done
    echo "search --batch $file: best of $runs = ${best} ms"
  done
fi
