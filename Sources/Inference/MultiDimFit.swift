//===--- MultiDimFit.swift ------------------------------------------------===//
// Combine's MultiDimFit --algo none|singles: the best fit, the 68% profile-likelihood intervals
// of the POIs, HESSE errors and correlations (`fit`), and fits of toys with their summary.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood
import Maths
import Support

/// One fit with its HESSE covariance.
///
/// Parameters on a bound are held for HESSE (in Minuit's internal, sine-transformed coordinates
/// their cross derivatives vanish there, so Combine's errors of the others are those of the
/// conditional fit); the covariance is scaled to the error level of `--algo singles`
/// (`CompiledModel.hesseErrorScale`), and the reported errors are Minuit's external errors
/// (`minuitExternalError`: the transformation near a bound), as Combine prints them.
public struct HesseFit: Sendable {
  public let best: MinimizationResult
  public let specs: [ParameterSpec]
  /// Row-major n × n covariance (zero rows and columns for held parameters).
  public let covariance: [Double]
  /// Per parameter, the reported HESSE error (0 for fixed ones).
  public let errors: [Double]
  /// The parameters that float in HESSE.
  public let floating: [Int]
  public let n: Int

  /// HESSE forms the n×n covariance of the free parameters: refused above the size where the
  /// minimiser itself switches to limited memory (`MinimizerOptions.denseLimit`).
  public static func checkSize(_ specs: [ParameterSpec]) throws {
    let free = specs.filter { !$0.fixed }.count, limit = MinimizerOptions().denseLimit
    guard free <= limit else {
      throw LikelihoodError("HESSE of \(free) free parameters (an n×n covariance) is not formed above \(limit): use --algo singles for the POIs' intervals")
    }
  }

  public init(_ problem: FitProblem, specs: [ParameterSpec], best: MinimizationResult) {
    self.best = best
    self.specs = specs
    n = best.x.count
    var hs = specs
    for i in best.atBound { hs[i].fixed = true }
    let m = problem.model
    let scale = m.hesseErrorScale
    let cov = Minimizer().hesse(problem.nll, at: best.x, parameters: hs).covariance.map { $0 * scale * scale }
    covariance = cov
    floating = hs.indices.filter { !hs[$0].fixed }
    let (_, gradient) = problem.nll.valueAndGradient(at: best.x)
    let n = self.n
    errors = (0..<n).map { i in
      specs[i].fixed ? 0 : minuitExternalError(
        value: best.x[i], lower: specs[i].lower, upper: specs[i].upper,
        linearError: max(0, cov[i * n + i]).squareRoot(), gradient: gradient[i], errorLevel: m.singlesDelta)
    }
  }

  /// Correlation from the HESSE covariance (1 on the diagonal of a parameter without variance).
  public func correlation(_ i: Int, _ j: Int) -> Double {
    let d = (max(0, covariance[i * n + i]) * max(0, covariance[j * n + j])).squareRoot()
    return d > 0 ? covariance[i * n + j] / d : (i == j ? 1 : 0)
  }

  /// The fit's parameter distribution for yield uncertainties.
  public var distribution: YieldParameterDistribution { .postfit(covariance: covariance, floating: floating) }

  /// `nll`, `status` and every floating parameter's name, value, start value (`init`) and error
  /// (with `errorLo`/`errorHi` for those in `intervals`).
  public func json(_ m: CompiledModel, intervals: [Int: ProfileInterval]) -> [String: Any] {
    var params: [[String: Any]] = []
    for i in 0..<n where !specs[i].fixed {
      var d: [String: Any] = ["name": m.parameters[i].name, "value": best.x[i], "init": specs[i].value, "error": errors[i]]
      if let iv = intervals[i] {
        d["errorLo"] = iv.lower - best.x[i]
        d["errorHi"] = iv.upper - best.x[i]
      }
      params.append(d)
    }
    return ["nll": best.fval, "status": "\(best.status)", "parameters": params]
  }
}

/// The 95% level of a one-parameter profile interval.
public enum Level95 {
  /// 2ΔNLL = χ²₁ quantile at 0.95.
  public static let twoDeltaNLL = 3.841458820694124
}

