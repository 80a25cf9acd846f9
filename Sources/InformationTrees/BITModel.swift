//===--- BITModel.swift ---------------------------------------------------===//
// A trained Boosted Information Tree ensemble: trees, configuration, JSON I/O, prediction.
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation
import Support

/// How split points are searched.
public enum SplitMode: String, Codable, Sendable {
  /// Every cut between consecutive distinct feature values (the reference algorithm, sort-based).
  case exact
  /// Cuts between quantile bins of each feature (≤ `maxBins` bins), histograms per node with
  /// sibling subtraction.
  case histogram
}

/// Training configuration. Defaults reproduce the reference's ZH configuration.
public struct BITConfig: Codable, Sendable, Equatable {
  /// Number of boosting iterations B.
  public var trees: Int = 100
  /// Learning rate η: the ensemble is F(x) = η Σ_b f_b(x).
  public var learningRate: Double = 0.2
  /// Reference depth convention: `maxDepth = D` gives at most D − 1 levels of splits and
  /// 2^(D−1) leaves (the root is at depth 0 and a node at depth d is a leaf if maxDepth ≤ d + 1).
  public var maxDepth: Int = 4
  /// Minimum number of events (a raw count, not a weight sum) in each child of a split; a node
  /// with fewer than 2·minSize events is a leaf.
  public var minSize: Int = 15
  public var mode: SplitMode = .histogram
  /// Maximum number of quantile bins per feature in histogram mode (≤ 256).
  public var maxBins: Int = 256
  /// Optional positivity rule: a cut is allowed only if in both children W_0 ≥ 0 and every
  /// base-point yield (C·W)_k ≥ 0. (W_0 > 0 in both children is always required.)
  public var positive: Bool = false
  /// Worker threads for histogram building (0: all cores). Results do not depend on it.
  public var threads: Int = 0

  public init(trees: Int = 100, learningRate: Double = 0.2, maxDepth: Int = 4, minSize: Int = 15,
              mode: SplitMode = .histogram, maxBins: Int = 256, positive: Bool = false, threads: Int = 0) {
    self.trees = trees; self.learningRate = learningRate; self.maxDepth = maxDepth; self.minSize = minSize
    self.mode = mode; self.maxBins = maxBins; self.positive = positive; self.threads = threads
  }
}

/// One regression tree, stored flat.
///
/// Internal node j splits on `feature[j]` at `threshold[j]`: events with x ≤ threshold go to
/// `left[j]`, the others to `right[j]`. A child index c ≥ 0 is an internal node, stored after its
/// parent (c > j; node 0 is the root), c < 0 is leaf −1 − c. A tree without internal nodes is the
/// single leaf 0.
/// Leaf l holds `leafSize[l]` training events and the column sums W_d = Σ_leaf w_d of the
/// (boosted) weights, column 0 = W_0; its value is the vector W_d / W_0, d = 1 … D.
public struct InformationTree: Codable, Sendable, Equatable {
  public var feature: [Int] = []
  public var threshold: [Double] = []
  public var left: [Int] = []
  public var right: [Int] = []
  public var leafSize: [Int] = []
  /// Row-major `[leaves × weightStride]` column sums.
  public var leafSums: [Double] = []
  public var weightStride: Int

  public init(weightStride: Int) { self.weightStride = weightStride }

  public var leafCount: Int { leafSize.count }
  public var nodeCount: Int { feature.count }

  /// Leaf values W_d/W_0 (d = 1 … D), row-major `[leaves × D]`; 0 for a leaf with W_0 = 0.
  public func leafValues() -> [Double] {
    let K = weightStride, D = K - 1
    var v = [Double](repeating: 0, count: leafCount * D)
    for l in 0..<leafCount {
      let w0 = leafSums[l * K]
      if w0 == 0 { continue }
      for d in 0..<D { v[l * D + d] = leafSums[l * K + 1 + d] / w0 }
    }
    return v
  }

  /// The leaf reached by a feature vector.
  @inlinable public func leaf(_ x: UnsafePointer<Double>) -> Int {
    if feature.isEmpty { return 0 }
    var j = 0
    while true {
      let c = x[feature[j]] <= threshold[j] ? left[j] : right[j]
      if c < 0 { return -1 - c }
      j = c
    }
  }
}

/// Per-tree training record.
public struct TreeRecord: Codable, Sendable, Equatable {
  /// Training loss after adding the tree (see `BITModel.initialLoss`).
  public var loss: Double
  public var leaves: Int
  public var seconds: Double
}

