import Datacard
import Foundation
import Testing
import TestSupport
import Support

@testable import EFT

let eftData = TestPaths.shared.appendingPathComponent("spec/eft-data")
let stxsDir = eftData.appendingPathComponent(
  "stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01"
).path
let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/EFTTests/Fixtures")

// Hand-copied from the real prod.json / decay.json (CMS STXStoSMEFT, SMEFTsim topU3l), the terms among
// chg, chbox, ctgre, chw, chb only.
enum H4l {
  // prod GG2H_0J_PTH_0_10
  static let aP: [String: Double] = [
    "chbox": 0.12127164833089059, "chg": 39.32673955371397, "ctgre": -0.9382492494966725,
  ]
  static let bP: [String: Double] = [
    "chbox*chg": 2.3845601448605747, "chbox*ctgre": -0.05688692985076568,
    "chg*chg": 241.26611071419495,
    "chg*ctgre": -18.448711950335916, "ctgre*ctgre": 0.2199992504259565,
  ]
  // decay ZZ
  static let aZ: [String: Double] = ["chb": -0.09289383888244629, "chbox": 0.12125968933105469]
  static let bZ: [String: Double] = [
    "chb*chb": 0.4112720489501953, "chw*chw": 0.11205673217773438, "chw*chb": -0.017881393432617188,
  ]
  // decay tot
  static let aT: [String: Double] = [
    "chb": -0.11774443348228512, "chbox": 0.111094283433403, "chg": 3.2321440588070733,
    "chw": -0.025550148767896373,
  ]
  static let bT: [String: Double] = [
    "chb*chb": 1.0212057849486498, "chb*chw": 0.42466410726423676, "chg*chg": 36.08012882940807,
    "chg*chb": -1.9405225414513168, "chg*chw": -1.940455801866151, "chw*chw": 0.1851187104182335,
  ]

  static func lin(_ a: [String: Double], _ c: [String: Double]) -> Double {
    a.reduce(0) { $0 + $1.value * (c[$1.key] ?? 0) }
  }
  static func quad(_ b: [String: Double], _ c: [String: Double]) -> Double {
    b.reduce(0) { s, kv in
      let p = kv.key.split(separator: "*").map(String.init)
      return s + kv.value * (c[p[0]] ?? 0) * (c[p[1]] ?? 0)
    }
  }
  static func poly(
    _ a: [String: Double], _ b: [String: Double], _ c: [String: Double], linear: Bool = false
  ) -> Double {
    1 + lin(a, c) + (linear ? 0 : quad(b, c))
  }
  /// Second-order expansion of P·Z/T, written out term by term (eft.md §1.1).
  static func expanded(_ c: [String: Double], linear: Bool = false) -> Double {
    let names = ["chg", "chbox", "ctgre", "chw", "chb"]
    func A(_ m: [String: Double], _ j: String) -> Double { m[j] ?? 0 }
    func B(_ m: [String: Double], _ j: String, _ k: String) -> Double {
      m["\(j)*\(k)"] ?? m["\(k)*\(j)"] ?? 0
    }
    var mu = 1.0
    for j in names { mu += (A(aP, j) + A(aZ, j) - A(aT, j)) * (c[j] ?? 0) }
    if linear { return mu }
    for (x, j) in names.enumerated() {
      let bjj =
        B(bP, j, j) + B(bZ, j, j) - B(bT, j, j) + A(aP, j) * A(aZ, j) - A(aP, j) * A(aT, j) - A(
          aZ, j) * A(aT, j)
        + A(aT, j) * A(aT, j)
      mu += bjj * (c[j] ?? 0) * (c[j] ?? 0)
      for k in names[(x + 1)...] {
        let bjk =
          B(bP, j, k) + B(bZ, j, k) - B(bT, j, k) + A(aP, j) * A(aZ, k) + A(aP, k) * A(aZ, j) - A(
            aP, j) * A(aT, k)
          - A(aP, k) * A(aT, j) - A(aZ, j) * A(aT, k) - A(aZ, k) * A(aT, j) + 2 * A(aT, j)
          * A(aT, k)
        mu += bjk * (c[j] ?? 0) * (c[k] ?? 0)
      }
    }
    return mu
  }
  /// Physical-coefficient points (only these five non-zero).
  static let points: [[String: Double]] = [
    ["chg": 0.002, "chb": 0.3],
    ["chg": -0.004, "chbox": 1.2, "ctgre": 0.05, "chw": -0.5, "chb": 0.1],
    ["chbox": -2, "chw": 1.5],
    ["chg": 0.0011, "ctgre": -0.3, "chb": -0.25, "chw": 0.2],
  ]
  static let exponents = ["chg": 3, "chbox": 0, "ctgre": 1, "chw": 2, "chb": 2]
}

/// POI vector for a model from physical coefficients (θ = c·10^exponent when exponents are applied).
func poiVector(_ model: EFTModel, _ p: EFTParametrisation, _ c: [String: Double], exponents: Bool)
  -> [Double]
{
  p.coefficients.map { w in (c[w.name] ?? 0) * (exponents ? pow(10, Double(w.exponent)) : 1) }
}

