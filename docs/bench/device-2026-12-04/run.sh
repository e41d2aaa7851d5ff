#!/bin/bash
# Thread scaling of proving on the 16-core device (issue 25 item 3).
B=$PWD/.devrun/bulkhead
export BULKHEAD_PARAMS_DIR=/tmp/params
L=$OUT/log.txt
{ nproc; lscpu | grep -E "Model name|^CPU\(s\)|Thread|Core|Socket|MHz|L3"; free -g; } > $OUT/machine.txt 2>&1
for t in 1 2 4 8 16; do
  r=3; [ $t = 1 ] && r=2
  echo "== N=32 C=2 threads=$t runs=$r $(date +%T)" | tee -a $L
  $B bench --depths 20 --batches 32 --chips 2 --threads $t --runs $r --json > $OUT/n32_t$t.json 2>>$L
  cat $OUT/n32_t$t.json >> $L
done
echo "== relay 16 threads $(date +%T)" | tee -a $L
$B bench relay --exits 512 --threads 16 --in-flight 16 --json > $OUT/relay16.json 2>>$L; cat $OUT/relay16.json >> $L
echo "== N=64 C=4 threads=16,1 $(date +%T)" | tee -a $L
$B bench --depths 20 --batches 64 --chips 4 --threads 16,4 --runs 2 --json > $OUT/n64.json 2>>$L; cat $OUT/n64.json >> $L
echo "== done $(date +%T)" | tee -a $L
