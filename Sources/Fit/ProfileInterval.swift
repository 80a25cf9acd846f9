/// Finds where the profiled function
///   p(t) = min_{x_j, j ≠ k} f(x | x_k = t)
/// crosses fmin + δ on each side of the best fit x̂_k (δ = ½ for 2ΔNLL = 1, ½χ²₁(CL) in general),
/// as MINOS / Combine's `--algo singles` do.
///
/// Each side: q(t) = p(t) − fmin − δ is bracketed by steps predicted from the parabola through the
/// best fit (start at x̂_k ± σ_k√(2δ), σ_k² = V_kk of `best.inverseHessian`, or the parameter's step
/// when V_kk = 0, e.g. x̂_k on a bound),
/// then the root is found by regula falsi with the Illinois modification (superlinear, keeps the
/// bracket), to |q| < max(1e-12, 1e-3·tolerance) or a bracket width of 1e-10·(σ_k + |x̂_k|). Every p(t) is a constrained
/// minimisation with x_k fixed at t, started from the previous solution on that side with the metric
/// V_FF − V_Fk V_kF / V_kk (the best-fit covariance conditional on x_k); seeded that way, these fits
/// run with strategy 0 (no HESSE verification), as Combine's scans do, and with tolerance/100.
///
/// If x_k's range limit is reached with q still < 0, that side reports the bound and sets
/// `lowerAtBound`/`upperAtBound` (Combine reports the range limit). When x̂_k sits on a bound, that
/// side is the bound itself (e.g. r̂ = 0 at r ≥ 0 gives lower = 0).
///
/// `fmin` is `best.fval`; a conditional fit below it is reported in `lowestValue`.

/// Result of `profileInterval`: the crossings of the profiled function with fmin + δ.
public struct ProfileInterval: Sendable {
  /// x̂_k at the best fit.
  public var best: Double
  /// Lower end: the crossing below x̂_k, or the lower bound if `lowerAtBound`.
  public var lower: Double
  /// Upper end: the crossing above x̂_k, or the upper bound if `upperAtBound`.
  public var upper: Double
  /// No crossing between x̂_k and the lower bound: `lower` is the bound (as Combine reports the
  /// range limit); also set when x̂_k sits on the lower bound.
  public var lowerAtBound: Bool
  /// As `lowerAtBound`, for the upper side.
  public var upperAtBound: Bool
  /// `.converged`, `.convergedOnBound` (a side ended on a bound), or `.failed` (a conditional fit
  /// failed or the root search did not converge).
  public var status: FitStatus
  /// Objective calls in all conditional minimisations.
  public var nCalls: Int
  /// Number of conditional minimisations.
  public var nFits: Int
  /// Lowest profiled value seen; below `best.fval` when the best fit was not the true minimum.
  public var lowestValue: Double
}

