//===--- Fisher.swift -----------------------------------------------------===//
// Fisher information of learned scores and of categories (binned, unbinned, their summary), and
// score binning at weighted quantiles. Every matrix is `Likelihood.fisherInformation`.
//===----------------------------------------------------------------------===//

import Foundation
import Likelihood

/// The share of the Fisher information captured by a score F: Σ_i w'_i F_i / Σ_i w'_i²/w_i
/// (1 when F = w'/w, the optimal observable; events with w = 0 are skipped in the denominator).
public func fisherFraction(w: [Double], wPrime: [Double], score: [Double]) -> Double {
  var num = 0.0, den = 0.0
  for i in 0..<w.count {
    num += wPrime[i] * score[i]
    if w[i] != 0 { den += wPrime[i] * wPrime[i] / w[i] }
  }
  return num / den
}

/// Bin edges e_1 < … < e_{N−1} of a statistic at weighted quantiles j/N of `weights` (equal SM
/// yield for weights w_0, equal information for w_a²/w_0). Bin b holds e_b < s ≤ e_{b+1}.
/// Duplicate edges are merged, so fewer than N bins can result.
public func equalYieldEdges(statistic s: [Double], weights w: [Double], bins N: Int) -> [Double] {
  let idx = s.indices.sorted { s[$0] < s[$1] }
  let total = w.reduce(0, +)
  var edges: [Double] = []
  var cum = 0.0
  var j = 1
  var k = 0
  while k < idx.count {
    // one run of equal values: cuts are only placed after a run
    let v = s[idx[k]]
    while k < idx.count && s[idx[k]] == v { cum += w[idx[k]]; k += 1 }
    if k == idx.count { break }
    var cut = false
    while j < N && cum >= total * Double(j) / Double(N) { cut = true; j += 1 }
    if cut { edges.append(v) }
  }
  return edges
}

/// Index of the bin of value v for edges e (bin b: e_{b−1} < v ≤ e_b).
@inline(__always) public func binIndex(_ v: Double, edges: [Double]) -> Int {
  var a = 0, b = edges.count
  while a < b { let m = (a + b) >> 1; if edges[m] < v { a = m + 1 } else { b = m } }
  return a
}

/// Binned Fisher information Σ_b (Σ_{i∈b} w'_i)² / Σ_{i∈b} w_i (bins with Σw ≤ 0 are skipped).
public func binnedFisherInformation(statistic s: [Double], edges: [Double], w: [Double], wPrime: [Double]) -> Double {
  var W = [Double](repeating: 0, count: edges.count + 1), D = W
  for i in 0..<s.count {
    let b = binIndex(s[i], edges: edges)
    W[b] += w[i]; D[b] += wPrime[i]
  }
  return fisherInformation(derivatives: [D], yields: W)[0][0]
}

extension Categorisation {
  /// The binned Fisher matrix I_ab = Σ_b W_a W_b / (S_b + B_b) (with `backgrounds`) or / S_b.
  public func fisherMatrix(backgrounds: Bool) -> [[Double]] {
    let bins = 0..<count
    return fisherInformation(
      derivatives: coefficients.indices.map { a in bins.map { signalSum($0, [a]) ?? 0 } },
      yields: bins.map { backgrounds ? totalYield($0) : signalYield($0) })
  }
}

/// The unbinned signal Fisher matrix Σ_i w_a w_b / w_0 (events with w_0 ≤ 0 skipped).
public func unbinnedFisherMatrix(_ events: Events) -> [[Double]] {
  let S = events.weightStride, rows = 0..<events.count
  let w0 = rows.map { events.weights[$0 * S] }
  let derivatives = events.coefficients.indices.map { a in
    events.column(of: [a]).map { c in rows.map { events.weights[$0 * S + c] } } ?? [Double](repeating: 0, count: events.count)
  }
  return fisherInformation(derivatives: derivatives, yields: w0)
}

/// The Fisher information kept by a binning, per coefficient.
public struct FisherSummary: Sendable, Codable, Equatable {
  public var coefficient: String
  /// Σ_i w_a²/w_0 over the signal events.
  public var unbinned: Double
  /// Σ_b W_a²/S_b (signal only) and its fraction of `unbinned`.
  public var binned: Double
  public var fraction: Double
  /// Σ_b W_a²/(S_b + B_b), with the backgrounds.
  public var binnedWithBackgrounds: Double
}

public func fisherSummary(_ cat: Categorisation, signal: Events) -> [FisherSummary] {
  let U = unbinnedFisherMatrix(signal)
  let Bs = cat.fisherMatrix(backgrounds: false), Bb = cat.fisherMatrix(backgrounds: true)
  return cat.coefficients.indices.map { a in
    FisherSummary(coefficient: cat.coefficients[a], unbinned: U[a][a], binned: Bs[a][a],
                  fraction: U[a][a] > 0 ? Bs[a][a] / U[a][a] : 0, binnedWithBackgrounds: Bb[a][a])
  }
}
