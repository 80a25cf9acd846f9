import Foundation
import Fit


/// A random SPD matrix A = Q Λ Qᵀ with known inverse Q Λ⁻¹ Qᵀ (Q orthonormal by Gram–Schmidt,
/// eigenvalues log-uniform in [λmin, λmax]). Row-major n×n.
func randomSPD(n: Int, seed: UInt64, lambdaMin: Double = 0.2, lambdaMax: Double = 20)
  -> (a: [Double], inverse: [Double])
{
  var rng = SplitMix64(seed: seed)
  var q = [Double](repeating: 0, count: n * n)  // columns q_k stored as q[i*n+k]
  for k in 0..<n {
    var v = (0..<n).map { _ in rng.normal() }
    for _ in 0..<2 {  // re-orthogonalise twice for accuracy
      for j in 0..<k {
        var dot = 0.0
        for i in 0..<n { dot += v[i] * q[i * n + j] }
        for i in 0..<n { v[i] -= dot * q[i * n + j] }
      }
    }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    for i in 0..<n { q[i * n + k] = v[i] / norm }
  }
  let lam = (0..<n).map { _ in exp(log(lambdaMin) + (log(lambdaMax) - log(lambdaMin)) * rng.uniform()) }
  var a = [Double](repeating: 0, count: n * n)
  var inv = [Double](repeating: 0, count: n * n)
  for i in 0..<n {
    for j in 0..<n {
      var s = 0.0, t = 0.0
      for k in 0..<n {
        s += q[i * n + k] * lam[k] * q[j * n + k]
        t += q[i * n + k] / lam[k] * q[j * n + k]
      }
      a[i * n + j] = s
      inv[i * n + j] = t
    }
  }
  return (a, inv)
}

/// f(x) = ½ (x − μ)ᵀ A (x − μ) + c, plus optionally κ Σ (x_i − μ_i)⁴ (a non-quadratic variant
/// with the same minimum).
final class Quadratic: ObjectiveFunction {
  let dimension: Int
  let a: [Double]
  let mu: [Double]
  let c: Double
  let quartic: Double
  var r: [Double]
  init(a: [Double], mu: [Double], c: Double = 0, quartic: Double = 0) {
    dimension = mu.count
    self.a = a
    self.mu = mu
    self.c = c
    self.quartic = quartic
    r = [Double](repeating: 0, count: mu.count)
  }
  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    let n = dimension
    var f = c
    for i in 0..<n { r[i] = x[i] - mu[i] }
    for i in 0..<n {
      var acc = 0.0
      for j in 0..<n { acc += a[i * n + j] * r[j] }
      f += 0.5 * r[i] * acc + quartic * r[i] * r[i] * r[i] * r[i]
    }
    return f
  }
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
    -> Double
  {
    let n = dimension
    var f = c
    for i in 0..<n { r[i] = x[i] - mu[i] }
    for i in 0..<n {
      var acc = 0.0
      for j in 0..<n { acc += a[i * n + j] * r[j] }
      f += 0.5 * r[i] * acc + quartic * r[i] * r[i] * r[i] * r[i]
      g[i] = acc + 4 * quartic * r[i] * r[i] * r[i]
    }
    return f
  }
}

/// Chained Rosenbrock f(x) = Σ_{i<n−1} 100 (x_{i+1} − x_i²)² + (1 − x_i)², minimum at (1, …, 1).
final class Rosenbrock: ObjectiveFunction {
  let dimension: Int
  init(_ n: Int) { dimension = n }
  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    var f = 0.0
    for i in 0..<(dimension - 1) {
      let u = x[i + 1] - x[i] * x[i], v = 1 - x[i]
      f += 100 * u * u + v * v
    }
    return f
  }
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
    -> Double
  {
    var f = 0.0
    for i in 0..<dimension { g[i] = 0 }
    for i in 0..<(dimension - 1) {
      let u = x[i + 1] - x[i] * x[i], v = 1 - x[i]
      f += 100 * u * u + v * v
      g[i] += -400 * u * x[i] - 2 * v
      g[i + 1] += 200 * u
    }
    return f
  }
}

/// One-bin Poisson NLL in the signal strength r: f(r) = ν − n ln ν, ν = r s + b.
final class PoissonBin: ObjectiveFunction {
  let dimension = 1
  let s: Double, b: Double, n: Double
  init(s: Double, b: Double, n: Double) {
    self.s = s
    self.b = b
    self.n = n
  }
  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    let nu = x[0] * s + b
    return nu - n * log(nu)
  }
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
    -> Double
  {
    let nu = x[0] * s + b
    g[0] = s * (1 - n / nu)
    return nu - n * log(nu)
  }
}

