//===--- LimitedMemory.swift ----------------------------------------------===//
// The minimiser of large problems (more free parameters than `MinimizerOptions.denseLimit`):
// limited-memory BFGS with box constraints handled by projection, in O(n) memory and O(n·k) work
// per iteration (k = `memory` correction pairs), where the variable-metric minimiser needs n²
// memory (10⁴ nuisances: 2.4 GB) and O(n²) per iteration.
//
// Iteration: the active set A = {i : x_i at its lower bound with ∂f/∂x_i > 0, or at its upper
// bound with ∂f/∂x_i < 0}; the direction d = −H g over the other free parameters, H applied by the
// two-loop recursion with H₀ = γI, γ = sᵀy / yᵀy of the newest pair (the parameters' squared
// steps before the first pair); a backtracking line search on the projected path
// x(α) = P[x + αd] with the Armijo condition f(x(α)) ≤ f(x) + 10⁻⁴ ∇fᵀ(x(α) − x); the pair
// (s, y) is kept when sᵀy > 10⁻¹² |s||y|. Convergence: EDM = ½ gᵀHg < tolerance (the same
// criterion as the variable-metric minimiser, with the limited-memory H) and the last step
// lowered f by less than the tolerance (H can underestimate EDM early on). No covariance is
// returned (`inverseHessian` nil): HESSE of a large model is not formed.
//===----------------------------------------------------------------------===//

public struct LimitedMemoryMinimizer: Sendable {
  public var options: MinimizerOptions
  /// Correction pairs kept.
  public var memory = 12

  public init(options: MinimizerOptions = .init()) { self.options = options }

  public func minimize(_ f: ObjectiveFunction, parameters: [ParameterSpec]) -> MinimizationResult {
    let n = f.dimension
    precondition(parameters.count == n, "parameters.count must equal the objective's dimension")
    let lower = parameters.map(\.lower), upper = parameters.map(\.upper)
    let free = parameters.map { !$0.fixed }
    var x = parameters.map { min(max($0.value, $0.lower), $0.upper) }
    var g = [Double](repeating: 0, count: n), gNew = g, xNew = x, d = g, q = g
    var calls = 0
    func eval(_ v: [Double], _ grad: inout [Double]) -> Double {
      calls += 1
      return v.withUnsafeBufferPointer { vb in grad.withUnsafeMutableBufferPointer { f.valueAndGradient(vb, $0) } }
    }
    var fx = eval(x, &g)
    guard fx.isFinite else {
      return MinimizationResult(x: x, fval: fx, edm: .nan, status: .failed("objective is not finite at the start point"),
                                nCalls: calls, nIterations: 0, inverseHessian: nil, atBound: [])
    }
    // Ring buffer of correction pairs.
    let k = max(1, memory)
    var S = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
    var Y = S
    var rho = [Double](repeating: 0, count: k), alpha = rho
    var count = 0, head = 0
    let steps = parameters.map { $0.step > 0 && $0.step.isFinite ? $0.step : 1 }
    let maxIterations = options.maxIterations ?? (1000 + 20 * n)
    let maxCalls = options.maxCalls ?? (200 + 100 * n)
    var iterations = 0
    var status: FitStatus? = nil
    var edm = Double.nan
    var movable = [Bool](repeating: false, count: n)
    var lastDecrease = Double.infinity

    while status == nil {
      // Active set and the masked gradient.
      for i in 0..<n {
        let atLow = x[i] <= lower[i] && g[i] > 0, atHigh = x[i] >= upper[i] && g[i] < 0
        movable[i] = free[i] && !atLow && !atHigh
        q[i] = movable[i] ? g[i] : 0
      }
      // Two-loop recursion: d = H q.
      var idx = head
      for _ in 0..<count {
        idx = (idx - 1 + k) % k
        var a = 0.0
        for i in 0..<n where movable[i] { a += S[idx][i] * q[i] }
        a *= rho[idx]
        alpha[idx] = a
        for i in 0..<n where movable[i] { q[i] -= a * Y[idx][i] }
      }
      if count > 0 {
        let newest = (head - 1 + k) % k
        var sy = 0.0, yy = 0.0
        for i in 0..<n where movable[i] { sy += S[newest][i] * Y[newest][i]; yy += Y[newest][i] * Y[newest][i] }
        let gamma = yy > 0 && sy > 0 ? sy / yy : 1
        for i in 0..<n { q[i] *= gamma }
      } else {
        for i in 0..<n { q[i] *= steps[i] * steps[i] }
      }
      for _ in 0..<count {
        var b = 0.0
        for i in 0..<n where movable[i] { b += Y[idx][i] * q[i] }
        b *= rho[idx]
        for i in 0..<n where movable[i] { q[i] += S[idx][i] * (alpha[idx] - b) }
        idx = (idx + 1) % k
      }
      var gHg = 0.0
      for i in 0..<n where movable[i] { gHg += g[i] * q[i] }
      edm = 0.5 * gHg
      // The limited-memory H can underestimate EDM early on: convergence also needs the last
      // step to have lowered f by less than the tolerance.
      if edm.isFinite && edm >= 0 && edm < options.tolerance && lastDecrease < options.tolerance { status = .converged; break }
      if iterations >= maxIterations { status = .callLimit; break }
      var gd = 0.0
      for i in 0..<n { d[i] = movable[i] ? -q[i] : 0; gd += g[i] * d[i] }
      if !(gd < 0) {
        // Not a descent direction: forget the pairs and step along the scaled gradient.
        count = 0; head = 0
        gd = 0
        for i in 0..<n { d[i] = movable[i] ? -g[i] * steps[i] * steps[i] : 0; gd += g[i] * d[i] }
        if !(gd < 0) { status = .converged; break }
      }
      // Projected backtracking line search.
      var step = 1.0
      var fNew = Double.infinity
      var accepted = false
      for _ in 0..<40 {
        var decrease = 0.0
        for i in 0..<n {
          xNew[i] = free[i] ? min(max(x[i] + step * d[i], lower[i]), upper[i]) : x[i]
          decrease += g[i] * (xNew[i] - x[i])
        }
        fNew = eval(xNew, &gNew)
        if fNew.isFinite && fNew <= fx + 1e-4 * decrease { accepted = true; break }
        step *= 0.5
      }
      iterations += 1
      guard accepted else {
        // No decrease along d: converged to rounding unless the memory misled the search.
        if count > 0 { count = 0; head = 0; continue }
        status = edm < 100 * options.tolerance ? .converged : .failed("line search found no decrease (EDM \(edm))")
        break
      }
      // Keep the pair.
      var sy = 0.0, ss = 0.0, yy = 0.0
      for i in 0..<n {
        let si = xNew[i] - x[i], yi = gNew[i] - g[i]
        S[head][i] = si; Y[head][i] = yi
        sy += si * yi; ss += si * si; yy += yi * yi
      }
      if sy > 1e-12 * (ss * yy).squareRoot() {
        rho[head] = 1 / sy
        head = (head + 1) % k
        count = min(count + 1, k)
      }
      swap(&x, &xNew)
      swap(&g, &gNew)
      lastDecrease = fx - fNew
      fx = fNew
      if calls >= maxCalls { status = .callLimit }
    }
    let atBound = (0..<n).filter { free[$0] && (x[$0] <= lower[$0] || x[$0] >= upper[$0]) }
    var final = status ?? .failed("internal")
    if final == .converged && !atBound.isEmpty { final = .convergedOnBound }
    return MinimizationResult(x: x, fval: fx, edm: edm, status: final, nCalls: calls, nIterations: iterations,
                              inverseHessian: nil, atBound: atBound)
  }
}
