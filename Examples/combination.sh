#!/usr/bin/env bash
# The combination: H->4l and ttH multilepton merged with combine-cards (shared nuisances such as
# luminosity per year, lepton efficiencies and ttH theory correlate by name), then an EFT fit of c_HG and
# c_tG with the CMS STXStoSMEFT parametrisation: per channel and combined, the others fixed at 0.
# Usage: Examples/combination.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; OUT=${3:-example-output/combination}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
cd "$(dirname "$0")/../Datacards"
"$BIN" combine-cards hzz4l=hzz4l/hzz4l.txt tth=tth-multilepton/tth.txt -o "$OUT/combination.txt"
# The combined EFT file names the renamed channels (hzz4l_<bin>, tth_<bin>).
"$BIN" fit "$OUT/combination.txt" --physics-model eft --eft combination_eft.json -P chgXE3 -P ctgreXE1 --algo singles
for ch in hzz4l:hzz4l/hzz4l.txt:hzz4l/hzz4l_eft.json tth:tth-multilepton/tth.txt:tth-multilepton/tth_eft.json \
          combined:"$OUT/combination.txt":combination_eft.json; do
  IFS=: read -r name card eft <<< "$ch"
  "$BIN" scan "$card" --physics-model eft --eft "$eft" -P ctgreXE1 --setParameterRanges ctgreXE1=-5,5 --points 30 \
    --csv "$OUT/ctg_${name}.csv"
done
"$BIN" plot scan "$OUT/ctg_combined.csv" --main-label Combined --other "$OUT/ctg_hzz4l.csv:H→4ℓ" \
  --other "$OUT/ctg_tth.csv:ttH multilepton" -o "$OUT/ctg.png"