/// The result of `MultiDimFit.run`.
public struct MultiDimFitResult {
  public let best: MinimizationResult
  /// The 68% profile-likelihood interval of each target (`--algo singles`).
  public let intervals: [Int: ProfileInterval]
  /// HESSE (when asked for).
  public let hesse: HesseFit?
  /// Half the 2ΔNLL of the intervals (`CompiledModel.singlesDelta`, or the one of `--cl`).
  public let singlesDelta: Double
  /// The 95% intervals (`--do95 1`: 2ΔNLL = 3.84), when asked for.
  public var intervals95: [Int: ProfileInterval] = [:]
  /// Above the dense limit, HESSE's error of each target from the curvature of its profile
  /// (`MultiDimFit.profileCurvatureError`), instead of the n × n covariance.
  public var profileErrors: [Int: Double] = [:]

  /// Combine's limit-tree rows of the fit (see `limitTreeRows`).
  public func limitTree(_ problem: FitProblem, mass: Double) -> LimitTreeTable {
    LimitTreeTable(
      header: MultiDimFit.limitTreeHeader(problem),
      values: MultiDimFit.limitTreeRows(mass: mass, iToy: problem.iToy, targets: problem.targets, best: best.x, intervals: intervals,
                                        intervals95: intervals95))
  }

  /// The fit result document of `fit --json`: `nll`, `status`, the parameters with HESSE errors
  /// (and the interval of the targets), `singlesDelta`, and the correlation matrix of the floating
  /// parameters (`names`, `matrix`).
  public func json(_ problem: FitProblem) -> [String: Any] {
    let m = problem.model
    guard let hesse else {
      // A large model: the targets with their errors from the profile curvature, no correlations.
      guard !profileErrors.isEmpty else { return [:] }
      let params: [[String: Any]] = problem.targets.map { k in
        var d: [String: Any] = ["name": m.parameters[k].name, "value": best.x[k], "init": problem.specs[k].value,
                                "error": profileErrors[k] ?? .nan]
        if let iv = intervals[k] {
          d["errorLo"] = iv.lower - best.x[k]
          d["errorHi"] = iv.upper - best.x[k]
        }
        return d
      }
      return ["nll": best.fval, "status": "\(best.status)", "parameters": params, "singlesDelta": singlesDelta,
              "errors": "profile curvature of the targets (\(problem.specs.filter { !$0.fixed }.count) free parameters: no covariance)"]
    }
    var doc = hesse.json(m, intervals: intervals)
    doc["singlesDelta"] = singlesDelta
    let free = (0..<best.x.count).filter { !problem.specs[$0].fixed }
    let matrix: [[Double]] = free.map { i in free.map { hesse.correlation(i, $0) } }
    doc["correlation"] = ["names": free.map { m.parameters[$0].name }, "matrix": matrix] as [String: Any]
    return doc
  }
}

/// One POI over a toy study: the distribution of its best fits and, with intervals, their coverage.
public struct ToyPOISummary: Sendable {
  public var name: String
  public var generated: Double
  public var count: Int
  public var mean: Double
  /// Sample standard deviation (n − 1).
  public var standardDeviation: Double
  /// The error of the mean, sd/√n.
  public var meanError: Double { standardDeviation / Double(count).squareRoot() }
  /// The upper median (element n/2 of the sorted values).
  public var median: Double
  /// Toys whose fit has an interval of this POI, and how many of those contain `generated`.
  public var withInterval = 0
  public var covering = 0
  /// The fraction of intervals that cover the generated value.
  public var coverage: Double { Double(covering) / Double(max(1, withInterval)) }
  /// The binomial spread of that fraction for exact 68.27% coverage, √(p(1−p)/n), p = 0.682689…
  /// (defined also when the observed fraction is 0 or 1).
  public var coverageSpread: Double {
    let p = 0.682689492137086
    return (p * (1 - p) / Double(max(1, withInterval))).squareRoot()
  }
}

/// The result of `MultiDimFit.runToys`.
public struct ToyStudyResult {
  public let fits: [ToyFit]
  /// The parameter values that generated the toys.
  public let generating: [Double]
  public let summaries: [ToyPOISummary]
  public var converged: Int { fits.filter { $0.best.status.isConverged }.count }
}

/// Combine's MultiDimFit with `--algo none` or `singles`.
public enum MultiDimFit {
  public enum Algorithm: String, Sendable { case none, singles }

