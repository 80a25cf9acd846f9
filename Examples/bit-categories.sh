#!/usr/bin/env bash
# Boosted Information Trees to analysis categories: generate the ZH toy (15 features, weights as
# second-order polynomials in cHW, cHWtil, cHQ3), train a multi-coefficient BIT, cut its cHW score
# into 8 categories that keep the most Fisher information, write a counting datacard with its EFT
# parametrisation, and scan cHW on the Asimov dataset — against 8 bins of pT(Z) for comparison.
# The parton densities: the reference's tables when the shared folder (../shared by default) has
# them, else Recombine's built-in ones (an empty shared folder argument asks for those).
# Usage: Examples/bit-categories.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; SHARED=${2-../shared}; OUT=${3:-example-output/bit}
mkdir -p "$OUT"
PDF=()
if [ -n "$SHARED" ] && [ -f "$SHARED/reference/bit/zh-pdf-tables/pdf_u.txt" ]; then PDF=(--pdf-dir "$SHARED/reference/bit/zh-pdf-tables"); fi
"$BIN" bit generate zh -n 20000 --seed 1 "${PDF[@]}" -o "$OUT/train.npz"
"$BIN" bit generate zh -n 40000 --seed 2 "${PDF[@]}" -o "$OUT/bin.npz"
"$BIN" bit train "$OUT/train.npz" --coefficients cHQ3,cHW,cHWtil --quadratic --trees 30 --depth 4 \
  --learning-rate 0.2 --min-size 50 -o "$OUT/model.json"
"$BIN" bit bin "$OUT/model.json" "$OUT/bin.npz" --score t_cHW -n 8 --method fisher --signal-yield 2000 --lnN lumi=1.025 -o "$OUT/bit.txt"
"$BIN" bit bin "$OUT/model.json" "$OUT/bin.npz" --feature pT -n 8 --method equal-yield --signal-yield 2000 --lnN lumi=1.025 -o "$OUT/ptz.txt"
for card in bit ptz; do
  "$BIN" fit "$OUT/$card.txt" --physics-model eft --eft "$OUT/${card}_eft.json" -P cHW -t -1 --expectSignal 1 --algo singles
done
"$BIN" scan "$OUT/bit.txt" --physics-model eft --eft "$OUT/bit_eft.json" -P cHW --points 40 -t -1 --expectSignal 1 --csv "$OUT/scan_bit.csv"
"$BIN" scan "$OUT/ptz.txt" --physics-model eft --eft "$OUT/ptz_eft.json" -P cHW --points 40 -t -1 --expectSignal 1 --csv "$OUT/scan_ptz.csv"
"$BIN" plot scan "$OUT/scan_bit.csv" --main-label "BIT categories" --other "$OUT/scan_ptz.csv:p_T(Z) bins" -o "$OUT/scan_cHW.png"
