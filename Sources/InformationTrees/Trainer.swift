//===--- Trainer.swift ----------------------------------------------------===//
// Boosted Information Tree training (arXiv:2107.10859, arXiv:2205.12976): the boosting loop, tree
// construction and leaf values; the split search is in SplitSearch.swift.
//
// Weighted events i with weight vector w_i = (w_0, w_1 … w_D) (column 0 the SM weight, columns
// d ≥ 1 the derivative weights), base points θ_k and the gain matrix C (`BITModel.gainMatrix`).
//
// * Node loss for a node constant r̂:  L = Σ_i w_0,i Σ_k [Σ_{d≥1} C[k,d] (r̂_d − w_d,i/w_0,i)]².
// * Split gain (to maximise) of a cut with left sums S = Σ_left w and right sums R = Σ_right w:
//       G = Σ_k (C S)_k² / S_0 + Σ_k (C R)_k² / R_0
//   (single coefficient, C = [[0, 1]]: G = S_1²/S_0 + R_1²/R_0, the Poisson Fisher information
//   of the two-bin experiment). Cuts need ≥ minSize events on each side, S_0 > 0 and R_0 > 0,
//   and are never inside a run of equal feature values. The first maximum wins (positions in
//   increasing x, then features in order) and a node splits only if G > 0.
// * Leaf value: W_d / W_0 with W = Σ_leaf w (ratio of sums, the current boosted weights).
// * Boosting: after tree b, w_d,i ← w_d,i − (η w_0,i) · value_{leaf(i),d} for d ≥ 1; w_0 is never
//   changed. The ensemble predicts r̂_d(x) = η Σ_b value_{b,d}(x).
// * Depth: root at depth 0; a node at depth d is a leaf if maxDepth ≤ d + 1 (so maxDepth = D
//   gives D − 1 split levels); a child with fewer than 2·minSize events is a leaf.
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation

/// Trains a Boosted Information Tree ensemble.
///
/// - Parameters:
///   - events: training events; every derivative column is learned.
///   - config: boosting configuration.
///   - basePoints: base points θ_k in coefficient order (default: `BITModel.defaultBasePoints`).
///   - singleCoefficient: use the single-coefficient gain S_1²/S_0 (no constant column). By
///     default it is used when the events have exactly one linear derivative.
///   - progress: called after every tree with its index and record.
public func trainBIT(
  _ events: Events, config: BITConfig, basePoints: [[Double]]? = nil, singleCoefficient: Bool? = nil,
  progress: ((Int, TreeRecord) -> Void)? = nil
) throws -> BITModel {
  let n = events.count
  guard n > 0 else { throw BITError("no events") }
  guard events.featureCount > 0 else { throw BITError("no features") }
  guard !events.derivatives.isEmpty else { throw BITError("no derivative weights to learn") }
  guard config.maxDepth >= 1, config.trees >= 0, config.minSize >= 0 else { throw BITError("invalid configuration") }
  guard config.maxBins >= 2 && config.maxBins <= 256 else { throw BITError("maxBins must be in 2…256") }
  let quadratic = events.derivatives.contains { $0.count == 2 }
  let single = singleCoefficient ?? (events.derivatives.count == 1 && events.derivatives[0].count == 1)
  let bp = basePoints ?? BITModel.defaultBasePoints(coefficientCount: events.coefficients.count, quadratic: quadratic)
  guard bp.allSatisfy({ $0.count == events.coefficients.count }) else {
    throw BITError("base points must have \(events.coefficients.count) components")
  }
  let C: [Double] = single
    ? [0] + [Double](repeating: 1, count: events.derivatives.count)
    : BITModel.gainMatrix(basePoints: bp, derivatives: events.derivatives, constantColumn: true)
  // Nothing to learn without SM weight or without derivative weight: the loss would be 0 and every
  // ratio L/L0 NaN (a model written with exit 0 that predicts nothing).
  guard events.weightColumn(0).contains(where: { $0 != 0 }) else {
    throw BITError("the SM weights (w_0) of all \(n) events are 0: nothing to learn")
  }
  let trainer = Trainer(events: events, config: config, C: C, P: single ? 1 : bp.count)
  let initialLoss = trainer.loss()
  guard initialLoss.isFinite, initialLoss > 0 else {
    throw BITError("the derivative weights of all \(n) events are 0 (initial loss \(initialLoss)): nothing to learn")
  }
  var model = BITModel(
    coefficients: events.coefficients, derivatives: events.derivatives, featureNames: events.featureNames,
    basePoints: single ? [[1]] : bp, gainHasConstantColumn: !single, config: config, trees: [],
    initialLoss: initialLoss, history: [])
  for b in 0..<config.trees {
    let t0 = DispatchTime.now().uptimeNanoseconds
    let tree = trainer.buildTree()
    let loss = trainer.boost(tree)
    let rec = TreeRecord(loss: loss, leaves: tree.leafCount,
                         seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    model.trees.append(tree)
    model.history.append(rec)
    progress?(b, rec)
  }
  return model
}

/// Training state: the boosted weights and the per-mode split-search structures. All buffers
/// are allocated once; the hot loops run on raw contiguous memory.
final class Trainer: @unchecked Sendable {
  let n: Int, F: Int, K: Int, P: Int
  let config: BITConfig
  let X: UnsafeMutablePointer<Double>  // row-major features n × F
  let W: UnsafeMutablePointer<Double>  // row-major boosted weights n × K
  let C: UnsafeMutablePointer<Double>  // P × K
  let order: UnsafeMutablePointer<Int32>  // node partition of events
  let tmp: UnsafeMutablePointer<Int32>
  let leafOf: UnsafeMutablePointer<Int32>
  let minSize: Int
  var tree = InformationTree(weightStride: 1)

  // exact mode
  var sorted: UnsafeMutablePointer<Int32>? = nil  // F × n, node ranges sorted by each feature
  var sortedAll: UnsafeMutablePointer<Int32>? = nil  // F × n, every feature's global order
  var goesLeft: UnsafeMutablePointer<Bool>? = nil

  // histogram mode
  var codes: UnsafeMutablePointer<UInt8>? = nil  // F × n (column-major)
  var codesRow: UnsafeMutablePointer<UInt8>? = nil  // n × F (row-major)
  var edges: [[Double]] = []
  var nbins: [Int] = []
  let B: Int  // bins stride
  let HS: Int  // histogram entry size: count + K sums
  var hist: UnsafeMutablePointer<Double>? = nil  // levels × 2 slots × F × B × HS
  var levels = 0

  init(events: Events, config: BITConfig, C cm: [Double], P: Int) {
    n = events.count; F = events.featureCount; K = events.weightStride; self.P = P
    self.config = config
    minSize = config.minSize
    X = .allocate(capacity: n * F); X.initialize(from: events.features, count: n * F)
    W = .allocate(capacity: n * K); W.initialize(from: events.weights, count: n * K)
    C = .allocate(capacity: cm.count); C.initialize(from: cm, count: cm.count)
    order = .allocate(capacity: n); tmp = .allocate(capacity: n); leafOf = .allocate(capacity: n)
    B = config.maxBins; HS = K + 1
    switch config.mode {
    case .exact:
      let s = UnsafeMutablePointer<Int32>.allocate(capacity: F * n)
      let sp = UnsafeSendable(s), xp = UnsafeSendable(X)
      let (n, F) = (n, F)
      DispatchQueue.concurrentPerform(iterations: F) { f in
        var idx = [Int32](0..<Int32(n))
        idx.sort { a, b in
          let xa = xp.p[Int(a) * F + f], xb = xp.p[Int(b) * F + f]
          return xa < xb || (xa == xb && a < b)
        }
        (sp.p + f * n).update(from: idx, count: n)
      }
      sortedAll = s
      sorted = .allocate(capacity: F * n)
      goesLeft = .allocate(capacity: n)
    case .histogram:
      let bins = FeatureBins(features: events.features, count: n, featureCount: F, maxBins: config.maxBins)
      edges = bins.edges
      nbins = bins.edges.map { $0.count + 1 }
      let c = UnsafeMutablePointer<UInt8>.allocate(capacity: F * n)
      c.initialize(from: bins.codes, count: F * n)
      codes = c
      let r = UnsafeMutablePointer<UInt8>.allocate(capacity: F * n)
      for f in 0..<F { for i in 0..<n { r[i * F + f] = c[f * n + i] } }
      codesRow = r
      levels = max(1, config.maxDepth)
      let size = levels * 2 * F * B * HS
      hist = .allocate(capacity: size)
      hist!.initialize(repeating: 0, count: size)
    }
  }

  deinit {
    X.deallocate(); W.deallocate(); C.deallocate(); order.deallocate(); tmp.deallocate(); leafOf.deallocate()
    sorted?.deallocate(); sortedAll?.deallocate(); goesLeft?.deallocate(); codes?.deallocate(); codesRow?.deallocate(); hist?.deallocate()
  }

  /// Current loss Σ_i Σ_k (Σ_{d≥1} C[k,d] w_d,i)² / w_0,i over events with w_0 ≠ 0; this is
  /// Σ_i w_0,i Σ_k [Σ_d C[k,d](r̂_d − r_d,i)]² for the current ensemble.
  func loss() -> Double {
    var total = 0.0
    for i in 0..<n { total += eventLoss(W + i * K) }
    return total
  }

  @inline(__always) func eventLoss(_ w: UnsafeMutablePointer<Double>) -> Double {
    let w0 = w[0]
    if w0 == 0 { return 0 }
    var s = 0.0
    for k in 0..<P {
      let c = C + k * K
      var y = 0.0
      for d in 1..<K { y += c[d] * w[d] }
      s += y * y
    }
    return s / w0
  }

  // MARK: tree construction

  func buildTree() -> InformationTree {
    tree = InformationTree(weightStride: K)
    for i in 0..<n { order[i] = Int32(i) }
    if let s = sorted, let all = sortedAll { s.update(from: all, count: F * n) }
    if config.mode == .histogram && canSearch(depth: 0, count: n) {
      buildHistogram(slot: histSlot(level: 0, side: 0), lo: 0, hi: n)
    }
    _ = build(lo: 0, hi: n, depth: 0, histSide: 0)
    // leaf sums in event order (sequential, as the reference's column sums)
    let L = tree.leafCount
    tree.leafSums = [Double](repeating: 0, count: L * K)
    tree.leafSums.withUnsafeMutableBufferPointer { s in
      for i in 0..<n {
        let row = s.baseAddress! + Int(leafOf[i]) * K
        let w = W + i * K
        for d in 0..<K { row[d] += w[d] }
      }
    }
    return tree
  }

  @inline(__always) func canSearch(depth: Int, count: Int) -> Bool {
    config.maxDepth > depth + 1 && count >= 2
  }

  /// Builds the subtree of order[lo..<hi]; returns the child index (≥ 0 internal, < 0 leaf).
  func build(lo: Int, hi: Int, depth: Int, histSide: Int) -> Int {
    let m = hi - lo
    guard canSearch(depth: depth, count: m) else { return makeLeaf(lo: lo, hi: hi) }
    let split: (feature: Int, threshold: Double, bin: Int)?
    switch config.mode {
    case .exact: split = findExactSplit(lo: lo, hi: hi)
    case .histogram: split = findHistogramSplit(slot: histSlot(level: depth, side: histSide), count: m)
    }
    guard let s = split else { return makeLeaf(lo: lo, hi: hi) }
    // partition
    let mid = partition(lo: lo, hi: hi, feature: s.feature, threshold: s.threshold, bin: s.bin)
    if mid == lo || mid == hi { return makeLeaf(lo: lo, hi: hi) }
    let j = tree.feature.count
    tree.feature.append(s.feature); tree.threshold.append(s.threshold)
    tree.left.append(0); tree.right.append(0)
    let mL = mid - lo, mR = hi - mid
    let leftSearch = mL >= 2 * minSize && canSearch(depth: depth + 1, count: mL)
    let rightSearch = mR >= 2 * minSize && canSearch(depth: depth + 1, count: mR)
    if config.mode == .histogram && (leftSearch || rightSearch) {
      let parent = histSlot(level: depth, side: histSide)
      let sl = histSlot(level: depth + 1, side: 0), sr = histSlot(level: depth + 1, side: 1)
      if leftSearch && rightSearch {
        if mL <= mR {
          buildHistogram(slot: sl, lo: lo, hi: mid); subtractHistogram(parent: parent, child: sl, into: sr)
        } else {
          buildHistogram(slot: sr, lo: mid, hi: hi); subtractHistogram(parent: parent, child: sr, into: sl)
        }
      } else if leftSearch {
        if mL <= mR { buildHistogram(slot: sl, lo: lo, hi: mid) } else {
          buildHistogram(slot: sr, lo: mid, hi: hi); subtractHistogram(parent: parent, child: sr, into: sl)
        }
      } else {
        if mR <= mL { buildHistogram(slot: sr, lo: mid, hi: hi) } else {
          buildHistogram(slot: sl, lo: lo, hi: mid); subtractHistogram(parent: parent, child: sl, into: sr)
        }
      }
    }
    let l = mL < 2 * minSize ? makeLeaf(lo: lo, hi: mid) : build(lo: lo, hi: mid, depth: depth + 1, histSide: 0)
    let r = mR < 2 * minSize ? makeLeaf(lo: mid, hi: hi) : build(lo: mid, hi: hi, depth: depth + 1, histSide: 1)
    tree.left[j] = l; tree.right[j] = r
    return j
  }

  func makeLeaf(lo: Int, hi: Int) -> Int {
    let l = tree.leafSize.count
    tree.leafSize.append(hi - lo)
    for k in lo..<hi { leafOf[Int(order[k])] = Int32(l) }
    return -1 - l
  }

  /// Stable partition of order[lo..<hi] (and, in exact mode, of every feature's sorted range)
  /// into x_f ≤ threshold, then the rest. Returns the first index of the right part.
  func partition(lo: Int, hi: Int, feature f: Int, threshold: Double, bin: Int) -> Int {
    var a = lo, b = 0
    if let codes = codes {
      let cf = codes + f * n
      let bb = UInt8(truncatingIfNeeded: bin)
      for k in lo..<hi {
        let e = order[k]
        if cf[Int(e)] <= bb { order[a] = e; a += 1 } else { tmp[b] = e; b += 1 }
      }
      (order + a).update(from: tmp, count: b)
      return a
    }
    let gl = goesLeft!
    for k in lo..<hi {
      let e = order[k]
      let left = X[Int(e) * F + f] <= threshold
      gl[Int(e)] = left
      if left { order[a] = e; a += 1 } else { tmp[b] = e; b += 1 }
    }
    (order + a).update(from: tmp, count: b)
    let s = sorted!
    for g in 0..<F {
      let seg = s + g * n
      var a2 = lo, b2 = 0
      for k in lo..<hi {
        let e = seg[k]
        if gl[Int(e)] { seg[a2] = e; a2 += 1 } else { tmp[b2] = e; b2 += 1 }
      }
      (seg + a2).update(from: tmp, count: b2)
    }
    return a
  }

  // MARK: boosting

  /// w_d ← w_d − (η w_0) · value_{leaf,d} for d ≥ 1; returns the loss after the update.
  func boost(_ t: InformationTree) -> Double {
    let values = t.leafValues()
    let D = K - 1
    let lr = config.learningRate
    let chunk = 16384
    let chunks = (n + chunk - 1) / chunk
    var partial = [Double](repeating: 0, count: chunks)
    let wp = UnsafeSendable(W), lp = UnsafeSendable(leafOf)
    let (n, K) = (n, K)
    partial.withUnsafeMutableBufferPointer { pb in
      let pp = UnsafeSendable(pb.baseAddress!)
      values.withUnsafeBufferPointer { vb in
        let vp = UnsafeSendable(UnsafeMutablePointer(mutating: vb.baseAddress!))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
          let lo = c * chunk, hi = min(n, lo + chunk)
          var s = 0.0
          for i in lo..<hi {
            let w = wp.p + i * K
            let v = vp.p + Int(lp.p[i]) * D
            let a = lr * w[0]
            for d in 0..<D { w[1 + d] -= a * v[d] }
            s += self.eventLoss(w)
          }
          pp.p[c] = s
        }
      }
    }
    return partial.reduce(0, +)
  }
}
