#!/usr/bin/env python3
"""Make the ROOTIO test fixtures with uproot (not needed to run the tests).

Usage: python3 make_fixtures.py   (from any directory; needs `pip install uproot numpy`)

Writes, next to this script:
  * hists_<codec>.root for codec in none, zlib, lzma, lz4, zstd: TH1D, TH1F (with sumw2), TH1I,
    TH2D, TH2F, the same kinds in a sub-directory `sub/` (and `sub/deeper/`), and one histogram
    written twice under one name (two cycles).
  * hists_big.root: the same content in ROOT's 64-bit ("big file") layout, produced by uproot's own
    big-layout writer, switched on by lowering uproot.const.kStartBigFile to 1 for that file.
  * tree.root: a TTree and a TH1D, for the "not a histogram" error test.
  * expected.json: every histogram's class, edges, contents and sumw2 as uproot reads them back,
    each double as the 16-hex-digit big-endian bit pattern (exact, NaN-preserving). All hists_*.root
    files hold the same content (checked here), so it is stored once, with the list of files.
  * uproot_limit_tree.root: Combine's `limit` tree layout (12 branches: D, I and F leaves), six
    entries, zlib level 4, written by uproot's TTree writer (`make_limit_tree()`).
  * reference_summary.json: per histogram of every .root file under ../../../../shared/reference
    (combine/ and corpus/): class, bins, integral (bins 1..N), Σ i·content over all cells,
    Σ sumw2, Σ edges — computed from uproot's arrays with math.fsum.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import uproot
import uproot.const
from uproot.writing.identify import to_TH1x, to_TH2x, to_TAxis

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "reference"))

CODECS = {
    "none": None,
    "zlib": uproot.ZLIB(4),
    "lzma": uproot.LZMA(7),
    "lz4": uproot.LZ4(4),
    "zstd": uproot.ZSTD(5),
}


def axis(name, edges):
    edges = np.asarray(edges, dtype=np.float64)
    uniform = np.allclose(np.diff(edges), edges[1] - edges[0], rtol=0, atol=0)
    return to_TAxis(
        fName=name, fTitle="", fNbins=len(edges) - 1, fXmin=edges[0], fXmax=edges[-1],
        fXbins=np.array([], np.float64) if uniform else edges,
    )


def th1(kind, name, title, edges, contents, sumw2):
    edges = np.asarray(edges, dtype=np.float64)
    data = np.asarray(contents, dtype={"D": ">f8", "F": ">f4", "I": ">i4", "S": ">i2"}[kind])
    inner = np.asarray(contents, np.float64)[1:-1]
    centers = 0.5 * (edges[1:] + edges[:-1])
    return to_TH1x(
        fName=name, fTitle=title, data=data, fEntries=float(inner.sum()), fTsumw=float(inner.sum()),
        fTsumw2=float(np.sum(sumw2[1:-1])) if sumw2 is not None else float(inner.sum()),
        fTsumwx=float(np.sum(inner * centers)), fTsumwx2=float(np.sum(inner * centers**2)),
        fSumw2=np.asarray(sumw2, np.float64) if sumw2 is not None else np.array([], np.float64),
        fXaxis=axis("xaxis", edges),
    )


def th2(kind, name, title, xedges, yedges, contents, sumw2):
    data = np.asarray(contents, dtype={"D": ">f8", "F": ">f4", "I": ">i4"}[kind])
    total = float(np.asarray(contents, np.float64).sum())
    return to_TH2x(
        fName=name, fTitle=title, data=data, fEntries=total, fTsumw=total, fTsumw2=total,
        fTsumwx=0.0, fTsumwx2=0.0, fTsumwy=0.0, fTsumwy2=0.0, fTsumwxy=0.0,
        fSumw2=np.asarray(sumw2, np.float64) if sumw2 is not None else np.array([], np.float64),
        fXaxis=axis("xaxis", xedges), fYaxis=axis("yaxis", yedges),
    )


def histograms(rng):
    """The fixture content: a dict path -> list of writable histograms (several = several cycles)."""
    out = {}
    uniform = np.linspace(0.0, 1.3, 11)        # 10 bins, xmax not a multiple of a nice width
    variable = np.array([0.0, 0.5, 1.5, 3.0, 7.0, 20.0, 100.0])
    n1 = len(uniform) + 1
    cont = rng.normal(50.0, 20.0, n1)
    cont[3] = -1.25                             # negative weights happen in real templates
    out["h1d"] = [th1("D", "h1d", "TH1D uniform; x; events", uniform, cont, None)]
    cont_f = rng.uniform(0, 100, len(variable) + 1).astype(np.float32)
    sw2 = rng.uniform(0, 10, len(variable) + 1)
    sw2[2] = float("nan")                       # NaN in fSumw2 occurs in real data_obs histograms
    out["h1f"] = [th1("F", "h1f", "TH1F variable with sumw2", variable, cont_f, sw2)]
    out["h1i"] = [th1("I", "h1i", "TH1I", uniform, rng.integers(-5, 1000, n1), None)]
    xe, ye = np.linspace(-2.0, 2.0, 5), np.array([0.0, 1.0, 4.0, 9.0])
    ncell = (len(xe) + 1) * (len(ye) + 1)
    out["h2d"] = [th2("D", "h2d", "TH2D", xe, ye, rng.normal(0, 3, ncell), rng.uniform(0, 9, ncell))]
    out["h2f"] = [th2("F", "h2f", "TH2F", ye, xe, rng.uniform(0, 1e6, ncell).astype(np.float32), None)]
    big_edges = np.linspace(-5.0, 5.0, 1001)
    out["h1d_1000"] = [th1("D", "h1d_1000", "1000 bins", big_edges, rng.poisson(30, 1002).astype(float), None)]
    out["sub/h1d"] = [th1("D", "h1d", "in sub", variable, rng.normal(size=len(variable) + 1), None)]
    out["sub/deeper/h1f"] = [th1("F", "h1f", "in sub/deeper", uniform, rng.uniform(size=n1), rng.uniform(size=n1))]
    out["cycles"] = [
        th1("D", "cycles", "first cycle", uniform, np.full(n1, 1.0), None),
        th1("D", "cycles", "second cycle", uniform, np.full(n1, 2.0), None),
    ]
    return out


def bits(values):
    return ["%016x" % struct.unpack(">Q", struct.pack(">d", float(v)))[0] for v in np.asarray(values, np.float64)]


def describe(h):
    ndim = 2 if h.classname.startswith("TH2") else 1
    d = {
        "class": h.classname,
        "title": h.member("fTitle"),
        "nbinsX": int(h.member("fXaxis").member("fNbins")),
        "nbinsY": int(h.member("fYaxis").member("fNbins")),
        "xEdges": bits(h.axis(0).edges(flow=False)),
        "yEdges": bits(h.axis(1).edges(flow=False)) if ndim == 2 else [],
        # uproot's values(flow=True) is indexed [x][y]; ROOT's global bin order is x fastest.
        "contents": bits(np.asarray(h.values(flow=True)).T.ravel() if ndim == 2 else h.values(flow=True)),
        "sumw2": bits(np.asarray(h.member("fSumw2"))),
    }
    return d


def write_fixture(filename, codec, content):
    path = os.path.join(HERE, filename)
    with uproot.recreate(path, compression=codec) as f:
        for key, hists in content.items():
            for h in hists:
                f[key] = h
    return path


def main():
    expected = {"files": [], "histograms": None}
    for name, codec in list(CODECS.items()) + [("big", uproot.ZLIB(1))]:
        content = histograms(np.random.default_rng(20240601))
        saved = uproot.const.kStartBigFile
        if name == "big":
            uproot.const.kStartBigFile = 1
        try:
            path = write_fixture("hists_%s.root" % name, codec, content)
        finally:
            uproot.const.kStartBigFile = saved
        with uproot.open(path) as f:
            entry = {}
            for key, classname in f.classnames(cycle=False).items():
                if classname.startswith("TH"):
                    entry[key] = describe(f[key])
            cycles = sorted(k for k in f.keys(cycle=True) if k.startswith("cycles;"))
            entry["cycles;1"] = describe(f[cycles[0]]) if len(cycles) > 1 else None
            if name == "big":
                assert f.file.fVersion >= 1000000, "big layout expected"
        assert expected["histograms"] in (None, entry), "fixtures differ: %s" % name
        expected["histograms"] = entry
        expected["files"].append("hists_%s.root" % name)

    tree = os.path.join(HERE, "tree.root")
    with uproot.recreate(tree) as f:
        f.mktree("events", {"x": np.float64}).extend({"x": np.arange(10, dtype=np.float64)})
        f["h"] = np.histogram(np.arange(10.0), bins=5)

    with open(os.path.join(HERE, "expected.json"), "w") as out:
        json.dump(expected, out, indent=0, sort_keys=True)

    summary = []
    for sub in ("combine", "corpus"):
        for root, _, files in sorted(os.walk(os.path.join(REFERENCE, sub))):
            for fn in sorted(files):
                if not fn.endswith(".root"):
                    continue
                full = os.path.join(root, fn)
                rows = []
                with uproot.open(full) as f:
                    for key, classname in sorted(f.classnames(cycle=False).items()):
                        if not classname.startswith("TH"):
                            continue
                        h = f[key]
                        c = np.asarray(h.values(flow=True), np.float64)
                        c = c.T.ravel() if c.ndim == 2 else c
                        inner = np.asarray(h.values(flow=False), np.float64).ravel()
                        sw2 = np.asarray(h.member("fSumw2"), np.float64)
                        edges = h.axis(0).edges(flow=False)
                        rows.append([
                            key, classname, int(h.member("fXaxis").member("fNbins")),
                            num(math.fsum(inner)), num(math.fsum(i * v for i, v in enumerate(c))),
                            num(math.fsum(sw2)) if len(sw2) else None, num(math.fsum(edges)),
                        ])
                summary.append({"file": os.path.relpath(full, REFERENCE), "histograms": rows})
    with open(os.path.join(HERE, "reference_summary.json"), "w") as out:
        json.dump(summary, out, separators=(",", ":"))
        out.write("\n")


def make_limit_tree():
    """Combine's limit tree as uproot writes a TTree: six entries of a 1D scan of r in [0, 2]."""
    n = 6
    r = np.linspace(0, 2, n).astype(np.float32)
    branches = {"limit": np.float64, "limitErr": np.float64, "mh": np.float64, "syst": np.int32, "iToy": np.int32,
                "iSeed": np.int32, "iChannel": np.int32, "t_cpu": np.float32, "t_real": np.float32,
                "quantileExpected": np.float32, "r": np.float32, "deltaNLL": np.float32}
    with uproot.recreate(os.path.join(HERE, "uproot_limit_tree.root"), compression=uproot.ZLIB(4)) as f:
        t = f.mktree("limit", branches, title="limit")
        t.extend({"limit": np.array([0.5] + [0] * (n - 1)), "limitErr": np.zeros(n), "mh": np.full(n, 125.),
                  "syst": np.ones(n, np.int32), "iToy": np.zeros(n, np.int32), "iSeed": np.full(n, 123456, np.int32),
                  "iChannel": np.zeros(n, np.int32), "t_cpu": np.zeros(n, np.float32), "t_real": np.zeros(n, np.float32),
                  "quantileExpected": np.array([-1] + [1] * (n - 1), np.float32), "r": r,
                  "deltaNLL": ((r - 1) ** 2 / 2).astype(np.float32)})


def num(x):
    """15 significant digits (the test compares to 1e-12 relative); JSON has no NaN/Inf: strings."""
    return float("%.15g" % x) if math.isfinite(x) else repr(x)


if __name__ == "__main__":
    make_limit_tree()
    sys.exit(main())
