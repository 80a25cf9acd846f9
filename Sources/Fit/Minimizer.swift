/// A MIGRAD-like variable-metric minimiser with analytic gradients.
///
/// Algorithm (see `minimize`):
/// 1. V₀ = the given inverse Hessian (warm start) or diag(1/H_ii) from forward differences of ∇f.
/// 2. Iterate d = −V g, a strong-Wolfe line search on f(x + αd) starting at α = 1 and truncated at
///    the box, and the BFGS update of V, until EDM = ½ gᵀVg < tolerance.
///    Bounds: active set. A parameter on a bound whose step points outwards is held there and
///    removed from the metric by a Schur complement (V ← V − V_·k V_k· / V_kk); at convergence a held
///    parameter whose derivative points inwards (by more than the tolerance) is released.
///    Kinks of f (a template bin on its 1e-9 floor): a line search keeps its lowest point after 8
///    zoom steps; a failed or struggling one is answered by gradient probes of the coordinates
///    carrying the EDM (`Engine.probeDominantCoordinates`, a partial HESSE), and EDM < tolerance is
///    accepted only after the downhill curvature check (`Engine.checkDownhillCurvature`), which
///    catches a metric learnt across a kink that hides the slope still leading down to it.
/// 3. (strategy ≥ 1) HESSE at the point; EDM is recomputed with the HESSE covariance. If it is
///    still ≥ tolerance, iterate again from the HESSE covariance (as MIGRAD does, since a BFGS metric
///    alone can underestimate EDM); otherwise take up to three Newton steps x − H⁻¹g ("polish", one
///    call each) while they lower f, and stop. `inverseHessian` is that HESSE covariance (computed
///    before the polish steps, i.e. at a point O(√(2·EDM)) standard deviations away). After a
///    restart, if the iterations changed the HESSE metric by < 5% (Frobenius norm), the updated
///    metric is trusted and HESSE is not repeated (strategy ≤ 1; Minuit2's Dcovar rule).
///    If `maxRestarts` restarts leave EDM above the tolerance but below 100·tolerance (1e-4 by
///    default: Minuit's goal as Combine runs it, 0.002·0.1·½), the fit is converged (Combine would
///    call it so; such fits sit on the numerical noise floor of kinked NLLs, e.g. 2·10⁻⁶ on toys of
///    the long exercise); above that it failed.
///
/// The objective is never evaluated outside the box [lower, upper] (HESSE uses one-sided
/// differences next to a bound). Problems with more than `MinimizerOptions.denseLimit` free
/// parameters go to `LimitedMemoryMinimizer` instead (O(n) memory, no covariance).

import Maths
public struct Minimizer: Sendable {
  public var options: MinimizerOptions
  /// Scratch memory reused from fit to fit (one per thread; see `MinimizerWorkspace`); nil: each
  /// fit allocates its own.
  public var workspace: MinimizerWorkspace? = nil

  public init(options: MinimizerOptions = .init()) {
    self.options = options
  }

