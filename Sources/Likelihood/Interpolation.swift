//===--- Interpolation.swift ----------------------------------------------===//
// Combine's interpolations: the smooth step of shape morphing and the asymmetric log-normal
// (AsymPow) of normalisations; and small numerical conventions of its normalisation model.
//===----------------------------------------------------------------------===//

import Foundation

/// Combine's smooth step (`smoothStepFunc`): S(x) = sign(x) for |x| ≥ q, else with t = x/q
/// S = (3t⁵ − 10t³ + 15t)/8. Returns (S, dS/dx); S′ = (15t⁴ − 30t² + 15)/(8q) inside.
@inline(__always)
public func smoothStep(_ x: Double, _ q: Double) -> (value: Double, derivative: Double) {
  if x >= q { return (1, 0) }
  if x <= -q { return (-1, 0) }
  let t = x / q, t2 = t * t
  return (t * (t2 * (3 * t2 - 10) + 15) / 8, (15 * t2 * t2 - 30 * t2 + 15) / (8 * q))
}

/// Combine's asymmetric log-normal interpolation (`AsymPow`, `logKappaForX` in
/// `interface/CombineMathFuncs.h`). With ℓ_d = ln κ_d, ℓ_u = ln κ_u the yield factor is
/// exp(θ·L(θ)), where
///
///     L(θ) = ℓ_u                                   θ ≥ ½
///     L(θ) = −ℓ_d                                  θ ≤ −½
///     L(θ) = ½(ℓ_u − ℓ_d) + ½(ℓ_u + ℓ_d)·h(2θ)      |θ| < ½,   h(x) = (3x⁵ − 10x³ + 15x)/8.
///
/// h(±1) = ±1 and h′(±1) = h″(±1) = 0, so the log-factor θ·L(θ) is C² at |θ| = ½.
/// Returns (θ·L(θ), d(θ·L(θ))/dθ) where the derivative inside |θ| < ½ is
/// L(θ) + θ·½(ℓ_u + ℓ_d)·2h′(2θ), h′(x) = (15x⁴ − 30x² + 15)/8; h is the smooth step with q = 1.
@inline(__always)
public func asymmetricLogFactor(_ theta: Double, logKappaDown ld: Double, logKappaUp lu: Double)
  -> (value: Double, derivative: Double)
{
  if theta >= 0.5 { return (theta * lu, lu) }
  if theta <= -0.5 { return (-theta * ld, -ld) }
  let (h, hp) = smoothStep(2 * theta, 1)
  let a = 0.5 * (lu - ld)
  let b = 0.5 * (lu + ld)
  let l = a + b * h
  return (theta * l, l + theta * b * 2 * hp)
}

/// The value Python's `"%g" % v` prints, parsed back: v rounded to 6 significant digits.
/// Combine writes factor-free yields as `n_exp_bin<c>_proc_<p>[<v:g>]`, so they carry this rounding.
public func roundedLikePercentG(_ v: Double) -> Double {
  Double(String(format: "%g", v)) ?? v
}

/// The value of `"%f" % v` parsed back: v rounded to 6 decimals (RooFit factory strings).
public func roundedLikePercentF(_ v: Double) -> Double {
  Double(String(format: "%f", v)) ?? v
}

/// ln Pois(n; μ) = n ln μ − μ − ln Γ(n+1), TMath::Poisson's log for real n ≥ 0.
public func logPoisson(_ n: Double, mean mu: Double) -> Double {
  if mu <= 0 { return n == 0 ? 0 : -.infinity }
  return n * log(mu) - mu - lgamma(n + 1)
}

/// The 7σ bounds Combine gives a `gmN N` parameter (`ModelTools.py`):
/// minExp starts at N+1 (0 if N = 0) and is multiplied by 0.8 while Pois(N; minExp) > 1e-12;
/// maxExp starts at N+1 and is multiplied by 1.2 while Pois(N; maxExp) > 1e-12. Both are written
/// with `%f` into the factory string, i.e. rounded to 6 decimals.
public func gammaNormBounds(observed n: Int) -> ClosedRange<Double> {
  let N = Double(n)
  var minExp = n > 0 ? N + 1 : 0
  while minExp > 0 && exp(logPoisson(N, mean: minExp)) > 1e-12 { minExp *= 0.8 }
  var maxExp = N + 1
  while exp(logPoisson(N, mean: maxExp)) > 1e-12 { maxExp *= 1.2 }
  return roundedLikePercentF(minExp)...roundedLikePercentF(maxExp)
}

/// The parabolic error Minuit (and so Combine) reports for a parameter with two finite limits.
///
/// Minuit works in the internal variable u with x = lo + ½(hi − lo)(sin u + 1), so
/// dx/du = J = ½(hi − lo)·cos u. Away from a limit, the internal variance is
/// σ_u² = σ_x²/J², σ_x = `linearError` (√(2·up·V_xx), V the covariance in x). On a limit J = 0 and
/// the internal curvature comes from the gradient term alone, ∂²f/∂u² = |∂f/∂x|·½(hi − lo)·|sin u|,
/// so σ_u² = 2·up/(|g|·½(hi − lo)). The reported error is Minuit's `Int2extError`:
/// ½(|x(u + σ_u) − x(u)| + |x(u − σ_u) − x(u)|), with x(u + σ_u) − x(u) = hi − lo when σ_u > 1.
/// Parameters with a missing limit are returned unchanged.
public func minuitExternalError(
  value x: Double, lower lo: Double, upper hi: Double, linearError: Double, gradient g: Double,
  errorLevel up: Double
) -> Double {
  guard lo.isFinite, hi.isFinite, hi > lo else { return linearError }
  let ba = hi - lo
  let s = min(1, max(-1, 2 * (x - lo) / ba - 1))
  let u = asin(s)
  let j = 0.5 * ba * cos(u)
  var sigmaU: Double
  if abs(j) > 1e-8 * ba {
    sigmaU = linearError / abs(j)
  } else {
    guard abs(g) > 0 else { return linearError }
    sigmaU = (2 * up / (abs(g) * 0.5 * ba)).squareRoot()
  }
  let xu = { (v: Double) in lo + 0.5 * ba * (sin(v) + 1) }
  var du1 = xu(u + sigmaU) - x
  let du2 = xu(u - sigmaU) - x
  if sigmaU > 1 { du1 = ba }
  return 0.5 * (abs(du1) + abs(du2))
}