@Test(.needsReference) func stxsToSMEFTH4lMatchesHandPolynomial() throws {
  let r = try STXStoSMEFT.read(
    directory: stxsDir,
    processes: ["ggH_0J_PTH_0_10_hzz": STXStoSMEFT.defaultMapping(process: "ggH_0J_PTH_0_10_hzz")!])
  let p = r.parametrisation
  #expect(p.coefficients.count == 57)
  #expect(
    STXStoSMEFT.defaultMapping(process: "ggH_0J_PTH_0_10_hzz")
      == .init(production: "GG2H_0J_PTH_0_10", decay: "ZZ"))
  #expect(
    STXStoSMEFT.defaultMapping(process: "ZH_lep_PTV_75_150_hbb")
      == .init(production: "QQ2HLL_PTV_75_150", decay: "bb"))
  #expect(
    STXStoSMEFT.defaultMapping(process: "ggZH_lep_PTV_0_75_hgg")
      == .init(production: "GG2HLL_PTV_0_75", decay: "gamgam"))
  #expect(p.forms.count == 64 + 10)
  for c in p.coefficients where H4l.exponents[c.name] != nil {
    #expect(c.exponent == H4l.exponents[c.name]!)
  }
  // Restrict to the five coefficients so the hand polynomial is complete (others fixed at 0).
  let sub = try p.restricted(to: ["chg", "chbox", "ctgre", "chw", "chb"])
  for exps in [true, false] {
    let ratioQ = try sub.compile(options: .init(truncation: .quadratic, applyExponents: exps))
    let ratioL = try sub.compile(options: .init(truncation: .linear, applyExponents: exps))
    let expQ = try sub.compile(
      options: .init(truncation: .quadratic, ratio: .expanded, applyExponents: exps))
    let expL = try sub.compile(
      options: .init(truncation: .linear, ratio: .expanded, applyExponents: exps))
    if exps {
      #expect(ratioQ.parameterNames == ["chgXE3", "chbox", "ctgreXE1", "chwXE2", "chbXE2"])
    }
    for c in H4l.points {
      let theta = poiVector(ratioQ, sub, c, exponents: exps)
      let s = { (m: EFTModel) in
        m.scaling(channel: "hzz_4l", process: "ggH_0J_PTH_0_10_hzz")!.value(at: theta)
      }
      let handQ =
        H4l.poly(H4l.aP, H4l.bP, c) * H4l.poly(H4l.aZ, H4l.bZ, c) / H4l.poly(H4l.aT, H4l.bT, c)
      let handL =
        H4l.poly(H4l.aP, H4l.bP, c, linear: true) * H4l.poly(H4l.aZ, H4l.bZ, c, linear: true)
        / H4l.poly(H4l.aT, H4l.bT, c, linear: true)
      #expect(close(s(ratioQ), handQ, 1e-11))
      #expect(close(s(ratioL), handL, 1e-11))
      #expect(close(s(expQ), H4l.expanded(c), 1e-11))
      #expect(close(s(expL), H4l.expanded(c, linear: true), 1e-11))
    }
  }
  // The worked example of eft.md §1.1: inclusive GG2H × BR(ZZ), c_Hb alone.
  let incl = try STXStoSMEFT.read(
    directory: stxsDir, processes: ["ggH_hzz": .init(production: "GG2H", decay: "ZZ")]
  )
  .parametrisation
  let ratio = try incl.compile(options: .init(applyExponents: false))
  let expd = try incl.compile(options: .init(ratio: .expanded, applyExponents: false))
  let ichb = incl.coefficientIndex(named: "chb")!
  func at(_ m: EFTModel, _ v: Double) -> Double {
    var t = [Double](repeating: 0, count: incl.coefficients.count)
    t[ichb] = v
    return m.scaling(channel: "x", process: "ggH_hzz")!.value(at: t)
  }
  let form = expd.scaling(channel: "x", process: "ggH_hzz")!.numerators[0]
  #expect(abs(form.linearCoefficient(ichb) - 0.0249) < 5e-5)
  #expect(abs(form.quadraticCoefficient(ichb, ichb) - -0.607) < 5e-4)
  #expect(abs(at(ratio, 1) - 0.69) < 0.005 && abs(at(expd, 1) - 0.42) < 0.005)
  #expect(abs(at(ratio, 2) - 0.51) < 0.005 && abs(at(expd, 2) - -1.38) < 0.005)
}

@Test(.needsReference) func stxsGradientMatchesFiniteDifferences() throws {
  let p = try STXStoSMEFT.read(
    directory: stxsDir, processes: ["ttH_hgg": .init(production: "TTH_PTH_60_120", decay: "gamgam")]
  ).parametrisation
  let m = try p.compile()
  let s = m.scaling(channel: "c", process: "ttH_hgg")!
  var theta = [Double](repeating: 0, count: p.coefficients.count)
  for i in theta.indices { theta[i] = 0.01 * Double((i * 7) % 11 - 5) }
  var g = [Double](repeating: 0, count: theta.count)
  _ = s.valueAndGradient(at: theta, accumulatingInto: &g)
  for i in theta.indices {
    var a = theta
    var b = theta
    a[i] += 1e-5
    b[i] -= 1e-5
    let fd = (s.value(at: a) - s.value(at: b)) / 2e-5
    #expect(abs(fd - g[i]) < 1e-6 * max(1, abs(g[i])), "coefficient \(p.coefficients[i].name)")
  }
}

