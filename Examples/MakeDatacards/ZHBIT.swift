//===--- ZHBIT.swift ------------------------------------------------------===//
// The ZH channel whose categories come from a Boosted Information Tree (issue 6, `zh-bit/`):
// the ZH toy of arXiv:2205.12976 (LO qq̄ → Z(→ℓℓ)h, c_HQ3, c_HW, c_HW̃), a quadratic
// multi-coefficient BIT, 8 categories of its t_cHW score with the most binned Fisher information of
// c_HW, a ZH(→bb)Z(→ℓℓ) SM yield at 138 fb⁻¹, two backgrounds built from the toy's phase space, lnN
// systematics named as in the other channels, SM Poisson pseudo-data, and the SMEFT parametrisation
// in the CMS STXStoSMEFT names (chw, chwtil, chj3). Every number is explained in
// Datacards/README.md; the category table is written to zh-bit/zhbit_categories.md.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation
import InformationTrees

enum ZHBIT {
  // MARK: Samples and training (as Examples/bit-categories.sh)

  static let trainEvents = 20_000, trainSeed: UInt64 = 1
  static let binEvents = 40_000, binSeed: UInt64 = 2
  static let backgroundEvents = 200_000, backgroundSeed: UInt64 = 3
  /// 30 trees of depth 4 (3 split levels), η = 0.2, ≥ 50 events per child, histogram splits. One
  /// thread: the trainer's results do not depend on the thread count (Trainer.swift), this only
  /// makes that independent of the library's guarantee.
  static let config = BITConfig(trees: 30, learningRate: 0.2, maxDepth: 4, minSize: 50, mode: .histogram,
                                maxBins: 256, positive: false, threads: 1)
  static let categoryCount = 8
  static let score = "t_cHW"

  // MARK: Normalisation (138 fb⁻¹)

  /// σ(qq̄ → ZH) at 13 TeV, m_H = 125.09 GeV (LHC Higgs XS WG YR4: σ(ZH) 0.8839 pb minus gg→ZH
  /// 0.1227 pb; the toy is qq̄-initiated), fb.
  static let sigmaQQZH = 761.2
  /// BR(H → bb̄) (YR4, 125.09 GeV) and BR(Z → ee) + BR(Z → μμ) (PDG).
  static let brHbb = 0.5809
  static let brZll = 0.03363 + 0.03366
  static let lumi = 138.0
  /// Acceptance × efficiency of a CMS-like 2-lepton + 2 b-tag selection (our assumption).
  static let acceptance = 0.15
  /// The SM signal yield: 761.2 · 0.5809 · 0.06729 · 138 · 0.15 ≈ 616 events.
  static var signalYield: Double { rounded(sigmaQQZH * brHbb * brZll * lumi * acceptance, 1) }
  /// Background totals after the same selection (our assumption, at the scale of the CMS VH(bb)
  /// 2-lepton channel: Z+jets dominates, S/B of a few per cent overall, better at high p_T(Z)).
  static let backgroundTotals: [(name: String, total: Double)] = [("Zjets", 8000), ("ZZ", 400)]

  static let signalName = "ZH_hbb"
  static let channelPrefix = "cat"
  static let seedData: UInt64 = 20_250_301

  /// The toy's coefficients (ZHToy.coefficients order cHQ3, cHW, cHWtil) → CMS STXStoSMEFT names.
  /// c_HQ3 of the toy couples to all five quark flavours; ZH is dominated by u, d, so it is the
  /// topU3l light-quark coefficient chj3 (the b b̄ → ZH part, ~1%, belongs to chq3 in topU3l).
  static let stxsNames = ["cHQ3": "chj3", "cHW": "chw", "cHWtil": "chwtil"]
  /// chwtil is not among the 12 WCs of the other channels: it is appended, with pois.yaml's
  /// exponent 0 and a range of ±10.
  static let chwtil = WilsonCoefficient(name: "chwtil", value: 0, minimum: -10, maximum: 10, exponent: 0)

  // MARK: Background samples

