#!/usr/bin/env bash
# The Combine long exercise (part 3), end to end: combine the signal region with the ttbar and DY
# control regions as combineCards.py does, add the tutorial's rateParams, validate, fit r with its
# 68% interval, scan it on Combine's 30-point grid with a plot, and run the fit diagnostics (pulls,
# pre-/post-fit yields and distributions).
# Combine's answer: r = 0.540 -0.440/+0.466.
# Usage: Examples/longexercise.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; SHARED=${2:-../shared}; OUT=${3:-example-output/longexercise}
mkdir -p "$OUT"
D="$SHARED/reference/combine/longexercise_part3_combined/card"
"$BIN" combine-cards signal_region="$D/datacard_part3.txt" ttbar_cr="$D/datacard_part3_ttbar_cr.txt" \
  DY_cr="$D/datacard_part3_DY_cr.txt" -o "$OUT/part3_combined.txt"
printf '%s\n' 'rate_ttbar rateParam * ttbar 1.0 [0,5]' 'rate_Zll rateParam * Ztautau 1.0 [0,5]' \
  'rate_Zll rateParam * Zmumu 1.0 [0,5]' >> "$OUT/part3_combined.txt"
"$BIN" validate "$OUT/part3_combined.txt" -m 200 --json > "$OUT/validate.json"
# -m 200 fills $MASS in the shapes lines; --rMin/--rMax set r's range (and start at the midpoint).
"$BIN" fit "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --algo singles --csv "$OUT/fit.csv"
# Grid points at bin centres, as Combine puts them; every nuisance is profiled at each point.
"$BIN" scan "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --points 30 --csv "$OUT/scan.csv" --plot "$OUT/scan.png"
# FitDiagnostics: b-only and s+b fits, pulls, yields per channel and process, one plot per channel.
"$BIN" fit-diagnostics "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 2 --json "$OUT/fitdiagnostics.json" \
  --plots "$OUT/fitdiagnostics" --right-label "35.9 fb^{−1} (13 TeV)" --x-title "m_{T}^{tot} (GeV)" --logy
# 100 toys generated at r = 1 (nuisances drawn from their constraints, as Combine's -t N), each fitted
# with its 68% interval: the spread of r̂ and the coverage are printed; one row per toy in toys.csv.
"$BIN" fit "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 3 -t 100 -s 1 --expectSignal 1 --algo singles --csv "$OUT/toys.csv"
# The same study split into jobs of 40 toys (--job-mode slurm or condor would submit them as an
# array; interactive runs them here, in turn, and merges): toy i has seed 1 + i wherever it runs,
# so toys_split.csv equals toys.csv.
"$BIN" fit "$OUT/part3_combined.txt" -m 200 --rMin -1 --rMax 3 -t 100 -s 1 --expectSignal 1 --algo singles \
  --split-toys 40 --job-mode interactive --job-dir "$OUT/toy-jobs" --csv "$OUT/toys_split.csv"
