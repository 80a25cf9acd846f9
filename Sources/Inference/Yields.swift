//===--- Yields.swift -----------------------------------------------------===//
// Pre-fit and post-fit yields per channel, process and bin with their uncertainties (Combine's
// FitDiagnostics --saveShapes --saveWithUncertainties, and its normalisations).
//===----------------------------------------------------------------------===//

import Maths
import Foundation
import Likelihood

/// Yields of one process (or a sum of processes) in one channel: per bin and summed over the bins,
/// each with its 1σ uncertainty.
public struct YieldHistogram: Sendable, Codable, Equatable {
  public var values: [Double]
  public var errors: [Double]
  /// Σ_i values_i.
  public var total: Double
  /// The uncertainty of the sum (bin-to-bin correlations included).
  public var totalError: Double
}

/// The yields of one channel.
public struct ChannelYields: Sendable, Codable {
  public var channel: String
  /// Bin edges of the channel's histograms (nil for counting channels).
  public var edges: [Double]?
  /// Process names in the card's order, and which of them are signals.
  public var processes: [String]
  public var signal: [Bool]
  /// Per process, in `processes` order.
  public var process: [YieldHistogram]
  public var totalBackground: YieldHistogram
  public var totalSignal: YieldHistogram
  /// The prediction the likelihood uses: Σ processes plus each bin's Barlow–Beeston-lite shift e_j·x̂_j.
  public var total: YieldHistogram
  /// Observed counts (the fitted dataset: the card's data or the Asimov dataset).
  public var data: [Double]
}

/// How the uncertainties of the yields are computed from the parameters' distribution.
public enum YieldErrorMethod: Sendable, Equatable {
  /// Linear propagation: σ²(y) = Σ_ab ∂_a y C_ab ∂_b y, derivatives by central differences (step
  /// 10⁻³σ_a), plus the Barlow–Beeston-lite term below.
  case linear
  /// Combine's resampling: `toys` parameter vectors drawn from the distribution (GSL mt19937 seeded
  /// with `seed`), σ²(y) = mean over toys of (y_toy − y_central)² (deviations from the central
  /// value, not from the toys' mean, as FitDiagnostics). With `ranges` (one per parameter) a
  /// post-fit draw is clipped into its parameter's range, p ↦ min(max(p, lo), hi), as Combine's
  /// `RooFitResult::randomizePars` does through `RooRealVar::setVal`; nil leaves draws unclipped.
  case sampling(toys: Int, seed: UInt64, ranges: [ClosedRange<Double>]? = nil)
}

/// Which distribution of the parameters the uncertainties describe.
public enum YieldParameterDistribution: Sendable {
  /// Pre-fit, as FitDiagnostics samples the constraint pdfs (`RandomStream.draw`): a Gaussian-
  /// constrained parameter θ ~ N(θ_In, σ²); bifurcated (linear: σ = (σ_L + σ_R)/2); gmN θ ~
  /// Gamma(N + 1, 1), the flat-prior posterior of N counts (linear: σ² = N + 1); a lnU (flat)
  /// parameter is not varied; BB-lite x_j ~ N(0, 1). Unconstrained parameters (POIs, rateParams)
  /// and frozen ones (`fixed`) stay at their values.
  case prefit(fixed: Set<Int>)
  /// Post-fit: the floating parameters (indices `floating`) ~ N(x̂, C) with `covariance` C (row-major
  /// over all parameters, only the floating rows/columns read: the HESSE covariance of the fit).
  /// BB-lite parameters are profiled analytically in the NLL, so they are not in C; in the Gaussian
  /// approximation of the joint likelihood, x_j given θ is Gaussian with mean x̂_j(θ) (the profiled
  /// value, followed by the derivatives) and variance 1/H_jj, H_jj = 1 + n_j e_j²/ν_j² (its own
  /// curvature; the x_j are conditionally independent of each other), so Var(y) = Var_θ + Σ_j
  /// (∂y/∂x_j)²/H_jj exactly in that approximation.
  case postfit(covariance: [Double], floating: [Int])
}