  /// A background weight on the toy's phase space (its flat sampling of ŝ, y and the angles): the
  /// q q̄ parton luminosity Σ_q [q(x1)q̄(x2) + q̄(x1)q(x2)] × (ŝ_min/ŝ)^n × (1+cos²Θ)(1+cos²θ̂) (the
  /// feature f2TT: transversely polarised Z, no interference structure, so no CP-odd angular
  /// modulation). n = 3 for the Z+jets-like continuum (softer than ZH), n = 2 for ZZ.
  static func backgroundWeights(_ toy: ZHToy, features X: [Double], count n: Int, power: Double) -> [Double] {
    let F = ZHToy.featureNames.count
    let sMin = (125.1 + 91.1876) * (125.1 + 91.1876)
    return (0..<n).map { i in
      let rs = X[i * F], y = X[i * F + 2], f2TT = X[i * F + 8]
      let (x1, x2) = ZHToy.momentumFractions(sqrtSHat: rs, y: y)
      let L = toy.luminosities(x1: x1, x2: x2).reduce(0.0) { $0 + $1.0 + $1.1 }
      return L * pow(sMin / (rs * rs), power) * f2TT
    }
  }

  // MARK: The channel

  struct Result {
    var channels: [ChannelTemplates]
    var systematics: [SystematicSpec]
    /// Per category: the production form coefficients in the toy's coefficient order (A_a, and
    /// B_ab in the canonical derivative order), normalised to the category's SM yield.
    var forms: [[Int: Double]]
    var quadratic: [[IndexPair: Double]]
    var categoriesText: String
  }

