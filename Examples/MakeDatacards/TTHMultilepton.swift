//===--- TTHMultilepton.swift ---------------------------------------------===//
// A CMS-style ttH multilepton analysis (HIG-19-008 signatures), 138 fb⁻¹: ten categories with a
// 10-bin discriminant each. Yields are constructed (the paper's tables were not reachable) so that
// an Asimov fit gives the published precision; see Datacards/README.md.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation

enum TTHMultilepton {
  /// The ten signatures, as datacard bins (names must not start with a digit).
  static let channels = [
    "ttH_2lss_0tau", "ttH_3l_0tau", "ttH_4l_0tau", "ttH_1l_1tau", "ttH_1l_2tau", "ttH_0l_2tau",
    "ttH_2lss_1tau", "ttH_2los_1tau", "ttH_2l_2tau", "ttH_3l_1tau",
  ]
  static let signals = ["ttH_hww", "ttH_htt", "ttH_hzz", "tHq"]
  static let backgrounds = ["ttW", "ttZ", "fakes", "flips", "conversions", "rares"]

  struct Row {
    var ttH: Double
    /// Fractions of the ttH (and tHq) yield with H→WW, H→ττ, H→ZZ.
    var ww: Double, tt: Double, zz: Double
    var tHq, ttW, ttZ, fakes, flips, conversions, rares: Double
  }

  /// Expected yields per signature (constructed; see README for the reasoning).
  static let table: [String: Row] = [
    "ttH_2lss_0tau": Row(ttH: 100, ww: 0.72, tt: 0.22, zz: 0.06, tHq: 8, ttW: 310, ttZ: 120, fakes: 420, flips: 45, conversions: 25, rares: 70),
    "ttH_3l_0tau": Row(ttH: 32, ww: 0.68, tt: 0.25, zz: 0.07, tHq: 2.5, ttW: 70, ttZ: 110, fakes: 90, flips: 0, conversions: 6, rares: 30),
    "ttH_4l_0tau": Row(ttH: 2.2, ww: 0.45, tt: 0.25, zz: 0.30, tHq: 0.1, ttW: 0.3, ttZ: 9, fakes: 0.6, flips: 0, conversions: 0.1, rares: 2.5),
    "ttH_1l_1tau": Row(ttH: 55, ww: 0.15, tt: 0.80, zz: 0.05, tHq: 9, ttW: 40, ttZ: 60, fakes: 1500, flips: 0, conversions: 0, rares: 40),
    "ttH_1l_2tau": Row(ttH: 6, ww: 0.05, tt: 0.93, zz: 0.02, tHq: 0.6, ttW: 0.6, ttZ: 4.5, fakes: 25, flips: 0, conversions: 0, rares: 1),
    "ttH_0l_2tau": Row(ttH: 10, ww: 0.05, tt: 0.93, zz: 0.02, tHq: 1.5, ttW: 1, ttZ: 6, fakes: 180, flips: 0, conversions: 0, rares: 3),
    "ttH_2lss_1tau": Row(ttH: 14, ww: 0.40, tt: 0.55, zz: 0.05, tHq: 1.4, ttW: 10, ttZ: 12, fakes: 15, flips: 0.8, conversions: 0.5, rares: 4),
    "ttH_2los_1tau": Row(ttH: 12, ww: 0.35, tt: 0.60, zz: 0.05, tHq: 1.0, ttW: 5, ttZ: 10, fakes: 120, flips: 0, conversions: 0, rares: 3),
    "ttH_2l_2tau": Row(ttH: 1.8, ww: 0.05, tt: 0.90, zz: 0.05, tHq: 0.1, ttW: 0.2, ttZ: 2, fakes: 3, flips: 0, conversions: 0, rares: 0.4),
    "ttH_3l_1tau": Row(ttH: 3, ww: 0.40, tt: 0.50, zz: 0.10, tHq: 0.2, ttW: 1.5, ttZ: 5, fakes: 1.2, flips: 0, conversions: 0.1, rares: 0.8),
  ]

  /// Numbers of muons/electrons (average per event) and hadronic taus, for the efficiency systematics.
  static let leptons: [String: (mu: Double, e: Double, tau: Int)] = [
    "ttH_2lss_0tau": (1.1, 0.9, 0), "ttH_3l_0tau": (1.6, 1.4, 0), "ttH_4l_0tau": (2.1, 1.9, 0),
    "ttH_1l_1tau": (0.55, 0.45, 1), "ttH_1l_2tau": (0.55, 0.45, 2), "ttH_0l_2tau": (0, 0, 2),
    "ttH_2lss_1tau": (1.1, 0.9, 1), "ttH_2los_1tau": (1.1, 0.9, 1), "ttH_2l_2tau": (1.1, 0.9, 2),
    "ttH_3l_1tau": (1.6, 1.4, 1),
  ]

