//===--- Distributions.swift ----------------------------------------------===//
// Normal and χ² distributions and quantiles (GSL), and Garwood's Poisson intervals.
//===----------------------------------------------------------------------===//

import CGSL

/// Φ(x), the standard normal cumulative distribution.
@inline(__always) public func normalCDF(_ x: Double) -> Double { gsl_cdf_ugaussian_P(x) }
/// Φ_c(x) = 1 − Φ(x), computed without cancellation.
@inline(__always) public func normalCDFc(_ x: Double) -> Double { gsl_cdf_ugaussian_Q(x) }
/// Φ⁻¹(p).
@inline(__always) public func normalQuantile(_ p: Double) -> Double { gsl_cdf_ugaussian_Pinv(p) }
/// Φ_c⁻¹(p): x with 1 − Φ(x) = p.
@inline(__always) public func normalQuantileC(_ p: Double) -> Double { gsl_cdf_ugaussian_Qinv(p) }

/// P(χ²_k > x), the upper tail of the χ² distribution with k degrees of freedom (1 for x ≤ 0).
/// Combine's grid `quantileExpected` is this with k = number of POIs profiled or scanned.
public func chiSquaredSurvival(_ x: Double, degreesOfFreedom k: Int) -> Double {
  if x <= 0 { return 1 }
  return gsl_cdf_chisq_Q(x, Double(k))
}

/// The χ² quantile: x with P(χ²_k ≤ x) = p.
public func chiSquaredQuantile(_ p: Double, degreesOfFreedom k: Int) -> Double {
  gsl_cdf_chisq_Pinv(p, Double(k))
}

/// The χ² quantile for a real number of degrees of freedom ν (the Γ(ν/2, 2) distribution); NaN
/// where GSL's search does not converge.
public func chiSquaredQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
  _ = gslErrorHandlerDisabled
  return gsl_cdf_chisq_Pinv(p, nu)
}

/// Garwood's 68.27% interval of a Poisson count n, as offsets below and above n:
/// [n − ½χ²⁻¹(0.1587; 2n), ½χ²⁻¹(0.8413; 2n + 2) − n] (the lower offset is 0 for n = 0); where the
/// χ² quantile does not converge (n of order 10⁵ and more) ±√n, which they approach.
public func garwoodInterval(_ n: Double) -> (low: Double, high: Double) {
  let lo = n > 0 ? n - 0.5 * chiSquaredQuantile(0.158655253931457, degreesOfFreedom: 2 * n) : 0
  let hi = 0.5 * chiSquaredQuantile(0.841344746068543, degreesOfFreedom: 2 * n + 2) - n
  return lo.isFinite && hi.isFinite ? (lo, hi) : (n.squareRoot(), n.squareRoot())
}