  static func build(pdfDirectory: String, stxs: EFTParametrisation) throws -> Result {
    let toy = try ZHToy(pdfDirectory: pdfDirectory)
    let train = toy.generate(count: trainEvents, seed: trainSeed)
    let model = try trainBIT(train, config: config)
    guard let j = model.outputNames.firstIndex(of: score) else { throw BITError("no output \(score)") }

    var sig = toy.generate(count: binEvents, seed: binSeed)
    let raw = sig.weightColumn(0).reduce(0, +)
    // Inclusive linear/quadratic terms of the toy (before any scaling), for the documentation.
    let inclusive = (0..<sig.derivatives.count).map { d in sig.weightColumn(1 + d).reduce(0, +) / raw }
    let scale = signalYield / raw
    for k in sig.weights.indices { sig.weights[k] *= scale }
    let sigStat = model.evaluate(.output(j), features: sig.features)

    let bX = ZHToy.sampleFeatures(count: backgroundEvents, seed: backgroundSeed)
    let bStat = model.evaluate(.output(j), features: bX)
    var backgrounds: [BackgroundSample] = []
    for (name, total) in backgroundTotals {
      let w = backgroundWeights(toy, features: bX, count: backgroundEvents, power: name == "Zjets" ? 3 : 2)
      let s = total / w.reduce(0, +)
      backgrounds.append(BackgroundSample(name: name, statistic: bStat, weights: w.map { $0 * s }))
    }

    let cHW = ZHToy.coefficients.firstIndex(of: "cHW")!
    let opts = CategoryOptions(categories: categoryCount, method: .fisher, objective: .fisher(coefficient: cHW),
                               fineBins: 600, minEvents: 20, minYield: 0)
    let cat = try categorise(signal: sig, statistic: sigStat, backgrounds: backgrounds, options: opts)

    // Channels: one counting bin per category; rates rounded to 3 decimals.
    var channels: [ChannelTemplates] = []
    var mcstat: [String: [String: Double]] = [:]
    for b in 0..<cat.count {
      let name = "\(channelPrefix)\(b)"
      var procs: [ProcessTemplate] = []
      let s = rounded(cat.signalYield(b), 3)
      procs.append(ProcessTemplate(name: signalName, isSignal: true, values: [s], eventWeight: 0, rate: s))
      mcstat[name, default: [:]][signalName] = 1 + cat.signalSumW2[b].squareRoot() / cat.signalYield(b)
      for (k, bg) in cat.backgroundNames.enumerated() {
        let y = max(rounded(cat.backgroundYields[k][b], 3), 0.001)
        procs.append(ProcessTemplate(name: bg, isSignal: false, values: [y], eventWeight: 0, rate: y))
        mcstat[name, default: [:]][bg] = 1 + cat.backgroundSumW2[k][b].squareRoot() / cat.backgroundYields[k][b]
      }
      channels.append(ChannelTemplates(name: name, edges: [0, 1], processes: procs))
    }

    // Systematics (names shared with H→4ℓ / ttH where the physics is the same).
    var systs: [SystematicSpec] = run2LumiSystematics { _, _ in true } + [
      SystematicSpec(name: "CMS_eff_m", type: .lnN) { _, _ in lnN(1.01) },
      SystematicSpec(name: "CMS_eff_e", type: .lnN) { _, _ in lnN(1.015) },
      SystematicSpec(name: "CMS_zhbit_btag", type: .lnN) { _, _ in lnN(1.04) },
      SystematicSpec(name: "QCDscale_VH", type: .lnN) { _, p in p == signalName ? lnN(down: 0.969, up: 1.038) : .none },
      SystematicSpec(name: "pdf_Higgs_qqbar", type: .lnN) { _, p in p == signalName ? lnN(1.016) : .none },
      SystematicSpec(name: "BRhiggs_hbb", type: .lnN) { _, p in p == signalName ? lnN(down: 0.9874, up: 1.0124) : .none },
      SystematicSpec(name: "QCDscale_VV", type: .lnN) { _, p in p == "ZZ" ? lnN(1.032) : .none },
      SystematicSpec(name: "pdf_qqbar", type: .lnN) { _, p in p == "ZZ" ? lnN(1.031) : .none },
      SystematicSpec(name: "CMS_zhbit_Zjets_norm", type: .lnN) { _, p in p == "Zjets" ? lnN(1.10) : .none },
    ]
    // MC statistics of each category and process (the samples are weighted): κ = 1 + √Σw²/Σw.
    for c in channels {
      for p in c.processes {
        let k = rounded(mcstat[c.name]![p.name]!, 4)
        let (cn, pn) = (c.name, p.name)
        systs.append(SystematicSpec(name: "CMS_zhbit_mcstat_\(cn)_\(pn)", type: .lnN) { ch, pr in
          ch == cn && pr == pn ? lnN(max(k, 1.0001)) : .none
        })
      }
    }

    // Production forms per category, μ_b = λ_b(c)/λ_b(0), in the toy's coefficient indices,
    // rounded to 6 significant digits.
    var lin: [[Int: Double]] = [], quad: [[IndexPair: Double]] = []
    for b in 0..<cat.count {
      let w0 = cat.signalYield(b)
      var l: [Int: Double] = [:], q: [IndexPair: Double] = [:]
      for (d, der) in cat.derivatives.enumerated() {
        let v = significant(cat.signalSums[b * cat.stride + 1 + d] / w0, 6)
        if der.count == 1 { l[der[0]] = v } else { q[IndexPair(der[0], der[1])] = der[0] == der[1] ? significant(0.5 * v, 6) : v }
      }
      lin.append(l)
      quad.append(q)
    }

    // The category table (zhbit_categories.md).
    let fisher = fisherSummary(cat, signal: sig)
    var t = """
      # ZH with BIT categories: the generated category table

      Written by `make-datacards` with `zhbit.txt` and `zhbit_eft.json`; see ../README.md.

      Statistic \(score) of a \(model.trees.count)-tree quadratic BIT (\(ZHToy.coefficients.joined(separator: ", "))),
      trained on \(trainEvents) toy events (seed \(trainSeed)); categories by the `fisher` method (binned Fisher
      information of c_HW with the backgrounds, \(opts.fineBins) fine bins) on \(binEvents) events (seed \(binSeed)).
      Backgrounds: \(backgroundEvents) phase-space points (seed \(backgroundSeed)), reweighted (README).
      Yields are expected events at 138 fb⁻¹; "data" is the SM pseudo-data (Poisson, seed \(seedData)).
      A_x = ∂μ/∂c_x at the SM, in the physical coefficient (Λ = 1 TeV); B_xx the c_x² term.


      """
    t += "| category | \(score) low | \(score) high | MC events | ZH_hbb | Zjets | ZZ | A_chw | A_chj3 | A_chwtil | B_chw,chw | B_chj3,chj3 | B_chwtil,chwtil |\n"
    t += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    let iHQ3 = ZHToy.coefficients.firstIndex(of: "cHQ3")!, iHWt = ZHToy.coefficients.firstIndex(of: "cHWtil")!
    func f(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }
    func g(_ x: Double) -> String { String(format: "%.4g", x) }
    for b in 0..<cat.count {
      let lo = b == 0 ? "−∞" : g(cat.edges[b - 1]), hi = b == cat.count - 1 ? "+∞" : g(cat.edges[b])
      let procs = channels[b].processes
      t += "| \(channels[b].name) | \(lo) | \(hi) | \(cat.signalCounts[b]) | " + procs.map { f($0.rate, 2) }.joined(separator: " | ")
      t += " | \(g(lin[b][cHW] ?? 0)) | \(g(lin[b][iHQ3] ?? 0)) | \(g(lin[b][iHWt] ?? 0))"
      t += " | \(g(quad[b][IndexPair(cHW, cHW)] ?? 0)) | \(g(quad[b][IndexPair(iHQ3, iHQ3)] ?? 0)) | \(g(quad[b][IndexPair(iHWt, iHWt)] ?? 0)) |\n"
    }
    t += "\nFisher information per unit c (signal only, 138 fb⁻¹ normalisation):\n\n"
    t += "| coefficient | unbinned | 8 categories | kept | 8 categories with backgrounds |\n|---|---:|---:|---:|---:|\n"
    for s in fisher {
      t += "| \(stxsNames[s.coefficient]!) (\(s.coefficient)) | \(g(s.unbinned)) | \(g(s.binned)) | \(f(s.fraction)) | \(g(s.binnedWithBackgrounds)) |\n"
    }
    t += "\nInclusive toy terms (Σw_d/Σw_0 over the \(binEvents) events; STXStoSMEFT QQ2HLL for comparison: "
    t += "A_chw 0.729, A_chj3 1.76, B_chw² 0.245, B_chj3² 2.47, B_chwtil² 0.145):\n\n"
    for (d, der) in sig.derivatives.enumerated() {
      let name = der.map { stxsNames[ZHToy.coefficients[$0]]! }.joined(separator: ",")
      let v = der.count == 2 && der[0] == der[1] ? 0.5 * inclusive[d] : inclusive[d]
      t += "- \(der.count == 1 ? "A" : "B")_\(name): \(g(v))\n"
    }
    return Result(channels: channels, systematics: systs, forms: lin, quadratic: quad, categoriesText: t)
  }

