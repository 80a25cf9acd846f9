//===--- GaussianMeasurementNLL.swift -------------------------------------===//
// The multivariate-Gaussian likelihood of a reinterpretation channel (a published measurement).
//===----------------------------------------------------------------------===//

import Maths

/// NLL(c) = ½ rᵀ C⁻¹ r,  r_i = s_i μ_i(c) − y_i,  C = D R D + T,
/// with μ_i the ratio of polynomial products of the channel, s_i its SM scale (1 for ratios),
/// R the measurement correlation, D = diag(σ_i) and T the (constant) theory covariance.
///
/// σ_i is (σ+ + σ−)/2 with `.symmetrised` (C constant, factorised once) or Barlow's variable
/// Gaussian σ_i² = σ+σ− + (σ+ − σ−) r_i with `.variableGaussian` (C refactorised per call). No
/// ½ ln det C term is added (as in Barlow's and Lilith's variable Gaussian): NLL is ½χ².
///
/// The gradient is analytic: with w = C⁻¹r,
///   ∂NLL/∂r_k = w_k − σ'_k w_k (R D w)_k,   σ'_k = (σ+ − σ−)/(2σ_k)   (0 when symmetrised),
///   ∂r_k/∂c_j = s_k μ_k (Σ_num ∂_j P/P − Σ_den ∂_j Q/Q).
/// Cholesky factorisation and solve by GSL on preallocated buffers: evaluations do not allocate.
/// Not thread-safe (one instance per thread).
public final class GaussianMeasurementNLL {
  public let channel: GaussianMeasurementChannel
  public var dimension: Int { channel.parameterNames.count }

  private let n: Int
  private let np: Int
  private let polys: [SparsePolynomial]
  private let y: [Double]
  private let scale: [Double]
  private let numer: [[Int]]
  private let denom: [[Int]]
  private let rho: [Double]
  private let theory: [Double]?
  private let vConst: [Double]  // σ+σ− (variable Gaussian) or ((σ+ + σ−)/2)²
  private let vSlope: [Double]  // σ+ − σ− (variable Gaussian) or 0
  private let vFloor: [Double]
  private let constantCovariance: Bool

  // Scratch.
  private let pv: UnsafeMutablePointer<Double>  // polynomial values
  private let pg: UnsafeMutablePointer<Double>  // polynomial gradients, np × dim
  private let mu: UnsafeMutablePointer<Double>
  private let r: UnsafeMutablePointer<Double>
  private let sig: UnsafeMutablePointer<Double>
  private let dsig: UnsafeMutablePointer<Double>
  private let w: UnsafeMutablePointer<Double>
  private let t: UnsafeMutablePointer<Double>
  private let chol: UnsafeMutablePointer<Double>  // n × n
  private let dlog: UnsafeMutablePointer<Double>  // dim
  private var factorised = false

  public init(channel: GaussianMeasurementChannel) {
    self.channel = channel
    n = channel.count
    np = channel.polynomials.count
    polys = channel.polynomials
    y = channel.values
    scale = channel.scale
    numer = channel.numerators
    denom = channel.denominators
    rho = channel.correlation
    theory = channel.theoryCovariance
    let vg = channel.convention == .variableGaussian
    vConst = (0..<n).map { vg ? channel.plus[$0] * channel.minus[$0] : pow2((channel.plus[$0] + channel.minus[$0]) / 2) }
    vSlope = (0..<n).map { vg ? channel.plus[$0] - channel.minus[$0] : 0 }
    vFloor = (0..<n).map { pow2(min(channel.plus[$0], channel.minus[$0]) / 10) }
    constantCovariance = vSlope.allSatisfy { $0 == 0 }
    let dim = channel.parameterNames.count
    pv = .allocate(capacity: max(np, 1))
    pg = .allocate(capacity: max(np * dim, 1))
    mu = .allocate(capacity: n)
    r = .allocate(capacity: n)
    sig = .allocate(capacity: n)
    dsig = .allocate(capacity: n)
    w = .allocate(capacity: n)
    t = .allocate(capacity: n)
    chol = .allocate(capacity: n * n)
    dlog = .allocate(capacity: max(dim, 1))
  }

