#!/usr/bin/env bash
# A published ATLAS likelihood and a CMS datacard in one fit: ATLAS's eRJR electroweakino search
# (pyhf JSON from HEPData, with the 350/0 signal patch; Datacards/atlas-erjr-pyhf) combined with
# the H→4ℓ datacard (Datacards/hzz4l). The two POIs are kept apart (mu_SIG renamed mu_atlas; a
# shared POI would be the default), each is scanned alone and in the combination (the other POI
# and every nuisance profiled), and the 2D profile likelihood of (r, mu_atlas) is drawn. Nothing
# else is shared between the two, so the combined curves equal the separate ones: the check that
# the two formats meet in one likelihood without changing either.
# Usage: Examples/pyhf-combination.sh [recombine binary] [shared folder] [output folder]
set -euo pipefail
BIN=${1:-.build/release/recombine}; OUT=${3:-example-output/pyhf-combination}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
cd "$(dirname "$0")/../Datacards"
START=$(date +%s.%N)
A=atlas-erjr-pyhf
# The ATLAS workspace alone (as a one-input combination, to rename its POI) and with the CMS card.
"$BIN" combine-cards atlas=$A/ERJR_BkgOnly.json --patch atlas:$A/patch.ERJR_350p0_0p0.json \
  --rename atlas:mu_SIG=mu_atlas -o "$OUT/atlas.json"
"$BIN" combine-cards atlas=$A/ERJR_BkgOnly.json cms=hzz4l/hzz4l.txt --patch atlas:$A/patch.ERJR_350p0_0p0.json \
  --rename atlas:mu_SIG=mu_atlas -o "$OUT/combined.json"
"$BIN" fit "$OUT/combined.json" --algo singles
# mu_atlas: ATLAS alone and combined; r: CMS alone and combined.
"$BIN" scan "$OUT/atlas.json" --setParameterRanges mu_atlas=0,2 --points 40 --csv "$OUT/mu_atlas_alone.csv"
"$BIN" scan "$OUT/combined.json" -P mu_atlas --floatOtherPOIs 1 --setParameterRanges mu_atlas=0,2 --points 40 \
  --csv "$OUT/mu_atlas_combined.csv"
"$BIN" scan hzz4l/hzz4l.txt --setParameterRanges r=0.5,1.5 --points 40 --csv "$OUT/r_alone.csv"
"$BIN" scan "$OUT/combined.json" -P r --floatOtherPOIs 1 --setParameterRanges r=0.5,1.5 --points 40 --csv "$OUT/r_combined.csv"
"$BIN" plot scan "$OUT/mu_atlas_combined.csv" --main-label "ATLAS + CMS" --other "$OUT/mu_atlas_alone.csv:ATLAS eRJR alone" \
  -o "$OUT/mu_atlas.png"
"$BIN" plot scan "$OUT/r_combined.csv" --main-label "ATLAS + CMS" --other "$OUT/r_alone.csv:CMS H→4ℓ alone" -o "$OUT/r.png"
# The 2D profile likelihood (20 × 20 points) with its 68% and 95% contours.
"$BIN" scan "$OUT/combined.json" -P r -P mu_atlas --setParameterRanges r=0.5,1.5:mu_atlas=0,2 --points 400 \
  --csv "$OUT/r_mu_atlas.csv" --plot "$OUT/r_mu_atlas.png"
echo "pyhf-combination: $(echo "$(date +%s.%N) - $START" | bc) s wall for every step above"
