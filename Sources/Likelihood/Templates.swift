//===--- Templates.swift --------------------------------------------------===//
// Shape templates, their systematic morphs and autoMCStats, as text2workspace builds them.
//===----------------------------------------------------------------------===//

import Maths
import Datacard
import Foundation
import ROOTIO

extension CompiledModel {
  /// Rounds to float32, as Combine copies every template and data histogram into a `TH1F`.
  static func float32(_ v: [Double]) -> [Double] { v.map { Double(Float($0)) } }

  /// Attaches the template of one column to its yield term (§3.2–3.3).
  ///
  /// - Without autoMCStats (`.normalised`, FastVerticalInterpHistPdf2): T = f⁰ = T⁰/ΣT⁰ and
  ///   N⁰ = the rate (−1 → the template integral); Up/Down are unit-normalised, d^± = f^± − f⁰
  ///   (shapeN: ln(f^±/f⁰), 0 where either is ≤ 0).
  /// - With autoMCStats (`.absolute`, CMSHistFunc): T = T⁰ (absolute), N⁰ = 1; in hist-mode 1 the
  ///   Up/Down templates are first rescaled to the nominal integral (in float32), in hist-mode 2 used
  ///   as given; d^± = T^± − T⁰ (shapeN: logs).
  /// - Every shape systematic also scales the normalisation by AsymPow(κ_d, κ_u, θ) with
  ///   κ = Integral(Up or Down)/Integral(nominal) of the original histograms, skipped when both are
  ///   within 1e-3 of 1, raised to the column value s when s ≠ 1, rounded to 6 decimals — except in
  ///   hist-mode 2, where the morph carries the normalisation.
  /// - The morph parameter is x = s·θ and the smooth region q = min(1, min s) over the template.
  static func addTemplate(_ term: inout YieldTerm, _ t: ColumnTemplates, column col: Int, card: Datacard,
                          stats: AutoMCStatsSettings?, parameterIndex: [String: Int]) throws {
    let pc = card.columns[col]
    let where_ = "\(card.path): \(pc.bin)/\(pc.process) (\(t.source))"
    let integral = t.nominal.integral()
    // Rates that disagree with the integral were rejected by ShapeLoader.load().
    let rate = pc.rate == -1 ? integral : pc.rate
    let t0 = float32(t.nominal.values)
    let s0 = t0.reduce(0, +)
    let absolute = stats != nil
    let histMode = stats?.histMode ?? .rescaledVariations
    if absolute {
      term.mode = .absolute
      term.nominal = 1
      term.template = t0
      term.binErrors = t.nominal.errors
    } else {
      term.mode = .normalised
      term.nominal = rate
      guard s0 > 0 else {
        term.nominal = 0
        term.template = [Double](repeating: 0, count: t0.count)
        return
      }
      term.template = t0.map { $0 / s0 }
    }
    var scales: [Double] = []
    var kinds = Set<Bool>()
    for (si, v) in t.variations.sorted(by: { $0.key < $1.key }) {
      let s = card.systematics[si]
      guard case .value(let sv) = s.effects[col], sv > 0 else {
        throw LikelihoodError("\(card.path):\(s.line): shape systematic '\(s.name)' needs a positive scale for \(pc.bin)/\(pc.process), found \(s.effects[col])")
      }
      guard let k = parameterIndex[s.name] else { throw LikelihoodError("shape systematic '\(s.name)' has no parameter") }
      let log = s.type.isLogMorph
      kinds.insert(log)
      if !(absolute && histMode == .variationsAsGiven) {
        let iu = v.up.integral(), id = v.down.integral()
        guard iu > 0, id > 0, integral > 0 else {
          throw LikelihoodError("\(card.path):\(s.line): '\(s.name)' for \(pc.bin)/\(pc.process): Up/Down integrals \(iu)/\(id) must be positive")
        }
        var ku = iu / integral, kd = id / integral
        if !(abs(ku - 1) < 1e-3 && abs(kd - 1) < 1e-3) {
          if sv != 1 {
            ku = pow(ku, sv)
            kd = pow(kd, sv)
          }
          ku = roundedLikePercentF(ku)
          kd = roundedLikePercentF(kd)
          term.asymmetricLogNormals.append(AsymmetricLogNormalEffect(parameter: k, logKappaDown: Foundation.log(kd), logKappaUp: Foundation.log(ku)))
        }
      }
      var up = float32(v.up.values), down = float32(v.down.values)
      var base = t0
      if absolute {
        if histMode == .rescaledVariations {
          let su = up.reduce(0, +), sd = down.reduce(0, +)
          if su > 0 { up = up.map { Double(Float($0 * (s0 / su))) } }
          if sd > 0 { down = down.map { Double(Float($0 * (s0 / sd))) } }
        }
      } else {
        let su = up.reduce(0, +), sd = down.reduce(0, +)
        guard su > 0, sd > 0 else { throw LikelihoodError("\(card.path):\(s.line): '\(s.name)' Up/Down template of \(pc.bin)/\(pc.process) sums to ≤ 0") }
        up = up.map { $0 / su }
        down = down.map { $0 / sd }
        base = term.template
      }
      func delta(_ a: [Double]) -> [Double] {
        zip(a, base).map { x, b in log ? (x > 0 && b > 0 ? Foundation.log(x / b) : 0) : x - b }
      }
      let dp = delta(up), dm = delta(down)
      term.morphs.append(ShapeMorph(parameter: k, scale: sv, diff: zip(dp, dm).map { $0 - $1 }, sum: zip(dp, dm).map { $0 + $1 }))
      scales.append(sv)
    }
    if kinds.count > 1 {
      throw LikelihoodError("\(where_): mixing shape and shapeN systematics on one template is not supported")
    }
    term.logMorph = kinds.contains(true)
    term.smoothRegion = min(1, scales.min() ?? 1)
  }