  /// MultiDimFit `--algo fixed`: the best fit, then the targets held at `values` (`--fixedPointPOIs
  /// a=1,b=2`) with every other floating parameter profiled; as the limit tree: the best-fit row
  /// and the fixed point's, with deltaNLL = NLL(fixed) − NLL(best) and quantileExpected =
  /// P(χ²_n > 2·deltaNLL), n = the targets plus the floating other POIs (as Combine's).
  public static func fixedPoint(_ problem: FitProblem, values: [String: Double], mass: Double) throws -> LimitTreeTable {
    let m = problem.model
    let best = try problem.bestFit()
    var specs = problem.specs
    for k in problem.targets {
      guard let v = values[m.parameters[k].name] else {
        throw LikelihoodError("--fixedPointPOIs gives no value for '\(m.parameters[k].name)' (give every fitted POI)")
      }
      guard v >= specs[k].lower && v <= specs[k].upper else {
        throw LikelihoodError("--fixedPointPOIs: \(m.parameters[k].name) = \(v) is outside its range [\(specs[k].lower), \(specs[k].upper)]")
      }
      specs[k].value = v
      specs[k].fixed = true
    }
    for name in values.keys where !problem.targets.contains(where: { m.parameters[$0].name == name }) {
      throw LikelihoodError("--fixedPointPOIs: '\(name)' is not a fitted POI (\(problem.targets.map { m.parameters[$0].name }.joined(separator: ", ")))")
    }
    let r = Minimizer().minimize(problem.nll, parameters: specs)
    guard r.status.isConverged else { throw LikelihoodError("the fit at the fixed point did not converge: \(r.status)") }
    let d = r.fval - best.fval
    let q = chiSquaredSurvival(2 * max(d, 0), degreesOfFreedom: problem.targets.count + problem.floatingOtherPOIs)
    return LimitTreeTable(header: limitTreeHeader(problem), values: [
      [mass, problem.iToy, -1] + problem.targets.map { best.x[$0] } + [0],
      [mass, problem.iToy, q] + problem.targets.map { r.x[$0] } + [d],
    ])
  }

  /// The best fit; with `singles` the 68% interval of each target (2ΔNLL = 2·singlesDelta, or
  /// the χ²₁ quantile of `cl`: an extension, Combine ignores --cl with singles) and with `do95`
  /// also the 95% one (2ΔNLL = 3.84, Combine's --do95 1); with `hesse` HESSE errors and correlations.
  /// With `robust` (Combine's `--robustFit 1`) the 68% crossing is at ΔNLL = ½χ²₁⁻¹(0.68) = 0.4945
  /// for every card, the threshold Combine's `FitterAlgoBase::findCrossing` is given
  /// (`nll0 + delta68`), where Minos on shape cards gives the ΔNLL = ½ crossing (`singlesDelta`);
  /// the crossing is found by the same profile root search (Combine steps along the profile to it).
  public static func run(_ problem: FitProblem, algorithm: Algorithm, hesse: Bool, cl: Double? = nil, do95: Bool = false,
                         robust: Bool = false, denseLimit: Int = MinimizerOptions().denseLimit) throws -> MultiDimFitResult
  {
    let large = problem.specs.filter { !$0.fixed }.count > denseLimit
    let best = try problem.bestFit()
    let delta = cl.map { chiSquaredQuantile($0, degreesOfFreedom: 1) / 2 }
      ?? (robust ? robustDelta68 : problem.model.singlesDelta)
    var intervals: [Int: ProfileInterval] = [:], intervals95: [Int: ProfileInterval] = [:]
    if algorithm == .singles {
      for k in problem.targets {
        intervals[k] = profileInterval(
          problem.nll, parameters: problem.specs, best: best, index: k, delta: delta, minimizer: Minimizer())
        if do95 {
          intervals95[k] = profileInterval(
            problem.nll, parameters: problem.specs, best: best, index: k, delta: Level95.twoDeltaNLL / 2, minimizer: Minimizer())
        }
      }
    }
    var r = MultiDimFitResult(
      best: best, intervals: intervals, hesse: hesse && !large ? HesseFit(problem, specs: problem.specs, best: best) : nil, singlesDelta: delta)
    r.intervals95 = intervals95
    if hesse && large {
      for k in problem.targets {
        r.profileErrors[k] = profileCurvatureError(problem, best: best, index: k)
      }
    }
    return r
  }