  /// Minimises `f` over the free parameters of `parameters` (fixed ones are held at their `value`).
  ///
  /// - Parameters:
  ///   - initialInverseHessian: optional full-layout (n×n, row-major) starting metric, e.g. the
  ///     conditional covariance of a best fit (`conditionalCovariance`) for a scan point or a
  ///     profile fit: with a good metric the first step is already a Newton step.
  /// - Returns: the minimum, with `inverseHessian` from HESSE (strategy ≥ 1) or from the
  ///   variable-metric update (strategy 0).
  public func minimize(
    _ f: ObjectiveFunction, parameters: [ParameterSpec], initialInverseHessian: [Double]? = nil
  ) -> MinimizationResult {
    if parameters.lazy.filter({ !$0.fixed }).count > options.denseLimit {
      return LimitedMemoryMinimizer(options: options).minimize(f, parameters: parameters)
    }
    let e = Engine(f, parameters: parameters, options: options, workspace: workspace)
    let n = e.n
    e.evaluateCurrent()
    guard e.fx.isFinite else {
      return MinimizationResult(
        x: Array(e.x), fval: e.fx, edm: .nan, status: .failed("objective is not finite at the start point"),
        nCalls: e.calls, nIterations: 0, inverseHessian: nil, atBound: [])
    }
    var seeded = false
    if e.m > 0 {
      if let v0 = initialInverseHessian, v0.count == n * n {
        e.loadMetric(full: v0)
        seeded = true
        for p in 0..<e.m where !(e.V[p * e.m + p] > 0 && e.V[p * e.m + p].isFinite) { seeded = false }
      }
      if !seeded { e.seedDiagonalMetric() }
    }

    var status: FitStatus? = nil
    var hesseCovariance: [Double]? = nil
    var restarts = 0
    var releases = 0
    var forceStep = false
    var hesseFreeSet: [Int] = []
    while status == nil {
      let exit = e.runCore(forceStep: forceStep)
      forceStep = false
      if exit == .callLimit || exit == .iterationLimit {
        status = .callLimit
        break
      }
      if releases < 4 * n + 10 && e.releaseActive() {
        releases += 1
        continue
      }
      if e.m == 0 || (options.strategy <= 0 && seeded && exit == .converged) {
        polish(e)
        status = .converged
        break
      }
      // After a restart from HESSE: if the free set is unchanged and the BFGS updates changed the
      // HESSE metric W by less than 5% (‖V − W‖_F < 0.05‖W‖_F, Minuit2's Dcovar criterion), V is
      // trusted and a second HESSE is skipped.
      if exit == .converged && restarts > 0 && options.strategy < 2 && hesseFreeSet.count == e.m
        && (0..<e.m).allSatisfy({ hesseFreeSet[$0] == e.idx[$0] })
      {
        var dv = 0.0, w2 = 0.0
        let W = e.W
        for k in 0..<(e.m * e.m) {
          dv += (e.V[k] - W[k]) * (e.V[k] - W[k])
          w2 += W[k] * W[k]
        }
        if dv < 0.0025 * w2 {
          hesseCovariance = nil
          polish(e)
          status = .converged
          break
        }
      }
      if e.calls + 2 * e.m > e.maxCalls {
        status = .callLimit
        break
      }
      let inversion = e.hesse(useMetricScale: true)
      if inversion == .failed {
        status = .failed("HESSE failed (non-finite second derivatives)")
        break
      }
      _ = e.V.update(from: e.W)
      hesseFreeSet = Array(e.idx[0..<e.m])
      let edmHesse = e.edm()
      if edmHesse < options.tolerance && (inversion == .positiveDefinite || restarts >= 1) {
        hesseCovariance = e.fullMetric(e.W)
        polish(e)
        status = .converged
      } else {
        restarts += 1
        if restarts > options.maxRestarts {
          hesseCovariance = e.fullMetric(e.W)
          if edmHesse < 100 * options.tolerance {
            polish(e)
            status = .converged
          } else {
            status = .failed(
              "EDM \(edmHesse) ≥ 100 × tolerance \(options.tolerance) after \(restarts - 1) HESSE restarts")
          }
        }
        forceStep = true
      }
    }

    var final = status ?? .failed("internal")
    var atBound = e.active
    for p in 0..<e.m {
      let i = e.idx[p]
      if e.x[i] <= e.lower[i] || e.x[i] >= e.upper[i] { atBound.append(i) }
    }
    atBound.sort()
    if final == .converged && !atBound.isEmpty { final = .convergedOnBound }
    return MinimizationResult(
      x: Array(e.x), fval: e.fx, edm: e.edm(), status: final, nCalls: e.calls,
      nIterations: e.iterations, inverseHessian: hesseCovariance ?? e.fullMetric(e.V),
      atBound: atBound)
  }

