//===--- HZZ4l.swift ------------------------------------------------------===//
// A CMS-style H→ZZ*→4ℓ analysis at 138 fb⁻¹: final states × event categories, m4ℓ templates.
// Every number is explained in Datacards/README.md (and tabulated in Datacards/yields.md).
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation

enum HZZ4l {
  static let finalStates = ["4mu", "4e", "2e2mu"]
  /// Event categories of CMS HIG-19-001 (Untagged, 1-jet, VBF-2jet, VH-leptonic, VH-hadronic, ttH).
  static let categories = ["Untagged", "OneJet", "VBF", "VHlep", "VHhad", "ttHtag"]
  static let signals = ["ggH_hzz", "qqH_hzz", "WH_hzz", "ZH_hzz", "ttH_hzz"]
  static let backgrounds = ["qqZZ", "ggZZ", "zjets"]
  static let mH = 125.0

  /// Expected yields per category summed over final states, 138 fb⁻¹, 105 < m4ℓ < 140 GeV.
  /// ggH, qqH, qqZZ: eft.md §2.2 (CMS HZZ4l 2015 expectations scaled to 138 fb⁻¹). WH, ZH, ttH,
  /// ggZZ: the §2.2 totals (5.5, 4.4, 2.0, 11) split over categories (ttH-tagged: 0.4 ttH, §2.2).
  /// Z+X (zjets): assumed ≈ 0.34 × qqZZ (not in the source). Zeros of the table are replaced by
  /// small yields so that every process is present in every category.
  static let yields: [String: [String: Double]] = [
    "Untagged": ["ggH_hzz": 132, "qqH_hzz": 3.0, "WH_hzz": 1.6, "ZH_hzz": 1.3, "ttH_hzz": 0.55,
                 "qqZZ": 173, "ggZZ": 8.6, "zjets": 52],
    "OneJet": ["ggH_hzz": 69, "qqH_hzz": 11, "WH_hzz": 1.2, "ZH_hzz": 0.9, "ttH_hzz": 0.35,
               "qqZZ": 47, "ggZZ": 2.0, "zjets": 20],
    "VBF": ["ggH_hzz": 6.8, "qqH_hzz": 6.1, "WH_hzz": 0.25, "ZH_hzz": 0.2, "ttH_hzz": 0.15,
            "qqZZ": 2.2, "ggZZ": 0.25, "zjets": 2.2],
    "VHlep": ["ggH_hzz": 0.4, "qqH_hzz": 0.1, "WH_hzz": 1.4, "ZH_hzz": 1.0, "ttH_hzz": 0.35,
              "qqZZ": 1.3, "ggZZ": 0.05, "zjets": 0.6],
    "VHhad": ["ggH_hzz": 2.0, "qqH_hzz": 0.2, "WH_hzz": 1.05, "ZH_hzz": 1.0, "ttH_hzz": 0.2,
              "qqZZ": 0.3, "ggZZ": 0.04, "zjets": 0.5],
    "ttHtag": ["ggH_hzz": 0.05, "qqH_hzz": 0.02, "WH_hzz": 0.01, "ZH_hzz": 0.02, "ttH_hzz": 0.4,
               "qqZZ": 0.05, "ggZZ": 0.005, "zjets": 0.2],
  ]

  /// Final-state fractions: signal (4μ has the best efficiency, 4e the worst; 2e2μ has two
  /// combinatorial assignments), ZZ continuum, and Z+X (electron fakes are more frequent).
  static func finalStateFraction(_ process: String, _ fs: String) -> Double {
    switch process {
    case "zjets": return ["4mu": 0.24, "4e": 0.30, "2e2mu": 0.46][fs]!
    case "qqZZ", "ggZZ": return ["4mu": 0.31, "4e": 0.21, "2e2mu": 0.48][fs]!
    default: return ["4mu": 0.27, "4e": 0.19, "2e2mu": 0.54][fs]!
    }
  }

  /// m4ℓ resolution (GeV) of the Gaussian core per final state.
  static let resolution = ["4mu": 1.1, "4e": 1.9, "2e2mu": 1.5]

