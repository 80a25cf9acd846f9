//===--- Interpolation.swift ----------------------------------------------===//
// Combine's interpolations: the smooth step of shape morphing and the asymmetric log-normal
// (AsymPow) of normalisations; and small numerical conventions of its normalisation model.
//===----------------------------------------------------------------------===//

import Foundation
import Maths

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

/// How a normalisation effect with factors `lo`, `hi` at θ = −1, +1 is interpolated: Combine's
/// asymmetric log-normal (`AsymPow`, `asymmetricLogFactor`), or one of HistFactory's codes as pyhf
/// defines them (pyhf.interpolators; f the factor, f(0) = 1, f(1) = hi, f(−1) = lo):
///
///     code0  f = 1 + θ(hi − 1) (θ ≥ 0), 1 + θ(1 − lo) (θ < 0)             piecewise linear
///     code1  f = hi^θ (θ ≥ 0), lo^−θ (θ < 0)                               piecewise exponential
///     code2  f = 1 + aθ² + bθ (|θ| ≤ 1), a = ½(hi + lo) − 1, b = ½(hi − lo); linear beyond,
///            f = hi + (b + 2a)(θ − 1) (θ > 1), lo + (b − 2a)(θ + 1) (θ < −1)
///     code4  f = hi^θ (θ ≥ 1), lo^−θ (θ ≤ −1); inside 1 + Σ_{i=1..6} c_i θ^i, the polynomial
///            matching f, f′ and f″ of the exponentials at ±1 (`code4Coefficients`).
public enum NormalisationInterpolation: Int, Sendable, Equatable {
  case combine = -1, code0 = 0, code1 = 1, code2 = 2, code4 = 4
}

/// The six coefficients c_1…c_6 of pyhf's code 4 polynomial for factors `lo`, `hi` (α₀ = 1):
/// the solution of A c = b with rows (value, slope, curvature at +1 and −1)
///
///     Σ c_i = hi − 1,                 Σ (−1)^i c_i = lo − 1,
///     Σ i c_i = hi ln hi,             Σ i(−1)^(i−1) c_i = −lo ln lo,
///     Σ i(i−1) c_i = hi ln² hi,       Σ i(i−1)(−1)^i c_i = lo ln² lo.
public func code4Coefficients(lo: Double, hi: Double) -> [Double] {
  let lh = log(hi), ll = log(lo)
  var a = [Double](repeating: 0, count: 36)
  for i in 1...6 {
    let d = Double(i), s = i % 2 == 0 ? 1.0 : -1.0
    a[0 * 6 + i - 1] = 1
    a[1 * 6 + i - 1] = s
    a[2 * 6 + i - 1] = d
    a[3 * 6 + i - 1] = d * -s
    a[4 * 6 + i - 1] = d * (d - 1)
    a[5 * 6 + i - 1] = d * (d - 1) * s
  }
  let b = [hi - 1, lo - 1, hi * lh, -lo * ll, hi * lh * lh, lo * ll * ll]
  guard case .inverse(let inv) = luInvert(a, 6) else { return [Double](repeating: 0, count: 6) }
  return (0..<6).map { r in (0..<6).reduce(0) { $0 + inv[r * 6 + $1] * b[$1] } }
}

/// ln f(θ) and d ln f/dθ for a HistFactory normalisation code (see `NormalisationInterpolation`);
/// `c` holds the code-4 coefficients. A factor ≤ 0 (codes 0, 2 far out) is floored at 10⁻³⁰⁰.
@inline(__always)
public func histFactoryLogFactor(_ t: Double, code: NormalisationInterpolation, lo: Double, hi: Double,
                                 c: UnsafePointer<Double>) -> (value: Double, derivative: Double) {
  var f: Double, fp: Double
  switch code {
  case .code1, .combine:
    return t >= 0 ? (t * log(hi), log(hi)) : (-t * log(lo), -log(lo))
  case .code0:
    (f, fp) = t >= 0 ? (1 + t * (hi - 1), hi - 1) : (1 + t * (1 - lo), 1 - lo)
  case .code2:
    let a = 0.5 * (hi + lo) - 1, b = 0.5 * (hi - lo)
    if t > 1 { (f, fp) = (hi + (b + 2 * a) * (t - 1), b + 2 * a) }
    else if t < -1 { (f, fp) = (lo + (b - 2 * a) * (t + 1), b - 2 * a) }
    else { (f, fp) = (1 + a * t * t + b * t, 2 * a * t + b) }
  case .code4:
    if t >= 1 { return (t * log(hi), log(hi)) }
    if t <= -1 { return (-t * log(lo), -log(lo)) }
    var v = 0.0, s = 0.0, tp = 1.0  // tp = t^i
    for i in 0..<6 {
      s += Double(i + 1) * c[i] * tp
      tp *= t
      v += c[i] * tp
    }
    (f, fp) = (1 + v, s)
  }
  guard f > 1e-300 else { return (log(1e-300), 0) }
  return (log(f), fp / f)
}
