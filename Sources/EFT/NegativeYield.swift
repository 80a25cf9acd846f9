//===--- NegativeYield.swift ----------------------------------------------===//
// What the likelihood does with a bin whose EFT polynomial makes the expected yield ≤ 0.
//===----------------------------------------------------------------------===//

/// The policy for non-positive expected bin yields. The EFT scalings are always evaluated exactly as
/// the polynomial says (a process contribution may be negative); the policy then acts once per
/// bin on the **total** expected yield ν (all processes summed), where the Poisson term needs ν > 0.
///
/// - `floor(minimum)`: ν_eff = max(ν, minimum), derivative 0 below the floor. This is what Combine
///   does (`CMSHistErrorPropagator`/`CMSHistSum`: ν ← max(ν, 1e-9)), and it is the default
///   (`NegativeYieldPolicy.combine`).
/// - `penalty(strength, minimum)`: as `floor`, plus a smooth term
///   ΔNLL = strength · (minimum − ν)² for ν < minimum, so a minimiser is pushed back to the region
///   where the polynomial is positive instead of seeing a flat NLL.
///
/// `apply` also reports whether the floor was hit, so a scan can warn when it enters such a region.
public enum NegativeYieldPolicy: Sendable, Hashable {
  case floor(minimum: Double)
  case penalty(strength: Double, minimum: Double)

  /// Combine's behaviour: floor at 1e-9.
  public static let combine = NegativeYieldPolicy.floor(minimum: 1e-9)

  /// The floor value.
  public var minimum: Double {
    switch self {
    case .floor(let m), .penalty(_, let m): return m
    }
  }

  /// The outcome for one bin.
  public struct Outcome: Sendable, Hashable {
    /// The yield the Poisson term uses.
    public var yield: Double
    /// dν_eff/dν (1 above the floor, 0 below).
    public var derivative: Double
    /// The NLL term to add (0 unless `.penalty` and below the floor).
    public var penalty: Double
    /// d(penalty)/dν.
    public var penaltyDerivative: Double
    /// True when the raw yield was below the floor (warn: the polynomial went non-positive here).
    public var floored: Bool
  }

  /// Applies the policy to a raw bin yield ν.
  @inline(__always)
  public func apply(_ nu: Double) -> Outcome {
    let m = minimum
    if nu >= m {
      return Outcome(yield: nu, derivative: 1, penalty: 0, penaltyDerivative: 0, floored: false)
    }
    switch self {
    case .floor:
      return Outcome(yield: m, derivative: 0, penalty: 0, penaltyDerivative: 0, floored: true)
    case .penalty(let k, _):
      let d = m - nu
      return Outcome(
        yield: m, derivative: 0, penalty: k * d * d, penaltyDerivative: -2 * k * d, floored: true)
    }
  }
}
