//===--- AsymptoticLimits.swift -------------------------------------------===//
// Combine's AsymptoticLimits (CLs with the asymptotic q̃_μ distribution, spec §6.1) and the
// profiled-likelihood helpers it shares with Significance.
//===----------------------------------------------------------------------===//

import Maths
import Fit
import Foundation
import Likelihood
import Support


/// The NLL profiled over every floating parameter but the POI: f(μ) = min_θ NLL(μ, θ).
///
/// Each conditional fit starts from the previous conditional solution (Combine's `fitFix`
/// snapshot), seeded with the free fit's covariance; every fit after the first (and a failed
/// first one) is repeated from the free best fit and the lower of the two minima is kept, so a
/// chain that wandered into another minimum cannot carry it along (this doubles the fits; the
/// limits agree with Combine's to ≤ 0.07% with it).
public final class ProfiledNLL {
  public let nll: NLL
  public let poi: Int
  public private(set) var specs: [ParameterSpec]
  /// The unconditional minimum (POI floating within its range in `specs`).
  public let best: MinimizationResult
  /// Whether any parameter besides the POI floats (otherwise f(μ) is a plain evaluation).
  public let hasFloatingParameters: Bool
  private var last: [Double]? = nil
  /// Conditional fits made so far.
  public private(set) var fits = 0
  /// Parameter values at the last evaluated point.
  public private(set) var lastParameters: [Double]

  /// Fits the free minimum; throws if it does not converge.
  public init(nll: NLL, specs: [ParameterSpec], poi: Int, start: [Double]? = nil) throws {
    self.nll = nll
    self.poi = poi
    var s = specs
    if let start { for i in s.indices where !s[i].fixed { s[i].value = start[i] } }
    self.specs = s
    hasFloatingParameters = s.indices.contains { $0 != poi && !s[$0].fixed }
    let r = Minimizer().minimize(nll, parameters: s)
    guard r.status.isConverged else {
      throw LikelihoodError("the unconditional fit of '\(s[poi].name)' did not converge: \(r.status)")
    }
    best = r
    lastParameters = r.x
  }

  /// min over the other parameters of NLL at POI = μ.
  public func value(at mu: Double) -> Double {
    if !hasFloatingParameters {
      var x = best.x
      x[poi] = mu
      lastParameters = x
      return nll.value(at: x)
    }
    var s = specs
    s[poi].lower = min(s[poi].lower, mu)
    s[poi].upper = max(s[poi].upper, mu)
    let m = Minimizer()
    var res = m.minimize(nll, parameters: s, fixing: [poi: mu], best: best, start: last)
    fits += 1
    if !res.status.isConverged || last != nil {
      let again = m.minimize(nll, parameters: s, fixing: [poi: mu], best: best)
      fits += 1
      if again.fval < res.fval || !res.status.isConverged { res = again }
    }
    last = res.x
    lastParameters = res.x
    return res.fval
  }
}

/// What AsymptoticLimits computes (`--run`).
public enum LimitRun: String, Sendable, CaseIterable {
  /// Observed and expected (a-posteriori Asimov).
  case both
  case observed
  /// Expected only, a-posteriori Asimov.
  case expected
  /// Expected only, a-priori Asimov (no fit to the data; `--run blind`, `--noFitAsimov`).
  case blind
}

/// `--rule`: CLs = P_μ/(1 − P_b), or P_μ alone.
public enum LimitRule: String, Sendable {
  case cls = "CLs"
  case pmu = "Pmu"
}

