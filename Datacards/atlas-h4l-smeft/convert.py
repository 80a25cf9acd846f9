#!/usr/bin/env python3
"""Convert the Lilith-2 transcription of ATLAS HIGG-2018-28 (H->ZZ*->4l reduced STXS + SMEFT
parametrisation) into Recombine's Gaussian-measurement JSON format (see README.md here).

Usage: python3 convert.py [SOURCE_DIR]   (default: ../../../shared/spec/eft-data/atlas-h4l-smeft)

Writes atlas-h4l-smeft-cpeven.json and atlas-h4l-smeft-cpodd.json beside this script.
Only the standard library is used; the output is deterministic (sorted keys, fixed rounding).
"""
import ast, json, os, re, sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "spec", "eft-data", "atlas-h4l-smeft")

# Reduced stage-1.1 STXS bins in the order of the Lilith files. Names are inferred (eft.md §2.1).
BINS = ["ggF_0j_ptH_0_10", "ggF_0j_ptH_gt10", "ggF_1j_ptH_0_60", "ggF_1j_ptH_60_120",
        "ggF_1j_ptH_120_200", "ggF_ge2j", "ggF_ptH_gt200", "qqH_VHlike", "qqH_rest",
        "qqH_BSMlike", "VH_lep", "ttH"]


class Poly:
    """Sparse polynomial: {tuple of sorted variable names: coefficient}; () is the constant."""
    def __init__(self, terms=None):
        self.t = {k: v for k, v in (terms or {}).items() if v != 0}
    @staticmethod
    def const(c): return Poly({(): float(c)})
    @staticmethod
    def var(n): return Poly({(n,): 1.0})
    def __add__(self, o):
        r = dict(self.t)
        for k, v in o.t.items(): r[k] = r.get(k, 0.0) + v
        return Poly(r)
    def __neg__(self): return Poly({k: -v for k, v in self.t.items()})
    def __mul__(self, o):
        r = {}
        for k1, v1 in self.t.items():
            for k2, v2 in o.t.items():
                k = tuple(sorted(k1 + k2)); r[k] = r.get(k, 0.0) + v1 * v2
        return Poly(r)


class Rational:
    def __init__(self, num, den=None): self.n, self.d = num, den or Poly.const(1)
    def __add__(self, o):
        if self.d.t == o.d.t: return Rational(self.n + o.n, self.d)
        return Rational(self.n * o.d + o.n * self.d, self.d * o.d)
    def __sub__(self, o): return self + Rational(-o.n, o.d)
    def __mul__(self, o): return Rational(self.n * o.n, self.d * o.d)
    def __truediv__(self, o): return Rational(self.n * o.d, self.d * o.n)