  /// The EFT parametrisation of the card (bins `<channelPrefix>` + category, renamed with
  /// `binPrefix` for the combination): the production form per category in the STXStoSMEFT
  /// coefficients, times Γ_bb/Γ_tot (decay.json).
  static func eft(_ r: Result, stxs: EFTParametrisation, binPrefix: String = "") throws
    -> (coefficients: [WilsonCoefficient], forms: [String: QuadraticForm], targets: [EFTTarget])
  {
    let coefficients = stxs.coefficients + [chwtil]
    func index(_ toyIndex: Int) -> Int {
      let n = stxsNames[ZHToy.coefficients[toyIndex]]!
      return coefficients.firstIndex { $0.name == n }!
    }
    var forms: [String: QuadraticForm] = [:]
    var targets: [EFTTarget] = []
    for (b, c) in r.channels.enumerated() {
      var l: [Int: Double] = [:], q: [IndexPair: Double] = [:]
      for (k, v) in r.forms[b] { l[index(k)] = v }
      for (p, v) in r.quadratic[b] { q[IndexPair(index(p.first), index(p.second))] = v }
      let ch = binPrefix + c.name
      let name = "prod:zhbit/\(c.name)/\(signalName)"
      forms[name] = QuadraticForm(constant: 1, linear: l, quadratic: q)
      targets.append(EFTTarget(channel: ch, process: signalName,
                               scaling: .process(ScalingFactors(numerators: [name, "decay:bb"], denominators: ["decay:tot"]))))
    }
    for d in ["bb", "tot"] {
      guard let f = stxs.forms["decay:" + d] else { throw EFTError("the SMEFT inputs have no decay:\(d)") }
      forms["decay:" + d] = f
    }
    return (coefficients, forms, targets)
  }
}