@Test(.needsReference) func atlasH4lParametrisationMatchesHandPolynomial() throws {
  let text = try String(
    contentsOf: eftData.appendingPathComponent("atlas-h4l-smeft/smeft-param-CPeven.txt"),
    encoding: .utf8)
  // Blocks separated by blank lines; block 1 = ggF bin 1 cross section; the branching ratio follows "#branching".
  let sections = text.components(separatedBy: "#")
  let xs = sections.first { $0.hasPrefix("cross section") }!
  var blocks: [String] = [""]
  for line in xs.dropFirst("cross section".count).components(separatedBy: "\n") {
    if line.trimmingCharacters(in: .whitespaces).isEmpty {
      if !blocks.last!.isEmpty { blocks.append("") }
    } else {
      blocks[blocks.count - 1] += line + " "
    }
  }
  blocks.removeAll { $0.isEmpty }
  #expect(blocks.count == 12)
  let br = sections.first { $0.hasPrefix("branching ratio") }!.dropFirst("branching ratio".count)
  var coeffs: [WilsonCoefficient] = []
  let ggf1 = try PolynomialText.parse(blocks[0], coefficients: &coeffs)
  let vhlep = try PolynomialText.parse(blocks[10], coefficients: &coeffs)
  let tth = try PolynomialText.parse(blocks[11], coefficients: &coeffs)
  let (num, den) = try PolynomialText.parseRatio(String(br), coefficients: &coeffs)
  let p = EFTParametrisation(
    coefficients: coeffs,
    forms: ["ggF1": ggf1, "VHlep": vhlep, "ttH": tth, "G4l": num, "Gtot": den],
    targets: [
      EFTTarget(
        process: "ggF_bin1",
        scaling: .process(.init(numerators: ["ggF1", "G4l"], denominators: ["Gtot"]))),
      EFTTarget(
        process: "VH_lep",
        scaling: .process(.init(numerators: ["VHlep", "G4l"], denominators: ["Gtot"]))),
      EFTTarget(
        process: "ttH",
        scaling: .process(.init(numerators: ["ttH", "G4l"], denominators: ["Gtot"]))),
    ])
  // Hand transcription of eft.md §2.1.
  func ggF(_ c: [String: Double], _ lin: Bool) -> Double {
    1 + 35.8 * c["cHG", default: 0] + (lin ? 0 : 326.23 * pow(c["cHG", default: 0], 2))
  }
  func vh(_ c: [String: Double], _ lin: Bool) -> Double {
    let w = c["cHW", default: 0]
    let b = c["cHB", default: 0]
    let wb = c["cHWB", default: 0]
    return 1 + 0.828 * w + 0.035 * b + 0.127 * wb
      + (lin
        ? 0
        : 0.321 * w * w + 0.013 * b * b + 0.026 * wb * wb - 0.218 * w * b - 0.155 * w * wb + 0.02
          * b * wb)
  }
  func tt(_ c: [String: Double], _ lin: Bool) -> Double {
    let g = c["cHG", default: 0]
    let u = c["cuH", default: 0]
    return 1 + 0.483 * g - 0.108 * u + (lin ? 0 : 0.59 * g * g + 0.009 * u * u - 0.015 * g * u)
  }
  func g4l(_ c: [String: Double], _ lin: Bool) -> Double {
    let w = c["cHW", default: 0]
    let b = c["cHB", default: 0]
    let wb = c["cHWB", default: 0]
    return 1 - 0.199 * w - 0.112 * b + 0.181 * wb
      + (lin
        ? 0
        : 0.753 * w * w + 2.665 * b * b + 0.76 * wb * wb - 0.043 * w * b - 1.288 * w * wb - 1.397
          * b * wb)
  }
  func gtot(_ c: [String: Double], _ lin: Bool) -> Double {
    let w = c["cHW", default: 0]
    let b = c["cHB", default: 0]
    let wb = c["cHWB", default: 0]
    let g = c["cHG", default: 0]
    return 1 - 0.054 * w - 0.076 * b + 0.062 * wb + 1.519 * g
      + (lin
        ? 0
        : 0.162 * w * w + 1.209 * b * b + 0.357 * wb * wb + 14.922 * g * g + 0.518 * w * b - 0.441
          * w * wb
          - 1.132 * b * wb)
  }
  let points: [[String: Double]] = [
    ["cHG": 0.003], ["cHW": 0.5, "cHB": -0.2, "cHWB": 0.3],
    ["cHG": -0.006, "cuH": 4, "cHW": -1, "cHB": 0.1, "cHWB": 0.4],
    ["cHG": 0.01, "cuH": -12, "cHW": 2, "cHB": 0.5, "cHWB": -1],
  ]
  let ratioQ = try p.compile()
  let ratioL = try p.compile(options: .init(truncation: .linear))
  let expQ = try p.compile(options: .init(ratio: .expanded))
  for c in points {
    let theta = p.coefficients.map { c[$0.name] ?? 0 }
    for (proc, prod) in [("ggF_bin1", ggF), ("VH_lep", vh), ("ttH", tt)]
      as [(String, ([String: Double], Bool) -> Double)]
    {
      let q = ratioQ.scaling(channel: "4l", process: proc)!.value(at: theta)
      let l = ratioL.scaling(channel: "4l", process: proc)!.value(at: theta)
      #expect(close(q, prod(c, false) * g4l(c, false) / gtot(c, false), 1e-12))
      #expect(close(l, prod(c, true) * g4l(c, true) / gtot(c, true), 1e-12))
      // Expanded: compare with a numerical second-order Taylor polynomial of the hand ratio along the ray t·c.
      let f = { (t: Double) -> Double in
        let ct = c.mapValues { $0 * t }
        return prod(ct, false) * g4l(ct, false) / gtot(ct, false)
      }
      let h = 1e-3
      let d1 = (f(h) - f(-h)) / (2 * h)
      let d2 = (f(h) - 2 * f(0) + f(-h)) / (h * h)
      let e = expQ.scaling(channel: "4l", process: proc)!.value(at: theta)
      #expect(abs(e - (1 + d1 + d2 / 2)) < 1e-5 * max(1, abs(e)), "\(proc) \(c)")
    }
  }
}

