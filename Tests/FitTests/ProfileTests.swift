import Fit
import Foundation
import Testing

@Suite struct ProfileTests {
  /// ν − n ln ν − (n − n ln n) − δ as a function of ν, for the closed-form crossings.
  static func excess(_ nu: Double, n: Double, delta: Double) -> Double {
    nu - n * log(nu) - (n - n * log(n)) - delta
  }

  @Test(arguments: [0.5, 1.92])
  func poissonBinInterval(delta: Double) throws {
    let s = 5.0, b = 3.0, n = 10.0
    let f = PoissonBin(s: s, b: b, n: n)
    let p = [ParameterSpec(name: "r", value: 1, lower: 0, upper: 20)]
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    #expect(best.status == .converged)
    #expect(abs(best.x[0] - (n - b) / s) < 1e-6)
    // HESSE: d²f/dr² = n s²/ν² = s²/n at the minimum. The fit's covariance comes from the HESSE
    // before the final Newton steps (O(√EDM) away); the public HESSE at r̂ is exact.
    let v = try #require(best.inverseHessian)
    #expect(abs(v[0] - n / (s * s)) < 1e-2 * n / (s * s))
    let h = m.hesse(f, at: [(n - b) / s], parameters: p)
    #expect(abs(h.covariance[0] - n / (s * s)) < 1e-7 * n / (s * s))
    // Closed-form crossings in ν by bisection, then r = (ν − b)/s.
    let nuLo = bisect(1e-9, n) { Self.excess($0, n: n, delta: delta) }
    let nuHi = bisect(n, 10 * n) { Self.excess($0, n: n, delta: delta) }
    let interval = profileInterval(f, parameters: p, best: best, index: 0, delta: delta, minimizer: m)
    #expect(interval.status == .converged)
    #expect(!interval.lowerAtBound && !interval.upperAtBound)
    #expect(abs(interval.lower - (nuLo - b) / s) < 1e-6)
    #expect(abs(interval.upper - (nuHi - b) / s) < 1e-6)
  }

  @Test func poissonBinBestFitOnTheLowerBound() {
    // n < b: the unconstrained r̂ = (n − b)/s < 0, so r̂ = 0 on the bound and the lower end is 0.
    let s = 5.0, b = 8.0, n = 5.0
    let f = PoissonBin(s: s, b: b, n: n)
    let p = [ParameterSpec(name: "r", value: 1, lower: 0, upper: 20)]
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    #expect(best.status == .convergedOnBound)
    #expect(best.x[0] == 0)
    let interval = profileInterval(f, parameters: p, best: best, index: 0, delta: 0.5, minimizer: m)
    #expect(interval.lower == 0)
    #expect(interval.lowerAtBound)
    #expect(!interval.upperAtBound)
    #expect(interval.status == .convergedOnBound)
    let f0 = b - n * log(b)
    let rHi = bisect(0, 20) { r in
      let nu = r * s + b
      return nu - n * log(nu) - f0 - 0.5
    }
    #expect(abs(interval.upper - rHi) < 1e-6)
  }

  @Test func crossingBeyondTheRangeReportsTheBound() {
    // Upper range 1.5 while the 2Δf = 1 crossing is at r ≈ 2.1: the range limit is reported.
    let f = PoissonBin(s: 5, b: 3, n: 10)
    let p = [ParameterSpec(name: "r", value: 1, lower: 0, upper: 1.5)]
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    let interval = profileInterval(f, parameters: p, best: best, index: 0, delta: 0.5, minimizer: m)
    #expect(interval.upper == 1.5)
    #expect(interval.upperAtBound)
    #expect(!interval.lowerAtBound)
  }

  @Test(arguments: [0.5, 1.92])
  func correlatedGaussianProfile(delta: Double) throws {
    // f = ½ zᵀΣ⁻¹z, z = x − μ, σx = 2, σy = 0.5, ρ = 0.7: profiling y gives x̂ ± σx √(2δ).
    let sx = 2.0, sy = 0.5, rho = 0.7
    let det = sx * sx * sy * sy * (1 - rho * rho)
    let a = [sy * sy / det, -rho * sx * sy / det, -rho * sx * sy / det, sx * sx / det]
    let mu = [1.0, -2.0]
    let f = Quadratic(a: a, mu: mu)
    let p = freeSpecs([0, 0])
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    #expect(maxAbsDiff(best.x, mu) < 1e-7)
    for (k, sigma) in [(0, sx), (1, sy)] {
      let interval = profileInterval(f, parameters: p, best: best, index: k, delta: delta, minimizer: m)
      #expect(interval.status == .converged)
      #expect(abs(interval.lower - (mu[k] - sigma * (2 * delta).squareRoot())) < 1e-6)
      #expect(abs(interval.upper - (mu[k] + sigma * (2 * delta).squareRoot())) < 1e-6)
    }
  }