/// Yields per channel, process and bin at `x`, with uncertainties from `distribution` by `method`.
/// Pre-fit yields are evaluated with the BB-lite parameters at 0, post-fit ones at their conditional
/// minimum for the NLL's data.
public func yieldTable(
  nll: NLL, at x: [Double], distribution: YieldParameterDistribution, method: YieldErrorMethod
) throws -> [ChannelYields] {
  let model = nll.model
  let layout = YieldLayout(model: model)
  let postfit: Bool
  if case .postfit = distribution { postfit = true } else { postfit = false }
  func quantities(_ p: [Double]) -> [Double] {
    let (terms, bb) = nll.termYields(at: p, barlowBeeston: postfit)
    return layout.assemble(terms: terms, bbShift: bb)
  }
  let central = quantities(x)
  // BB-lite: e_j and the conditional standard deviation of x_j at x.
  let nu = nll.expectedYields(at: x, barlowBeeston: postfit)
  let e = nll.barlowBeestonErrors
  let bbSigma: [Double] = e.indices.map { j in
    guard e[j] > 0 else { return 0 }
    if !postfit { return 1 }
    let n = nll.data[j]
    return 1 / (1 + (nu[j] > 0 ? n * e[j] * e[j] / (nu[j] * nu[j]) : 0)).squareRoot()
  }

  var variance = [Double](repeating: 0, count: central.count)
  switch method {
  case .linear:
    // Directions: (index, σ) for independent ones, or the covariance block.
    var idx: [Int] = []
    var cov: [Double] = []  // m×m, or the m variances when `diagonal` (pre-fit: independent)
    var diagonal = false
    switch distribution {
    case .prefit(let fixed):
      for (i, p) in model.parameters.enumerated() where !fixed.contains(i) {
        let s: Double
        switch p.constraint {
        case .gaussian(_, let sigma): s = sigma
        case .bifurcatedGaussian(_, let lo, let hi): s = 0.5 * (lo + hi)
        case .poisson(let n): s = (n + 1).squareRoot()
        case .scaledPoisson(let n, let scale): s = (n + 1).squareRoot() / scale
        case .none, .flat: continue
        }
        idx.append(i)
        cov.append(s * s)
      }
      diagonal = true
    case .postfit(let c, let floating):
      idx = floating
      let n = model.parameters.count
      guard c.count == n * n else { throw LikelihoodError("yieldTable: covariance has \(c.count) entries, expected \(n * n)") }
      cov = idx.flatMap { i in idx.map { j in c[i * n + j] } }
    }
    let m = idx.count
    var jac: [[Double]] = []
    for (k, i) in idx.enumerated() {
      let s = (diagonal ? cov[k] : cov[k * m + k]).squareRoot()
      guard s > 0 else {
        jac.append([Double](repeating: 0, count: central.count))
        continue
      }
      let h = 1e-3 * s
      var a = x, b = x
      a[i] += h
      b[i] -= h
      let qa = quantities(a), qb = quantities(b)
      jac.append(zip(qa, qb).map { ($0 - $1) / (2 * h) })
    }
    for q in 0..<central.count {
      var v = 0.0
      for k in 0..<m where jac[k][q] != 0 {
        if diagonal {
          v += jac[k][q] * jac[k][q] * cov[k]
        } else {
          for l in 0..<m { v += jac[k][q] * cov[k * m + l] * jac[l][q] }
        }
      }
      variance[q] = max(v, 0)
    }
    layout.addBarlowBeestonVariance(to: &variance, e: e, sigma: bbSigma)

  case .sampling(let toys, let seed, let ranges):
    guard toys > 0 else { throw LikelihoodError("yieldTable: the number of toys must be positive") }
    guard ranges == nil || ranges!.count == model.parameters.count else {
      throw LikelihoodError("yieldTable: \(ranges!.count) parameter ranges for \(model.parameters.count) parameters")
    }
    let rng = RandomStream(seed: seed)
    let normal = rng.normal
    // Post-fit: lower-triangular Cholesky factor of the floating block.
    var chol: [Double] = []
    var floating: [Int] = []
    if case .postfit(let c, let f) = distribution {
      floating = f
      let n = model.parameters.count
      guard c.count == n * n else { throw LikelihoodError("yieldTable: covariance has \(c.count) entries, expected \(n * n)") }
      guard let l = choleskyFactor(f.flatMap { i in f.map { j in c[i * n + j] } }, f.count) else {
        throw LikelihoodError("the fit covariance is not positive definite: use the linear propagation")
      }
      // L in the lower triangle (k ≤ r is read), Lᵀ in the upper one.
      chol = l
    }
    for _ in 0..<toys {
      var p = x
      switch distribution {
      case .prefit(let fixed):
        rng.drawConstrained(model, into: &p, fixed: fixed)
      case .postfit:
        let m = floating.count
        let z = (0..<m).map { _ in normal() }
        for r in 0..<m {
          var d = 0.0
          for k in 0...r { d += chol[r * m + k] * z[k] }
          p[floating[r]] += d
          if let ranges { p[floating[r]] = min(max(p[floating[r]], ranges[floating[r]].lowerBound), ranges[floating[r]].upperBound) }
        }
      }
      let (terms, bb) = nll.termYields(at: p, barlowBeeston: postfit)
      var shift = bb
      for j in shift.indices where e[j] > 0 { shift[j] += e[j] * bbSigma[j] * normal() }
      let q = layout.assemble(terms: terms, bbShift: shift)
      for k in q.indices {
        let d = q[k] - central[k]
        variance[k] += d * d
      }
    }
    for k in variance.indices { variance[k] /= Double(toys) }
  }
  // Restore the NLL's scratch state at x (termYields/expectedYields evaluate in place).
  _ = nll.expectedYields(at: x, barlowBeeston: postfit)
  return layout.tables(central: central, variance: variance, data: nll.data)
}