  /// Per-event MC weight (Σw² = w·yield): sets the autoMCStats uncertainties.
  static let eventWeight: [String: Double] = [
    "ggH_hzz": 2e-4, "qqH_hzz": 5e-5, "WH_hzz": 2e-5, "ZH_hzz": 2e-5, "ttH_hzz": 1e-5,
    "qqZZ": 2e-4, "ggZZ": 1e-4, "zjets": 2e-4,
  ]

  /// m4ℓ binning: 35 × 1 GeV in 105–140, 7 × 5 GeV in the three low-yield categories.
  static func edges(_ category: String) -> [Double] {
    ["VHlep", "VHhad", "ttHtag"].contains(category) ? uniformEdges(7, 105, 140) : uniformEdges(35, 105, 140)
  }

  /// Background m4ℓ densities in the window (signals: see `templateValues`).
  static func density(_ process: String) -> (Double) -> Double {
    switch process {
    case "qqZZ": return { 1 + 0.025 * ($0 - 105) }
    case "ggZZ": return { 1 + 0.015 * ($0 - 105) }
    default: return { exp(-($0 - 105) / 50) }  // zjets
    }
  }

  /// The yield of a process in one channel: category yield × final-state fraction, to 4 decimals.
  static func rate(_ process: String, category: String, fs: String) -> Double {
    max(rounded(yields[category]![process]! * finalStateFraction(process, fs)), 0.0001)
  }

  static func templateValues(_ process: String, category: String, fs: String, edges: [Double]) -> [Double] {
    let rate = rate(process, category: category, fs: fs)
    if signals.contains(process) {
      // Gaussian core (80%) and a 2.5× wider component 1 GeV lower (20%, FSR and bremsstrahlung),
      // a simple stand-in for the double-sided Crystal Ball of CMS; exact bin integrals.
      let s = resolution[fs]!
      var v: [Double] = []
      for i in 0..<(edges.count - 1) {
        v.append(
          0.8 * gaussianMass(edges[i], edges[i + 1], mean: mH, sigma: s)
            + 0.2 * gaussianMass(edges[i], edges[i + 1], mean: mH - 1, sigma: 2.5 * s))
      }
      let sum = v.reduce(0, +)
      return v.map { $0 * rate / sum }
    }
    return binned(edges, total: rate, density(process))
  }

  /// The ZZ background-shape variation: a ±15% linear tilt across the window, at fixed yield.
  static func tilt(_ values: [Double], edges: [Double], by a: Double) -> [Double] {
    let t = values.indices.map { i -> Double in
      let x = ((edges[i] + edges[i + 1]) / 2 - 122.5) / 17.5
      return values[i] * (1 + a * x)
    }
    let s = t.reduce(0, +), r = values.reduce(0, +)
    return t.map { $0 * r / s }
  }

  static func channelName(_ category: String, _ fs: String) -> String { "\(category)_\(fs)" }

  static func channels() -> [ChannelTemplates] {
    var out: [ChannelTemplates] = []
    for cat in categories {
      for fs in finalStates {
        let e = edges(cat)
        var procs: [ProcessTemplate] = []
        for p in signals + backgrounds {
          let v = templateValues(p, category: cat, fs: fs, edges: e)
          var t = ProcessTemplate(
            name: p, isSignal: signals.contains(p), values: v, eventWeight: eventWeight[p]!,
            rate: rate(p, category: cat, fs: fs))
          if p == "qqZZ" || p == "ggZZ" {
            t.variations = [("CMS_zz4l_bkgshape", tilt(v, edges: e, by: 0.15), tilt(v, edges: e, by: -0.15))]
          }
          procs.append(t)
        }
        out.append(ChannelTemplates(name: channelName(cat, fs), edges: e, processes: procs))
      }
    }
    return out
  }

  // MARK: Systematics

  static func finalState(ofChannel c: String) -> String { String(c.split(separator: "_").last!) }

