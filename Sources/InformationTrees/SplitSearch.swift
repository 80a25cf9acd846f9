//===--- SplitSearch.swift ------------------------------------------------===//
// Split finding for BIT training, kept apart from boosting as LightGBM and XGBoost keep it: the
// exact (sort-based, reference) search, and the histogram search over quantile-binned features
// with the parent − sibling subtraction. The gain G = Σ_k (C S)_k²/S_0 + Σ_k (C R)_k²/R_0 is the
// one documented in Trainer.swift.
//===----------------------------------------------------------------------===//

import Foundation

extension Trainer {
  // MARK: exact split search

  /// The reference's sort-based search: for each feature, cumulative sums S in increasing x,
  /// R = T − S with T the full sum in the same order; the best allowed cut, threshold = the
  /// largest x on the left.
  func findExactSplit(lo: Int, hi: Int) -> (feature: Int, threshold: Double, bin: Int)? {
    let m = hi - lo
    var best = 0.0
    var bestF = -1
    var bestT = 0.0
    let S = UnsafeMutablePointer<Double>.allocate(capacity: 3 * K)
    defer { S.deallocate() }
    let T = S + K, R = S + 2 * K
    let s = sorted!
    let first = minSize > 1 ? minSize - 1 : 0
    let last = minSize > 1 ? m - 1 - minSize : m - 2  // inclusive
    if first > last { return nil }
    for f in 0..<F {
      let seg = s + f * n + lo
      for d in 0..<K { T[d] = 0; S[d] = 0 }
      for k in 0..<m {
        let w = W + Int(seg[k]) * K
        for d in 0..<K { T[d] += w[d] }
      }
      for i in 0...last {
        let e = Int(seg[i])
        let w = W + e * K
        for d in 0..<K { S[d] += w[d] }
        if i < first { continue }
        let x = X[e * F + f]
        if x == X[Int(seg[i + 1]) * F + f] { continue }
        for d in 0..<K { R[d] = T[d] - S[d] }
        guard let g = gain(S, R) else { continue }
        if g > best { best = g; bestF = f; bestT = x }
      }
    }
    return bestF < 0 ? nil : (bestF, bestT, 0)
  }

  /// G = Σ_k (C S)_k²/S_0 + Σ_k (C R)_k²/R_0, or nil if the cut is not allowed
  /// (S_0 ≤ 0, R_0 ≤ 0, or with `positive` a negative base-point yield).
  @inline(__always) func gain(_ S: UnsafeMutablePointer<Double>, _ R: UnsafeMutablePointer<Double>) -> Double? {
    if !(S[0] > 0) || !(R[0] > 0) { return nil }
    var gs = 0.0, gr = 0.0
    for k in 0..<P {
      let c = C + k * K
      var ys = 0.0, yr = 0.0
      for d in 0..<K { ys += c[d] * S[d]; yr += c[d] * R[d] }
      if config.positive && (ys < 0 || yr < 0) { return nil }
      gs += ys * ys; gr += yr * yr
    }
    let g = gs / S[0] + gr / R[0]
    return g.isNaN ? 0 : g
  }

  // MARK: histogram split search

  @inline(__always) func histSlot(level: Int, side: Int) -> UnsafeMutablePointer<Double> {
    hist! + ((level * 2 + side) * F * B * HS)
  }

  /// Per-feature histograms of (count, w_0 … w_D) of order[lo..<hi], in parallel over features.
  func buildHistogram(slot: UnsafeMutablePointer<Double>, lo: Int, hi: Int) {
    // Features are split into contiguous groups, one per worker; each worker reads every
    // event's weight row once and adds it to its features' histograms. Each feature's
    // histogram sums the node's events in the same order whatever the grouping, so results do
    // not depend on the number of threads.
    let sp = UnsafeSendable(slot), op = UnsafeSendable(order), wp = UnsafeSendable(W), cp = UnsafeSendable(codesRow!)
    let (F, B, HS, K) = (F, B, HS, K)
    let nb = nbins
    let parallel = config.threads != 1 && (hi - lo) >= 4096
    let workers = parallel ? min(F, config.threads > 0 ? config.threads : ProcessInfo.processInfo.activeProcessorCount) : 1
    @Sendable @inline(__always) func run(_ fLo: Int, _ fHi: Int, _ KK: Int) {
      for f in fLo..<fHi { (sp.p + f * B * HS).update(repeating: 0, count: nb[f] * HS) }
      let ord = op.p, W = wp.p, codes = cp.p, h = sp.p
      for k in lo..<hi {
        let e = Int(ord[k])
        let w = W + e * KK
        let cr = codes + e * F
        for f in fLo..<fHi {
          let hp = h + (f * B + Int(cr[f])) * (KK + 1)
          hp[0] += 1
          for d in 0..<KK { hp[1 + d] += w[d] }
        }
      }
    }
    let work: @Sendable (Int) -> Void = { g in
      let fLo = g * F / workers, fHi = (g + 1) * F / workers
      switch K {
      case 2: run(fLo, fHi, 2)
      case 4: run(fLo, fHi, 4)
      case 7: run(fLo, fHi, 7)
      case 10: run(fLo, fHi, 10)
      default: run(fLo, fHi, K)
      }
    }
    if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
  }