@Test func combineScalingJSONMatchesHandPolynomial() throws {
  let plain = try CombineInterferenceFormat.read(
    path: fixtures.appendingPathComponent("scaling.json").path)
  let gz = try CombineInterferenceFormat.read(
    path: fixtures.appendingPathComponent("scaling.json.gz").path)
  #expect(plain == gz)
  #expect(plain.coefficients.map(\.name) == ["chg", "chbox", "ctgre", "cthre"])
  #expect(plain.coefficients[0].minimum == -5 && plain.coefficients[0].maximum == 5)
  let m = try plain.compile(options: .init(applyExponents: false))
  let t = m.target(channel: "hzz_4l", process: "ggH")!
  #expect(t.perBin && t.scalings.count == 3)
  #expect(m.target(channel: "other", process: "ggH") == nil)
  for c in H4l.points {
    let theta = plain.coefficients.map { c[$0.name] ?? 0 }
    #expect(close(t.scaling(bin: 0).value(at: theta), H4l.poly(H4l.aP, H4l.bP, c), 1e-12))
  }
  // Foreign round trip: write → read gives the same forms (after aligning coefficient order).
  for gzip in [false, true] {
    let data = try CombineInterferenceFormat.write(plain, gzip: gzip)
    let back = try CombineInterferenceFormat.parse(data: data)
    #expect(try back.restricted(to: plain.coefficients.map(\.name)) == plain)
  }
}

@Test func eft2ObsNewAndLegacyAgree() throws {
  let new = try EFT2ObsFormat.read(path: fixtures.appendingPathComponent("eft2obs_new.json").path)
  let legacy = try EFT2ObsFormat.read(
    path: fixtures.appendingPathComponent("eft2obs_legacy.json").path)
  #expect(new == legacy)
  #expect(
    new.targets.map(\.process) == ["GG2H_0J_PTH_0_10", "GG2H_0J_PTH_GT10", "GG2H_1J_PTH_0_60"])
  let m = try new.compile()
  for c in H4l.points {
    let theta = new.coefficients.map { c[$0.name] ?? 0 }
    #expect(
      close(
        m.scaling(channel: "any", process: "GG2H_0J_PTH_0_10")!.value(at: theta),
        H4l.poly(H4l.aP, H4l.bP, c), 1e-12))
  }
  // Shape-bin mapping and the same numbers as the scaling.json fixture.
  let shape = try EFT2ObsFormat.read(
    path: fixtures.appendingPathComponent("eft2obs_new.json").path,
    targets: .shapeBins(channel: "hzz_4l", process: "ggH"))
  let scaling = try CombineInterferenceFormat.read(
    path: fixtures.appendingPathComponent("scaling.json").path)
  let ms = try shape.compile()
  let mc = try scaling.compile(options: .init(applyExponents: false))
  for c in H4l.points {
    for b in 0..<3 {
      let v1 = ms.scaling(channel: "hzz_4l", process: "ggH", bin: b)!.value(
        at: shape.coefficients.map { c[$0.name] ?? 0 })
      let v2 = mc.scaling(channel: "hzz_4l", process: "ggH", bin: b)!.value(
        at: scaling.coefficients.map { c[$0.name] ?? 0 })
      #expect(close(v1, v2, 1e-12))
    }
  }
  // Writer round trips, both layouts.
  let forms = new.targets.map { t -> QuadraticForm in
    guard case .process(let f) = t.scaling else { fatalError() }
    return new.forms[f.numerators[0]]!
  }
  for legacyLayout in [false, true] {
    let data = try EFT2ObsFormat.write(
      bins: forms, coefficientNames: new.coefficients.map(\.name),
      binLabels: new.targets.map(\.process),
      legacy: legacyLayout)
    let back = try EFT2ObsFormat.parse(data: data).0
    let aligned = try back.restricted(to: new.coefficients.map(\.name))
    #expect(aligned == new)
  }
}

