//===--- Events.swift -----------------------------------------------------===//
// Weighted events for Boosted Information Trees: features, the SM weight w_0
// and the derivative weights w_a = ∂w/∂θ_a, w_ab = ∂²w/∂θ_a∂θ_b at θ = 0.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Errors of the InformationTrees module.
public struct BITError: RecombineError, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A derivative of the per-event weight with respect to Wilson coefficients, given by
/// indices into a coefficient list: `[]` is w_0, `[a]` is w_a = ∂w/∂θ_a and `[a, b]` (a ≤ b)
/// is w_ab = ∂²w/∂θ_a∂θ_b (derivative convention, so the per-event polynomial is
/// w(θ) = w_0 + Σ_a θ_a w_a + ½ Σ_a θ_a² w_aa + Σ_{a<b} θ_a θ_b w_ab).
public typealias DerivativeIndices = [Int]

/// The monomial a derivative multiplies in the per-event polynomial: θ_a for `[a]`, ½θ_a² for
/// `[a, a]`, θ_aθ_b for `[a, b]`.
@inline(__always) public func derivativeMonomial(_ d: DerivativeIndices, _ theta: [Double]) -> Double {
  d.count == 1 ? theta[d[0]] : d[0] == d[1] ? 0.5 * theta[d[0]] * theta[d[0]] : theta[d[0]] * theta[d[1]]
}

/// The canonical derivative list (without w_0) for `n` coefficients: the linear terms
/// `[0] … [n−1]`, then, if `quadratic`, the pairs `[a, b]` with a ≤ b in lexicographic order.
public func canonicalDerivatives(coefficientCount n: Int, quadratic: Bool) -> [DerivativeIndices] {
  var out: [DerivativeIndices] = (0..<n).map { [$0] }
  if quadratic {
    for a in 0..<n { for b in a..<n { out.append([a, b]) } }
  }
  return out
}

/// The column name of a derivative: `w_0`, `w_<c>`, `w_<c1>_<c2>` (or with prefix `t_` for
/// learned coefficient functions).
public func derivativeName(_ d: DerivativeIndices, coefficients: [String], prefix: String = "w_")
  -> String
{
  if d.isEmpty { return prefix + "0" }
  return prefix + d.map { coefficients[$0] }.joined(separator: "_")
}

/// A set of weighted events.
///
/// * `features`: row-major `[count × featureCount]` Doubles, event i's feature f at
///   `features[i * featureCount + f]`.
/// * `weights`: row-major `[count × (1 + derivatives.count)]` Doubles; column 0 is the SM weight
///   w_0, column 1 + j the derivative weight of `derivatives[j]`.
public struct Events: Sendable {
  public var featureNames: [String]
  public var coefficients: [String]
  /// Derivatives held in weight columns 1…, as indices into `coefficients`.
  public var derivatives: [DerivativeIndices]
  public var features: [Double]
  public var weights: [Double]
  /// Extra per-event columns carried along but not used for training (e.g. PDF values).
  public var extraNames: [String] = []
  public var extra: [Double] = []

  public var count: Int { featureNames.isEmpty ? weights.count / weightStride : features.count / featureNames.count }
  public var featureCount: Int { featureNames.count }
  /// Number of weight columns, 1 + derivatives.count.
  public var weightStride: Int { 1 + derivatives.count }

  public init(
    featureNames: [String], coefficients: [String], derivatives: [DerivativeIndices],
    features: [Double], weights: [Double]
  ) {
    self.featureNames = featureNames
    self.coefficients = coefficients
    self.derivatives = derivatives
    self.features = features
    self.weights = weights
    precondition(features.count % max(1, featureNames.count) == 0)
    precondition(weights.count % (1 + derivatives.count) == 0)
  }

  /// Feature f of event i.
  @inlinable public func feature(_ i: Int, _ f: Int) -> Double { features[i * featureNames.count + f] }
  /// Weight column c (0 = w_0) of event i.
  @inlinable public func weight(_ i: Int, _ c: Int) -> Double { weights[i * weightStride + c] }

  /// One weight column as an array (0 = w_0).
  public func weightColumn(_ c: Int) -> [Double] {
    let s = weightStride
    return (0..<count).map { weights[$0 * s + c] }
  }

  /// One feature column as an array.
  public func featureColumn(_ f: Int) -> [Double] {
    let F = featureCount
    return (0..<count).map { features[$0 * F + f] }
  }

  /// The column of a derivative in `weights` (0 for w_0), or nil. `[a, b]` and `[b, a]` match.
  public func column(of d: DerivativeIndices) -> Int? {
    if d.isEmpty { return 0 }
    let key = d.sorted()
    return derivatives.firstIndex(of: key).map { $0 + 1 }
  }

  /// Events restricted to a subset of rows (in the given order).
  public func rows(_ idx: [Int]) -> Events {
    let F = featureCount, S = weightStride
    var f = [Double](); f.reserveCapacity(idx.count * F)
    var w = [Double](); w.reserveCapacity(idx.count * S)
    for i in idx {
      f.append(contentsOf: features[(i * F)..<(i * F + F)])
      w.append(contentsOf: weights[(i * S)..<(i * S + S)])
    }
    var e = Events(featureNames: featureNames, coefficients: coefficients, derivatives: derivatives,
                   features: f, weights: w)
    if !extraNames.isEmpty {
      let X = extraNames.count
      var x = [Double](); x.reserveCapacity(idx.count * X)
      for i in idx { x.append(contentsOf: extra[(i * X)..<(i * X + X)]) }
      e.extraNames = extraNames; e.extra = x
    }
    return e
  }

  /// Events whose weight columns are re-expressed for another coefficient list and derivative
  /// set (columns are looked up by coefficient names). Throws if one is missing.
  public func selectingDerivatives(coefficients newCoefficients: [String], derivatives newDers: [DerivativeIndices]) throws -> Events {
    var cols = [0]
    for d in newDers {
      let names = d.map { newCoefficients[$0] }
      let mine = try names.map { n -> Int in
        guard let i = coefficients.firstIndex(of: n) else { throw BITError("no weights for coefficient \(n)") }
        return i
      }
      guard let c = column(of: mine) else {
        throw BITError("no weight column \(derivativeName(d, coefficients: newCoefficients))")
      }
      cols.append(c)
    }
    let w = Self.gather(weights, stride: weightStride, rows: count, columns: cols)
    var e = Events(featureNames: featureNames, coefficients: newCoefficients, derivatives: newDers, features: features, weights: w)
    e.extraNames = extraNames; e.extra = extra
    return e
  }

  /// Events with only the selected features (by name), in that order.
  public func selectingFeatures(_ names: [String]) throws -> Events {
    let idx = try names.map { n -> Int in
      guard let i = featureNames.firstIndex(of: n) else { throw BITError("no feature column \(n)") }
      return i
    }
    let f = Self.gather(features, stride: featureCount, rows: count, columns: idx)
    var e = Events(featureNames: names, coefficients: coefficients, derivatives: derivatives, features: f, weights: weights)
    e.extraNames = extraNames; e.extra = extra
    return e
  }

  /// The `columns` of a row-major table with `stride` columns, in that order.
  static func gather(_ table: [Double], stride: Int, rows n: Int, columns: [Int]) -> [Double] {
    var out = [Double](repeating: 0, count: n * columns.count)
    for i in 0..<n { for (j, c) in columns.enumerated() { out[i * columns.count + j] = table[i * stride + c] } }
    return out
  }
}
