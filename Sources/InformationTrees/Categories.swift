//===--- Categories.swift -------------------------------------------------===//
// From learned scores to analysis categories (spec bit.md §8 ii): cut a statistic into N
// categories and fill them with the weighted events of every process (the signal with its exact
// per-event quadratic coefficients). The datacard and EFT parametrisation of the categories are in
// CategoryCard.swift, their Fisher information in Fisher.swift, the statistic in Statistic.swift.
//
// Per category b the signal yield is the exact quadratic polynomial (derivative convention, §2)
//     λ_b(θ) = Σ_{i∈b} w_0,i + Σ_a θ_a Σ w_a,i + ½ Σ_a θ_a² Σ w_aa,i + Σ_{a<b} θ_aθ_b Σ w_ab,i,
// written to the EFT file normalised to its SM yield: μ_b(θ) = 1 + Σ_a A_a θ_a + Σ_{a≤b} B_ab θ_aθ_b
// with A_a = W_a/W_0, B_aa = ½ W_aa/W_0, B_ab = W_ab/W_0 (a < b).
//===----------------------------------------------------------------------===//

import Datacard
import Likelihood
import EFT
import Foundation
import Support

/// How the category edges are chosen.
public enum CategoryMethod: String, Sendable, CaseIterable {
  /// Weighted quantiles of the statistic with equal total SM yield (signal + backgrounds).
  case equalYield = "equal-yield"
  /// Weighted quantiles with equal per-event information of the objective (signal only).
  case equalInformation = "equal-information"
  /// Maximise the binned objective (Fisher information or Asimov significance) by dynamic
  /// programming over contiguous merges of many fine quantile bins.
  case fisher
}

/// What the `fisher` method maximises (and what `equal-information` equalises).
public enum BinningObjective: Sendable, Equatable {
  /// The binned Fisher information of one coefficient (index into the signal's coefficients):
  /// Σ_b (Σ_b w_a)² / (S_b + B_b).
  case fisher(coefficient: Int)
  /// The Asimov test statistic of the dataset at θ against the SM (θ in signal-coefficient order;
  /// bit.md §8 ii and §10.3): 2 Σ_b [λ_b(θ) ln(λ_b(θ)/λ_b(0)) − (λ_b(θ) − λ_b(0))], backgrounds
  /// included in λ. Its per-event form is the `equal-information` weight
  /// w(θ) ln(w(θ)/w_0) − (w(θ) − w_0).
  case asimov(theta: [Double])
}

extension BinningObjective {
  /// The objective `bit bin` uses: the Fisher information of `named` if given; else the one the
  /// statistic implies — of coefficient 0 for a feature (`statistic` nil), of the coefficient a
  /// learned function `t_c` belongs to, and for the learned ratio at θ the Asimov statistic of θ
  /// when the signal has quadratic weights (else the Fisher information of θ's first non-zero
  /// coefficient). Coefficient indices are in `coefficients` (the signal's) order.
  public static func implied(
    by statistic: BITStatistic?, model: BITModel, coefficients: [String], signalIsQuadratic: Bool, named: String?
  ) throws -> BinningObjective {
    if let o = named {
      guard let a = coefficients.firstIndex(of: o) else { throw BITError("--objective: no coefficient \(o) among \(coefficients.joined(separator: ","))") }
      return .fisher(coefficient: a)
    }
    switch statistic {
    case nil:
      return .fisher(coefficient: 0)
    case .output(let j)?:
      let c = model.coefficients[model.derivatives[j][0]]
      guard let a = coefficients.firstIndex(of: c) else { throw BITError("the signal coefficients do not include \(c); give --objective") }
      return .fisher(coefficient: a)
    case .ratio(let th)?:
      var t = [Double](repeating: 0, count: coefficients.count)
      for (k, c) in model.coefficients.enumerated() where th[k] != 0 {
        guard let a = coefficients.firstIndex(of: c) else { throw BITError("--theta: \(c) is not a signal coefficient") }
        t[a] = th[k]
      }
      return signalIsQuadratic ? .asimov(theta: t) : .fisher(coefficient: t.firstIndex { $0 != 0 } ?? 0)
    }
  }

  /// The coefficient the objective is about (the POI a fit of the categories should report).
  public func coefficient(in coefficients: [String]) -> String {
    switch self {
    case .fisher(let a): return coefficients[a]
    case .asimov(let t): return t.firstIndex(where: { $0 != 0 }).map { coefficients[$0] } ?? coefficients[0]
    }
  }
}