/// Options of `AsymptoticLimits.run`, with Combine's defaults.
public struct AsymptoticLimitsOptions: Sendable {
  /// Confidence level (`--cl`).
  public var cl = 0.95
  public var rule: LimitRule = .cls
  public var run: LimitRun = .both
  /// Stop the searches when the bracket half-width is below max(rRelAccuracy·r, rAbsAccuracy).
  public var rAbsAccuracy = 0.0005
  public var rRelAccuracy = 0.005
  /// Expected quantiles by crossing searches on the Asimov NLL (Combine's default); `false`: the
  /// closed form μ_N = σ(Φ⁻¹(1 − α·q_N) + N) with σ = median/Φ⁻¹(1 − α/2).
  public var newExpected = true
  /// q̃_μ: the POI is restricted to ≥ 0 in the fits.
  public var qtilde = true
  /// Combine's minimiser tolerance (0.1): a crossing search stops early when the profiled NLL is
  /// within 0.05·tolerance of the threshold.
  public var minimizerTolerance = 0.1
  /// The expected quantiles, in increasing order with the median third (Combine's 0.025, 0.16,
  /// 0.5, 0.84, 0.975; pyhf's band is Φ(∓2), Φ(∓1): `pyhfQuantiles`).
  public var expectedQuantiles: [Double] = AsymptoticLimits.quantiles
  public init() {}
}

extension AsymptoticLimitsOptions {
  /// pyhf's ±1σ/±2σ band: Φ(−2), Φ(−1), 0.5, Φ(1), Φ(2).
  public static let pyhfQuantiles: [Double] = [normalCDF(-2), normalCDF(-1), 0.5, normalCDF(1), normalCDF(2)]
}

/// One expected limit.
public struct ExpectedLimit: Sendable, Equatable {
  /// 0.025, 0.16, 0.5, 0.84 or 0.975.
  public var quantile: Double
  /// The limit on the POI (float32-rounded, as Combine stores it).
  public var limit: Double
}

/// Result of `AsymptoticLimits.run`.
public struct AsymptoticLimitsResult: Sendable {
  /// The observed limit (the last probed value of Combine's search), nil if not run.
  public var observed: Double?
  /// Half-width of the bracket before the last probe (Combine's `limitErr`).
  public var observedError: Double?
  /// Expected limits, in quantile order 0.025, 0.16, 0.5, 0.84, 0.975 (empty if not run).
  public var expected: [ExpectedLimit] = []
  /// Best fit of the POI to the data (≥ 0 with q̃), nil if the observed limit was not run.
  public var dataBestFit: Double?
  /// The background-only Asimov dataset used for q_A and the expected limits.
  public var asimov: [Double] = []
  /// The global observables of the Asimov NLL (constrained parameters in parameter order).
  public var asimovGlobalObservables: [Double] = []

  /// Combine's limit-tree rows (`limit, limitErr, mh, iToy, quantileExpected`): the expected
  /// limits (quantileExpected as a Float, as in the ROOT tree), then the observed one (−1).
  public func limitTree(mass: Double, iToy: Double) -> LimitTreeTable {
    var rows: [[Double]] = expected.map { [$0.limit, 0, mass, iToy, Double(Float($0.quantile))] }
    if let observed { rows.append([observed, observedError ?? 0, mass, iToy, -1]) }
    return LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows)
  }
}

/// Combine's `-M AsymptoticLimits` (spec §6.1).
///
/// - Observed: q̃_μ = 2(NLL_D(μ, θ̂̂_μ) − NLL_D(μ̂, θ̂)), μ̂ ∈ [0, …]; q_A the same on the
///   background-only Asimov; P_μ = Φ_c(√q_μ), 1 − P_b = Φ(√q_A − √q_μ), or for q_μ > q_A
///   P_μ = Φ_c((q_μ + q_A)/(2√q_A)), 1 − P_b = Φ_c((q_μ − q_A)/(2√q_A)); CLs = P_μ/(1 − P_b).
///   The limit is found as Combine does: bracket [max(0, μ̂), +3σ] (σ = max(HESSE error of μ̂,
///   0.02·(μ_max − μ_min))) doubled up to 5 times, then bisection / damped log-interpolation of CLs
///   until the half-bracket is below max(0.005·limit, 0.0005); the last probed μ is the limit.
/// - Asimov: generated at the background-only fit to the data (the first POI fixed at 0, every
///   other parameter floating within its declared range), with the global observables moved to the
///   fitted values (Gaussian means θ_In = θ̂, gmN counts N → θ̂); `.blind`: at the pre-fit values
///   with nominal global observables.
/// - Expected (newExpected): the crossings NLL_A(μ) − NLL_A(μ̂_A) = ½(N + Φ_c⁻¹(q_N·α))²,
///   N = Φ⁻¹(q_N): the median by Combine's stepping search from 0.05·μ_max, the others by
///   bisection in [0, med], [μ₀.₀₂₅, med], [med, med + 2σ], [μ₀.₈₄, med + 4σ], σ = med/Φ⁻¹(1 − α/2).
///
/// `specs` must hold every parameter's range as Combine has it in this method (nuisances bounded:
/// lnN [−7, 7], `shape` [−4, 4], gmN and `param` ranges), with the POI's range (`--rMin/--rMax`,
/// default [0, 20]); with q̃ the POI's lower bound is raised to 0.
public enum AsymptoticLimits {
  public static let quantiles: [Double] = [0.025, 0.16, 0.5, 0.84, 0.975]