/// Rounds to `digits` significant digits.
func significant(_ x: Double, _ digits: Int) -> Double {
  guard x != 0, x.isFinite else { return x }
  let e = floor(log10(abs(x)))
  let f = pow(10, Double(digits - 1) - e)
  return (x * f).rounded() / f
}

/// Writes zh-bit/zhbit.txt, zh-bit/zhbit_eft.json, zh-bit/zhbit_categories.md, and the combination
/// of the three channels, combination_zh.txt with combination_zh_eft.json.
func writeZHBIT(outputDir: String, pdfDirectory: String, stxs: EFTParametrisation) throws {
  let r = try ZHBIT.build(pdfDirectory: pdfDirectory, stxs: stxs)
  let dir = outputDir + "/zh-bit"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

  // EFT file.
  let e = try ZHBIT.eft(r, stxs: stxs)
  let p = EFTParametrisation(coefficients: e.coefficients, forms: e.forms, targets: e.targets)
  try p.validate()
  try writeText(String(decoding: try NativeFormat.encode(p), as: UTF8.self) + "\n", to: dir + "/zhbit_eft.json")

  // Card: counting experiment, SM Poisson pseudo-data.
  let data = poissonData(r.channels.map(\.expected), seed: ZHBIT.seedData)
  var card = makeCard(
    path: dir + "/zhbit.txt", channels: r.channels, observations: data.map { $0.reduce(0, +) }, shapes: [],
    systematics: r.systematics)
  card.shapes = []
  let header = """
    CMS-style ZH, Z->ll, H->bb, 138 fb-1: 8 categories of the BIT score t_cHW (ZH toy of arXiv:2205.12976).
    SM pseudo-data (Poisson draws, seed \(ZHBIT.seedData), from the SM expectation).
    Generated by Examples/MakeDatacards (swift run make-datacards); do not edit by hand.
    Sources of every number: Datacards/README.md; categories: zhbit_categories.md. EFT parametrisation: zhbit_eft.json.
    """
  try writeText(DatacardWriter.write(card, header: header), to: dir + "/zhbit.txt")
  try writeText(r.categoriesText, to: dir + "/zhbit_categories.md")

  // The three-channel combination, exactly as `cd Datacards && recombine combine-cards -S
  // hzz4l=hzz4l/hzz4l.txt tth=tth-multilepton/tth.txt zhbit=zh-bit/zhbit.txt -o combination_zh.txt`
  // (-S: the counting card's bins get `shapes * <bin> FAKE`, as combineCards.py -S does, so that
  // every bin of the combined shape card has a shapes line).
  let cwd = FileManager.default.currentDirectoryPath
  FileManager.default.changeCurrentDirectoryPath(outputDir)
  defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
  let inputs: [(label: String?, path: String)] = [
    ("hzz4l", "hzz4l/hzz4l.txt"), ("tth", "tth-multilepton/tth.txt"), ("zhbit", "zh-bit/zhbit.txt"),
  ]
  var copts = CombineCardsOptions()
  copts.forceShape = true
  let combined = try combineCards(inputs, options: copts)
  try writeText(
    DatacardWriter.writeCombined(
      combined, header: "Combination of " + inputs.map { "\($0.label!)=\($0.path)" }.joined(separator: "  ")),
    to: outputDir + "/combination_zh.txt")

  let hzzC = try HZZ4l.eft(stxs, channelPrefix: "hzz4l_")
  let tthC = try TTHMultilepton.eft(stxs, channelPrefix: "tth_")
  let zhC = try ZHBIT.eft(r, stxs: stxs, binPrefix: "zhbit_")
  var comb = EFTParametrisation(coefficients: zhC.coefficients, forms: [:], targets: hzzC.targets + tthC.targets + zhC.targets)
  for (n, f) in hzzC.forms.merging(tthC.forms, uniquingKeysWith: { a, _ in a }) { comb.forms[n] = f }
  for d in EFTInputs.decays + ["tot"] { comb.forms["decay:" + d] = stxs.forms["decay:" + d] }
  for (n, f) in zhC.forms { comb.forms[n] = f }
  try comb.validate()
  try writeText(
    String(decoding: try NativeFormat.encode(comb), as: UTF8.self) + "\n", to: outputDir + "/combination_zh_eft.json")
}