/// The AAC yield formula, written from the template rates directly (eft.md §1.2(e)).
func aacYield(_ rates: [String: Double], ops: [String], c: [String: Double]) -> Double {
  let sm = rates["sm"]!
  var n = 0.0
  var smFactor = 1.0
  for a in ops { smFactor -= c[a]! }
  for (i, a) in ops.enumerated() { for b in ops[(i + 1)...] { smFactor += c[a]! * c[b]! } }
  n += sm * smFactor
  for a in ops {
    var f = c[a]!
    for b in ops where b != a { f -= c[a]! * c[b]! }
    n += f * rates["sm_lin_quad_\(a)"]!
    n += (c[a]! * c[a]! - c[a]!) * rates["quad_\(a)"]!
  }
  for (i, a) in ops.enumerated() {
    for b in ops[(i + 1)...] { n += c[a]! * c[b]! * rates["sm_lin_quad_mixed_\(a)_\(b)"]! }
  }
  return n
}

@Test(.needsReference) func aacTemplatesReproduceTemplateFormula() throws {
  let card = try Datacard.parse(
    contentsOf: eftData.appendingPathComponent("aac-cards/datacard3op.txt").path)
  let p = try AACTemplates.convert(datacard: card)
  let rates = Dictionary(uniqueKeysWithValues: card.columns.map { ($0.process, $0.rate) })
  let ops = ["cG", "cGtil", "cH"]
  #expect(Set(p.coefficients.map(\.name)) == Set(ops))
  let m = try p.compile()
  for c in [
    ["cG": 0.5, "cGtil": -1.0, "cH": 2.0], ["cG": -3, "cGtil": 0.2, "cH": 0],
    ["cG": 1, "cGtil": 1, "cH": 1],
  ] {
    let theta = p.coefficients.map { c[$0.name]! }
    // Sum over all template processes of rate × μ = the AAC yield.
    var total = 0.0
    for col in card.columns {
      total += col.rate * (m.scaling(channel: col.bin, process: col.process)?.value(at: theta) ?? 1)
    }
    #expect(close(total, aacYield(rates, ops: ops, c: c), 1e-12))
  }
  // Card with a background: backgrounds are not targets; one operator.
  let card1 = try Datacard.parse(
    contentsOf: eftData.appendingPathComponent("aac-cards/datacard1opWithBkg.txt").path)
  let p1 = try AACTemplates.convert(datacard: card1)
  #expect(p1.target(channel: "test", process: "bkg1") == nil)
  let m1 = try p1.compile()
  let r1 = Dictionary(uniqueKeysWithValues: card1.columns.map { ($0.process, $0.rate) })
  for cg in [-2.0, 0.3, 1.7] {
    let s = r1["sm"]! * m1.scaling(channel: "test", process: "sm")!.value(at: [cg])
    #expect(close(s, aacYield(r1, ops: ["cG"], c: ["cG": cg]), 1e-12))
    #expect(m1.scaling(channel: "test", process: "quad_cG")!.value(at: [cg]) == 0)
  }
  // Linear-only naming: sm + sm_lin_X gives N = Sm + Σ c (SL − Sm).
  let lin = try AACTemplates.convert(
    channel: "test", yields: ["sm": [36.93], "sm_lin_cG": [36], "sm_lin_cH": [37]])
  let ml = try lin.compile()
  let th = lin.coefficients.map { ["cG": 0.4, "cH": -1.5][$0.name]! }
  #expect(
    close(
      36.93 * ml.scaling(channel: "test", process: "sm")!.value(at: th),
      36.93 + 0.4 * (36 - 36.93) - 1.5 * (37 - 36.93), 1e-12))
  // Template yields of the absolute form reproduce the card's rates.
  let smForm = p.forms["test/sm"]!.scaled(by: rates["sm"]!)
  let back = AACTemplates.templateYields(smForm, coefficientNames: p.coefficients.map(\.name))
  for (k, v) in back { #expect(close(v, rates[k]!, 1e-12), "\(k)") }
  // And re-converting those yields gives the same forms (to rounding).
  let again = try AACTemplates.convert(channel: "test", yields: back.mapValues { [$0] })
  let again2 = try again.restricted(to: p.coefficients.map(\.name))
  let f1 = p.forms["test/sm"]!
  let f2 = again2.forms["test/sm"]!
  #expect(f1.indices == f2.indices)
  for (a, b) in zip(f1.packed, f2.packed) { #expect(close(a, b, 1e-12)) }
}

@Test(.needsReference) func topEFTTemplateNaming() throws {
  // TopEFT: <proc>_sm, <proc>_lin_X (= SM+Lin+Quad), <proc>_quad_X, <proc>_quad_mixed_X_Y.
  let y: [String: [Double]] = [
    "ttH_sm": [10, 20], "ttH_lin_ctG": [13, 21], "ttH_quad_ctG": [1, 0.5], "ttH_lin_ctp": [9, 19],
    "ttH_quad_ctp": [0.2, 0.1], "ttH_quad_mixed_ctG_ctp": [12.5, 20.3],
  ]
  let p = try AACTemplates.convert(channel: "2lss", yields: y, naming: .topEFT(process: "ttH"))
  #expect(
    AACTemplates.role(of: "ttH_quad_mixed_ctG_ctp", naming: .topEFT(process: "ttH"))
      == .mixed("ctG", "ctp"))
  let m = try p.compile()
  let t = m.target(channel: "2lss", process: "ttH_sm")!
  #expect(t.perBin && t.scalings.count == 2)
  for (g, tp) in [(0.5, -1.0), (2.0, 0.3)] {
    let theta = p.coefficients.map { $0.name == "ctG" ? g : tp }
    for b in 0..<2 {
      let sm = y["ttH_sm"]![b]
      let lG = y["ttH_lin_ctG"]![b] - sm - y["ttH_quad_ctG"]![b]
      let lP = y["ttH_lin_ctp"]![b] - sm - y["ttH_quad_ctp"]![b]
      let mix =
        y["ttH_quad_mixed_ctG_ctp"]![b]
        - (sm + lG + y["ttH_quad_ctG"]![b] + lP + y["ttH_quad_ctp"]![b])
      let n =
        sm + lG * g + lP * tp + y["ttH_quad_ctG"]![b] * g * g + y["ttH_quad_ctp"]![b] * tp * tp
        + mix * g * tp
      #expect(close(sm * t.scaling(bin: b).value(at: theta), n, 1e-12))
    }
  }
  // The TOP-22-006 card's process names are classified.
  let card = try Datacard.parse(
    contentsOf: eftData.appendingPathComponent("topeft-card/ttx_multileptons-2lss_p_4j_lj0pt.txt")
      .path)
  let templates = card.processes.filter {
    AACTemplates.role(of: $0, naming: .topEFT(process: "ttH")) != nil
  }
  #expect(templates.count == 136)
}