  /// The POI's upper bound as Combine's crossing searches leave it: every probe at or above the
  /// current maximum raises it to 1.1·r (it then sets the bracket of the observed search).
  final class RangeTracker {
    var max: Double
    init(_ m: Double) { max = m }
    func probe(_ r: Double) { if r >= max { max = 1.1 * r } }
  }

  public static func run(
    model: CompiledModel, data: [Double], globalObservables: [Double]? = nil, specs: [ParameterSpec],
    poi: Int, options: AsymptoticLimitsOptions = .init()
  ) throws -> AsymptoticLimitsResult {
    var specs = specs
    let rMaxDeclared = specs[poi].upper
    guard rMaxDeclared.isFinite, rMaxDeclared > 0 else {
      throw LikelihoodError("AsymptoticLimits needs a finite positive upper bound of '\(specs[poi].name)'")
    }
    specs[poi].fixed = false
    specs[poi].lower = options.qtilde ? 0 : -rMaxDeclared
    specs[poi].value = min(max(specs[poi].value, specs[poi].lower), specs[poi].upper)

    let nllData = try NLL(model: model, data: data)
    if let g = globalObservables { nllData.setGlobalObservables(g) }

    // The background-only Asimov dataset and its global observables.
    let asimov = try AsimovBuilder.backgroundOnly(
      model: model, nll: nllData, specs: specs, poi: poi, fit: options.run != .blind).get()
    let nllAsimov = try NLL(model: model, data: asimov.data)
    nllAsimov.setGlobalObservables(asimov.globalObservables)
    nllAsimov.setBarlowBeestonGlobalObservables(asimov.barlowBeestonGlobalObservables)
    var out = AsymptoticLimitsResult()
    out.asimov = asimov.data
    out.asimovGlobalObservables = asimov.globalObservables

    // Free fit of the Asimov dataset (μ ≥ 0 with q̃), starting at the generating point.
    var startA = asimov.parameters
    startA[poi] = max(specs[poi].lower, 0)
    let profA = try ProfiledNLL(nll: nllAsimov, specs: specs, poi: poi, start: startA)
    let alpha = 1 - options.cl

    let range = RangeTracker(rMaxDeclared)
    if options.run != .observed {
      out.expected = expected(profA, rMin: specs[poi].lower, rMax: rMaxDeclared, alpha: alpha, range: range, options: options)
    }
    if options.run == .both || options.run == .observed {
      let profD = try ProfiledNLL(nll: nllData, specs: specs, poi: poi)
      out.dataBestFit = profD.best.x[poi]
      let (limit, err) = observed(profD, profA, rMaxCurrent: range.max, alpha: alpha, options: options)
      out.observed = limit
      out.observedError = err
    }
    return out
  }