/// A background (or any θ-independent) process: its statistic and SM weight per event.
public struct BackgroundSample: Sendable {
  public var name: String
  public var statistic: [Double]
  public var weights: [Double]
  public init(name: String, statistic: [Double], weights: [Double]) {
    precondition(statistic.count == weights.count)
    self.name = name; self.statistic = statistic; self.weights = weights
  }
}

/// Options of `categorise`.
public struct CategoryOptions: Sendable {
  public var categories: Int = 8
  public var method: CategoryMethod = .equalYield
  /// The objective of `fisher`/`equal-information` (nil: Fisher information of coefficient 0).
  public var objective: BinningObjective? = nil
  /// Fine quantile bins the `fisher` method merges (a third each at equal SM yield, equal event
  /// count and equal information).
  public var fineBins: Int = 600
  /// Minimum number of signal MC events per category (`fisher` only).
  public var minEvents: Int = 20
  /// Minimum total SM yield per category (`fisher` only).
  public var minYield: Double = 0
  public init(categories: Int = 8, method: CategoryMethod = .equalYield, objective: BinningObjective? = nil,
              fineBins: Int = 600, minEvents: Int = 20, minYield: Double = 0) {
    self.categories = categories; self.method = method; self.objective = objective
    self.fineBins = fineBins; self.minEvents = minEvents; self.minYield = minYield
  }
}

/// The categories and their filled yields.
public struct Categorisation: Sendable {
  /// Inner edges e_1 < … < e_{N−1}; category b holds e_b < s ≤ e_{b+1} (open ends).
  public var edges: [Double]
  public var coefficients: [String]
  /// The signal's derivative columns (as in its `Events`).
  public var derivatives: [DerivativeIndices]
  /// Per category: Σ w_c of every signal weight column c (column 0 = SM), row-major
  /// `[categories × (1 + derivatives.count)]`.
  public var signalSums: [Double]
  /// Per category: Σ w_0² and the raw signal event count.
  public var signalSumW2: [Double]
  public var signalCounts: [Int]
  public var backgroundNames: [String]
  /// `[background][category]` yields, Σw² and raw counts.
  public var backgroundYields: [[Double]]
  public var backgroundSumW2: [[Double]]
  public var backgroundCounts: [[Int]]

  public var count: Int { edges.count + 1 }
  public var stride: Int { 1 + derivatives.count }
  public func signalYield(_ b: Int) -> Double { signalSums[b * stride] }
  public func backgroundYield(_ b: Int) -> Double { backgroundYields.reduce(0) { $0 + $1[b] } }
  /// Total SM yield of category b.
  public func totalYield(_ b: Int) -> Double { signalYield(b) + backgroundYield(b) }

  /// Σ_{i∈b} w_d for a derivative (indices into `coefficients`), or nil if the signal has no such column.
  public func signalSum(_ b: Int, _ d: DerivativeIndices) -> Double? {
    if d.isEmpty { return signalSums[b * stride] }
    guard let j = derivatives.firstIndex(of: d.sorted()) else { return nil }
    return signalSums[b * stride + 1 + j]
  }

  /// The signal yield of category b at θ (coefficient order), from the exact sums.
  public func signalYield(_ b: Int, theta: [Double]) -> Double {
    var v = signalSums[b * stride]
    for (j, d) in derivatives.enumerated() {
      v += derivativeMonomial(d, theta) * signalSums[b * stride + 1 + j]
    }
    return v
  }
}

/// The per-event yield w(θ) of row i (θ in the events' coefficient order).
@inline(__always) public func eventYield(_ w: UnsafeBufferPointer<Double>, row i: Int, stride S: Int,
                                  derivatives: [DerivativeIndices], theta: [Double]) -> Double {
  var v = w[i * S]
  for (j, d) in derivatives.enumerated() {
    v += derivativeMonomial(d, theta) * w[i * S + 1 + j]
  }
  return v
}