import Maths
public func profileInterval(
  _ f: ObjectiveFunction, parameters: [ParameterSpec], best: MinimizationResult, index k: Int,
  delta: Double, minimizer: Minimizer
) -> ProfileInterval {
  let n = parameters.count
  precondition(k >= 0 && k < n && best.x.count == n && delta > 0)
  let xk = best.x[k]
  let lo = parameters[k].lower, hi = parameters[k].upper
  let fmin = best.fval

  var seed: [Double]? = nil
  var sigma = parameters[k].step > 0 ? parameters[k].step : 1
  if let v = best.inverseHessian, v.count == n * n {
    let vkk = v[k * n + k]
    if vkk > 0 && vkk.isFinite { sigma = vkk.squareRoot() }
    // With x̂_k on its bound V_k· = 0 and this is the best-fit covariance of the others as is.
    seed = conditionalCovariance(v, dimension: n, removing: [k])
  }
  var conditional = minimizer
  if seed != nil { conditional.options.strategy = 0 }
  // The root search resolves q to ~1e-3·tolerance, so the conditional fits converge further.
  conditional.options.tolerance = 0.01 * minimizer.options.tolerance

  var calls = 0, fits = 0
  var lowest = fmin
  var failure: String? = nil

  /// q(t), warm-started from and updating `warm`.
  func q(_ t: Double, _ warm: inout [Double]) -> Double {
    var specs = parameters
    for j in 0..<n { specs[j].value = warm[j] }
    specs[k].value = t
    specs[k].fixed = true
    let r = conditional.minimize(f, parameters: specs, initialInverseHessian: seed)
    calls += r.nCalls
    fits += 1
    if !r.status.isConverged && failure == nil {
      failure = "conditional fit at x[\(k)] = \(t): \(r.status)"
    }
    if r.fval.isFinite {
      warm = r.x
      lowest = min(lowest, r.fval)
    }
    return r.fval - fmin - delta
  }

  /// One side (dir = ±1): (end, atBound).
  func side(_ dir: Double) -> (Double, Bool) {
    let bound = dir > 0 ? hi : lo
    if (dir > 0 && xk >= hi) || (dir < 0 && xk <= lo) { return (bound, true) }
    var warm = best.x
    var a = xk, qa = -delta
    var dist = sigma * (2 * delta).squareRoot()
    var t = xk + dir * dist
    if (dir > 0 && t > bound) || (dir < 0 && t < bound) { t = bound }
    var qt = 0.0
    var bracketed = false
    for _ in 0..<60 {
      qt = q(t, &warm)
      if !qt.isFinite {
        // Treat as beyond the crossing; shrink towards the last good point.
        t = 0.5 * (a + t)
        continue
      }
      if qt >= 0 {
        bracketed = true
        break
      }
      if t == bound { return (bound, true) }
      a = t
      qa = qt
      // Parabola through the best fit: q + δ = δ (t − x̂)²/(σ_eff²·2δ) → distance to the crossing.
      dist = abs(t - xk)
      let rise = qt + delta
      var next = rise > 0 ? dist * (delta / rise).squareRoot() * 1.05 : 2 * dist
      next = min(max(next, 1.2 * dist), 4 * dist)
      t = xk + dir * next
      if (dir > 0 && t > bound) || (dir < 0 && t < bound) { t = bound }
    }
    guard bracketed else {
      if failure == nil { failure = "no bracket found on the \(dir > 0 ? "upper" : "lower") side" }
      return (t, false)
    }
    // Illinois on [a, b] with qa < 0 ≤ qb.
    var b = t, qb = qt
    var bestT = b, bestQ = qb
    var lastSide = 0
    let xtol = 1e-10 * (sigma + abs(xk))
    let qtol = max(1e-12, 1e-3 * minimizer.options.tolerance)
    for _ in 0..<60 {
      if abs(bestQ) < qtol || abs(b - a) < xtol { break }
      var c = (a * qb - b * qa) / (qb - qa)
      if !c.isFinite || c <= min(a, b) || c >= max(a, b) { c = 0.5 * (a + b) }
      let qc = q(c, &warm)
      guard qc.isFinite else {
        b = c
        qb = 1
        continue
      }
      if abs(qc) < abs(bestQ) {
        bestQ = qc
        bestT = c
      }
      if qc * qb > 0 {
        b = c
        qb = qc
        if lastSide == -1 { qa *= 0.5 }
        lastSide = -1
      } else if qa * qc > 0 {
        a = c
        qa = qc
        if lastSide == 1 { qb *= 0.5 }
        lastSide = 1
      } else {
        bestT = c
        bestQ = 0
        break
      }
    }
    if abs(bestQ) > max(1e-8, 10 * minimizer.options.tolerance) && failure == nil {
      failure = "root search did not converge (|q| = \(abs(bestQ)))"
    }
    return (bestT, false)
  }

  let (lower, lowerAtBound) = side(-1)
  let (upper, upperAtBound) = side(+1)
  let status: FitStatus
  if let failure {
    status = .failed(failure)
  } else if lowerAtBound || upperAtBound {
    status = .convergedOnBound
  } else {
    status = .converged
  }
  return ProfileInterval(
    best: xk, lower: lower, upper: upper, lowerAtBound: lowerAtBound, upperAtBound: upperAtBound,
    status: status, nCalls: calls, nFits: fits, lowestValue: lowest)
}