  /// CLs (or P_μ) at one point μ (Combine's `--singlePoint`, pyhf's `hypotest(μ, test_stat="qtilde",
  /// return_expected_set=True)`): observed from q_μ of the data; expected where the b-only
  /// distribution of the statistic puts its quantile k: in t = √q − √q_A (q ≤ q_A) or
  /// (q − q_A)/(2√q_A) (q > q_A), t ~ N(0, 1) under b-only and N(−√q_A, 1) under s+b, so at t = k
  /// CL_s+b = Φ(−(k + √q_A)), CL_b = Φ(−k) (Combine's getCLs in the same variable).
  /// `shifts` are the k (default Combine's quantiles 0.025…0.975: k = −Φ⁻¹(quantile), 1.96 …
  /// −1.96; pyhf uses k = 2, 1, 0, −1, −2); `quantile` = Φ(−k). Same datasets and fits as `run`.
  public static func singlePoint(
    model: CompiledModel, data: [Double], globalObservables: [Double]? = nil, specs: [ParameterSpec],
    poi: Int, mu: Double, shifts: [Double] = quantiles.map { -normalQuantile($0) }, options: AsymptoticLimitsOptions = .init()
  ) throws -> (observed: Double, expected: [(quantile: Double, cls: Double)]) {
    var specs = specs
    specs[poi].fixed = false
    if options.qtilde { specs[poi].lower = 0 }
    guard mu >= specs[poi].lower else { throw LikelihoodError("--singlePoint \(mu) is below the lower bound \(specs[poi].lower) of '\(specs[poi].name)'") }
    specs[poi].value = min(max(specs[poi].value, specs[poi].lower), specs[poi].upper)
    let nllData = try NLL(model: model, data: data)
    if let g = globalObservables { nllData.setGlobalObservables(g) }
    let asimov = try AsimovBuilder.backgroundOnly(model: model, nll: nllData, specs: specs, poi: poi, fit: true).get()
    let nllAsimov = try NLL(model: model, data: asimov.data)
    nllAsimov.setGlobalObservables(asimov.globalObservables)
    nllAsimov.setBarlowBeestonGlobalObservables(asimov.barlowBeestonGlobalObservables)
    var startA = asimov.parameters
    startA[poi] = max(specs[poi].lower, 0)
    let a = try ProfiledNLL(nll: nllAsimov, specs: specs, poi: poi, start: startA)
    let d = try ProfiledNLL(nll: nllData, specs: specs, poi: poi)
    let qA = max(2 * (a.value(at: mu) - a.best.fval), 0)
    // q̃_μ: 0 when r̂ > μ (one-sided).
    let qmu = d.best.x[poi] > mu ? 0 : max(2 * (d.value(at: mu) - d.best.fval), 0)
    let observed = cls(qmu: qmu, qA: qA, rule: options.rule, qtilde: options.qtilde)
    // In t (= √q − √q_A below q_A, (q − q_A)/(2√q_A) above, q̃'s branch), CL_s+b = Φ(−(t + √q_A))
    // and CL_b = Φ(−t), t ~ N(0, 1) under b-only (unbounded, as pyhf's "normal" base distribution).
    let expected = shifts.map { k -> (Double, Double) in
      let clsb = normalCDF(-(k + qA.squareRoot())), clb = normalCDF(-k)
      return (normalCDF(-k), options.rule == .cls ? clsb / clb : clsb)
    }
    return (observed, expected)
  }

  /// CLs (or P_μ) at μ from q_μ and q_A (Combine's `getCLs`).
  public static func cls(qmu: Double, qA: Double, rule: LimitRule = .cls, qtilde: Bool = true) -> Double {
    let qmu = max(qmu, 0), qA = max(qA, 0)
    var pmu = normalCDFc(qmu.squareRoot())
    var onemPb = normalCDF(qA.squareRoot() - qmu.squareRoot())
    if qtilde && qmu > qA {
      let mos = qA.squareRoot()
      pmu = normalCDFc((qmu + qA) / (2 * mos))
      onemPb = normalCDFc((qmu - qA) / (2 * mos))
    }
    switch rule {
    case .cls: return onemPb == 0 ? 0 : pmu / onemPb
    case .pmu: return pmu
    }
  }