  /// HESSE's error of parameter k without the n × n matrix: the profiled NLL p(t) = min NLL at
  /// x_k = t has curvature p″(x̂_k) = 1/(H⁻¹)_kk (the Schur complement), so (H⁻¹)_kk = h²/(q₊ + q₋)
  /// with q± = p(x̂_k ± h) − p(x̂_k); h is first the diagonal estimate 1/√H_kk (from the gradient's
  /// central difference), then the error found with it (one refinement). Next to a bound the
  /// one-sided 2q/h² is used. Scaled to the singles error level and reported as Minuit's external
  /// error, as HESSE's errors are (`HesseFit`).
  public static func profileCurvatureError(_ problem: FitProblem, best: MinimizationResult, index k: Int,
                                           minimizer: Minimizer = Minimizer()) -> Double {
    let spec = problem.specs[k], x = best.x
    // Diagonal curvature from the analytic gradient.
    let eps = 1e-4 * max(1, abs(x[k]), spec.step)
    var up = x, dn = x
    up[k] += eps
    dn[k] -= eps
    let hkk = (problem.nll.valueAndGradient(at: up).1[k] - problem.nll.valueAndGradient(at: dn).1[k]) / (2 * eps)
    var h = hkk > 0 ? 1 / hkk.squareRoot() : max(spec.step, 0.1)
    var variance = Double.nan
    for _ in 0..<2 {
      func q(_ t: Double) -> Double? {
        guard t >= spec.lower && t <= spec.upper else { return nil }
        var s = problem.specs
        s[k].value = t
        s[k].fixed = true
        let r = minimizer.minimize(problem.nll, parameters: s)
        return r.status.isConverged ? max(r.fval - best.fval, 0) : nil
      }
      let qp = q(x[k] + h), qm = q(x[k] - h)
      let c: Double
      switch (qp, qm) {
      case let (a?, b?): c = (a + b) / (h * h)
      case let (a?, nil), let (nil, a?): c = 2 * a / (h * h)
      default: return .nan
      }
      guard c > 0 else { return .nan }
      variance = 1 / c
      h = variance.squareRoot()
    }
    // Reported as HESSE's errors are: Minuit's external error of the bounded parameter.
    let m = problem.model
    return minuitExternalError(value: x[k], lower: spec.lower, upper: spec.upper, linearError: variance.squareRoot() * m.hesseErrorScale,
                               gradient: problem.nll.valueAndGradient(at: x).1[k], errorLevel: m.singlesDelta)
  }

  /// ΔNLL of the 68% crossing of Combine's robust fit: ½χ²₁⁻¹(0.68) ≈ 0.4945.
  public static let robustDelta68 = 0.5 * chiSquaredQuantile(0.68, degreesOfFreedom: 1)

  /// The header of a fit's limit tree: `mh, iToy, quantileExpected, <targets>, deltaNLL`.
  public static func limitTreeHeader(_ problem: FitProblem) -> [String] {
    ["mh", "iToy", "quantileExpected"] + problem.targets.map { problem.model.parameters[$0].name } + ["deltaNLL"]
  }

  /// Combine's limit-tree rows of one fit: the best fit (quantileExpected −1), then per target with
  /// an interval its lower (−0.32) and upper (+0.32) end, the other targets at their best fit.
  /// With `intervals95` (`--do95`), the 95% ends follow each target's 68% ones at −0.05 and +0.05.
  public static func limitTreeRows(mass: Double, iToy: Double, targets: [Int], best x: [Double], intervals: [Int: ProfileInterval],
                                   intervals95: [Int: ProfileInterval] = [:]) -> [[Double]] {
    let best = targets.map { x[$0] }
    var rows: [[Double]] = [[mass, iToy, -1] + best + [0]]
    for (j, k) in targets.enumerated() {
      guard let iv = intervals[k] else { continue }
      var lo = best, hi = best
      lo[j] = iv.lower
      hi[j] = iv.upper
      rows.append([mass, iToy, -0.32] + lo + [0])
      rows.append([mass, iToy, 0.32] + hi + [0])
      if let iv95 = intervals95[k] {
        lo[j] = iv95.lower
        hi[j] = iv95.upper
        rows.append([mass, iToy, -0.05] + lo + [0])
        rows.append([mass, iToy, 0.05] + hi + [0])
      }
    }
    return rows
  }