@Test(.needsReference) func nativeFormatRoundTrips() throws {
  var all: [(String, EFTParametrisation)] = []
  all.append(
    (
      "stxs",
      try STXStoSMEFT.read(
        directory: stxsDir,
        processes: [
          "ggH_0J_PTH_0_10_hzz": .init(production: "GG2H_0J_PTH_0_10", decay: "ZZ"),
          "ttH_hgg": .init(production: "TTH", decay: "gamgam"),
          "qqH": .init(production: "QQ2HQQ", decay: nil),
        ]
      ).parametrisation
    ))
  all.append(
    (
      "scaling",
      try CombineInterferenceFormat.read(
        path: fixtures.appendingPathComponent("scaling.json.gz").path)
    ))
  all.append(
    (
      "eft2obs",
      try EFT2ObsFormat.read(path: fixtures.appendingPathComponent("eft2obs_legacy.json").path)
    ))
  all.append(
    (
      "aac",
      try AACTemplates.convert(
        datacard: try Datacard.parse(
          contentsOf: eftData.appendingPathComponent("aac-cards/datacard3op.txt").path))
    ))
  for (name, p) in all {
    let data = try NativeFormat.encode(p)
    let back = try NativeFormat.decode(data)
    #expect(back == p, "\(name)")
    // Compact encoding and gzipped file too.
    #expect(try NativeFormat.decode(NativeFormat.encode(p, pretty: false)) == p)
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent(
      "eft-\(name)-\(getpid()).json.gz")
    try Data(try Gzip.compress([UInt8](data))).write(to: tmp)
    #expect(try NativeFormat.read(path: tmp.path) == p)
    try? FileManager.default.removeItem(at: tmp)
  }
  // STXS foreign round trip: native → prod/decay/pois → reimport.
  let stxs = all[0].1
  let (prod, decay, pois) = try STXStoSMEFT.write(stxs)
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stxs-\(getpid())")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  try prod.write(to: dir.appendingPathComponent("prod.json"))
  try decay.write(to: dir.appendingPathComponent("decay.json"))
  try pois.write(to: dir.appendingPathComponent("pois.yaml"), atomically: true, encoding: .utf8)
  let mapping: [String: STXStoSMEFT.ProcessMapping] = [
    "ggH_0J_PTH_0_10_hzz": .init(production: "GG2H_0J_PTH_0_10", decay: "ZZ"),
    "ttH_hgg": .init(production: "TTH", decay: "gamgam"),
    "qqH": .init(production: "QQ2HQQ", decay: nil),
  ]
  let again = try STXStoSMEFT.read(directory: dir.path, processes: mapping).parametrisation
  #expect(again == stxs)
  try? FileManager.default.removeItem(at: dir)
  // A native file with unknown coefficients is rejected.
  let bad =
    #"{"format":"recombine-eft","version":1,"coefficients":[],"forms":{"f":{"linear":{"x":1}}},"targets":[]}"#
  #expect(throws: EFTError.self) { try NativeFormat.decode(Data(bad.utf8)) }
}