  static let edges = uniformEdges(10, 0, 1)

  /// Slope s of the discriminant density ∝ e^{s·x} on [0, 1]: signal-like processes at high x.
  static let slope: [String: Double] = [
    "ttH_hww": 3.5, "ttH_htt": 3.5, "ttH_hzz": 3.5, "tHq": 2.0, "ttW": 0.6, "ttZ": 0.3,
    "fakes": -2.5, "flips": -1.5, "conversions": -1.5, "rares": 0,
  ]
  static let eventWeight: [String: Double] = [
    "ttH_hww": 2e-3, "ttH_htt": 2e-3, "ttH_hzz": 2e-3, "tHq": 2e-3, "ttW": 5e-3, "ttZ": 5e-3,
    "fakes": 2e-2, "flips": 1e-2, "conversions": 1e-2, "rares": 5e-3,
  ]

  static func yield(_ p: String, _ r: Row) -> Double {
    switch p {
    case "ttH_hww": return r.ttH * r.ww
    case "ttH_htt": return r.ttH * r.tt
    case "ttH_hzz": return r.ttH * r.zz
    case "tHq": return r.tHq
    case "ttW": return r.ttW
    case "ttZ": return r.ttZ
    case "fakes": return r.fakes
    case "flips": return r.flips
    case "conversions": return r.conversions
    default: return r.rares
    }
  }

  static func shape(_ slope: Double, rate: Double) -> [Double] {
    binned(edges, total: rate) { exp(slope * $0) }
  }

  static func channelTemplates() -> [ChannelTemplates] {
    channels.map { c in
      let r = table[c]!
      var procs: [ProcessTemplate] = []
      for p in signals + backgrounds {
        let y = rounded(yield(p, r))
        guard y > 0 else { continue }
        var t = ProcessTemplate(
          name: p, isSignal: signals.contains(p), values: shape(slope[p]!, rate: y), eventWeight: eventWeight[p]!,
          rate: y)
        if p == "fakes" {
          t.variations = [("CMS_ttHl_fakes_shape", shape(slope[p]! + 0.2, rate: y), shape(slope[p]! - 0.2, rate: y))]
        }
        procs.append(t)
      }
      return ChannelTemplates(name: c, edges: edges, processes: procs)
    }
  }