/// Where each reported quantity sits in the flat vector the propagation works on: per channel,
/// each process's bins and sum, then background, signal and total (bins, sum).
struct YieldLayout {
  struct Block {
    var offset: Int  // bins at offset..<offset+n, sum at offset+n
    var n: Int
  }
  struct ChannelLayout {
    var name: String
    var edges: [Double]?
    var firstBin: Int
    var terms: [Int]
    var process: [Block]
    var background: Block
    var signal: Block
    var total: Block
  }
  var channels: [ChannelLayout] = []
  var count = 0
  let isSignal: [Bool]
  let processNames: [String]

  init(model: CompiledModel) {
    isSignal = model.terms.map(\.isSignal)
    processNames = model.terms.map(\.process)
    for (c, ch) in model.channels.enumerated() {
      let terms = model.terms.indices.filter { model.terms[$0].channel == c }
      func block() -> Block {
        defer { count += ch.binCount + 1 }
        return Block(offset: count, n: ch.binCount)
      }
      let process = terms.map { _ in block() }
      let b = block(), s = block(), t = block()
      channels.append(ChannelLayout(name: ch.name, edges: ch.edges, firstBin: ch.firstBin, terms: terms,
                                    process: process, background: b, signal: s, total: t))
    }
  }

  func assemble(terms rows: [[Double]], bbShift: [Double]) -> [Double] {
    var q = [Double](repeating: 0, count: count)
    for ch in channels {
      for (k, t) in ch.terms.enumerated() {
        let blk = ch.process[k]
        let sum = isSignal[t] ? ch.signal : ch.background
        for i in 0..<blk.n {
          let v = rows[t][i]
          q[blk.offset + i] = v
          q[blk.offset + blk.n] += v
          q[sum.offset + i] += v
          q[sum.offset + sum.n] += v
          q[ch.total.offset + i] += v
          q[ch.total.offset + ch.total.n] += v
        }
      }
      for i in 0..<ch.total.n {
        let s = bbShift[ch.firstBin + i]
        q[ch.total.offset + i] += s
        q[ch.total.offset + ch.total.n] += s
      }
    }
    return q
  }

  /// Adds Σ_j (e_j σ_j)² to the total's bins and sums (independent BB-lite fluctuations).
  func addBarlowBeestonVariance(to v: inout [Double], e: [Double], sigma: [Double]) {
    for ch in channels {
      for i in 0..<ch.total.n {
        let s = e[ch.firstBin + i] * sigma[ch.firstBin + i]
        v[ch.total.offset + i] += s * s
        v[ch.total.offset + ch.total.n] += s * s
      }
    }
  }

  func tables(central q: [Double], variance v: [Double], data: [Double]) -> [ChannelYields] {
    func hist(_ b: Block) -> YieldHistogram {
      YieldHistogram(
        values: Array(q[b.offset..<(b.offset + b.n)]), errors: v[b.offset..<(b.offset + b.n)].map { $0.squareRoot() },
        total: q[b.offset + b.n], totalError: v[b.offset + b.n].squareRoot())
    }
    return channels.map { ch in
      ChannelYields(
        channel: ch.name, edges: ch.edges, processes: ch.terms.map { processNames[$0] }, signal: ch.terms.map { isSignal[$0] },
        process: ch.process.map(hist), totalBackground: hist(ch.background), totalSignal: hist(ch.signal),
        total: hist(ch.total), data: Array(data[ch.firstBin..<(ch.firstBin + ch.total.n)]))
    }
  }
}
