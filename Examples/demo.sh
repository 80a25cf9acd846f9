#!/usr/bin/env bash
# `make demo`: Recombine's main job end to end, printing progress as it goes.
#  1. The example analyses in Datacards/: validate H->4l, ttH multilepton, ZH with BIT categories and
#     the combinations.
#  2. combine-cards of the two channels (nuisances of the same name correlate).
#  3. Signal strengths on the SM pseudo-data: H->4l mu, ttH mu, combined mu; the fit diagnostics of
#     H->4l (pulls, pre-/post-fit yields and m4l distributions) and the impacts on its mu.
#  4. EFT fits (CMS STXStoSMEFT parametrisation) on the SM pseudo-data: 1D scans of c_HG, c_HW, c_tG,
#     c_H□, c_tH with the other WCs at 0, per channel and combined, overlaid; c_HG and c_HW with the
#     other one profiled; c_HW with the ZH BIT channel (Asimov); the c_HG - c_HW plane and (with ZH,
#     Asimov) the c_HW - c_HWB plane; each of the five WCs with the other four profiled.
#  5. The ATLAS H->4l STXS reinterpretation: 95% intervals one WC at a time.
#  6. BIT categories for the ZH toy (Recombine's built-in parton densities) against pT(Z) bins.
# Everything runs on the repository's own Datacards/ and on inputs it generates: nothing beside the
# checkout is read. (Examples/longexercise.sh, the Combine long exercise, is not part of the demo.)
#  7. A summary table (Markdown and JSON) of every 1D result.
# Usage: Examples/demo.sh BIN OUTDIR
set -euo pipefail
BIN=${1:-.build/release/recombine}
OUT=${2:-demo-output}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
T0=$(date +%s%N)
step() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '\n== %s  (%d.%d s)\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)); }

cd "$ROOT/Datacards"
step "1. validate the example datacards"
for c in hzz4l/hzz4l.txt tth-multilepton/tth.txt zh-bit/zhbit.txt combination.txt combination_zh.txt; do
  "$BIN" validate "$c" --json > "$OUT/validate-$(basename "$c" .txt).json" && echo "  $c: ok"
done
"$BIN" validate combination.txt | sed -n '1,6p'

step "2. combine-cards hzz4l + tth"
"$BIN" combine-cards hzz4l=hzz4l/hzz4l.txt tth=tth-multilepton/tth.txt -o "$OUT/combination.txt"
cmp -s "$OUT/combination.txt" combination.txt && echo "  identical to Datacards/combination.txt"

step "3. signal strengths on the SM pseudo-data"
"$BIN" fit hzz4l/hzz4l.txt --algo singles --setParameterRanges r=0,3 | grep ' r :' | sed 's/^/  H->4l:        /'
"$BIN" fit tth-multilepton/tth.txt --algo singles --physics-model multiSignalModel --PO 'map=.*/ttH_.*:r_ttH[1,-5,10]' \
  | grep 'r_ttH :' | sed 's/^/  ttH multilep: /'
"$BIN" fit combination.txt --algo singles --setParameterRanges r=0,3 | grep ' r :' | sed 's/^/  combined:     /'
# Fit diagnostics of H->4l: pulls, pre-/post-fit yields (JSON) and m4l distributions per category.
"$BIN" fit-diagnostics hzz4l/hzz4l.txt --setParameterRanges r=0,3 --json "$OUT/fitdiagnostics_hzz4l.json" \
  --plots "$OUT/fitdiagnostics_hzz4l" --x-title "m_{4ℓ} (GeV)" --lumi "138 fb^{−1} (13 TeV)" \
  | grep -E '^(Best fit|Untagged_2e2mu +(total  |data))' | sed 's/^/  fit-diagnostics: /'
# Impacts of every nuisance on the H->4l signal strength (combineTool.py -M Impacts, plotImpacts.py).
"$BIN" impacts hzz4l/hzz4l.txt --setParameterRanges r=0,3 -o "$OUT/impacts_hzz4l.json" --plot "$OUT/impacts_hzz4l.png" \
  --max 20 --lumi "138 fb^{−1} (13 TeV), pseudo-data" 2>/dev/null | sed -n '2,5p' | sed 's/^/  impacts: /'

