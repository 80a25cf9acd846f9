//===--- PyhfExport.swift -------------------------------------------------===//
// A datacard (as compiled: templates read, physics model applied) written as a pyhf JSON
// workspace, where the formats can express the same model; the rest is named in warnings.
//===----------------------------------------------------------------------===//

import Foundation
import Likelihood
import Support

/// The pyhf workspace of a compiled card (`recombine export-pyhf`):
///
/// - channels keep their names, processes are samples with data N⁰·T⁰ (the nominal yield without
///   factors), observations the card's data;
/// - factors: a POI or a free `rateParam` → `normfactor` (its range as the measurement's bounds);
///   constrained factors (gmN, `param` on a rateParam) are left out with a warning;
/// - symmetric lnN κ → `normsys` hi = κ, lo = 1/κ: exact when pyhf reads it with normsys code1
///   (`--interpcode normsys=code1` here, `modifier_settings={"normsys": {"interpcode": "code1"}}` in
///   pyhf), warned otherwise; asymmetric lnN and shape normalisations → `normsys` lo/hi (warned:
///   Combine's AsymPow is neither code1 nor code4 inside |θ| < 1);
/// - shape morphs → `histosys` with hi/lo = N⁰·(T⁰ ± d^±): exact for absolute templates with
///   smooth region 1 (autoMCStats hist-mode 2); normalised templates are renormalised after the
///   morph in Combine (warned);
/// - autoMCStats → one `staterror` per channel with the processes' absolute MC errors (warned: a
///   Gaussian γ on the total, as Barlow–Beeston-lite at the nominal yields);
/// - gmN, formula rateParams, physics-model scalings (EFT) and shapeN: no pyhf form, warned and
///   left out (the sample keeps its nominal).
public enum PyhfExport {
  public static func workspace(_ m: CompiledModel) -> (json: [String: Any], warnings: [String]) {
    var warnings: [String] = []
    func warn(_ w: String) { if !warnings.contains(w) { warnings.append(w) } }
    guard let poi = m.pois.first else { return ([:], ["the model has no POI"]) }
    var channels: [[String: Any]] = []
    var observations: [[String: Any]] = []
    var normfactors = Set<Int>()
    if m.scalings != nil { warn("physics-model scalings (EFT functions) have no pyhf form: the samples are written at their nominal (SM) yields") }
    if !m.formulas.isEmpty { warn("formula rateParams have no pyhf form: left out") }
    for (ci, ch) in m.channels.enumerated() {
      var samples: [[String: Any]] = []
      let hasStat = m.statBins.contains(ch.firstBin) && !m.barlowBeestonBins.filter({ $0 >= ch.firstBin && $0 < ch.firstBin + ch.binCount }).isEmpty
      for t in m.terms where t.channel == ci {
        let nominal = t.template.map { $0 * t.nominal }
        var mods: [[String: Any]] = []
        for f in t.factors {
          let p = m.parameters[f]
          switch p.constraint {
          case .none:
            mods.append(["name": p.name, "type": "normfactor", "data": NSNull()])
            normfactors.insert(f)
          case .poisson:
            warn("gmN '\(p.name)' (\(ch.name)/\(t.process)): no pyhf form, left out (the sample keeps its nominal N·α)")
          default:
            warn("constrained factor '\(p.name)' (\(ch.name)/\(t.process)): no pyhf form, left out")
          }
        }
        for e in t.logNormals {
          let k = exp(e.logKappa)
          mods.append(["name": m.parameters[e.parameter].name, "type": "normsys", "data": ["hi": k, "lo": 1 / k]])
          warn("lnN → normsys: exact when read with normsys code1 (pyhf's default code4 differs inside |α| < 1)")
        }
        for e in t.asymmetricLogNormals {
          mods.append(["name": m.parameters[e.parameter].name, "type": "normsys", "data": ["hi": exp(e.logKappaUp), "lo": exp(e.logKappaDown)]])
          warn("asymmetric lnN and shape normalisations → normsys: Combine's AsymPow differs from code1/code4 inside |α| < 1")
        }
        if t.logMorph && !t.morphs.isEmpty { warn("shapeN (\(ch.name)/\(t.process)): log-space morphs have no pyhf form: left out") }
        if !t.logMorph {
          for mo in t.morphs {
            let up = (0..<nominal.count).map { t.nominal * (t.template[$0] + (mo.diff[$0] + mo.sum[$0]) / 2) }
            let down = (0..<nominal.count).map { t.nominal * (t.template[$0] + (mo.sum[$0] - mo.diff[$0]) / 2) }
            mods.append(["name": m.parameters[mo.parameter].name, "type": "histosys", "data": ["hi_data": up, "lo_data": down]])
            if t.mode == .normalised { warn("shape (\(ch.name)): normalised templates are renormalised after the morph in Combine; pyhf's histosys is additive") }
            if mo.scale != 1 || t.smoothRegion != 1 { warn("shape with a scale ≠ 1 (\(ch.name)/\(t.process)): pyhf's code4p has region 1") }
          }
        }
        if hasStat && !t.binErrors.isEmpty {
          mods.append(["name": "staterror_\(ch.name)", "type": "staterror", "data": t.binErrors.map { $0 * t.nominal }])
          warn("autoMCStats → staterror: a Gaussian γ on the channel's total, as Barlow–Beeston-lite at the nominal yields")
        }
        samples.append(["name": t.process, "data": nominal, "modifiers": mods])
      }
      channels.append(["name": ch.name, "samples": samples])
      let obs = m.observed.map { Array($0[ch.firstBin..<(ch.firstBin + ch.binCount)]) } ?? [Double](repeating: 0, count: ch.binCount)
      observations.append(["name": ch.name, "data": obs])
    }
    let parameters: [[String: Any]] = normfactors.sorted().map { k in
      let p = m.parameters[k]
      let lo = p.lower.isFinite ? p.lower : -1e6, hi = p.upper.isFinite ? p.upper : 1e6
      return ["name": p.name, "inits": [p.initial], "bounds": [[lo, hi]]]
    }
    let measurement: [String: Any] = ["name": "recombine", "config": ["poi": m.parameters[poi].name, "parameters": parameters]]
    return (["version": "1.0.0", "channels": channels, "observations": observations, "measurements": [measurement]], warnings)
  }
}
