#!/usr/bin/env python3
"""Writes the EFT importer fixtures from the real CMS STXStoSMEFT numbers (prod.json), in the
layouts the foreign tools write: Combine interference scaling.json (TopEFT make_scaling convention:
p = (cSM=1, c...), M_i0 = A_i/2, M_ii = B_ii, M_ij = B_ij/2, lower triangle row by row; also gzipped)
and EFT2Obs JSON (new and legacy). Run from this directory: python3 make_fixtures.py"""
import gzip, json, os

SRC = "../../../../shared/spec/eft-data/stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01/prod.json"
prod = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), SRC)))

def coeffs(key, wcs):
    d = prod[key]
    A = {w: d.get("A_" + w, 0.0) for w in wcs}
    B = {}
    for i, a in enumerate(wcs):
        for b in wcs[: i + 1]:
            if a == b:
                B[(a, a)] = d.get("B_%s_2" % a, 0.0)
            else:
                B[(b, a)] = d.get("B_%s_%s" % (b, a), d.get("B_%s_%s" % (a, b), 0.0))
    return A, B

def interference_row(key, wcs):
    A, B = coeffs(key, wcs)
    p = [None] + wcs
    row = []
    for i in range(len(p)):
        for j in range(i + 1):
            if i == 0: row.append(1.0)
            elif j == 0: row.append(A[p[i]] / 2)
            elif i == j: row.append(B[(p[i], p[i])])
            else: row.append(B[(p[j], p[i])] / 2)
    return row

ggh_wcs = ["chg", "chbox", "ctgre"]
tth_wcs = ["chg", "ctgre", "cthre"]
records = [
    {"channel": "hzz_4l", "process": "ggH",
     "parameters": ["cSM[1]"] + ["%s[0,-5,5]" % w for w in ggh_wcs],
     "scaling": [interference_row(k, ggh_wcs) for k in ["GG2H_0J_PTH_0_10", "GG2H_0J_PTH_GT10", "GG2H_1J_PTH_0_60"]]},
    {"channel": "hzz_4l", "process": "ttH",
     "parameters": ["cSM[1]"] + ["%s[0,-5,5]" % w for w in tth_wcs],
     "scaling": [interference_row("TTH", tth_wcs)]},
]
json.dump(records, open("scaling.json", "w"))
with gzip.open("scaling.json.gz", "wt") as f:
    json.dump(records, f)

bins = ["GG2H_0J_PTH_0_10", "GG2H_0J_PTH_GT10", "GG2H_1J_PTH_0_60"]
wcs = ["chbox", "chg", "ctgre"]  # EFT2Obs sorts parameter names within a term
terms = []
for w in wcs:
    terms.append([[w], [coeffs(b, wcs)[0][w] for b in bins], [0.0] * 3])
for i, a in enumerate(wcs):
    for b in wcs[i:]:
        terms.append([[a, b], [coeffs(k, wcs)[1][(a, b)] for k in bins], [0.0] * 3])
new = {"terms": terms, "nbins": 3, "sm_vals": [176.0, 550.0, 172.0],
       "bin_edges": [[0, 1], [1, 2], [2, 3]], "bin_labels": bins, "parameters": wcs}
json.dump(new, open("eft2obs_new.json", "w"))
legacy = {"bins": [[[t[1][ib], t[2][ib]] + t[0] for t in terms] for ib in range(3)], "nbins": 3,
          "areas": [176.0, 550.0, 172.0], "edges": [[0, 1], [1, 2], [2, 3]], "bin_labels": bins,
          "parameters": wcs}
json.dump(legacy, open("eft2obs_legacy.json", "w"))