step "4. EFT fits on the SM pseudo-data"
OTHERS=chbXE2,chwbXE2,chdd,chl3,cll1,chj3XE1,ctwreXE1,ctgreXE1,chbox,cthre
declare -A RANGE=([chgXE3]=-15,15 [ctgreXE1]=-5,5 [chbox]=-3,3 [cthre]=-4,4 [chwXE2]=-300,300)
for wc in chgXE3 chwXE2 ctgreXE1 chbox cthre; do
  for ch in hzz4l:hzz4l/hzz4l.txt:hzz4l/hzz4l_eft.json tth:tth-multilepton/tth.txt:tth-multilepton/tth_eft.json \
            combined:combination.txt:combination_eft.json; do
    IFS=: read -r name card eft <<< "$ch"
    "$BIN" scan "$card" --physics-model eft --eft "$eft" -P "$wc" --setParameterRanges "$wc=${RANGE[$wc]}" \
      --points 40 --csv "$OUT/scan_${wc}_${name}.csv" 2> /dev/null
  done
  "$BIN" plot scan "$OUT/scan_${wc}_combined.csv" --main-label "Combined" --others "$OUT/scan_${wc}_hzz4l.csv:H→4ℓ" \
    --others "$OUT/scan_${wc}_tth.csv:ttH multilepton" --lumi "138 fb^{−1} (13 TeV), pseudo-data" \
    --y-max 10 -o "$OUT/scan_${wc}.png" | sed -n '1p'
