//===--- NLL.swift --------------------------------------------------------===//
// The binned negative log-likelihood of a compiled model, with its analytic gradient.
//===----------------------------------------------------------------------===//

import Foundation

/// The negative log-likelihood of a `CompiledModel` given data, up to a constant:
///
///     NLL(θ) = Σ_i [ ν_i − n_i − n_i·ln(ν_i/n_i) ]  +  Σ_k −ln C_k(θ_k)
///
/// with ν_i = Σ_p N_p(θ)·T_pi (see `YieldTerm`). The Poisson part is −ln Pois(n_i; ν_i) minus its
/// value at ν_i = n_i (the saturated-offset form, §3.8: the constant makes it ≈ 0 near a good fit
/// and avoids cancellation in large-count bins; n_i = 0 contributes ν_i). It differs from RooFit's
/// counting NLL −Σ ln Pois(n; ν) − Σ ln C only by a constant, so all NLL differences agree.
/// Constraint terms (§3.6): Gaussian ½((θ−m)/σ)², bifurcated Gaussian with σ_L below / σ_R above
/// the mean, gmN Poisson θ − N·ln θ, flat 0.
///
/// Gradient (analytic): ∂NLL/∂ν_i = 1 − n_i/ν_i, and ∂N_p/∂θ_j = N_p·ln κ_j (symmetric lnN),
/// N_p·d(θL)/dθ (asymmetric, `asymmetricLogFactor`), N⁰·e^S·Π_{f≠j} x_f (multiplicative factors).
///
/// Evaluations do not allocate: all scratch space is preallocated. Not thread-safe (one instance
/// per thread). If some ν_i ≤ 0 in a bin with n_i > 0 the value is +∞ (the minimiser backs off).
///
/// It has exactly the `value` / `valueAndGradient` of Fit's `ObjectiveFunction`; conformance is
/// declared where both modules are visible (`extension NLL: ObjectiveFunction {}`).
public final class NLL {
  public let model: CompiledModel
  public var dimension: Int { model.parameters.count }

  // Flat description of the terms.
  private let nTerms: Int
  private let nBins: Int
  private let termFirstBin: [Int]
  private let termBins: [Int]
  private let termTemplateOffset: [Int]
  private let templates: [Double]
  private let termNominal: [Double]
  private let symOffset: [Int]
  private let symParam: [Int]
  private let symLogK: [Double]
  private let asymOffset: [Int]
  private let asymParam: [Int]
  private let asymLd: [Double]
  private let asymLu: [Double]
  private let factorOffset: [Int]
  private let factorParam: [Int]
  // Constraints: kind 0 Gaussian, 1 bifurcated, 2 Poisson.
  private let cParam: [Int]
  private let cKind: [Int]
  private let cSigmaLow: [Double]
  private let cSigmaHigh: [Double]
  /// Global observables θ_In (Gaussian/bifurcated means, gmN counts), aligned with the constraints.
  public private(set) var globalObservables: [Double]

  /// Observed counts n_i per flat bin.
  public private(set) var data: [Double]

  // Scratch.
  private var nu: UnsafeMutableBufferPointer<Double>
  private var termE: UnsafeMutableBufferPointer<Double>  // N⁰·e^S
  private var termN: UnsafeMutableBufferPointer<Double>  // N
  private var termW: UnsafeMutableBufferPointer<Double>  // Σ_i (1 − n_i/ν_i)·T_i
  private var dLog: UnsafeMutableBufferPointer<Double>  // per asym effect d(θL)/dθ

  /// - Parameter data: observed counts per flat bin (default: the card's observation).
  public init(model: CompiledModel, data: [Double]? = nil) throws {
    self.model = model
    guard let d = data ?? model.observed else {
      throw LikelihoodError("the card has no observation line; use an Asimov dataset (-t -1)")
    }
    guard d.count == model.binCount else {
      throw LikelihoodError("data has \(d.count) bins, the model \(model.binCount)")
    }
    self.data = d
    nTerms = model.terms.count
    nBins = model.binCount
    var fb: [Int] = [], nb: [Int] = [], to: [Int] = [], tp: [Double] = [], nom: [Double] = []
    var so = [0], sp: [Int] = [], sk: [Double] = []
    var ao = [0], ap: [Int] = [], ald: [Double] = [], alu: [Double] = []
    var fo = [0], fp: [Int] = []
    for t in model.terms {
      let ch = model.channels[t.channel]
      precondition(t.template.count == ch.binCount)
      fb.append(ch.firstBin)
      nb.append(ch.binCount)
      to.append(tp.count)
      tp += t.template
      nom.append(t.nominal)
      for e in t.logNormals {
        sp.append(e.parameter)
        sk.append(e.logKappa)
      }
      so.append(sp.count)
      for e in t.asymmetricLogNormals {
        ap.append(e.parameter)
        ald.append(e.logKappaDown)
        alu.append(e.logKappaUp)
      }
      ao.append(ap.count)
      fp += t.factors
      fo.append(fp.count)
    }
    termFirstBin = fb
    termBins = nb
    termTemplateOffset = to
    templates = tp
    termNominal = nom
    symOffset = so
    symParam = sp
    symLogK = sk
    asymOffset = ao
    asymParam = ap
    asymLd = ald
    asymLu = alu
    factorOffset = fo
    factorParam = fp
    var cp: [Int] = [], ck: [Int] = [], cm: [Double] = [], cl: [Double] = [], ch: [Double] = []
    for (i, p) in model.parameters.enumerated() {
      switch p.constraint {
      case .none, .flat: continue
      case .gaussian(let m, let s):
        cp.append(i); ck.append(0); cm.append(m); cl.append(s); ch.append(s)
      case .bifurcatedGaussian(let m, let sl, let sh):
        cp.append(i); ck.append(1); cm.append(m); cl.append(sl); ch.append(sh)
      case .poisson(let n):
        cp.append(i); ck.append(2); cm.append(n); cl.append(1); ch.append(1)
      }
    }
    cParam = cp
    cKind = ck
    globalObservables = cm
    cSigmaLow = cl
    cSigmaHigh = ch
    nu = .allocate(capacity: max(1, nBins))
    termE = .allocate(capacity: max(1, nTerms))
    termN = .allocate(capacity: max(1, nTerms))
    termW = .allocate(capacity: max(1, nTerms))
    dLog = .allocate(capacity: max(1, ap.count))
  }