  static var systematics: [SystematicSpec] {
    let mc = signals + ["ttW", "ttZ", "conversions", "rares"]
    func only(_ procs: [String], _ e: Effect) -> (String, String) -> Effect {
      { _, p in procs.contains(p) ? e : .none }
    }
    var s: [SystematicSpec] = run2LumiSystematics { _, p in mc.contains(p) } + [
      // Lepton efficiencies: 1% per muon, 1.5% per electron, 4% per hadronic tau (same names as H→4ℓ, correlated).
      SystematicSpec(name: "CMS_eff_m", type: .lnN) { c, p in
        let n = leptons[c]!.mu
        return mc.contains(p) && n > 0 ? lnN(rounded(1 + 0.01 * n, 3)) : .none
      },
      SystematicSpec(name: "CMS_eff_e", type: .lnN) { c, p in
        let n = leptons[c]!.e
        return mc.contains(p) && n > 0 ? lnN(rounded(1 + 0.015 * n, 3)) : .none
      },
      SystematicSpec(name: "CMS_eff_t", type: .lnN) { c, p in
        let n = leptons[c]!.tau
        return mc.contains(p) && n > 0 ? lnN(rounded(1 + 0.04 * Double(n), 3)) : .none
      },
      SystematicSpec(name: "CMS_scale_j", type: .lnN, effect: only(mc, lnN(1.02))),
      SystematicSpec(name: "CMS_ttHl_btag", type: .lnN, effect: only(mc, lnN(1.02))),
      // YR4 ttH and tH theory (same names as H→4ℓ's ttH), ttV from the CMS ttH analyses.
      SystematicSpec(name: "QCDscale_ttH", type: .lnN, effect: only(["ttH_hww", "ttH_htt", "ttH_hzz"], lnN(down: 0.908, up: 1.058))),
      SystematicSpec(name: "pdf_Higgs_ttH", type: .lnN, effect: only(["ttH_hww", "ttH_htt", "ttH_hzz"], lnN(1.036))),
      SystematicSpec(name: "QCDscale_tHq", type: .lnN, effect: only(["tHq"], lnN(down: 0.851, up: 1.065))),
      SystematicSpec(name: "pdf_Higgs_tHq", type: .lnN, effect: only(["tHq"], lnN(1.037))),
      SystematicSpec(name: "BRhiggs_hww", type: .lnN, effect: only(["ttH_hww"], lnN(1.0154))),
      SystematicSpec(name: "BRhiggs_htt", type: .lnN, effect: only(["ttH_htt"], lnN(1.0165))),
      SystematicSpec(name: "BRhiggs_hzz", type: .lnN, effect: only(["ttH_hzz"], lnN(1.0154))),
      SystematicSpec(name: "QCDscale_ttW", type: .lnN, effect: only(["ttW"], lnN(down: 0.885, up: 1.129))),
      SystematicSpec(name: "pdf_ttW", type: .lnN, effect: only(["ttW"], lnN(1.04))),
      SystematicSpec(name: "QCDscale_ttZ", type: .lnN, effect: only(["ttZ"], lnN(down: 0.904, up: 1.081))),
      SystematicSpec(name: "pdf_ttZ", type: .lnN, effect: only(["ttZ"], lnN(1.035))),
      SystematicSpec(name: "CMS_ttHl_rares", type: .lnN, effect: only(["rares"], lnN(1.5))),
      SystematicSpec(name: "CMS_ttHl_conversions", type: .lnN, effect: only(["conversions"], lnN(1.5))),
      SystematicSpec(name: "CMS_ttHl_flips", type: .lnN, effect: only(["flips"], lnN(1.3))),
      // Fake leptons and taus: fake-rate normalisations shared across signatures.
      SystematicSpec(name: "CMS_ttHl_FRe_norm", type: .lnN) { c, p in
        p == "fakes" && leptons[c]!.e > 0 ? lnN(1.15) : .none
      },
      SystematicSpec(name: "CMS_ttHl_FRm_norm", type: .lnN) { c, p in
        p == "fakes" && leptons[c]!.mu > 0 ? lnN(1.15) : .none
      },
      SystematicSpec(name: "CMS_ttHl_FRjt_norm", type: .lnN) { c, p in
        p == "fakes" && leptons[c]!.tau > 0 ? lnN(1.2) : .none
      },
      SystematicSpec(name: "CMS_ttHl_fakes_shape", type: .shape, effect: only(["fakes"], .value(1))),
    ]
    // Per-signature closure of the fake-rate method (uncorrelated).
    for c in channels {
      s.append(SystematicSpec(name: "CMS_ttHl_closure_\(c.dropFirst(4))", type: .lnN) { ch, p in
        ch == c && p == "fakes" ? lnN(1.1) : .none
      })
    }
    return s
  }


  // MARK: EFT

  /// Production: stage-0 TTH and THQ (the categories are not split in p_T^H, so the acceptance is
  /// 100% from the inclusive bin). Decay: WW, ττ, ZZ over Γ_tot; tHq (not split by decay in these
  /// cards) gets the ttH decay mix of its signature, Σ f_d Γ_d/Γ_d,SM, which is again a quadratic form.
  static func eft(_ stxs: EFTParametrisation, channelPrefix: String = "") throws -> (
    forms: [String: QuadraticForm], targets: [EFTTarget]
  ) {
    var forms: [String: QuadraticForm] = [:]
    var targets: [EFTTarget] = []
    forms["prod:tth/TTH"] = try productionForm([("TTH", 1)], stxs: stxs, what: "ttH")
    forms["prod:tth/THQ"] = try productionForm([("THQ", 1)], stxs: stxs, what: "tHq")
    for c in channels {
      let r = table[c]!
      let mix = "decay:tth/\(c)/mix"
      forms[mix] = EFTInputs.weightedSum([
        (stxs.forms["decay:WW"]!, r.ww), (stxs.forms["decay:tautau"]!, r.tt), (stxs.forms["decay:ZZ"]!, r.zz),
      ])
      for (p, num) in [
        ("ttH_hww", ["prod:tth/TTH", "decay:WW"]), ("ttH_htt", ["prod:tth/TTH", "decay:tautau"]),
        ("ttH_hzz", ["prod:tth/TTH", "decay:ZZ"]), ("tHq", ["prod:tth/THQ", mix]),
      ] {
        targets.append(
          EFTTarget(
            channel: channelPrefix + c, process: p,
            scaling: .process(ScalingFactors(numerators: num, denominators: ["decay:tot"]))))
      }
    }
    return (forms, targets)
  }

  static let stxsBins: Set<String> = ["TTH", "THQ"]
}