  /// Creates the autoMCStats parameters of every channel with an `autoMCStats` line (§3.5), deciding
  /// per bin at the initial parameter values: n_eff = ⌊0.5 + (Σv)²/Σe²⌋ over backgrounds (and
  /// signals with include-signal); n_eff > threshold → one analytic Barlow–Beeston-lite parameter;
  /// else per-process parameters `prop_bin<c>_bin<j>_<p>`: Poisson when the process's own
  /// n = ⌊0.5 + v²/e²⌋ ≤ threshold (and v ≥ 0.999e), Gaussian otherwise.
  mutating func setUpAutoMCStats(_ card: Datacard) throws {
    // N_cp at the initial values, by the NLL's own evaluation (no per-process parameters yet).
    let initialN = try NLL(model: self, data: [Double](repeating: 0, count: binCount)).normalisations(at: initialValues)
    for (ci, ch) in channels.enumerated() {
      guard let st = card.autoMCStatsSettings(forBin: ch.name) else { continue }
      let termIdx = terms.indices.filter { terms[$0].channel == ci && terms[$0].mode == .absolute }
      guard !termIdx.isEmpty else { continue }
      statBins += (0..<ch.binCount).map { ch.firstBin + $0 }
      guard st.threshold >= 0 else { continue }
      for j in 0..<ch.binCount {
        var subSum = 0.0, subErr2 = 0.0, totErr2 = 0.0
        for t in termIdx {
          let v = initialN[t] * terms[t].template[j], e = initialN[t] * terms[t].binErrors[j]
          totErr2 += e * e
          if st.includeSignal || !terms[t].isSignal {
            subSum += v
            subErr2 += e * e
          }
        }
        guard subErr2 > 0 else { continue }
        let nEff = (0.5 + subSum * subSum / subErr2).rounded(.down)
        if nEff <= st.threshold {
          for t in termIdx {
            let v = terms[t].template[j], e = terms[t].binErrors[j]
            guard e > 0, v >= 0 else { continue }
            let name = "prop_bin\(ch.name)_bin\(j)_\(terms[t].process)"
            if v > 0 && v >= 0.999 * e {
              let n = (0.5 + v * v / (e * e)).rounded(.down)
              if n <= st.threshold {
                // Poisson: β ∈ [½χ²⁻¹(Φ_c(7); 2n), ½χ²⁻¹(1 − Φ_c(7); 2n + 2)], starting at n,
                // constraint Pois(n | β).
                let tail = 0.5 * erfc(7 / 2.0.squareRoot())
                let lo = 0.5 * chiSquaredQuantile(tail, degreesOfFreedom: Int(2 * n))
                let hi = 0.5 * chiSquaredQuantile(1 - tail, degreesOfFreedom: Int(2 * n + 2))
                parameters.append(ModelParameter(
                  name: name, initial: n, lower: lo, upper: hi, constraint: .poisson(observed: n), role: .nuisance,
                  kind: "autoMCStats", unboundedInFits: false, frozen: false, step: n.squareRoot()))
                perProcessStats.append(PerProcessStat(parameter: parameters.count - 1, term: t, bin: j, poissonCount: n))
                continue
              }
            }
            parameters.append(ModelParameter(
              name: name, initial: 0, lower: -7, upper: 7, constraint: .gaussian(mean: 0, sigma: 1), role: .nuisance,
              kind: "autoMCStats", unboundedInFits: true, frozen: false, step: 1))
            perProcessStats.append(PerProcessStat(parameter: parameters.count - 1, term: t, bin: j))
          }
        } else if totErr2 > 0 {
          barlowBeestonBins.append(ch.firstBin + j)
        }
      }
    }
  }
}