  static var systematics: [SystematicSpec] {
    let mc = signals + ["qqZZ", "ggZZ"]
    func only(_ procs: [String], _ e: Effect) -> (String, String) -> Effect {
      { _, p in procs.contains(p) ? e : .none }
    }
    return run2LumiSystematics { _, p in mc.contains(p) } + [
      SystematicSpec(name: "CMS_eff_m", type: .lnN) { c, p in
        guard mc.contains(p) else { return .none }
        switch finalState(ofChannel: c) {
        case "4mu": return lnN(1.043)
        case "2e2mu": return lnN(1.026)
        default: return .none
        }
      },
      SystematicSpec(name: "CMS_eff_e", type: .lnN) { c, p in
        guard mc.contains(p) else { return .none }
        switch finalState(ofChannel: c) {
        case "4e": return lnN(1.101)
        case "2e2mu": return lnN(1.046)
        default: return .none
        }
      },
      // LHC Higgs XS WG YR4 (mH = 125 GeV) theory uncertainties, CMS names.
      SystematicSpec(name: "QCDscale_ggH", type: .lnN, effect: only(["ggH_hzz"], lnN(down: 0.933, up: 1.046))),
      SystematicSpec(name: "pdf_Higgs_gg", type: .lnN, effect: only(["ggH_hzz"], lnN(1.032))),
      SystematicSpec(name: "QCDscale_qqH", type: .lnN, effect: only(["qqH_hzz"], lnN(down: 0.997, up: 1.004))),
      SystematicSpec(name: "pdf_Higgs_qqbar", type: .lnN, effect: { _, p in
        p == "qqH_hzz" ? lnN(1.021) : p == "WH_hzz" ? lnN(1.019) : p == "ZH_hzz" ? lnN(1.016) : .none
      }),
      SystematicSpec(name: "QCDscale_VH", type: .lnN, effect: { _, p in
        p == "WH_hzz" ? lnN(down: 0.993, up: 1.005) : p == "ZH_hzz" ? lnN(down: 0.969, up: 1.038) : .none
      }),
      SystematicSpec(name: "QCDscale_ttH", type: .lnN, effect: only(["ttH_hzz"], lnN(down: 0.908, up: 1.058))),
      SystematicSpec(name: "pdf_Higgs_ttH", type: .lnN, effect: only(["ttH_hzz"], lnN(1.036))),
      SystematicSpec(name: "BRhiggs_hzz", type: .lnN, effect: only(signals, lnN(1.0154))),
      SystematicSpec(name: "QCDscale_VV", type: .lnN, effect: only(["qqZZ"], lnN(1.032))),
      SystematicSpec(name: "pdf_qqbar", type: .lnN, effect: only(["qqZZ"], lnN(1.031))),
      SystematicSpec(name: "QCDscale_ggVV", type: .lnN, effect: only(["ggZZ"], lnN(1.1))),
      SystematicSpec(name: "pdf_gg", type: .lnN, effect: only(["ggZZ"], lnN(1.032))),
      // Jet-category migrations (jet energy scale, b tagging), anti-correlated between Untagged and the rest.
      SystematicSpec(name: "CMS_scale_j", type: .lnN) { c, p in
        guard mc.contains(p) else { return .none }
        let cat = String(c.split(separator: "_").first!)
        return cat == "Untagged" ? lnN(0.99) : cat == "OneJet" ? lnN(1.03) : lnN(1.07)
      },
      SystematicSpec(name: "CMS_zz4l_bkgshape", type: .shape, effect: only(["qqZZ", "ggZZ"], .value(1))),
    ] + finalStates.map { fs in
      // Z+X normalisation per final state (fake-rate method; CMS quotes ~30–40%).
      let k = ["4mu": 1.32, "4e": 1.42, "2e2mu": 1.36][fs]!
      return SystematicSpec(name: "CMS_hzz4l_zjets_\(fs)", type: .lnN) { c, p in
        p == "zjets" && finalState(ofChannel: c) == fs ? lnN(k) : .none
      }
    }
  }


  // MARK: EFT