/// A trained Boosted Information Tree ensemble.
///
/// It predicts r̂_d(x) = η Σ_b (W_d/W_0)_{leaf_b(x)} for every learned derivative d, an estimate
/// of w_d/w_0 (the score t_a = w_a/w_0 for linear d, w_ab/w_0 for quadratic d). The learned
/// likelihood ratio is r̂(x,θ) = 1 + Σ_a θ_a r̂_a + ½ Σ_a θ_a² r̂_aa + Σ_{a<b} θ_a θ_b r̂_ab.
public struct BITModel: Codable, Sendable {
  public var format: String = "recombine-bit-1"
  public var coefficients: [String]
  /// Learned derivatives (indices into `coefficients`), in output order.
  public var derivatives: [DerivativeIndices]
  public var featureNames: [String]
  /// Base points θ_k (in coefficient order) of the loss.
  public var basePoints: [[Double]]
  /// Whether the gain matrix C has the constant column C[k,0] = 1 (multi-coefficient BIT) or
  /// not (single-coefficient BIT, gain S_d²/S_w).
  public var gainHasConstantColumn: Bool
  public var config: BITConfig
  public var trees: [InformationTree]
  /// Training loss before the first tree, L(r̂ = 0) = Σ_i Σ_k (Σ_{d≥1} C[k,d] w_d,i)² / w_0,i.
  public var initialLoss: Double
  public var history: [TreeRecord]

  public var learnedCount: Int { derivatives.count }

  /// Names of the learned functions: `t_<c>`, `t_<c1>_<c2>`.
  public var outputNames: [String] { derivatives.map { derivativeName($0, coefficients: coefficients, prefix: "t_") } }

  /// The gain matrix C (row-major `[P × (1+D)]`): C[k,d] = Π_{c∈d} θ_k[c], times ½ if d = (a,a);
  /// C[k,0] = 1 if `constantColumn`, else 0. Σ_d C[k,d] W_d is the yield at θ_k.
  public static func gainMatrix(basePoints: [[Double]], derivatives: [DerivativeIndices], constantColumn: Bool) -> [Double] {
    let K = derivatives.count + 1
    var C = [Double](repeating: 0, count: basePoints.count * K)
    for (k, th) in basePoints.enumerated() {
      C[k * K] = constantColumn ? 1 : 0
      for (j, d) in derivatives.enumerated() {
        var v = 1.0
        for a in d { v *= th[a] }
        if d.count == 2 && d[0] == d[1] { v *= 0.5 }
        C[k * K + 1 + j] = v
      }
    }
    return C
  }

  /// Default base points: every 1- and (if quadratic) 2-combination with replacement of the
  /// coefficients, each θ_k[c] multiplied by `scales[c]` (default 1).
  public static func defaultBasePoints(coefficientCount n: Int, quadratic: Bool, scales: [Double]? = nil) -> [[Double]] {
    let s = scales ?? [Double](repeating: 1, count: n)
    var out: [[Double]] = []
    for a in 0..<n { var t = [Double](repeating: 0, count: n); t[a] = s[a]; out.append(t) }
    if quadratic {
      for a in 0..<n {
        for b in a..<n { var t = [Double](repeating: 0, count: n); t[a] += s[a]; t[b] += s[b]; out.append(t) }
      }
    }
    return out
  }

  /// Predictions for row-major features `[n × featureCount]`: row-major `[n × D]` with
  /// r̂_d = η · Σ_{b < treeLimit} value_b,d (summed over trees, then multiplied by η).
  public func predict(features: [Double], treeLimit: Int? = nil) -> [Double] {
    let F = featureNames.count, D = learnedCount
    let n = F == 0 ? 0 : features.count / F
    let B = min(treeLimit ?? trees.count, trees.count)
    let values = trees.prefix(B).map { $0.leafValues() }
    var out = [Double](repeating: 0, count: n * D)
    let lr = config.learningRate
    let chunk = 4096
    let chunks = (n + chunk - 1) / chunk
    let treesB = Array(trees.prefix(B))
    out.withUnsafeMutableBufferPointer { o in
      features.withUnsafeBufferPointer { x in
        let op = UnsafeSendable(o.baseAddress!), xp = UnsafeSendable(UnsafeMutablePointer(mutating: x.baseAddress!))
        DispatchQueue.concurrentPerform(iterations: max(chunks, 1)) { c in
          let lo = c * chunk, hi = min(n, lo + chunk)
          if lo >= hi { return }
          for i in lo..<hi {
            let row = op.p + i * D
            for b in 0..<B {
              let l = treesB[b].leaf(xp.p + i * F)
              values[b].withUnsafeBufferPointer { v in
                for d in 0..<D { row[d] += v[l * D + d] }
              }
            }
            for d in 0..<D { row[d] = lr * row[d] }
          }
        }
      }
    }
    return out
  }