  deinit {
    nu.deallocate()
    termE.deallocate()
    termN.deallocate()
    termW.deallocate()
    dLog.deallocate()
  }

  /// Replaces the observed counts (e.g. with an Asimov dataset).
  public func setData(_ d: [Double]) {
    precondition(d.count == nBins)
    data = d
  }

  /// Replaces the global observables (constraint means θ_In), aligned with the constrained
  /// parameters in parameter order.
  public func setGlobalObservables(_ g: [Double]) {
    precondition(g.count == globalObservables.count)
    globalObservables = g
  }

  /// Fills termE, termN, nu; returns false if a bin with data has ν ≤ 0 or a value is not finite.
  @inline(__always)
  private func computeYields(_ x: UnsafeBufferPointer<Double>, derivatives: Bool) -> Bool {
    for i in 0..<nBins { nu[i] = 0 }
    for t in 0..<nTerms {
      var s = 0.0
      for k in symOffset[t]..<symOffset[t + 1] { s += x[symParam[k]] * symLogK[k] }
      for k in asymOffset[t]..<asymOffset[t + 1] {
        let r = asymmetricLogFactor(x[asymParam[k]], logKappaDown: asymLd[k], logKappaUp: asymLu[k])
        s += r.value
        if derivatives { dLog[k] = r.derivative }
      }
      let e = termNominal[t] * exp(s)
      var n = e
      for k in factorOffset[t]..<factorOffset[t + 1] { n *= x[factorParam[k]] }
      termE[t] = e
      termN[t] = n
      let first = termFirstBin[t], off = termTemplateOffset[t]
      for i in 0..<termBins[t] { nu[first + i] += n * templates[off + i] }
    }
    return true
  }

  @inline(__always)
  private func poissonPart() -> Double {
    var sum = 0.0
    for i in 0..<nBins {
      let v = nu[i], n = data[i]
      if n > 0 {
        if !(v > 0) { return .infinity }
        sum += v - n - n * log(v / n)
      } else {
        sum += v
      }
    }
    return sum
  }

  @inline(__always)
  private func constraintPart(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>?) -> Double {
    var sum = 0.0
    for k in 0..<cParam.count {
      let j = cParam[k]
      let th = x[j], m = globalObservables[k]
      switch cKind[k] {
      case 2:
        // −ln Pois(N; θ) + const = θ − N ln θ.
        if m > 0 {
          if !(th > 0) { return .infinity }
          sum += th - m * log(th)
          g?[j] += 1 - m / th
        } else {
          sum += th
          g?[j] += 1
        }
      default:
        let s = (th < m) ? cSigmaLow[k] : cSigmaHigh[k]
        let z = (th - m) / s
        sum += 0.5 * z * z
        g?[j] += z / s
      }
    }
    return sum
  }

  /// NLL(x). Does not allocate.
  public func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    _ = computeYields(x, derivatives: false)
    let p = poissonPart()
    if !p.isFinite { return .infinity }
    return p + constraintPart(x, nil)
  }

  /// NLL(x), with ∇NLL(x) written into g. Does not allocate.
  public func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    for j in 0..<g.count { g[j] = 0 }
    _ = computeYields(x, derivatives: true)
    let p = poissonPart()
    if !p.isFinite { return .infinity }
    // ∂NLL/∂ν_i = 1 − n_i/ν_i; w_t = Σ_i (1 − n_i/ν_i)·T_ti.
    for t in 0..<nTerms {
      let first = termFirstBin[t], off = termTemplateOffset[t]
      var w = 0.0
      for i in 0..<termBins[t] {
        let n = data[first + i]
        w += (n > 0 ? 1 - n / nu[first + i] : 1) * templates[off + i]
      }
      let wn = w * termN[t]
      for k in symOffset[t]..<symOffset[t + 1] { g[symParam[k]] += wn * symLogK[k] }
      for k in asymOffset[t]..<asymOffset[t + 1] { g[asymParam[k]] += wn * dLog[k] }
      let f0 = factorOffset[t], f1 = factorOffset[t + 1]
      for k in f0..<f1 {
        var prod = termE[t]
        for l in f0..<f1 where l != k { prod *= x[factorParam[l]] }
        g[factorParam[k]] += w * prod
      }
    }
    return p + constraintPart(x, g)
  }

  /// Convenience: NLL at an array of values.
  public func value(at x: [Double]) -> Double { x.withUnsafeBufferPointer { value($0) } }

  /// Convenience: (NLL, ∇NLL) at an array of values.
  public func valueAndGradient(at x: [Double]) -> (Double, [Double]) {
    var g = [Double](repeating: 0, count: x.count)
    let v = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { valueAndGradient(xb, $0) } }
    return (v, g)
  }
}
