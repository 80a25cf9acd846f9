#!/usr/bin/env bash
# The main job of Recombine, end to end, as far as it exists today:
#  1. validate every reference datacard with its ROOT shape files;
#  2. combine the long-exercise cards as combineCards.py does;
#  3. fit the combination (best fit and 68% interval of r) and scan r on 30 points, as in the
#     Combine tutorial, writing Combine-style CSV files.
# Usage: Examples/demo.sh BIN SHARED OUTDIR
set -euo pipefail
BIN=${1:-.build/release/recombine}
SHARED=${2:-../shared}
OUT=${3:-demo-output}
REF="$SHARED/reference/combine"
mkdir -p "$OUT"
if [ ! -d "$REF" ]; then
  echo "demo: $REF not found (the shared reference folder must sit beside the project)" >&2
  exit 1
fi
echo "== 1. validate every reference card (shapes read from ROOT files)"
for card in "$REF"/*/card/*.txt; do
  case "$card" in *longexercise*|*shapeInterp*) mass=200;; *) mass=120;; esac
  name=$(basename "$(dirname "$(dirname "$card")")")/$(basename "$card")
  if "$BIN" validate "$card" -m "$mass" --json > "$OUT/validate-$(basename "$card" .txt).json"; then s=ok; else s=ERRORS; fi
  printf '  %-62s %s\n' "$name" "$s"
done
echo
echo "== 2. combine-cards: long-exercise signal region + ttbar and DY control regions"
D="$REF/longexercise_part3_combined/card"
"$BIN" combine-cards signal_region="$D/datacard_part3.txt" ttbar_cr="$D/datacard_part3_ttbar_cr.txt" \
  DY_cr="$D/datacard_part3_DY_cr.txt" -o "$OUT/part3_combined.txt"
# The tutorial then appends its rateParams:
cat >> "$OUT/part3_combined.txt" <<'CARD'
rate_ttbar rateParam * ttbar 1.0 [0,5]
rate_Zll rateParam * Ztautau 1.0 [0,5]
rate_Zll rateParam * Zmumu 1.0 [0,5]
CARD
"$BIN" validate "$OUT/part3_combined.txt" -m 200
echo "== 3. fit and scan (Combine: r = 0.540 -0.440/+0.466)"
"$BIN" fit "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --algo singles --csv "$OUT/fit_singles.csv" --json "$OUT/fit.json"
"$BIN" scan "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --algo grid --points 30 --csv "$OUT/scan_r.csv" \
  --plot "$OUT/scan_r.png"
echo "== 4. the same scan on the Asimov dataset (r = 1), overlaid"
"$BIN" scan "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --algo grid --points 30 -t -1 --expectSignal 1 \
  --csv "$OUT/scan_r_asimov.csv"
"$BIN" plot scan "$OUT/scan_r.csv" --other "$OUT/scan_r_asimov.csv:Expected" --main-label Observed \
  --right-label "Combine long exercise" -o "$OUT/scan_r_obs_exp.png"
echo "== 5. a 2D scan: r against the ttbar normalisation, profiled"
"$BIN" scan "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --setParameterRanges rate_ttbar=0.9,1.1 \
  -P r -P rate_ttbar --points 400 --csv "$OUT/scan_r_ttbar.csv"
"$BIN" plot contour "$OUT/scan_r_ttbar.csv" --sm 1,1 --sm-label "r = 1, nominal ttbar" \
  --contours "$OUT/contours_r_ttbar.json" -o "$OUT/scan_r_ttbar.png"
echo "== 6. EFT: a toy H->4l card with the CMS STXStoSMEFT parametrisation (Asimov at the SM)"
STXS="$SHARED/spec/eft-data/stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01"
EX="$(dirname "$0")/eft-h4l-toy.txt"
"$BIN" fit "$EX" --physics-model eft --eft "$STXS" -P chgXE3 --setParameterRanges chgXE3=-200,60 --algo singles -t -1
"$BIN" scan "$EX" --physics-model eft --eft "$STXS" -P chgXE3 --setParameterRanges chgXE3=-200,60 --points 80 -t -1 \
  --csv "$OUT/eft_chg.csv" --plot "$OUT/eft_chg.png"
"$BIN" scan "$EX" --physics-model eft --eft "$STXS" -P chgXE3 -P chbox --setParameterRanges chgXE3=-30,30:chbox=-10,10 \
  --points 900 -t -1 --csv "$OUT/eft_chg_chbox.csv"
"$BIN" plot contour "$OUT/eft_chg_chbox.csv" --x-title "c_HG × 10³" --y-title "c_H□" \
  --contours "$OUT/eft_chg_chbox_contours.json" -o "$OUT/eft_chg_chbox.png"
echo
echo "  r      2*deltaNLL (long exercise)"
awk -F, 'NR>2 { printf "  %+.2f  %7.3f\n", $4, 2*$5 }' "$OUT/scan_r.csv"
echo
echo "demo: outputs in $OUT/"
