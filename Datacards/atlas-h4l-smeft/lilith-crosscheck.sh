#!/usr/bin/env bash
# Regenerates lilith-cuH-even.csv: the c_uH curve of the same Gaussian model computed by Lilith-2,
# as published by its authors and with two modelling choices aligned with Recombine's
# (README.md, "Cross-check with Lilith-2"). Run by hand; the tests only read the CSV.
#
#   bash lilith-crosscheck.sh LILITH_GIT_DIR [OUT.csv]
#
# LILITH_GIT_DIR: a clone of github.com/sabinekraml/Lilith-2 that has commit 4ba7e5f7.
# Needs python3 with numpy, scipy and matplotlib (Lilith's validation script imports them).
set -euo pipefail
src=$1
out=${2:-$(cd "$(dirname "$0")" && pwd)/lilith-cuH-even.csv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$src" archive 4ba7e5f7 | tar -x -C "$work"
cd "$work"
script=validations/ATLAS/HIGG-2018-28-SMEFT/smeftfit-1d.py
result=validations/ATLAS/HIGG-2018-28-SMEFT/SMEFT_1d.out
cp "$result" published.out            # as committed by Lilith's authors
python3 "$script" > /dev/null
cmp -s "$result" published.out || { echo "Lilith's rerun differs from its committed output" >&2; exit 1; }

# The two alignments, in the "vn" (variable Gaussian) branch of computelikelihoodsmeft.py:
#  1. covariance σ_i σ_j R_ij (np.outer) instead of unc*R*unc.T, which for 1-D numpy arrays
#     broadcasts to R_ij σ_j² (not symmetric);
#  2. theory uncertainties symmetrised, (σ+ + σ−)/2, instead of a variable Gaussian of their own.
python3 - <<'EOF'
f = "lilith/internal/computelikelihoodsmeft.py"
s = open(f).read()
k = s.index('if mu["type"] == "vn":')
head, tail = s[:k], s[k:]
for old, new in [
    ('cov_m = unc_sym*mu["param"]["corr_m"]*unc_sym.T', 'cov_m = np.outer(unc_sym,unc_sym)*mu["param"]["corr_m"]'),
    ('unc_sym_th = np.sqrt(np.abs(mu_th_VGau + mu_th_VGau_prime*mu_vec))', 'unc_sym_th = (error_th_p + error_th_m)/2.0'),
    ('cov_m_th = unc_sym_th*corr_m_th*unc_sym_th.T', 'cov_m_th = np.outer(unc_sym_th,unc_sym_th)*corr_m_th'),
]:
    assert old in tail, old
    tail = tail.replace(old, new, 1)
open(f, "w").write(head + tail)
EOF
python3 "$script" > /dev/null
cp "$result" aligned.out

python3 - "$out" <<'EOF'
import sys
pub = [l.split() for l in open("published.out")]
ali = [l.split() for l in open("aligned.out")]
assert len(pub) == len(ali) == 1000
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("# c_uH scan (others 0) of the ATLAS HIGG-2018-28 reduced-STXS Gaussian, computed by Lilith-2\n")
    f.write("# (github.com/sabinekraml/Lilith-2 @ 4ba7e5f7, validations/ATLAS/HIGG-2018-28-SMEFT/smeftfit-1d.py).\n")
    f.write("# chi2_lilith: its committed SMEFT_1d.out, column 3 (with acceptance), every 10th of 1000 points.\n")
    f.write("# chi2_aligned: the same script with two modelling choices aligned with Recombine (README.md).\n")
    f.write("cuH,chi2_lilith,chi2_aligned\n")
    for i in list(range(0, 1000, 10)) + [999]:
        f.write("%.5f,%.5f,%.5f\n" % (float(pub[i][0]), float(pub[i][2]), float(ali[i][2])))
EOF
mv "$out.tmp" "$out"
echo "wrote $out"
