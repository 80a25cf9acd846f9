#!/usr/bin/env bash
# The main job of Recombine, as far as it exists: validate the reference datacards (with their
# ROOT shape files), combine the long-exercise cards as combineCards.py does, and validate the result.
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
  case "$card" in *part3_combined.txt) mass=200;; *longexercise*|*shapeInterp*) mass=200;; *) mass=120;; esac
  name=$(basename "$(dirname "$(dirname "$card")")")/$(basename "$card")
  if "$BIN" validate "$card" -m "$mass" --json > "$OUT/validate-$(basename "$card" .txt).json"; then s=ok; else s=ERRORS; fi
  printf '  %-62s %s\n' "$name" "$s"
done
echo
echo "== 2. summary of one card"
"$BIN" validate "$REF/ci_template_shapeInterp/card/template-analysis_shapeInterp.txt" -m 200
echo "== 3. combine-cards: long exercise signal region + two control regions"
D="$REF/longexercise_part3_combined/card"
"$BIN" combine-cards signal_region="$D/datacard_part3.txt" ttbar_cr="$D/datacard_part3_ttbar_cr.txt" \
  DY_cr="$D/datacard_part3_DY_cr.txt" -o "$OUT/part3_combined.txt"
echo "  wrote $OUT/part3_combined.txt"
"$BIN" validate "$OUT/part3_combined.txt" -m 200