  /// Predictions for events (features looked up by name).
  public func predict(_ events: Events, treeLimit: Int? = nil) throws -> [Double] {
    let ev = events.featureNames == featureNames ? events : try events.selectingFeatures(featureNames)
    return predict(features: ev.features, treeLimit: treeLimit)
  }

  /// The learned likelihood ratio r̂(x,θ) from predictions `r` (one row of `predict`).
  public func ratio(_ r: ArraySlice<Double>, theta: [Double]) -> Double {
    var s = 1.0
    for (j, d) in derivatives.enumerated() {
      s += derivativeMonomial(d, theta) * r[r.startIndex + j]
    }
    return s
  }

  // MARK: JSON

  public func jsonData() throws -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    return try enc.encode(self)
  }

  public func save(_ path: String) throws { try writeFileAtomicallyMaybeGzipped([UInt8](try jsonData()), to: path) }

  /// Reads a model written by `save`, and checks it (`validate`); errors name `path`.
  public static func load(_ path: String) throws -> BITModel {
    let bytes = try readFileMaybeGzipped(path)
    let model: BITModel
    do { model = try JSONDecoder().decode(BITModel.self, from: Data(bytes)) } catch {
      throw BITError("\(path): not a BIT model: \(error)")
    }
    do { try model.validate() } catch let e as BITError { throw BITError("\(path): invalid BIT model: \(e.description)") }
    return model
  }

  /// Checks what prediction relies on: every derivative names one or two coefficients, every
  /// base point has one value per coefficient, and in every tree weightStride = derivatives + 1,
  /// the node arrays have equal lengths, there is at least one leaf, leafSums has
  /// leaves × weightStride entries, every split feature is one of `featureNames`, and every child
  /// is a later internal node or an existing leaf.
  public func validate() throws {
    let n = coefficients.count, F = featureNames.count, K = derivatives.count + 1
    for (j, d) in derivatives.enumerated() where !(1...2).contains(d.count) || d.contains(where: { $0 < 0 || $0 >= n }) {
      throw BITError("derivative \(j) is \(d), expected one or two indices below \(n) (the number of coefficients)")
    }
    for (k, b) in basePoints.enumerated() where b.count != n {
      throw BITError("base point \(k) has \(b.count) values, expected \(n) (one per coefficient)")
    }
    for (b, t) in trees.enumerated() {
      func fail(_ what: String) -> BITError { BITError("tree \(b): \(what)") }
      guard t.weightStride == K else {
        throw fail("weightStride is \(t.weightStride), expected \(K) (1 + \(derivatives.count) derivatives)")
      }
      let m = t.nodeCount
      guard t.threshold.count == m, t.left.count == m, t.right.count == m else {
        throw fail("\(m) features, \(t.threshold.count) thresholds, \(t.left.count) left and \(t.right.count) right children, expected equal counts")
      }
      guard t.leafCount >= 1 else { throw fail("no leaves, expected at least one") }
      guard t.leafSums.count == t.leafCount * K else {
        throw fail("leafSums has \(t.leafSums.count) entries, expected \(t.leafCount * K) (\(t.leafCount) leaves × \(K))")
      }
      for j in 0..<m {
        guard (0..<F).contains(t.feature[j]) else {
          throw fail("node \(j) splits on feature \(t.feature[j]), expected 0..<\(F) (\(F) features)")
        }
        for (side, c) in [("left", t.left[j]), ("right", t.right[j])] {
          if c >= 0 {
            guard c > j && c < m else { throw fail("node \(j): \(side) child \(c), expected an internal node in \(j + 1)..<\(m) or a leaf < 0") }
          } else {
            guard -1 - c < t.leafCount else { throw fail("node \(j): \(side) child is leaf \(-1 - c), expected a leaf below \(t.leafCount)") }
          }
        }
      }
    }
  }
}

/// A pointer that may be shared with concurrently running blocks (each writes a disjoint part).
struct UnsafeSendable<T>: @unchecked Sendable {
  let p: UnsafeMutablePointer<T>
  init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}
