//===--- Significance.swift -----------------------------------------------===//
// Combine's -M Significance (asymptotic, profile likelihood; spec §6.2).
//===----------------------------------------------------------------------===//

import Maths
import Fit
import Foundation
import Likelihood

/// Result of `Significance.compute`.
public struct SignificanceResult: Sendable {
  /// Z = √q₀ (negative for a deficit with `uncapped`; 0 for r̂ ≤ null value otherwise).
  public var significance: Double
  /// The one-sided p-value Φ_c(Z).
  public var pValue: Double
  /// q₀ = 2(NLL(r = null, θ̂̂) − NLL(r̂, θ̂)).
  public var q0: Double
  /// The unconditional best fit of the POI.
  public var bestFit: Double
  public var nllFree: Double
  public var nllNull: Double
}

/// Combine's `-M Significance`: Z = √q₀, q₀ = 2(NLL(r = 0, θ̂̂) − NLL(r̂, θ̂)).
///
/// Without `uncapped` the POI's lower bound is raised to the null value (so r̂ ≥ 0 and Z = 0 when
/// the best fit sits there); with it the POI keeps its range and Z = −√q₀ when r̂ < 0. The POI's
/// upper bound is removed for the unconditional fit. Nuisances keep the ranges of `specs`
/// (Significance does not unbound them: lnN [−7, 7], `shape` [−4, 4]).
public enum Significance {
  public static func compute(
    nll: NLL, specs: [ParameterSpec], poi: Int, nullValue: Double = 0, uncapped: Bool = false
  ) throws -> SignificanceResult {
    var s = specs
    s[poi].fixed = false
    if !uncapped { s[poi].lower = nullValue }
    s[poi].upper = .infinity
    s[poi].value = max(s[poi].value, s[poi].lower)
    let m = Minimizer()
    let free = m.minimize(nll, parameters: s)
    guard free.status.isConverged else {
      throw LikelihoodError("the unconditional fit did not converge: \(free.status)")
    }
    var n = s
    n[poi].lower = min(n[poi].lower, nullValue)
    var null = m.minimize(nll, parameters: n, fixing: [poi: nullValue], best: free)
    if !null.status.isConverged {
      n[poi].value = nullValue
      n[poi].fixed = true
      null = m.minimize(nll, parameters: n)
    }
    guard null.status.isConverged else {
      throw LikelihoodError("the fit with '\(s[poi].name)' = \(nullValue) did not converge: \(null.status)")
    }
    let rHat = free.x[poi]
    let q0 = max(0, 2 * (null.fval - free.fval))
    var z = q0.squareRoot()
    if rHat <= nullValue + 1e-9 * max(1, abs(nullValue)) {
      z = uncapped ? -z : 0
    }
    return SignificanceResult(significance: z, pValue: normalCDFc(z), q0: q0, bestFit: rHat, nllFree: free.fval, nllNull: null.fval)
  }
}
