//===--- Random.swift -----------------------------------------------------===//
// GSL random numbers (mt19937) for random restarts, resampling and toys, and the draw of a
// parameter from its constraint pdf.
//===----------------------------------------------------------------------===//

import CGSL
import Likelihood

/// GSL's Mersenne Twister (mt19937): reproducible for a given seed. Not thread-safe: one per thread.
final class RandomStream {
  private let rng: OpaquePointer

  init(seed: UInt64) {
    rng = OpaquePointer(gsl_rng_alloc(cgsl_rng_mt19937()))
    gsl_rng_set(UnsafePointer(rng), UInt(truncatingIfNeeded: seed))
  }

  deinit { gsl_rng_free(UnsafeMutablePointer(rng)) }

  /// Uniform in [0, 1).
  func uniform() -> Double { gsl_rng_uniform(UnsafePointer(rng)) }

  /// Standard normal (GSL's ziggurat).
  func normal() -> Double { gsl_ran_gaussian_ziggurat(UnsafePointer(rng), 1) }

  /// Gamma(k, 1): density x^{k−1} e^{−x} / Γ(k).
  func gamma(_ k: Double) -> Double { gsl_ran_gamma(UnsafePointer(rng), k, 1) }

  /// Poisson(μ) as a Double (0 for μ ≤ 0).
  func poisson(_ mu: Double) -> Double { mu > 0 ? Double(gsl_ran_poisson(UnsafePointer(rng), mu)) : 0 }

  /// A draw from a parameter's constraint pdf, as Combine's toys and FitDiagnostics sample the
  /// nuisance pdfs:
  /// - Gaussian: m + σ z;
  /// - bifurcated (RooBifurGauss, ∝ exp(−(θ−m)²/2σ_L²) below m, exp(−(θ−m)²/2σ_R²) above): the side
  ///   below m has probability σ_L/(σ_L + σ_R), then m ∓ σ_side |z|;
  /// - Poisson(N | θ) as a pdf in θ (gmN): Gamma(N + 1, 1), the flat-prior posterior.
  /// Nil for unconstrained and flat (lnU) parameters, which are not drawn.
  func draw(_ c: Constraint) -> Double? {
    switch c {
    case .gaussian(let m, let s): return m + s * normal()
    case .bifurcatedGaussian(let m, let lo, let hi):
      let z = abs(normal())
      return uniform() * (lo + hi) < lo ? m - lo * z : m + hi * z
    case .poisson(let n): return gamma(n + 1)
    case .none, .flat: return nil
    }
  }
}