@Test func polynomialTextParsing() throws {
  var c: [WilsonCoefficient] = []
  let f = try PolynomialText.parse(
    "50-60:1 + 0.073*chb - 1e-3*chw + 0.021*chb*chb - 2.5E-2*chb*chw + 3*che**2", coefficients: &c)
  #expect(c.map(\.name) == ["chb", "chw", "che"])
  #expect(f.constant == 1 && f.linearCoefficient(0) == 0.073 && f.linearCoefficient(1) == -1e-3)
  #expect(
    f.quadraticCoefficient(0, 0) == 0.021 && f.quadraticCoefficient(0, 1) == -2.5e-2
      && f.quadraticCoefficient(2, 2) == 3)
  #expect(throws: EFTError.self) { try PolynomialText.parse("1 + a*b*c", coefficients: &c) }
}

@Test func optionsAndTargets() throws {
  #expect(try EFTOptions(truncation: "linear") == EFTOptions(truncation: .linear))
  #expect(
    try EFTOptions(truncation: "expanded") == EFTOptions(truncation: .quadratic, ratio: .expanded))
  #expect(throws: EFTError.self) { try EFTOptions(truncation: "cubic") }
  #expect(WilsonCoefficient(name: "chg", exponent: 3).poiName == "chgXE3")
  #expect(WilsonCoefficient(name: "c", exponent: -2).poiName == "cXEm2")
  #expect(WilsonCoefficient(name: "c", exponent: 0).poiName == "c")
  // Exact channel wins over "*".
  let f1 = QuadraticForm(constant: 1, linear: [0: 1])
  let f2 = QuadraticForm(constant: 2)
  let p = EFTParametrisation(
    coefficients: [.init(name: "a")], forms: ["f1": f1, "f2": f2],
    targets: [
      EFTTarget(process: "s", scaling: .process(.init(numerators: ["f1"]))),
      EFTTarget(channel: "chB", process: "s", scaling: .process(.init(numerators: ["f2"]))),
    ])
  let m = try p.compile()
  #expect(m.scaling(channel: "chA", process: "s")!.value(at: [3]) == 4)
  #expect(m.scaling(channel: "chB", process: "s")!.value(at: [3]) == 2)
  var broken = p
  broken.targets.append(EFTTarget(process: "t", scaling: .process(.init(numerators: ["missing"]))))
  #expect(throws: EFTError.self) { try broken.compile() }
}

@Test(.needsReference) func bulkEvaluationExpandedExportAndNegativeWarning() throws {
  let mapping: [String: STXStoSMEFT.ProcessMapping] = [
    "ggH_hzz": .init(production: "GG2H", decay: "ZZ"),
    "ttH_hgg": .init(production: "TTH", decay: "gamgam"),
    "qqH_hzz": .init(production: "QQ2HQQ", decay: "ZZ"),
  ]
  let p = try STXStoSMEFT.read(directory: stxsDir, processes: mapping).parametrisation
  let model = try p.compile()
  let n = p.coefficients.count
  var theta = [Double](repeating: 0, count: n)
  for i in 0..<n { theta[i] = 0.02 * Double((i * 5) % 9 - 4) }
  var values = [Double](repeating: 0, count: model.flatScalings.count)
  model.evaluateAll(at: theta, into: &values)
  #expect(values.count == 3 && model.flatOffsets == [0, 1, 2])
  let weights = [0.5, -1.25, 2.0]
  var g = [Double](repeating: 0, count: n)
  let total = model.accumulateGradient(at: theta, weights: weights, into: &g)
  var gRef = [Double](repeating: 0, count: n)
  var totalRef = 0.0
  for (k, s) in model.flatScalings.enumerated() {
    #expect(close(values[k], s.value(at: theta)))
    totalRef +=
      weights[k] * s.valueAndGradient(at: theta, accumulatingInto: &gRef, weight: weights[k])
  }
  #expect(close(total, totalRef))
  for i in 0..<n { #expect(close(g[i], gRef[i])) }
  // Expanded ratios exported to Combine's scaling.json and read back evaluate like `.expanded`.
  let flat = try p.expandingRatios()
  let back = try CombineInterferenceFormat.parse(data: try CombineInterferenceFormat.write(flat))
  let mBack = try back.compile(options: .init(applyExponents: false))
  let mExp = try p.compile(options: .init(ratio: .expanded, applyExponents: false))
  let c = p.coefficients.map { _ in 0.0 }
  var c1 = c
  c1[p.coefficientIndex(named: "chg")!] = 0.001
  c1[p.coefficientIndex(named: "chb")!] = -0.2
  c1[p.coefficientIndex(named: "chw")!] = 0.3
  for proc in mapping.keys {
    let t = back.coefficients.map { w in c1[p.coefficientIndex(named: w.name)!] }
    #expect(
      close(
        mBack.scaling(channel: "*", process: proc)!.value(at: t),
        mExp.scaling(channel: "x", process: proc)!.value(at: c1), 1e-12))
  }
  // eft.md §1.1: the expanded GG2H×ZZ scaling is negative at c_Hb = 2 → reported.
  var c2 = c
  c2[p.coefficientIndex(named: "chb")!] = 2
  let neg = mExp.nonPositiveScalings(at: c2)
  #expect(neg.contains { $0.process == "ggH_hzz" && abs($0.value - -1.38) < 0.005 })
  #expect(try p.compile(options: .init(applyExponents: false)).nonPositiveScalings(at: c2).isEmpty)
}

