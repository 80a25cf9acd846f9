//===--- Distribution.swift -----------------------------------------------===//
// The distribution of a learned statistic at the SM and at a point θ (`bit plot`).
//===----------------------------------------------------------------------===//

import Foundation

/// A histogram of a statistic over weighted events: the SM yields and the yields at θ, both
/// divided by the total SM yield (so a change of rate stays visible).
public struct StatisticDistribution: Sendable {
  public var edges: [Double]
  public var sm: [Double]
  public var atTheta: [Double]
  /// θ as text (`cHW = 1, …`, or `SM`).
  public var label: String
}

extension BITModel {
  /// The distribution of `statistic` over `events` in `bins` equal bins between the 0.5% and 99.5%
  /// SM-weighted quantiles (`equalYieldEdges` with 200 bins; ±½ around a constant statistic), at the
  /// SM (w_0) and at θ = `at` (default: 1 for the coefficient of a learned function `t_c`), with
  /// the per-event yields w(θ) of `eventYield`. Values outside the range go to the end bins.
  public func distribution(of statistic: BITStatistic, events ev: Events, at: [Double]?, bins: Int) -> StatisticDistribution {
    let s = evaluate(statistic, features: ev.features)
    var th = [Double](repeating: 0, count: coefficients.count)
    if let at {
      th = at
    } else if case .output(let j) = statistic {
      th[derivatives[j][0]] = 1
    }
    let S = ev.weightStride
    let w0 = ev.weightColumn(0)
    let wt: [Double] = ev.weights.withUnsafeBufferPointer { w in
      (0..<ev.count).map { eventYield(w, row: $0, stride: S, derivatives: ev.derivatives, theta: th) }
    }
    let q = equalYieldEdges(statistic: s, weights: w0, bins: 200)
    var lo = q.first ?? (s.min() ?? 0), hi = q.last ?? (s.max() ?? 1)
    if !(hi > lo) { lo -= 0.5; hi += 0.5 }
    let nb = max(bins, 2)
    let edges = (0...nb).map { lo + (hi - lo) * Double($0) / Double(nb) }
    var h0 = [Double](repeating: 0, count: nb), h1 = h0
    for i in 0..<ev.count {
      let b = min(nb - 1, max(0, Int(((s[i] - lo) / (hi - lo) * Double(nb)).rounded(.down))))
      h0[b] += w0[i]; h1[b] += wt[i]
    }
    let n0 = h0.reduce(0, +)
    if n0 > 0 { h0 = h0.map { $0 / n0 } }
    if n0 > 0 { h1 = h1.map { $0 / n0 } }
    let text = zip(coefficients, th).filter { $0.1 != 0 }.map { "\($0.0) = \($0.1)" }.joined(separator: ", ")
    return StatisticDistribution(edges: edges, sm: h0, atTheta: h1, label: text.isEmpty ? "SM" : text)
  }
}
