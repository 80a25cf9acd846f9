#!/usr/bin/env bash
# An EFT scan of a toy H->4l card whose signals are STXS processes, with the real CMS STXStoSMEFT
# parametrisation (production x decay ZZ / total width, quadratic): fit c_HG on the Asimov dataset,
# scan it (its two minima give a two-piece interval), and draw the c_HG - c_H□ plane with the
# others fixed at the SM.
# Usage: Examples/eft-scan-h4l-toy.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; SHARED=${2:-../shared}; OUT=${3:-example-output/eft-h4l-toy}
mkdir -p "$OUT"
STXS="$SHARED/spec/eft-data/stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01"
CARD="$(dirname "$0")/eft-h4l-toy.txt"
# chg has exponent 3 in pois.yaml: the POI is chgXE3 = 1000 c_HG.
"$BIN" fit "$CARD" --physics-model eft --eft "$STXS" -P chgXE3 --setParameterRanges chgXE3=-200,60 --algo singles -t -1 --expectSignal 1
"$BIN" scan "$CARD" --physics-model eft --eft "$STXS" -P chgXE3 --setParameterRanges chgXE3=-200,60 --points 60 -t -1 --expectSignal 1 \
  --csv "$OUT/chg.csv" --plot "$OUT/chg.png"
"$BIN" scan "$CARD" --physics-model eft --eft "$STXS" -P chgXE3 -P chbox --setParameterRanges chgXE3=-30,30:chbox=-10,10 \
  --points 400 -t -1 --expectSignal 1 --csv "$OUT/chg_chbox.csv"
"$BIN" plot contour "$OUT/chg_chbox.csv" --contours "$OUT/chg_chbox_contours.json" -o "$OUT/chg_chbox.png"