def evaluate(node, rename):
    if isinstance(node, ast.Expression): return evaluate(node.body, rename)
    if isinstance(node, ast.Constant): return Rational(Poly.const(node.value))
    if isinstance(node, ast.Name): return Rational(Poly.var(rename.get(node.id, node.id)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = evaluate(node.operand, rename); return Rational(-v.n, v.d)
    if isinstance(node, ast.BinOp):
        a, b = evaluate(node.left, rename), None
        if isinstance(node.op, ast.Pow):
            k = node.right.value; assert isinstance(k, int) and k >= 1
            r = a
            for _ in range(k - 1): r = r * a
            return r
        b = evaluate(node.right, rename)
        return {ast.Add: a.__add__, ast.Sub: a.__sub__, ast.Mult: a.__mul__, ast.Div: a.__truediv__}[type(node.op)](b)
    raise ValueError("unsupported expression node %r" % node)


def blocks(path):
    """Lilith's layout: expressions separated by blank lines, '#' lines are headers."""
    out, cur = [], []
    for line in list(open(path)) + [""]:
        s = line.strip()
        if s.startswith("#"): continue
        if s == "":
            if cur: out.append(" ".join(cur)); cur = []
        else: cur.append(s)
    return out


def key(mono):
    parts, i = [], 0
    while i < len(mono):
        j = i
        while j < len(mono) and mono[j] == mono[i]: j += 1
        parts.append(mono[i] if j - i == 1 else "%s^%d" % (mono[i], j - i)); i = j
    return "*".join(parts)


def to_json(p):
    const = round(p.t.get((), 0.0), 12)
    terms = {key(k): round(v, 12) for k, v in sorted(p.t.items(), key=lambda kv: (len(kv[0]), kv[0])) if k != ()}
    return {"constant": const, "terms": terms}


def parse(expr, rename):
    return evaluate(ast.parse(expr.replace("\n", " "), mode="eval"), rename)


def channel(param_file, rename, label):
    exprs = blocks(os.path.join(SRC, param_file))
    assert len(exprs) == 14, "expected 12 production polynomials, the branching ratio and the acceptance"
    polys = {}
    for name, e in zip(BINS, exprs[:12]):
        r = parse(e, rename); assert r.d.t == {(): 1.0}
        polys["prod_" + name] = to_json(r.n)
    br = parse(exprs[12], rename)
    polys["Gamma_4l"] = to_json(br.n); polys["Gamma_tot"] = to_json(br.d)
    acc = parse(exprs[13], rename)
    polys["acceptance_num"] = to_json(acc.n); polys["acceptance_den"] = to_json(acc.d)

    root = ET.parse(os.path.join(SRC, "HIGG-2018-28_stxs_vn_dim12.xml")).getroot()
    n = len(BINS)
    value = [float(root.find("bestfit").find("d%d" % (i + 1)).text) for i in range(n)]
    minus, plus, corr = [0.0] * n, [0.0] * n, [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for u in root.find("param").findall("uncertainty"):
        i = int(u.get("axis")[1:]) - 1
        if u.get("side") == "left": minus[i] = abs(float(u.text))
        else: plus[i] = abs(float(u.text))
    for c in root.find("param").findall("correlation"):
        a, b = map(int, re.findall(r"\d+", c.get("entry")))
        corr[a - 1][b - 1] = corr[b - 1][a - 1] = float(c.text)
    sm = [list(map(float, l.split())) for l in open(os.path.join(SRC, "SMbin-prediction.txt")) if l.strip()]
    rth = [list(map(float, l.split())) for l in open(os.path.join(SRC, "SMbin-corr2017.txt")) if l.strip()]
    assert len(sm) == n and len(rth) == n

    meas = []
    for i, b in enumerate(BINS):
        meas.append({"name": b, "value": value[i], "minus": minus[i], "plus": plus[i], "sm": sm[i][0],
                     "numerator": ["prod_" + b, "Gamma_4l", "acceptance_num"],
                     "denominator": ["Gamma_tot", "acceptance_den"]})
    return {
        "format": "recombine-gaussian-measurements/1",
        "name": "ATLAS H->ZZ*->4l reduced STXS, SMEFT %s (HIGG-2018-28)" % label,
        "source": "ATLAS HIGG-2018-28, EPJC 80 (2020) 957; numbers as transcribed in Lilith-2 (see README.md)",
        "observable": "absolute",
        "units": "fb",
        "asymmetric": "variable-gaussian",
        "parameters": sorted(set(rename.values())) if rename else ["cHB", "cHG", "cHW", "cHWB", "cuH"],
        "polynomials": polys,
        "measurements": meas,
        "correlation": corr,
        "theory": {"minus": [r[1] for r in sm], "plus": [r[2] for r in sm], "correlation": rth},
    }


if __name__ == "__main__":
    even = channel("smeft-param-CPeven.txt", {}, "CP-even")
    odd = channel("smeft-param-CPodd.txt", {v: v + "til" for v in ["cHG", "cHW", "cHB", "cHWB", "cuH"]}, "CP-odd")
    for name, ch in [("atlas-h4l-smeft-cpeven.json", even), ("atlas-h4l-smeft-cpodd.json", odd)]:
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(ch, f, indent=1, ensure_ascii=False); f.write("\n")
        print("wrote", name)