  /// The profile likelihood of POI `k` around the best fit, for a figure: 40 points over best ± 3σ
  /// (σ from the interval, else HESSE; on a bound or without an error a tenth of the range, or 1),
  /// clipped to the POI's range. Rows as a 1D scan's limit tree (the best fit first).
  public static func profileCurve(_ problem: FitProblem, result: MultiDimFitResult, poi k: Int, mass: Double) throws -> LimitTreeTable {
    let best = result.best
    let x = best.x[k]
    var sigma = result.intervals[k].map { max($0.upper - x, x - $0.lower) } ?? (best.error(k) ?? 1)
    if !(sigma > 0) || !sigma.isFinite {
      let span = problem.specs[k].upper - problem.specs[k].lower
      sigma = span.isFinite && span > 0 ? span / 10 : 1
    }
    var specs = problem.specs
    specs[k].lower = max(problem.specs[k].lower, x - 3 * sigma)
    specs[k].upper = min(problem.specs[k].upper, x + 3 * sigma)
    var o = GridScanOptions()
    o.points = 40
    let scan = try GridScan.run(model: problem.model, data: problem.nll.data, globalObservables: problem.nll.globalObservables,
                                specs: specs, best: best, axes: [k], options: o)
    var rows: [[Double]] = [[mass, 0, -1, x, 0]]
    for p in scan { rows.append([mass, 0, 0, p.values[0], p.deltaNLL]) }
    return LimitTreeTable(header: ["mh", "iToy", "quantileExpected", problem.model.parameters[k].name, "deltaNLL"], values: rows)
  }

  /// Generates toys `first … first + count − 1` of the study seeded by `seed` at the generating
  /// values and fits each (with `singles` also the targets' intervals), in parallel.
  ///
  /// The generating values are `problem.specs`' values; with `.frequentist` nuisances they are the
  /// post-fit values of a fit to the data with the POIs held at theirs. Summaries cover the
  /// converged fits.
  public static func runToys(
    _ problem: FitProblem, nuisances: ToyNuisances, algorithm: Algorithm, seed: UInt64, first: Int, count: Int
  ) throws -> ToyStudyResult {
    guard first >= 0 else { throw LikelihoodError("--firstToy must be ≥ 0") }
    let m = problem.model
    var generating = problem.specs.map(\.value)
    if nuisances == .frequentist {
      var specs = problem.specs
      for k in m.pois { specs[k].fixed = true }
      let r = Minimizer().minimize(problem.nll, parameters: specs)
      guard r.status.isConverged else { throw LikelihoodError("the fit to the data for --toysFrequentist did not converge: \(r.status)") }
      generating = r.x
    }
    let generator = ToyGenerator(model: m, observed: problem.nll.data, seed: seed, signal: problem.toySignal)
    let fixed = Set(problem.specs.indices.filter { problem.specs[$0].fixed })
    let fits = try Toys.fit(
      generator: generator, generating: generating, nuisances: nuisances, fixed: fixed, specs: problem.specs,
      targets: problem.targets, intervals: algorithm == .singles, delta: m.singlesDelta, first: first, count: count)
    let converged = fits.filter { $0.best.status.isConverged }
    var summaries: [ToyPOISummary] = []
    for k in problem.targets {
      let v = converged.map { $0.best.x[k] }
      guard !v.isEmpty else { continue }
      let mean = v.reduce(0, +) / Double(v.count)
      let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, v.count - 1))).squareRoot()
      let sorted = v.sorted()
      var s = ToyPOISummary(name: m.parameters[k].name, generated: generating[k], count: v.count, mean: mean,
                            standardDeviation: sd, median: sorted[sorted.count / 2])
      let withIV = converged.compactMap { $0.intervals[k] }
      s.withInterval = withIV.count
      s.covering = withIV.filter { $0.lower <= generating[k] && generating[k] <= $0.upper }.count
      summaries.append(s)
    }
    return ToyStudyResult(fits: fits, generating: generating, summaries: summaries)
  }

  /// The limit tree of a toy study: each converged toy's rows (`limitTreeRows`) with iToy = index + 1.
  public static func toyLimitTree(_ problem: FitProblem, study: ToyStudyResult, mass: Double) -> LimitTreeTable {
    var rows: [[Double]] = []
    for f in study.fits where f.best.status.isConverged {
      rows += limitTreeRows(mass: mass, iToy: Double(f.index + 1), targets: problem.targets, best: f.best.x, intervals: f.intervals)
    }
    return LimitTreeTable(header: limitTreeHeader(problem), values: rows)
  }
}
