//===--- Random.swift -----------------------------------------------------===//
// GSL random numbers (mt19937) for random restarts, resampling, toys and generated inputs.
//===----------------------------------------------------------------------===//

import CGSL

/// GSL's Mersenne Twister (mt19937): reproducible for a given seed. Not thread-safe: one per thread.
public final class RandomStream {
  private let rng: OpaquePointer

  public init(seed: UInt64) {
    rng = OpaquePointer(gsl_rng_alloc(cgsl_rng_mt19937()))
    gsl_rng_set(UnsafePointer(rng), UInt(truncatingIfNeeded: seed))
  }

  /// The stream of item `index` of a study seeded with `seed` (toy i of `-s SEED`): mt19937 takes a
  /// 32-bit seed, derived here by SplitMix64 mixing of (seed, index), so that studies with nearby
  /// seeds share no items (with seed + index, `-s 1` and `-s 2` would share all but one toy), all
  /// 64 bits of the seed count, and an item does not depend on threads or job splitting. Two items
  /// of 10⁵ collide with probability ≈ 10⁵²/2³³ ≈ 1 (one repeated toy in 10⁵, harmless).
  public convenience init(seed: UInt64, index: UInt64) {
    func mix(_ v: UInt64) -> UInt64 {
      var z = v &+ 0x9E37_79B9_7F4A_7C15
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    let h = mix(mix(seed) ^ index)
    let s32 = UInt64(UInt32(truncatingIfNeeded: h ^ (h >> 32)))
    self.init(seed: s32 == 0 ? 1 : s32)  // GSL replaces seed 0 by 4357
  }

  deinit { gsl_rng_free(UnsafeMutablePointer(rng)) }

  /// Uniform in [0, 1).
  public func uniform() -> Double { gsl_rng_uniform(UnsafePointer(rng)) }

  /// Standard normal (GSL's ziggurat).
  public func normal() -> Double { gsl_ran_gaussian_ziggurat(UnsafePointer(rng), 1) }

  /// Gamma(k, 1): density x^{k−1} e^{−x} / Γ(k).
  public func gamma(_ k: Double) -> Double { gsl_ran_gamma(UnsafePointer(rng), k, 1) }

  /// Poisson(μ) as a Double (0 for μ ≤ 0).
  public func poisson(_ mu: Double) -> Double { mu > 0 ? Double(gsl_ran_poisson(UnsafePointer(rng), mu)) : 0 }
}