/// max_i |a_i − b_i|.
func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Bisection for a root of h on [a, b] (h(a), h(b) of opposite signs), to machine precision.
func bisect(_ a0: Double, _ b0: Double, _ h: (Double) -> Double) -> Double {
  var a = a0, b = b0
  var ha = h(a)
  for _ in 0..<200 {
    let c = 0.5 * (a + b)
    if c == a || c == b { break }
    let hc = h(c)
    if (hc < 0) == (ha < 0) {
      a = c
      ha = hc
    } else {
      b = c
    }
  }
  return 0.5 * (a + b)
}

/// A Combine-like binned model: POI r, one shared normalisation nuisance θ₀ (log-normal, κ = 1.05
/// on all processes) and one per-bin background-shape nuisance θ_i (κ = 1.1), unit-Gaussian
/// constraints, NLL offset per bin: Σ_i [(ν_i − n_i) − n_i ln(ν_i/n_i)] + Σ_j θ_j²/2.
final class BinnedModel: ObjectiveFunction {
  let bins: Int
  var dimension: Int { bins + 2 }
  var s: [Double] = [], b: [Double] = [], n: [Double] = []
  let l0 = log(1.05), l1 = log(1.1)
  init(bins: Int, seed: UInt64) {
    self.bins = bins
    var rng = SplitMix64(seed: seed)
    for i in 0..<bins {
      let x = (Double(i) + 0.5) / Double(bins)
      let si = 50 * exp(-0.5 * (x - 0.5) * (x - 0.5) / 0.01)
      let bi = 1000 * exp(-2 * x) + 20
      s.append(si)
      b.append(bi)
      // Pseudo-data: r = 1.2 plus a deterministic ±2σ-ish fluctuation.
      let mean = 1.2 * si + bi
      n.append(max(0, (mean + mean.squareRoot() * rng.normal()).rounded()))
    }
  }
  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    let r = x[0], k0 = exp(l0 * x[1])
    var f = 0.5 * x[1] * x[1]
    for i in 0..<bins {
      let t = x[2 + i]
      let nu = (r * s[i] + b[i] * exp(l1 * t)) * k0
      f += (nu - n[i]) - (n[i] > 0 ? n[i] * log(nu / n[i]) : 0) + 0.5 * t * t
    }
    return f
  }
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
    -> Double
  {
    let r = x[0], k0 = exp(l0 * x[1])
    var f = 0.5 * x[1] * x[1]
    g[0] = 0
    g[1] = x[1]
    for i in 0..<bins {
      let t = x[2 + i]
      let bk = b[i] * exp(l1 * t)
      let nu = (r * s[i] + bk) * k0
      let w = 1 - n[i] / nu
      f += (nu - n[i]) - (n[i] > 0 ? n[i] * log(nu / n[i]) : 0) + 0.5 * t * t
      g[0] += w * s[i] * k0
      g[1] += w * nu * l0
      g[2 + i] = w * bk * k0 * l1 + t
    }
    return f
  }
}

/// A minimum on a kink, as a template bin reaching its floor makes one in a nuisance with a unit
/// Gaussian constraint:
///   f(x, y) = ½(y − ½x − 1)² + ½x² + k(x),  k(x) = −σ_l·x for x < 0 (a gentle slope down to the
///   kink), k(x) = σ_r·x for x ≥ 0.
/// The minimum is at x = 0, y = 1, f = 0 exactly (∂f/∂x jumps from −σ_l to σ_r there, and y's
/// condition gives y = 1 + ½x).
final class KinkedValley: ObjectiveFunction {
  let dimension = 2
  let left: Double, right: Double
  init(left: Double = 0.005, right: Double = 0.5) {
    self.left = left
    self.right = right
  }
  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    let r = x[1] - 0.5 * x[0] - 1
    return 0.5 * r * r + 0.5 * x[0] * x[0] + (x[0] < 0 ? -left * x[0] : right * x[0])
  }
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    let r = x[1] - 0.5 * x[0] - 1
    g[0] = -0.5 * r + x[0] + (x[0] < 0 ? -left : right)
    g[1] = r
    return value(x)
  }
}