/// Cuts a statistic into categories and fills them.
///
/// - Parameters:
///   - signal: signal events (weights already scaled to the wanted luminosity), with the
///     derivative columns the EFT parametrisation is to use.
///   - statistic: the signal events' statistic (learned score or likelihood ratio).
///   - backgrounds: background samples (weights scaled).
///   - edgeSample: optionally, a statistically independent signal sample (and its statistic) to
///     place the edges on; by default the edges come from `signal` itself.
public func categorise(signal: Events, statistic: [Double], backgrounds: [BackgroundSample] = [],
                       options: CategoryOptions, edgeSample: (Events, [Double])? = nil) throws -> Categorisation {
  guard statistic.count == signal.count else { throw BITError("statistic has \(statistic.count) values for \(signal.count) events") }
  guard options.categories >= 1 else { throw BITError("need at least one category") }
  let objective = options.objective ?? .fisher(coefficient: 0)
  if case .fisher(let a) = objective, signal.column(of: [a]) == nil {
    throw BITError("no linear weights for coefficient \(a < signal.coefficients.count ? signal.coefficients[a] : "#\(a)")")
  }
  if case .asimov(let th) = objective, th.count != signal.coefficients.count {
    throw BITError("θ needs \(signal.coefficients.count) components")
  }
  let (es, est) = edgeSample ?? (signal, statistic)
  let edges: [Double]
  switch options.method {
  case .equalYield:
    var s = est, w = es.weightColumn(0)
    // With an independent edge sample the backgrounds still enter the SM yield.
    for bg in backgrounds { s += bg.statistic; w += bg.weights }
    edges = equalYieldEdges(statistic: s, weights: w, bins: options.categories)
  case .equalInformation:
    edges = equalYieldEdges(statistic: est, weights: perEventInformation(es, objective), bins: options.categories)
  case .fisher:
    edges = try optimalEdges(signal: es, statistic: est, backgrounds: backgrounds, objective: objective, options: options)
  }
  return fill(signal: signal, statistic: statistic, backgrounds: backgrounds, edges: edges)
}

/// Per-event information of the objective: w_a²/w_0 (Fisher) or the Asimov contribution
/// w(θ) ln(w(θ)/w_0) − (w(θ) − w_0) (finite θ), 0 for w_0 ≤ 0.
func perEventInformation(_ ev: Events, _ objective: BinningObjective) -> [Double] {
  let S = ev.weightStride
  return ev.weights.withUnsafeBufferPointer { w in
    (0..<ev.count).map { i -> Double in
      let w0 = w[i * S]
      guard w0 > 0 else { return 0 }
      switch objective {
      case .fisher(let a):
        let wa = w[i * S + ev.column(of: [a])!]
        return wa * wa / w0
      case .asimov(let th):
        let wt = eventYield(w, row: i, stride: S, derivatives: ev.derivatives, theta: th)
        guard wt > 0 else { return 0 }
        return wt * log(wt / w0) - (wt - w0)
      }
    }
  }
}

/// Fills categories given edges.
public func fill(signal: Events, statistic: [Double], backgrounds: [BackgroundSample], edges: [Double]) -> Categorisation {
  let N = edges.count + 1, S = signal.weightStride
  var sums = [Double](repeating: 0, count: N * S), w2 = [Double](repeating: 0, count: N)
  var counts = [Int](repeating: 0, count: N)
  signal.weights.withUnsafeBufferPointer { w in
    for i in 0..<signal.count {
      let b = binIndex(statistic[i], edges: edges)
      for c in 0..<S { sums[b * S + c] += w[i * S + c] }
      w2[b] += w[i * S] * w[i * S]
      counts[b] += 1
    }
  }
  var by: [[Double]] = [], bw2: [[Double]] = [], bc: [[Int]] = []
  for bg in backgrounds {
    var y = [Double](repeating: 0, count: N), q = y, c = [Int](repeating: 0, count: N)
    for i in 0..<bg.statistic.count {
      let b = binIndex(bg.statistic[i], edges: edges)
      y[b] += bg.weights[i]; q[b] += bg.weights[i] * bg.weights[i]; c[b] += 1
    }
    by.append(y); bw2.append(q); bc.append(c)
  }
  return Categorisation(edges: edges, coefficients: signal.coefficients, derivatives: signal.derivatives,
                        signalSums: sums, signalSumW2: w2, signalCounts: counts, backgroundNames: backgrounds.map(\.name),
                        backgroundYields: by, backgroundSumW2: bw2, backgroundCounts: bc)
}

/// The `fisher` method: fine candidate edges (quantiles at equal SM yield, equal event count and
/// equal information), then the partition into exactly N contiguous groups that maximises the
/// binned objective, each group with ≥ minEvents signal events, ≥ minYield SM yield and a positive
/// signal SM yield (dynamic programming, O(N·M²)).
func optimalEdges(signal: Events, statistic: [Double], backgrounds: [BackgroundSample], objective: BinningObjective,
                  options: CategoryOptions) throws -> [Double] {
  let N = options.categories
  let third = max(N, options.fineBins / 3)
  let w0 = signal.weightColumn(0)
  let info = perEventInformation(signal, objective)
  var cand = Set(equalYieldEdges(statistic: statistic, weights: w0, bins: third))
  cand.formUnion(equalYieldEdges(statistic: statistic, weights: [Double](repeating: 1, count: signal.count), bins: third))
  cand.formUnion(equalYieldEdges(statistic: statistic, weights: info, bins: third))
  let fine = cand.sorted()
  let M = fine.count + 1
  guard M >= N else { throw BITError("only \(M) distinct fine bins for \(N) categories") }
  // Per fine bin: signal count, signal SM yield, total SM yield λ0, and the objective's second
  // column (Σ w_a for Fisher, total λ(θ) for Asimov).
  var cnt = [Double](repeating: 0, count: M), sig0 = cnt, lam0 = cnt, col = cnt
  let S = signal.weightStride
  signal.weights.withUnsafeBufferPointer { w in
    for i in 0..<signal.count {
      let b = binIndex(statistic[i], edges: fine)
      cnt[b] += 1; sig0[b] += w[i * S]; lam0[b] += w[i * S]
      switch objective {
      case .fisher(let a): col[b] += w[i * S + signal.column(of: [a])!]
      case .asimov(let th): col[b] += eventYield(w, row: i, stride: S, derivatives: signal.derivatives, theta: th)
      }
    }
  }
  for bg in backgrounds {
    for i in 0..<bg.statistic.count {
      let b = binIndex(bg.statistic[i], edges: fine)
      lam0[b] += bg.weights[i]
      if case .asimov = objective { col[b] += bg.weights[i] }
    }
  }
  func prefix(_ v: [Double]) -> [Double] {
    var p = [Double](repeating: 0, count: v.count + 1)
    for i in 0..<v.count { p[i + 1] = p[i] + v[i] }
    return p
  }
  let pc = prefix(cnt), ps = prefix(sig0), pl = prefix(lam0), pq = prefix(col)
  let isFisher: Bool
  if case .fisher = objective { isFisher = true } else { isFisher = false }
  // Objective of the group of fine bins i..<j, or nil if it is not allowed.
  func score(_ i: Int, _ j: Int) -> Double? {
    let n = pc[j] - pc[i], s0 = ps[j] - ps[i], l0 = pl[j] - pl[i], q = pq[j] - pq[i]
    guard n >= Double(options.minEvents), s0 > 0, l0 >= options.minYield, l0 > 0 else { return nil }
    if isFisher { return q * q / l0 }
    guard q > 0 else { return nil }
    return 2 * (q * log(q / l0) - (q - l0))
  }
  let ninf = -Double.infinity
  // best[k][j]: the best objective of splitting fine bins 0..<j into k groups.
  var best = [[Double]](repeating: [Double](repeating: ninf, count: M + 1), count: N + 1)
  var arg = [[Int]](repeating: [Int](repeating: -1, count: M + 1), count: N + 1)
  best[0][0] = 0
  for k in 1...N {
    for j in k...M {
      var bv = ninf, bi = -1
      for i in (k - 1)..<j where best[k - 1][i] > ninf {
        if let s = score(i, j), best[k - 1][i] + s > bv { bv = best[k - 1][i] + s; bi = i }
      }
      best[k][j] = bv; arg[k][j] = bi
    }
  }
  guard best[N][M] > ninf else {
    throw BITError("cannot make \(N) categories with at least \(options.minEvents) signal events and SM yield ≥ \(options.minYield) each (\(signal.count) events); use fewer categories or lower --min-events")
  }
  var cuts: [Int] = []
  var j = M
  for k in stride(from: N, to: 0, by: -1) { let i = arg[k][j]; if i > 0 { cuts.append(i) }; j = i }
  return cuts.reversed().map { fine[$0 - 1] }
}