  @Test func profileWithNuisanceInNonQuadraticModel() throws {
    // One bin with a log-normal background nuisance θ (unit Gaussian constraint):
    // f(r, θ) = ν − n ln ν + θ²/2, ν = r s + b κ^θ. Check the crossings satisfy
    // min_θ f(r, θ) − f̂ = ½ by profiling θ independently with a 1-D bisection on ∂f/∂θ.
    final class Model: ObjectiveFunction {
      let dimension = 2
      let s = 4.0, b = 10.0, n = 20.0, lk = log(1.2)
      func value(_ x: UnsafeBufferPointer<Double>) -> Double {
        let nu = x[0] * s + b * exp(lk * x[1])
        return nu - n * log(nu) + 0.5 * x[1] * x[1]
      }
      func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
        -> Double
      {
        let bk = b * exp(lk * x[1])
        let nu = x[0] * s + bk
        let w = 1 - n / nu
        g[0] = w * s
        g[1] = w * bk * lk + x[1]
        return nu - n * log(nu) + 0.5 * x[1] * x[1]
      }
    }
    let f = Model()
    let p = [
      ParameterSpec(name: "r", value: 1, lower: 0, upper: 10),
      ParameterSpec(name: "theta", value: 0),
    ]
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    #expect(best.status == .converged)
    // Profiled value by hand: ∂f/∂θ is increasing in θ here, so bisection finds the conditional minimum.
    func profiled(_ r: Double) -> Double {
      let t = bisect(-10, 10) { th in
        let bk = f.b * exp(f.lk * th)
        return (1 - f.n / (r * f.s + bk)) * bk * f.lk + th
      }
      let nu = r * f.s + f.b * exp(f.lk * t)
      return nu - f.n * log(nu) + 0.5 * t * t
    }
    let interval = profileInterval(f, parameters: p, best: best, index: 0, delta: 0.5, minimizer: m)
    #expect(interval.status == .converged)
    #expect(abs(profiled(interval.lower) - best.fval - 0.5) < 1e-7)
    #expect(abs(profiled(interval.upper) - best.fval - 0.5) < 1e-7)
    // Cross-check the ends against a bisection on the hand-profiled curve.
    let fhat = profiled(best.x[0])
    let lo = bisect(0, best.x[0]) { profiled($0) - fhat - 0.5 }
    let hi = bisect(best.x[0], 10) { profiled($0) - fhat - 0.5 }
    #expect(abs(interval.lower - lo) < 1e-6)
    #expect(abs(interval.upper - hi) < 1e-6)
  }
}

@Suite struct BinnedModelTests {
  /// 102 parameters: the best fit is a stationary point, and the profile interval's ends re-profiled
  /// by independent cold fits (strategy 1, fresh start) lie at 2ΔNLL = 1.
  @Test func fitAndProfileInterval() throws {
    let f = BinnedModel(bins: 100, seed: 5)
    var p = (0..<f.dimension).map { ParameterSpec(name: "θ\($0)", value: 0) }
    p[0] = ParameterSpec(name: "r", value: 1, lower: 0, upper: 20)
    let m = Minimizer()
    let best = m.minimize(f, parameters: p)
    #expect(best.status == .converged)
    #expect(best.edm < 1e-9)
    var g = [Double](repeating: 0, count: f.dimension)
    _ = best.x.withUnsafeBufferPointer { xp in g.withUnsafeMutableBufferPointer { f.valueAndGradient(xp, $0) } }
    #expect(g.map(abs).max()! < 1e-5)
    let interval = profileInterval(f, parameters: p, best: best, index: 0, delta: 0.5, minimizer: m)
    #expect(interval.status == .converged)
    print("binned model: best \(best.nCalls) calls \(best.nIterations) iterations, r̂ = \(best.x[0]) −\(best.x[0] - interval.lower) +\(interval.upper - best.x[0]), σ_HESSE = \(best.error(0)!), interval \(interval.nCalls) calls in \(interval.nFits) fits")
    for end in [interval.lower, interval.upper] {
      var q = p
      q[0].value = end
      q[0].fixed = true
      let check = m.minimize(f, parameters: q)
      #expect(check.status == .converged)
      #expect(abs(check.fval - best.fval - 0.5) < 1e-7)
    }
  }
}