  deinit {
    pv.deallocate(); pg.deallocate(); mu.deallocate(); r.deallocate(); sig.deallocate()
    dsig.deallocate(); w.deallocate(); t.deallocate(); chol.deallocate(); dlog.deallocate()
  }

  /// The predictions s_i μ_i(c) (allocates; for reporting).
  public func predictions(_ x: [Double]) -> [Double] {
    x.withUnsafeBufferPointer { xb in
      for p in 0..<np { pv[p] = polys[p].value(xb) }
    }
    return (0..<n).map { i in scale[i] * ratio(i) }
  }

  /// χ² = 2·NLL.
  public func chiSquared(_ x: [Double]) -> Double { 2 * x.withUnsafeBufferPointer { value($0) } }

  @inline(__always) private func ratio(_ i: Int) -> Double {
    var m = 1.0
    for p in numer[i] { m *= pv[p] }
    for q in denom[i] { m /= pv[q] }
    return m
  }

  /// Builds and factorises C for the current residuals r; false if not positive definite.
  private func factorise() -> Bool {
    if constantCovariance && factorised { return true }
    for i in 0..<n {
      let v = vConst[i] + vSlope[i] * r[i]
      if v > vFloor[i] {
        sig[i] = v.squareRoot()
        dsig[i] = vSlope[i] / (2 * sig[i])
      } else {
        sig[i] = vFloor[i].squareRoot()
        dsig[i] = 0
      }
    }
    for i in 0..<n {
      for j in 0..<n {
        chol[i * n + j] = sig[i] * rho[i * n + j] * sig[j] + (theory?[i * n + j] ?? 0)
      }
    }
    let ok = choleskyDecompose(chol, n)
    factorised = ok && constantCovariance
    return ok
  }

  /// w = C⁻¹ r and ½ rᵀw, or nil when C is not positive definite.
  private func solve() -> Double? {
    guard factorise() else { return nil }
    for i in 0..<n { w[i] = r[i] }
    guard choleskySolve(chol, w, n) else { return nil }
    var s = 0.0
    for i in 0..<n { s += r[i] * w[i] }
    return 0.5 * s
  }

  public func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    for p in 0..<np { pv[p] = polys[p].value(x) }
    for i in 0..<n {
      mu[i] = ratio(i)
      r[i] = scale[i] * mu[i] - y[i]
    }
    guard let f = solve(), f.isFinite else { return .infinity }
    return f
  }

  public func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    let dim = dimension
    for j in 0..<dim { g[j] = 0 }
    pg.update(repeating: 0, count: np * dim)
    for p in 0..<np { pv[p] = polys[p].valueAndGradient(x, pg + p * dim) }
    for i in 0..<n {
      mu[i] = ratio(i)
      r[i] = scale[i] * mu[i] - y[i]
    }
    guard let f = solve(), f.isFinite else {
      for j in 0..<dim { g[j] = .nan }
      return .infinity
    }
    // t = R D w;  ∂NLL/∂r_k = w_k (1 − σ'_k t_k).
    for k in 0..<n {
      var s = 0.0
      if dsig[k] != 0 {
        for j in 0..<n { s += rho[k * n + j] * sig[j] * w[j] }
      }
      t[k] = w[k] * (1 - dsig[k] * s)
    }
    for k in 0..<n {
      for j in 0..<dim { dlog[j] = 0 }
      // ∂μ = Σ_a ∂P_a Π_{b≠a} P_b / Π Q − μ Σ_q ∂Q_q / Q_q (no division by a numerator factor,
      // so a vanishing production polynomial keeps a finite gradient).
      var invDen = 1.0
      for q in denom[k] { invDen /= pv[q] }
      let nk = numer[k]
      for a in nk.indices {
        var c = invDen
        for b in nk.indices where b != a { c *= pv[nk[b]] }
        let p = nk[a]
        for j in 0..<dim { dlog[j] += pg[p * dim + j] * c }
      }
      for q in denom[k] { let c = mu[k] / pv[q]; for j in 0..<dim { dlog[j] -= pg[q * dim + j] * c } }
      let a = t[k] * scale[k]
      for j in 0..<dim { g[j] += a * dlog[j] }
    }
    return f
  }
}

@inline(__always) private func pow2(_ x: Double) -> Double { x * x }
