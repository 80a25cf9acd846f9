#!/usr/bin/env bash
# The ttH multilepton fit: ten CMS HIG-19-008-style signatures. Fit μ_ttH (ttH split by Higgs decay,
# all scaled together; tH and the backgrounds fixed) on the SM pseudo-data and on the Asimov
# dataset, with multiSignalModel as Combine users write it, and scan it.
# Usage: Examples/tth-multilepton.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; OUT=${3:-example-output/tth}
mkdir -p "$OUT"
CARD="$(cd "$(dirname "$0")/.." && pwd)/Datacards/tth-multilepton/tth.txt"
MODEL=(--physics-model multiSignalModel --PO 'map=.*/ttH_.*:r_ttH[1,-5,10]')
"$BIN" fit "$CARD" "${MODEL[@]}" --algo singles --json "$OUT/fit.json"          # SM pseudo-data
"$BIN" fit "$CARD" "${MODEL[@]}" --algo singles -t -1 --setParameters r_ttH=1   # Asimov, r_ttH = 1
"$BIN" scan "$CARD" "${MODEL[@]}" --setParameterRanges r_ttH=0,2 --points 40 --csv "$OUT/scan.csv" --plot "$OUT/scan.png"