  func subtractHistogram(parent: UnsafeMutablePointer<Double>, child: UnsafeMutablePointer<Double>,
                         into out: UnsafeMutablePointer<Double>) {
    for f in 0..<F {
      let o = f * B * HS
      for j in 0..<(nbins[f] * HS) { out[o + j] = parent[o + j] - child[o + j] }
    }
  }

  func findHistogramSplit(slot: UnsafeMutablePointer<Double>, count m: Int) -> (feature: Int, threshold: Double, bin: Int)? {
    var bestG = [Double](repeating: 0, count: F)
    var bestB = [Int](repeating: -1, count: F)
    let sp = UnsafeSendable(slot)
    let (B, HS, K, minSize) = (B, HS, K, minSize)
    let nb = nbins
    bestG.withUnsafeMutableBufferPointer { bg in
      bestB.withUnsafeMutableBufferPointer { bb in
        let bgp = UnsafeSendable(bg.baseAddress!), bbp = UnsafeSendable(bb.baseAddress!)
        let work: @Sendable (Int) -> Void = { f in
          let h = sp.p + f * B * HS
          let buf = UnsafeMutablePointer<Double>.allocate(capacity: 3 * K)
          defer { buf.deallocate() }
          let S = buf, R = buf + K, T = buf + 2 * K
          for d in 0..<K { S[d] = 0; T[d] = 0 }
          var total = 0.0
          for b in 0..<nb[f] {
            total += h[b * HS]
            for d in 0..<K { T[d] += h[b * HS + 1 + d] }
          }
          var cnt = 0.0
          var best = 0.0, bestBin = -1
          for b in 0..<(nb[f] - 1) {
            let hp = h + b * HS
            cnt += hp[0]
            for d in 0..<K { S[d] += hp[1 + d] }
            if hp[0] == 0 && b > 0 { continue }  // same cut as the previous bin
            if cnt < Double(minSize) { continue }
            if total - cnt < Double(minSize) { break }
            if cnt == 0 || total - cnt == 0 { continue }
            for d in 0..<K { R[d] = T[d] - S[d] }
            guard let g = self.gain(S, R) else { continue }
            if g > best { best = g; bestBin = b }
          }
          bgp.p[f] = best; bbp.p[f] = bestBin
        }
        if config.threads == 1 || m < 20000 {
          for f in 0..<F { work(f) }
        } else {
          DispatchQueue.concurrentPerform(iterations: F, execute: work)
        }
      }
    }
    var best = 0.0, bf = -1
    for f in 0..<F where bestB[f] >= 0 && bestG[f] > best { best = bestG[f]; bf = f }
    if bf < 0 { return nil }
    return (bf, edges[bf][bestB[bf]], bestB[bf])
  }
}

/// Quantile pre-binning of features for histogram split finding.
///
/// Feature f gets increasing edges e_0 < … < e_{m−2} (data values); bin b holds
/// e_{b−1} < x ≤ e_b, so "bins ≤ b" is exactly "x ≤ e_b" and a cut after bin b has threshold e_b.
/// With at most `maxBins` distinct values every distinct value is its own bin (exact cuts);
/// otherwise e_j is the value at event-count quantile j/maxBins (duplicates merged).
public struct FeatureBins: Sendable {
  public var edges: [[Double]]
  /// Column-major codes `[featureCount × count]`.
  public var codes: [UInt8]

  public init(features: [Double], count n: Int, featureCount F: Int, maxBins: Int) {
    var edges = [[Double]](repeating: [], count: F)
    var codes = [UInt8](repeating: 0, count: F * n)
    edges.withUnsafeMutableBufferPointer { eb in
      codes.withUnsafeMutableBufferPointer { cb in
        features.withUnsafeBufferPointer { xb in
          let ep = UnsafeSendable(eb.baseAddress!), cp = UnsafeSendable(cb.baseAddress!)
          let xp = UnsafeSendable(UnsafeMutablePointer(mutating: xb.baseAddress!))
          DispatchQueue.concurrentPerform(iterations: F) { f in
            var v = [Double](repeating: 0, count: n)
            for i in 0..<n { v[i] = xp.p[i * F + f] }
            v.sort()
            var uniq: [Double] = []
            uniq.reserveCapacity(min(n, maxBins + 1))
            var distinct = 0
            for i in 0..<n where i == 0 || v[i] != v[i - 1] {
              distinct += 1
              if distinct <= maxBins { uniq.append(v[i]) } else { break }
            }
            var e: [Double] = []
            if distinct <= maxBins {
              e = Array(uniq.dropLast())
            } else {
              for j in 1..<maxBins {
                let idx = (j * n + maxBins - 1) / maxBins - 1
                let x = v[max(0, min(n - 1, idx))]
                if x >= v[n - 1] { break }
                if e.isEmpty || x > e[e.count - 1] { e.append(x) }
              }
            }
            ep.p[f] = e
            let c = cp.p + f * n
            e.withUnsafeBufferPointer { eb in
              let m = eb.count
              for i in 0..<n {
                let x = xp.p[i * F + f]
                // first edge ≥ x
                var a = 0, b = m
                while a < b { let mid = (a + b) >> 1; if eb[mid] < x { a = mid + 1 } else { b = mid } }
                c[i] = UInt8(a)
              }
            }
          }
        }
      }
    }
    self.edges = edges
    self.codes = codes
  }
}