done
for pair in chgXE3:chwXE2 chwXE2:chgXE3; do
  wc=${pair%%:*}; other=${pair#*:}
  "$BIN" scan combination.txt --physics-model eft --eft combination_eft.json -P "$wc" --setParameterRanges "$wc=${RANGE[$wc]}:$other=${RANGE[$other]}" \
    --floatOtherPOIs 1 --freezeParameters "$OTHERS" --points 40 --csv "$OUT/scan_${wc}_profiled.csv" 2> /dev/null
  "$BIN" plot scan "$OUT/scan_${wc}_profiled.csv" --main-label "$other profiled" --others "$OUT/scan_${wc}_combined.csv:$other = 0" \
    --lumi "combination, pseudo-data" -o "$OUT/scan_${wc}_profiled.png" | sed -n '1p'
done
# Each of the five WCs with the other four profiled: directions these channels do not constrain
# show up as intervals reaching the scan range (c_H□, c_tG, c_tH; c_HG on one side).
ALL5="chgXE3=${RANGE[chgXE3]}:chwXE2=${RANGE[chwXE2]}:ctgreXE1=${RANGE[ctgreXE1]}:chbox=${RANGE[chbox]}:cthre=${RANGE[cthre]}"
REST=chbXE2,chwbXE2,chdd,chl3,cll1,chj3XE1,ctwreXE1  # the WCs of the file not studied here stay at 0
for wc in chgXE3 chwXE2 ctgreXE1 chbox cthre; do
  "$BIN" scan combination.txt --physics-model eft --eft combination_eft.json -P "$wc" --setParameterRanges "$ALL5" \
    --floatOtherPOIs 1 --freezeParameters "$REST" --points 40 --csv "$OUT/scan_${wc}_allprofiled.csv" 2> /dev/null
done
# c_HW with the ZH channel whose categories a BIT designed: the three-channel combination.
for ch in hzz4l:hzz4l/hzz4l.txt:hzz4l/hzz4l_eft.json zhbit:zh-bit/zhbit.txt:zh-bit/zhbit_eft.json \
          combined3:combination_zh.txt:combination_zh_eft.json; do
  IFS=: read -r name card eft <<< "$ch"
  "$BIN" scan "$card" --physics-model eft --eft "$eft" -P chwXE2 --setParameterRanges chwXE2=-100,100 -t -1 --expectSignal 1 \
    --points 40 --csv "$OUT/scan_chwXE2_asimov_${name}.csv" 2> /dev/null
done
"$BIN" plot scan "$OUT/scan_chwXE2_asimov_combined3.csv" --main-label "H→4ℓ + ttH + ZH (BIT)" \
  --others "$OUT/scan_chwXE2_asimov_zhbit.csv:ZH, BIT categories" --others "$OUT/scan_chwXE2_asimov_hzz4l.csv:H→4ℓ" \
  --lumi "138 fb^{−1} (13 TeV), Asimov" -o "$OUT/scan_chwXE2_asimov_zh.png" | sed -n '1p'
# ttH multilepton alone does not constrain this plane; H→4ℓ and the combination are drawn.
for ch in hzz4l:hzz4l/hzz4l.txt:hzz4l/hzz4l_eft.json combined:combination.txt:combination_eft.json; do
  IFS=: read -r name card eft <<< "$ch"
  "$BIN" scan "$card" --physics-model eft --eft "$eft" -P chgXE3 -P chwXE2 --setParameterRanges chgXE3=-12,22:chwXE2=-450,200 \
    --points 900 --csv "$OUT/scan2d_chg_chw_${name}.csv" 2> /dev/null
done
"$BIN" plot contour "$OUT/scan2d_chg_chw_combined.csv" --main-label "Combined" --others "$OUT/scan2d_chg_chw_hzz4l.csv:H→4ℓ" \
  --lumi "138 fb^{−1} (13 TeV), pseudo-data" --contours "$OUT/contours_chg_chw.json" -o "$OUT/scan2d_chg_chw.png" | sed -n '1,3p'
# The c_HW - c_HWB plane closes only with the ZH channel (three-channel combination, Asimov).
"$BIN" scan combination_zh.txt --physics-model eft --eft combination_zh_eft.json -P chwXE2 -P chwbXE2 -t -1 --expectSignal 1 \
  --setParameterRanges chwXE2=-100,50:chwbXE2=-160,160 --points 1600 --csv "$OUT/scan2d_chw_chwb_asimov.csv" 2> /dev/null
"$BIN" plot contour "$OUT/scan2d_chw_chwb_asimov.csv" \
  --lumi "H→4ℓ + ttH + ZH (BIT), Asimov" --contours "$OUT/contours_chw_chwb.json" -o "$OUT/scan2d_chw_chwb.png" | sed -n '1,3p'

step "5. ATLAS H->4l STXS reinterpretation (95% CL, one WC at a time; published: c_HG [-0.0083, 0.0069], c_HW [-3.44, 2.12], c_HB [-0.62, 0.59], c_HWB [-1.05, 0.98])"
"$BIN" reinterpret atlas-h4l-smeft/atlas-h4l-smeft-cpeven.json -P cHG -P cHW -P cHB -P cHWB -P cuH --csv "$OUT/atlas_reinterpretation.csv" \
  | grep -E '^c|95%' | grep -v 'local minima' | head -12

step "6. BIT categories for the ZH toy against pT(Z) bins"
bash "$ROOT/Examples/bit-categories.sh" "$BIN" "" "$OUT/bit" 2>/dev/null | grep -E 'cHW :|BIT categories:|p_T' | head -6

step "7. summary"
SCANS=()
for wc in chgXE3 chwXE2 ctgreXE1 chbox cthre; do
  for n in hzz4l tth combined; do SCANS+=("$OUT/scan_${wc}_${n}.csv:$wc, $n"); done
done
for n in hzz4l zhbit combined3; do SCANS+=("$OUT/scan_chwXE2_asimov_${n}.csv:chwXE2, $n (Asimov)"); done
SCANS+=("$OUT/scan_chgXE3_profiled.csv:chgXE3, combined, chwXE2 profiled" "$OUT/scan_chwXE2_profiled.csv:chwXE2, combined, chgXE3 profiled")
for wc in chgXE3 chwXE2 ctgreXE1 chbox cthre; do SCANS+=("$OUT/scan_${wc}_allprofiled.csv:$wc, combined, the other four profiled"); done
SCANS+=("$OUT/bit/scan_bit.csv:cHW, ZH toy, 8 BIT categories (Asimov)" "$OUT/bit/scan_ptz.csv:cHW, ZH toy, 8 pT(Z) bins (Asimov)")
"$BIN" summary --title "Recombine demo: 1D results (SM pseudo-data; EFT: other WCs at 0 unless profiled)" "${SCANS[@]}" \
  --md "$OUT/summary.md" --json "$OUT/summary.json"
step "done: plots and tables in $OUT/"
ls "$OUT"/*.png | sed 's/^/  /'