  /// The observed limit by Combine's bracketing search on CLs(μ).
  static func observed(
    _ d: ProfiledNLL, _ a: ProfiledNLL, rMaxCurrent: Double, alpha: Double, options o: AsymptoticLimitsOptions
  ) -> (Double, Double) {
    let k = d.poi
    let rHat = d.best.x[k]
    let minD = d.best.fval, minA = a.best.fval
    func clsAt(_ mu: Double) -> Double {
      let qmu = 2 * (d.value(at: mu) - minD)
      let qA = 2 * (a.value(at: mu) - minA)
      return cls(qmu: qmu, qA: qA, rule: o.rule, qtilde: o.qtilde)
    }
    let lower = d.specs[k].lower
    let hesseError = d.best.error(k) ?? 0
    let rErr = max(hesseError.isFinite ? hesseError : 0, 0.02 * (rMaxCurrent - lower))
    let target = alpha
    var rMin = max(0, rHat), rMax = rMin + 3 * rErr
    var clsMax = 1.0, clsMin = 0.0
    for _ in 0..<5 {
      let c = clsAt(rMax)
      if c < target {
        clsMin = c
        break
      }
      rMax *= 2
    }
    var limit = 0.0, limitErr = 0.0
    repeat {
      if clsMax < 3 * target && clsMin > 0.3 * target {
        let rCross = rMin + (rMax - rMin) * log(clsMax / target) / log(clsMax / clsMin)
        limit = (rCross - rMin) < (rMax - rCross) ? 0.8 * rCross + 0.2 * rMax : 0.8 * rCross + 0.2 * rMin
      } else {
        limit = 0.5 * (rMin + rMax)
      }
      limitErr = 0.5 * (rMax - rMin)
      let c = clsAt(limit)
      if c > target {
        clsMax = c
        rMin = limit
      } else {
        clsMin = c
        rMax = limit
      }
    } while limitErr > max(o.rRelAccuracy * limit, o.rAbsAccuracy)
    return (limit, limitErr)
  }

  /// The five expected limits from the Asimov NLL (Combine's `runLimitExpected`).
  static func expected(
    _ a: ProfiledNLL, rMin: Double, rMax: Double, alpha: Double, range: RangeTracker, options o: AsymptoticLimitsOptions
  ) -> [ExpectedLimit] {
    let nll0 = a.best.fval
    let doCLs = o.rule == .cls
    let median = Double(crossing(a, lower: rMin, upper: rMax, nll0: nll0, quantile: 0.5, alpha: alpha, stepping: true, range: range, options: o))
    let sigma = median / normalQuantile(1 - (doCLs ? 0.5 : 1.0) * alpha)
    var out: [ExpectedLimit] = []
    for (iq, q) in o.expectedQuantiles.enumerated() {
      let n = normalQuantile(q)
      var limit: Double
      if o.newExpected && iq != 2 {
        let prev = out.last?.limit ?? rMin
        let (lo, hi): (Double, Double)
        switch iq {
        case 0: (lo, hi) = (rMin, median)
        case 1: (lo, hi) = (prev, median)
        case 3: (lo, hi) = (prev, median + 2 * sigma)
        default: (lo, hi) = (prev, median + 4 * sigma)
        }
        limit = Double(crossing(a, lower: lo, upper: hi, nll0: nll0, quantile: q, alpha: alpha, stepping: false, range: range, options: o))
        if limit.isNaN { return out }
      } else if iq == 2 {
        limit = median
      } else {
        limit = sigma * (normalQuantile(1 - alpha * (doCLs ? q : 1)) + n)
      }
      out.append(ExpectedLimit(quantile: q, limit: Double(Float(limit))))
    }
    return out
  }

