//===--- Toys.swift -------------------------------------------------------===//
// Deterministic random numbers and the 1D closure toys with analytic scores.
//===----------------------------------------------------------------------===//

import Foundation

/// xoshiro256** seeded with splitmix64: deterministic for a given seed on every platform.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
  var s: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var z = seed
    func splitmix() -> UInt64 {
      z &+= 0x9E37_79B9_7F4A_7C15
      var r = z
      r = (r ^ (r >> 30)) &* 0xBF58_476D_1CE4_E5B9
      r = (r ^ (r >> 27)) &* 0x94D0_49BB_1331_11EB
      return r ^ (r >> 31)
    }
    s = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  public mutating func next() -> UInt64 {
    let result = Self.rotl(s.1 &* 5, 7) &* 9
    let t = s.1 << 17
    s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
    s.2 ^= t
    s.3 = Self.rotl(s.3, 45)
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  @inline(__always) public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
  /// Uniform in [a, b).
  @inline(__always) public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }
}

/// The 1D closure toys of arXiv:2107.10859 (sampled events: w = 1, w' = t(x|θ0)).
public enum ClosureToy: String, CaseIterable, Sendable {
  /// p(x|θ) ∝ θ e^{−θ(x−25)} on [20, 420], θ0 = 1/100; t(x) = 1/θ0 − (x − 25).
  case exponential
  /// p(x|α) ∝ (x/100)^{−α} on [20, 420], α0 = 3; t(x) = 1/(α0 − 1) − ln(x/100).
  case powerLaw = "power-law"

  public static let range = (lo: 20.0, hi: 420.0)

  /// The analytic score t(x|θ0) of the reference (extended likelihood of the truncated density).
  public func score(_ x: Double) -> Double {
    switch self {
    case .exponential: return 100.0 - (x - 25)
    case .powerLaw: return 1.0 / (3.0 - 1.0) - log(x / 100)
    }
  }

  /// Inverse-CDF sample of the truncated density at θ0 from u ∈ [0, 1).
  public func sample(_ u: Double) -> Double {
    let (a, b) = Self.range
    switch self {
    case .exponential:
      // F(x) = (1 − e^{−θ(x−a)}) / (1 − e^{−θ(b−a)})
      let th = 0.01
      return a - log1p(-u * (1 - exp(-th * (b - a)))) / th
    case .powerLaw:
      // density ∝ x^{−3}: F(x) = (a^{−2} − x^{−2}) / (a^{−2} − b^{−2})
      let ia = 1 / (a * a), ib = 1 / (b * b)
      return 1 / (ia - u * (ia - ib)).squareRoot()
    }
  }

  /// n events: feature `x`, weights `w_0` = 1 and `w_theta` = t(x).
  public func generate(count n: Int, seed: UInt64) -> Events {
    var rng = Xoshiro256(seed: seed)
    var x = [Double](repeating: 0, count: n)
    var w = [Double](repeating: 0, count: 2 * n)
    for i in 0..<n {
      let v = sample(rng.uniform())
      x[i] = v
      w[2 * i] = 1
      w[2 * i + 1] = score(v)
    }
    return Events(featureNames: ["x"], coefficients: ["theta"], derivatives: [[0]], features: x, weights: w)
  }
}