  /// Acceptance matrix: for each (category, process), the fraction of its signal from each STXS
  /// stage-1.2 bin (keys of prod.json). The same for every final state.
  static let acceptance: [String: [String: Acceptance]] = {
    let ttH: Acceptance = [
      ("TTH_PTH_0_60", 0.25), ("TTH_PTH_60_120", 0.35), ("TTH_PTH_120_200", 0.25), ("TTH_PTH_200_300", 0.10),
      ("TTH_PTH_GT300", 0.05),
    ]
    return [
      "Untagged": [
        "ggH_hzz": [("GG2H_0J_PTH_0_10", 0.28), ("GG2H_0J_PTH_GT10", 0.52), ("GG2H_1J_PTH_0_60", 0.12),
                    ("GG2H_1J_PTH_60_120", 0.05), ("GG2H_1J_PTH_120_200", 0.01),
                    ("GG2H_GE2J_MJJ_0_350_PTH_0_60", 0.02)],
        "qqH_hzz": [("QQ2HQQ_0J", 0.20), ("QQ2HQQ_1J", 0.50), ("QQ2HQQ_GE2J_MJJ_0_60", 0.10),
                    ("QQ2HQQ_GE2J_MJJ_120_350", 0.20)],
        "WH_hzz": [("QQ2HLNU_PTV_0_75", 0.30), ("QQ2HLNU_PTV_75_150", 0.10), ("QQ2HQQ_0J", 0.20),
                   ("QQ2HQQ_1J", 0.25), ("QQ2HQQ_GE2J_MJJ_60_120", 0.15)],
        "ZH_hzz": [("QQ2HLL_PTV_0_75", 0.30), ("QQ2HLL_PTV_75_150", 0.10), ("QQ2HQQ_0J", 0.20),
                   ("QQ2HQQ_1J", 0.25), ("QQ2HQQ_GE2J_MJJ_60_120", 0.15)],
        "ttH_hzz": ttH,
      ],
      "OneJet": [
        "ggH_hzz": [("GG2H_0J_PTH_GT10", 0.10), ("GG2H_1J_PTH_0_60", 0.42), ("GG2H_1J_PTH_60_120", 0.28),
                    ("GG2H_1J_PTH_120_200", 0.07), ("GG2H_GE2J_MJJ_0_350_PTH_0_60", 0.05),
                    ("GG2H_GE2J_MJJ_0_350_PTH_60_120", 0.04), ("GG2H_PTH_200_300", 0.04)],
        "qqH_hzz": [("QQ2HQQ_1J", 0.70), ("QQ2HQQ_GE2J_MJJ_120_350", 0.15),
                    ("QQ2HQQ_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_0_25", 0.15)],
        "WH_hzz": [("QQ2HLNU_PTV_0_75", 0.20), ("QQ2HLNU_PTV_75_150", 0.20), ("QQ2HQQ_1J", 0.60)],
        "ZH_hzz": [("QQ2HLL_PTV_0_75", 0.20), ("QQ2HLL_PTV_75_150", 0.20), ("QQ2HQQ_1J", 0.60)],
        "ttH_hzz": ttH,
      ],
      "VBF": [
        "ggH_hzz": [("GG2H_GE2J_MJJ_0_350_PTH_60_120", 0.15), ("GG2H_GE2J_MJJ_0_350_PTH_120_200", 0.10),
                    ("GG2H_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_0_25", 0.25),
                    ("GG2H_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_GT25", 0.15),
                    ("GG2H_GE2J_MJJ_GT700_PTH_0_200_PTHJJ_0_25", 0.15),
                    ("GG2H_GE2J_MJJ_GT700_PTH_0_200_PTHJJ_GT25", 0.10), ("GG2H_PTH_200_300", 0.10)],
        "qqH_hzz": [("QQ2HQQ_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_0_25", 0.25),
                    ("QQ2HQQ_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_GT25", 0.10),
                    ("QQ2HQQ_GE2J_MJJ_GT700_PTH_0_200_PTHJJ_0_25", 0.40),
                    ("QQ2HQQ_GE2J_MJJ_GT700_PTH_0_200_PTHJJ_GT25", 0.10), ("QQ2HQQ_GE2J_MJJ_GT350_PTH_GT200", 0.15)],
        "WH_hzz": [("QQ2HQQ_GE2J_MJJ_120_350", 0.50), ("QQ2HQQ_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_0_25", 0.50)],
        "ZH_hzz": [("QQ2HQQ_GE2J_MJJ_120_350", 0.50), ("QQ2HQQ_GE2J_MJJ_350_700_PTH_0_200_PTHJJ_0_25", 0.50)],
        "ttH_hzz": ttH,
      ],
      "VHlep": [
        "ggH_hzz": [("GG2H_0J_PTH_GT10", 0.30), ("GG2H_1J_PTH_0_60", 0.30), ("GG2H_1J_PTH_60_120", 0.20),
                    ("GG2H_GE2J_MJJ_0_350_PTH_0_60", 0.20)],
        "qqH_hzz": [("QQ2HQQ_1J", 0.50), ("QQ2HQQ_GE2J_MJJ_120_350", 0.50)],
        "WH_hzz": [("QQ2HLNU_PTV_0_75", 0.45), ("QQ2HLNU_PTV_75_150", 0.35), ("QQ2HLNU_PTV_150_250_0J", 0.05),
                   ("QQ2HLNU_PTV_150_250_GE1J", 0.08), ("QQ2HLNU_PTV_GT250", 0.07)],
        "ZH_hzz": [("QQ2HLL_PTV_0_75", 0.45), ("QQ2HLL_PTV_75_150", 0.35), ("QQ2HLL_PTV_150_250_0J", 0.05),
                   ("QQ2HLL_PTV_150_250_GE1J", 0.08), ("QQ2HLL_PTV_GT250", 0.07)],
        "ttH_hzz": ttH,
      ],
      "VHhad": [
        "ggH_hzz": [("GG2H_GE2J_MJJ_0_350_PTH_0_60", 0.35), ("GG2H_GE2J_MJJ_0_350_PTH_60_120", 0.35),
                    ("GG2H_GE2J_MJJ_0_350_PTH_120_200", 0.20), ("GG2H_PTH_200_300", 0.10)],
        "qqH_hzz": [("QQ2HQQ_GE2J_MJJ_60_120", 0.60), ("QQ2HQQ_GE2J_MJJ_120_350", 0.30), ("QQ2HQQ_1J", 0.10)],
        "WH_hzz": [("QQ2HQQ_GE2J_MJJ_60_120", 0.85), ("QQ2HQQ_GE2J_MJJ_120_350", 0.15)],
        "ZH_hzz": [("QQ2HQQ_GE2J_MJJ_60_120", 0.85), ("QQ2HQQ_GE2J_MJJ_120_350", 0.15)],
        "ttH_hzz": ttH,
      ],
      "ttHtag": [
        "ggH_hzz": [("GG2H_GE2J_MJJ_0_350_PTH_60_120", 0.40), ("GG2H_GE2J_MJJ_0_350_PTH_120_200", 0.30),
                    ("GG2H_PTH_200_300", 0.20), ("GG2H_PTH_300_450", 0.10)],
        "qqH_hzz": [("QQ2HQQ_GE2J_MJJ_120_350", 0.50), ("QQ2HQQ_GE2J_MJJ_GT350_PTH_GT200", 0.50)],
        "WH_hzz": [("QQ2HLNU_PTV_75_150", 0.50), ("QQ2HLNU_PTV_150_250_GE1J", 0.50)],
        "ZH_hzz": [("QQ2HLL_PTV_75_150", 0.50), ("QQ2HLL_PTV_150_250_GE1J", 0.50)],
        "ttH_hzz": ttH,
      ],
    ]
  }()

  /// Forms and targets: prod:hzz4l/<category>/<process> (acceptance-weighted), μ = prod · ZZ / tot.
  static func eft(_ stxs: EFTParametrisation, channelPrefix: String = "") throws -> (
    forms: [String: QuadraticForm], targets: [EFTTarget]
  ) {
    var forms: [String: QuadraticForm] = [:]
    var targets: [EFTTarget] = []
    for cat in categories {
      for p in signals {
        let name = "prod:hzz4l/\(cat)/\(p)"
        forms[name] = try productionForm(acceptance[cat]![p]!, stxs: stxs, what: "\(cat)/\(p)")
        for fs in finalStates {
          targets.append(
            EFTTarget(
              channel: channelPrefix + channelName(cat, fs), process: p,
              scaling: .process(ScalingFactors(numerators: [name, "decay:ZZ"], denominators: ["decay:tot"]))))
        }
      }
    }
    return (forms, targets)
  }

  static var stxsBins: Set<String> {
    Set(acceptance.values.flatMap { $0.values.flatMap { $0.map(\.bin) } })
  }
}
