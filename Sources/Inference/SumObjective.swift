//===--- SumObjective.swift -----------------------------------------------===//
// A sum of objectives over one shared parameter vector: how a reinterpretation channel joins a
// datacard NLL (or another channel) in a combined fit.
//===----------------------------------------------------------------------===//

import Fit
import Likelihood

/// f(x) = Σ_k f_k(x[map_k]), where component k sees the global parameters
/// `map_k[0], map_k[1], …` as its own parameters 0, 1, …. Parameters are matched by name with
/// `init(names:components:)`; a global parameter no component uses is allowed (its derivative is 0).
/// Evaluations do not allocate (per-component scratch buffers). Not thread-safe.
public final class SumObjective: ObjectiveFunction {
  public let names: [String]
  public var dimension: Int { names.count }
  private let parts: [ObjectiveFunction]
  private let maps: [[Int]]
  private let xs: [UnsafeMutableBufferPointer<Double>]
  private let gs: [UnsafeMutableBufferPointer<Double>]

  /// Components with explicit index maps into a global vector of `names.count` parameters.
  public init(names: [String], components: [(objective: ObjectiveFunction, map: [Int])]) throws {
    self.names = names
    for (k, c) in components.enumerated() {
      guard c.map.count == c.objective.dimension else {
        throw LikelihoodError("component \(k): map has \(c.map.count) entries for \(c.objective.dimension) parameters")
      }
      guard c.map.allSatisfy({ $0 >= 0 && $0 < names.count }) else {
        throw LikelihoodError("component \(k): map index out of range")
      }
    }
    parts = components.map { $0.objective }
    maps = components.map { $0.map }
    xs = components.map { .allocate(capacity: max($0.objective.dimension, 1)) }
    gs = components.map { .allocate(capacity: max($0.objective.dimension, 1)) }
  }

  /// Components with their own parameter names; the global vector is the union in order of
  /// first appearance, and equal names are one parameter.
  public convenience init(components: [(objective: ObjectiveFunction, names: [String])]) throws {
    var names: [String] = []
    var index: [String: Int] = [:]
    var maps: [[Int]] = []
    for c in components {
      maps.append(c.names.map { n in
        if let i = index[n] { return i }
        index[n] = names.count
        names.append(n)
        return names.count - 1
      })
    }
    try self.init(names: names, components: zip(components, maps).map { ($0.objective, $1) })
  }

  deinit {
    for b in xs { b.deallocate() }
    for b in gs { b.deallocate() }
  }

  public func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    var s = 0.0
    for k in parts.indices {
      let m = maps[k], xk = xs[k]
      for i in m.indices { xk[i] = x[m[i]] }
      s += parts[k].value(UnsafeBufferPointer(xk))
    }
    return s
  }

  public func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    for j in 0..<names.count { g[j] = 0 }
    var s = 0.0
    for k in parts.indices {
      let m = maps[k], xk = xs[k], gk = gs[k]
      for i in m.indices { xk[i] = x[m[i]] }
      s += parts[k].valueAndGradient(UnsafeBufferPointer(xk), gk)
      for i in m.indices { g[m[i]] += gk[i] }
    }
    return s
  }
}