  /// The μ where the profiled Asimov NLL crosses nll0 + ½(N + Φ_c⁻¹(q·α))² (Combine's
  /// `findExpectedLimitFromCrossing`, "stepping" and "bisection" algorithms), as float32.
  static func crossing(
    _ a: ProfiledNLL, lower: Double, upper: Double, nll0: Double, quantile q: Double, alpha: Double,
    stepping: Bool, range: RangeTracker, options o: AsymptoticLimitsOptions
  ) -> Float {
    let n = normalQuantile(q)
    let z = n + normalQuantileC((o.rule == .cls ? q : 1) * alpha)
    let threshold = nll0 + 0.5 * z * z
    let close = 0.05 * o.minimizerTolerance
    var rMin = lower, rMax = upper
    if stepping {
      var rCross = 0.05 * rMax, rErr = rMax
      var stride = rCross, overstepped = false
      var there = nll0
      while rErr > max(o.rRelAccuracy * rCross, o.rAbsAccuracy) {
        range.probe(rCross)
        let here = a.value(at: rCross)
        if abs(here - threshold) < close { break }
        if here < threshold {
          if threshold - here < 0.5 * abs(threshold - there) { stride *= 0.5 }
          rCross += stride
        } else {
          stride *= 0.5
          overstepped = true
          rCross -= stride
        }
        there = here
        if overstepped { rErr = stride }
      }
      return Float(rCross)
    }
    var rCross = 0.5 * (rMin + rMax), rErr = 0.5 * (rMax - rMin)
    while rErr > max(o.rRelAccuracy * rCross, o.rAbsAccuracy) {
      range.probe(rCross)
      let here = a.value(at: rCross)
      if abs(here - threshold) < close { break }
      if here < threshold { rMin = rCross } else { rMax = rCross }
      rCross = 0.5 * (rMin + rMax)
      rErr = 0.5 * (rMax - rMin)
    }
    return Float(rCross)
  }
}

/// Background-only Asimov datasets as AsymptoticLimits builds them.
public enum AsimovBuilder {
  /// The Asimov data, its global observables and the parameter values it was generated at.
  public struct Asimov: Sendable {
    public var data: [Double]
    public var globalObservables: [Double]
    /// Per flat bin, the Barlow–Beeston-lite global observables (the data-fitted x̂_j, or 0).
    public var barlowBeestonGlobalObservables: [Double]
    public var parameters: [Double]
  }

  /// With `fit` (a-posteriori): fit the data with the POI fixed at 0 (other parameters floating
  /// within `specs`), generate ν(θ̂, x̂) and move every constraint's global observable to θ̂
  /// (Gaussian/bifurcated means, gmN counts) and every autoMCStats Barlow–Beeston-lite global
  /// observable to its data-fitted x̂_j, as Combine does. Without (a-priori): ν at the `specs`
  /// values with the POI at 0 and x = 0, nominal global observables.
  public static func backgroundOnly(
    model: CompiledModel, nll: NLL, specs: [ParameterSpec], poi: Int, fit: Bool
  ) -> Result<Asimov, LikelihoodError> {
    var s = specs
    s[poi].fixed = true
    s[poi].value = 0
    s[poi].lower = min(s[poi].lower, 0)
    var x = s.map(\.value)
    var g = nll.globalObservables
    var bbGlobals = [Double](repeating: 0, count: model.binCount)
    if fit {
      if s.contains(where: { !$0.fixed }) {
        let r = Minimizer().minimize(nll, parameters: s)
        guard r.status.isConverged else {
          return .failure(LikelihoodError("the background-only fit for the Asimov dataset did not converge: \(r.status)"))
        }
        x = r.x
      }
      g = model.globalObservables(at: x)
    }
    let data: [Double]
    if fit {
      data = nll.expectedYields(at: x)  // with the BB-lite x̂ of the data
      bbGlobals = nll.barlowBeestonValues
    } else {
      data = model.expectedYields(at: x)
    }
    return .success(Asimov(data: data, globalObservables: g, barlowBeestonGlobalObservables: bbGlobals, parameters: x))
  }
}