  /// Newton steps x ← x − αVg with the final metric (HESSE, or the variable-metric V for strategy 0), α = min(1, distance to the box), each kept
  /// only if it lowers f (1 call each); at most 3, stopping once EDM < 1e-15·max(1, |f|) (rounding).
  private func polish(_ e: Engine) {
    for _ in 0..<3 {
      guard e.m > 0, e.calls < e.maxCalls else { return }
      let gd = e.computeDirection()
      guard gd < 0, -0.5 * gd > 1e-15 * max(1, abs(e.fx)) else { return }
      let (amax, blocking) = e.maxStep()
      guard amax > 0 else { return }
      e.fb = e.fx
      _ = e.trial(min(1, amax), amax, blocking)
      guard e.fb < e.fx else { return }
      _ = e.x.update(from: e.xb)
      _ = e.g.update(from: e.gb)
      e.fx = e.fb
    }
  }

  /// HESSE: the Hessian of f at x over the free (non-fixed) parameters,
  ///   H_ij = ½ [ (∂_i f(x + h_j e_j) − ∂_i f(x − h_j e_j)) / (2h_j) + (i ↔ j) ],
  /// from central differences of the analytic gradient (2 calls per free parameter, one-sided next
  /// to a bound), h_j = hesseStep·step_j; and its inverse, the covariance of an NLL (error level ½),
  /// by a GSL Cholesky decomposition. If H is not positive definite the covariance is built with
  /// clipped eigenvalues and `status` is `.madePositiveDefinite`.
  public func hesse(_ f: ObjectiveFunction, at x: [Double], parameters: [ParameterSpec])
    -> HesseResult
  {
    precondition(x.count == parameters.count)
    var specs = parameters
    for i in specs.indices { specs[i].value = x[i] }
    let e = Engine(f, parameters: specs, options: options)
    e.evaluateCurrent()
    let inversion = e.hesse(useMetricScale: false)
    let status: HesseStatus
    switch inversion {
    case .positiveDefinite: status = .ok
    case .clipped: status = .madePositiveDefinite
    case .failed: status = .failed("non-finite or degenerate Hessian")
    }
    return HesseResult(
      hessian: e.fullMetric(e.H), covariance: e.fullMetric(e.W), status: status, nCalls: e.calls)
  }
}

extension Minimizer {
  /// A conditional fit (a scan point, an impact or a profile fit): the parameters in `fixing` are
  /// held at the given values, all others start from `start` (default `best.x`, clipped into their
  /// ranges) with the metric of the best fit conditional on the fixed ones,
  ///   V₀ = V_FF − V_FS V_SS⁻¹ V_SF  (`conditionalCovariance`, S = the fixed set),
  /// so the first step is already close to a Newton step. When that seed exists the fit runs with
  /// strategy 0 (no HESSE verification), as Combine's grid points skip HESSE.
  ///
  /// Combine's grid restarts every point from the best-fit snapshot (`start` = nil); a chain of
  /// points may instead start each from the previous solution, with that solution's metric as
  /// `metric` (full layout, the same parameters fixed): it already carries the curvature the
  /// neighbouring point learnt (kinks included). A caller making many fits with the same fixed set
  /// may also pass the conditional covariance itself, computed once.
  public func minimize(
    _ f: ObjectiveFunction, parameters: [ParameterSpec], fixing: [Int: Double],
    best: MinimizationResult, start: [Double]? = nil, metric: [Double]? = nil
  ) -> MinimizationResult {
    let n = parameters.count
    let x0 = start ?? best.x
    precondition(x0.count == n)
    var specs = parameters
    for j in 0..<n where !specs[j].fixed { specs[j].value = x0[j] }
    for (k, v) in fixing {
      specs[k].value = v
      specs[k].fixed = true
    }
    var seed: [Double]? = nil
    if let v = metric, v.count == n * n {
      seed = v
    } else if let v = best.inverseHessian, v.count == n * n {
      seed = conditionalCovariance(v, dimension: n, removing: fixing.keys.sorted())
    }
    var m = self
    if seed != nil { m.options.strategy = 0 }
    return m.minimize(f, parameters: specs, initialInverseHessian: seed)
  }
}
