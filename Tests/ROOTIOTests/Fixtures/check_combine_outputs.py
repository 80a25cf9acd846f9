#!/usr/bin/env python3
"""Cross-checks Recombine's Combine-style ROOT outputs with uproot (run by hand; the tests do not need it).

    python3 check_combine_outputs.py [path/to/recombine]

Runs `recombine combine` for MultiDimFit (grid, --saveNLL), AsymptoticLimits, Significance and
FitDiagnostics on a one-bin counting card in a temporary folder, each also natively with --csv,
and checks with uproot that every higgsCombine*.root `limit` tree has Combine's branches and types
in Combine's order and the CSV's values (floats as float32), and that fitDiagnostics*.root has its
trees and shapes histograms. Prints one line per check; exits 1 on a failure.
"""
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
import uproot

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/recombine")
CARD = """imax 1 jmax 1 kmax 1
---
bin b1
observation 15
---
bin b1 b1
process sig bkg
process 0 1
rate 5 10
---
bkgUnc lnN - 1.2
"""
STANDARD = [("limit", "double"), ("limitErr", "double"), ("mh", "double"), ("syst", "int32_t"), ("iToy", "int32_t"),
            ("iSeed", "int32_t"), ("iChannel", "int32_t"), ("t_cpu", "float"), ("t_real", "float"), ("quantileExpected", "float")]
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


def run(args, cwd):
    r = subprocess.run([BIN] + args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{r.stderr}")


with tempfile.TemporaryDirectory() as d:
    open(os.path.join(d, "card.txt"), "w").write(CARD)
    cases = [
        (["-M", "MultiDimFit", "--algo", "grid", "--points", "50", "-n", ".x", "-m", "125", "--saveNLL"],
         ["scan", "card.txt", "--points", "50", "-m", "125", "--saveNLL"], "higgsCombine.x.MultiDimFit.mH125.root",
         [("r", "float"), ("deltaNLL", "float"), ("nll", "double"), ("nll0", "double")]),
        (["-M", "AsymptoticLimits"], ["limit", "card.txt"], "higgsCombineTest.AsymptoticLimits.mH120.root", []),
        (["-M", "Significance"], ["significance", "card.txt"], "higgsCombineTest.Significance.mH120.root", []),
    ]
    for front, native, name, extra in cases:
        run(["combine", "card.txt"] + front, d)
        run(native + ["--csv", "n.csv"], d)
        t = uproot.open(os.path.join(d, name))["limit"]
        check([(k, t[k].typename) for k in t.keys()] == STANDARD + extra, f"{name}: Combine's branches and types")
        rows = list(csv.DictReader(open(os.path.join(d, "n.csv"))))
        a = t.arrays(library="np")
        check(len(a["mh"]) == len(rows), f"{name}: {len(rows)} entries")
        for col in rows[0]:
            want = np.array([float(r[col]) for r in rows])
            got = a[col]
            if got.dtype == np.float32:
                want = want.astype(np.float32)
            same = np.allclose(got, want, rtol=1e-8, atol=0) if got.dtype != np.float32 else np.array_equal(got, want)
            check(same, f"{name}: {col} as the CSV")
    run(["combine", "card.txt", "-M", "FitDiagnostics", "-n", ".fd"], d)
    f = uproot.open(os.path.join(d, "fitDiagnostics.fd.root"))
    for tree in ["tree_fit_sb", "tree_fit_b", "tree_prefit"]:
        check(tree in f, f"fitDiagnostics.fd.root: {tree}")
    check(f["tree_fit_sb"]["fit_status"].array(library="np")[0] == 0, "tree_fit_sb: fit_status 0")
    for h in ["sig", "bkg", "total", "total_signal", "total_background", "data"]:
        check(f"shapes_fit_s/b1/{h}" in f, f"shapes_fit_s/b1/{h}")
    check(f["shapes_prefit/b1/data"].values()[0] == 15, "shapes_prefit/b1/data holds the observation")

print("all checks passed" if failures == 0 else f"{failures} check(s) failed")
sys.exit(1 if failures else 0)