@Test func combineScalingWithLinearExprParameters() throws {
  // TopEFT-style rotated parameter: ctBRe = ctZ/sW − ctW·cW/sW.
  let json = """
    [{"channel": "ch", "process": "ttZ",
      "parameters": ["cSM[1]", "ctZ[0,-2,2]", "ctW[0,-1.5,1.5]",
                     "expr::ctBRe('@0 / 0.4724 - @1 * 0.88136/0.4724', ctZ, ctW)"],
      "scaling": [[1, 0.3, 2, -0.1, 0.25, 1.5, 0.05, -0.4, 0.2, 0.8]]}]
    """
  let p = try CombineInterferenceFormat.parse(data: Data(json.utf8))
  #expect(p.coefficients.map(\.name) == ["ctZ", "ctW"])
  let m = try p.compile()
  let mat: [[Double]] = [
    [1, 0.3, -0.1, 0.05], [0.3, 2, 0.25, -0.4], [-0.1, 0.25, 1.5, 0.2], [0.05, -0.4, 0.2, 0.8],
  ]
  for (z, w) in [(0.5, -0.3), (-1.2, 0.7), (0.0, 1.0)] {
    let x = [1, z, w, z / 0.4724 - w * 0.88136 / 0.4724]
    var hand = 0.0
    for i in 0..<4 { for j in 0..<4 { hand += x[i] * mat[i][j] * x[j] } }
    #expect(
      close(m.scaling(channel: "ch", process: "ttZ", bin: 0)!.value(at: [z, w]), hand, 1e-12))
  }
  let bad =
    #"[{"channel":"c","process":"p","parameters":["cSM[1]","expr::q('@0*@1',a[0,-1,1],b[0,-1,1])"],"scaling":[[1,0,0]]}]"#
  #expect(throws: EFTError.self) { try CombineInterferenceFormat.parse(data: Data(bad.utf8)) }
}

/// combination_eft.json: 130 process targets built from 43 distinct factor lists, 35 distinct by
/// content (counted independently from the JSON with Python). The model keeps one scaling per
/// distinct content, maps every target to it, and evaluates values and gradients as the targets'
/// own scalings do.
@Test func sharedScalingsAreEvaluatedOnce() throws {
  let path = TestPaths.packageRoot.appendingPathComponent("Datacards/combination_eft.json").path
  let p = try NativeFormat.read(path: path)
  let model = try p.compile()
  let flat = model.flatScalings
  var names = Set<ScalingFactors>()
  var contents = Set<[[QuadraticForm]]>()
  for t in p.targets {
    guard case .process(let f) = t.scaling else {
      Issue.record("\(t.channel)/\(t.process): not a process target")
      continue
    }
    names.insert(f)
    contents.insert([f.numerators.map { p.forms[$0]! }, f.denominators.map { p.forms[$0]! }])
  }
  #expect(flat.count == 130 && names.count == 43 && contents.count == 35)
  #expect(model.uniqueScalings.count == contents.count)
  for k in flat.indices { #expect(model.uniqueScalings[model.flatToUnique[k]] == flat[k]) }
  let n = model.parameters.count
  let theta = (0..<n).map { 0.1 * Double($0 % 5) - 0.2 }
  var values = [Double](repeating: .nan, count: flat.count)
  model.evaluateAll(at: theta, into: &values)
  for k in flat.indices { #expect(values[k] == flat[k].value(at: theta)) }
  let weights = flat.indices.map { 1 + Double($0 % 7) }
  var g = [Double](repeating: 0, count: n)
  let total = model.accumulateGradient(at: theta, weights: weights, into: &g)
  var gRef = [Double](repeating: 0, count: n)
  var totalRef = 0.0
  for k in flat.indices {
    totalRef += weights[k] * flat[k].valueAndGradient(at: theta, accumulatingInto: &gRef, weight: weights[k])
  }
  #expect(close(total, totalRef, 1e-12 * abs(totalRef)))
  let scale = gRef.map(abs).max()!
  for i in 0..<n { #expect(abs(g[i] - gRef[i]) <= 1e-12 * scale, "∂/∂\(model.parameters[i].name)") }
  // The likelihood's path (EFTScalingFunctions) gives the same numbers.
  let fns = EFTScalingFunctions(model: model)
  #expect(fns.count == flat.count)
  var v2 = [Double](repeating: .nan, count: flat.count)
  theta.withUnsafeBufferPointer { t in v2.withUnsafeMutableBufferPointer { fns.evaluate(t, into: $0) } }
  #expect(v2 == values)
  var g2 = [Double](repeating: 0, count: n)
  theta.withUnsafeBufferPointer { t in
    weights.withUnsafeBufferPointer { w in g2.withUnsafeMutableBufferPointer { fns.accumulateGradient(t, weights: w, into: $0) } }
  }
  #expect(g2 == g)
}
