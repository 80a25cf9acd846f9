//===--- HybridNew.swift --------------------------------------------------===//
// Toy-based CLs (Combine's -M HybridNew --LHCmode LHC-limits): the LHC test statistic
//
//     q̃_μ = 2·[NLL(μ, θ̂_μ) − NLL(r̂, θ̂)],  r̂ constrained to [0, μ]  (q̃_μ = 0 when r̂ ≥ μ),
//
// on the data and on toys of two hypotheses: s+b at r = μ and b at r = 0, each generated with the
// nuisances at their conditional fit to the data under that hypothesis and the global
// observables drawn around them ("LHC-style" frequentist toys, `ToyNuisances.frequentist`); each
// toy is fitted with its own global observables.
//
//     CL_s+b = P(q ≥ q_obs | s+b),  CL_b = P(q ≥ q_obs | b),  CL_s = CL_s+b / CL_b,
//
// estimated as fractions of toys (binomial errors √(p(1−p)/N), propagated in quadrature to CL_s),
// thrown in Combine's adaptive batches (`gridPoint`).
// The limit is the μ where CL_s (or CL_s+b with `--rule CLsplusb`) crosses 1 − CL: bracketed from
// the asymptotic limit, then refined by interpolating ln CL_s linearly between the bracket's ends
// until the step is below `rAbsAcc` and `rRelAcc`·μ or CL_s is within `clsAcc` of 1 − CL; its
// error is the CL_s error divided by the slope there. Each point uses fresh toys, from streams
// seeded by (seed, point, hypothesis, toy). The Profile statistic (two-sided) and grids of saved
// points give Feldman–Cousins regions (`--LHCmode LHC-feldman-cousins`, `feldmanCousins(grid:)`).
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood
import Maths
import Support

public struct HybridNewOptions: Sendable {
  public var cl = 0.95
  public var rule: LimitRule = .cls
  /// Toys per hypothesis and point (`-T`).
  public var toys = 500
  public var seed: UInt64 = 123456
  public var threads = ProcessInfo.processInfo.activeProcessorCount
  public var rAbsAcc = 0.1
  public var rRelAcc = 0.05
  public var clsAcc = 0.005
  /// Toys of the b hypothesis in a point's first batch (nil: Combine's choice, `bToys(rule:)`:
  /// ⌊0.25·toys⌋ for CLs, ⌊0.01·toys⌋ + 1 for CLs+b, where CL_b is unused; `fullBToys`: toys).
  public var toysB: Int? = nil
  /// `--fullBToys`: as many b toys as s+b toys in every batch.
  public var fullBToys = false
  /// Batches of toys at most per point in the adaptive evaluation (a guard; Combine has none).
  public var maxBatches = 100
  /// Points evaluated at most in a limit search.
  public var maxPoints = 12
  /// The test statistic and, with it, how toys are generated (see `HybridTestStatistic`).
  public var testStatistic: HybridTestStatistic = .lhc
  public init() {}

  /// Combine's b-toy counts (HybridNew.cc): the first batch, and each further adaptive batch.
  func bToys() -> (first: Int, more: Int) {
    if let toysB { return (max(1, toysB), max(1, toysB)) }
    if fullBToys { return (toys, toys) }
    return rule == .cls ? (max(1, toys / 4), toys / 4 + 1) : (toys / 100 + 1, 1)
  }
}

/// Combine's HybridNew test statistics. `lhc` (q̃_μ) goes with LHC-style toys (nuisances at their
/// conditional fit to the data, global observables drawn, `--LHCmode LHC-limits`); `tev` and `lep`
/// with Combine's default hybrid toys (nuisances drawn from their constraints around the nominal
/// values, fits with the nominal global observables):
///   tev: q = 2[NLL(μ, θ̂_μ) − NLL(0, θ̂_0)]   (each hypothesis profiled; Tevatron),
///   lep: q = 2[NLL(μ, θ₀) − NLL(0, θ₀)]      (nuisances at their nominal values; LEP).
/// Large q disfavours the signal hypothesis in all three.
///   profile: q = 2[NLL(μ, θ̂_μ) − NLL(r̂, θ̂)], r̂ free in the POI's range (two-sided: r̂ > μ is
///            not clipped; Combine's `Profile`, alias `PL`, with LHC-style toys as
///            `--LHCmode LHC-feldman-cousins` sets them).
public enum HybridTestStatistic: String, Sendable, Codable {
  case lhc = "LHC", tev = "TEV", lep = "LEP", profile = "Profile"
}

/// CL values at one μ.
public struct CLsPoint: Sendable {
  public var mu: Double
  public var qObserved: Double
  public var clsb: Double, clsbError: Double
  public var clb: Double, clbError: Double
  public var cls: Double, clsError: Double
  public var toysSB: Int, toysB: Int

  /// The value the rule compares with 1 − CL.
  public func value(_ rule: LimitRule) -> Double { rule == .cls ? cls : clsb }
  public func error(_ rule: LimitRule) -> Double { rule == .cls ? clsError : clsbError }
}

public struct HybridNewLimit: Sendable {
  public var limit: Double
  public var error: Double
  public var points: [CLsPoint]
}

public enum HybridNew {
  /// The test statistic of the data in `nll` (`specs` the problem's parameters).
  static func statistic(_ t: HybridTestStatistic, _ nll: NLL, specs: [ParameterSpec], poi: Int, mu: Double) -> Double? {
    switch t {
    case .lhc: return qTilde(nll, specs: specs, poi: poi, mu: mu)
    case .profile: return qProfile(nll, specs: specs, poi: poi, mu: mu)
    case .tev, .lep:
      func at(_ value: Double) -> Double? {
        var s = specs
        s[poi].value = value
        s[poi].fixed = true
        if t == .lep {
          return nll.value(at: s.map(\.value))
        }
        let r = Minimizer().minimize(nll, parameters: s)
        return r.status.isConverged ? r.fval : nil
      }
      guard let a = at(mu), let b = at(0), a.isFinite, b.isFinite else { return nil }
      return 2 * (a - b)
    }
  }

  /// q̃_μ of the data in `nll` (with its global observables), `specs` the problem's parameters:
  /// r̂ constrained to [0, μ].
  static func qTilde(_ nll: NLL, specs: [ParameterSpec], poi: Int, mu: Double) -> Double? {
    profileRatio(nll, specs: specs, poi: poi, mu: mu, freeRange: 0...max(mu, 0))
  }

  /// The two-sided profile statistic of the data in `nll`: 2[NLL(μ, θ̂_μ) − NLL(r̂, θ̂)], r̂ in the
  /// POI's range of `specs`.
  static func qProfile(_ nll: NLL, specs: [ParameterSpec], poi: Int, mu: Double) -> Double? {
    profileRatio(nll, specs: specs, poi: poi, mu: mu, freeRange: nil)
  }

  /// 2[NLL(μ, θ̂_μ) − min(NLL(r̂, θ̂), NLL(μ, θ̂_μ))], r̂ in `freeRange` (nil: the POI's range).
  static func profileRatio(_ nll: NLL, specs: [ParameterSpec], poi: Int, mu: Double, freeRange: ClosedRange<Double>?) -> Double? {
    var cond = specs
    cond[poi].value = mu
    cond[poi].fixed = true
    var free = specs
    free[poi].fixed = false
    if let r = freeRange {
      free[poi].lower = r.lowerBound
      free[poi].upper = r.upperBound
      free[poi].value = min(max(free[poi].value, r.lowerBound), r.upperBound)
    }
    let c = Minimizer().minimize(nll, parameters: cond)
    let f = Minimizer().minimize(nll, parameters: free)
    guard c.status.isConverged, f.status.isConverged else { return nil }
    return 2 * max(c.fval - min(f.fval, c.fval), 0)
  }

  /// CL_s+b, CL_b and CL_s at μ (see `gridPoint`); `point` numbers the point (it selects the
  /// toys' streams).
  public static func point(_ problem: FitProblem, mu: Double, point: Int = 0, options o: HybridNewOptions,
                           target: Double? = nil) throws -> CLsPoint {
    try gridPoint(problem, mu: mu, point: point, options: o, target: target).cls(observed: nil)
  }

  /// The toys of one point, kept (a grid point, as Combine's --saveHybridResult): the observed
  /// q̃_μ and the toys' q̃_μ under s+b and b. `point` selects the toys' streams (0: derived from μ
  /// alone, so grid points computed in separate jobs have independent toys).
  ///
  /// Toys come in batches as Combine's `HybridNew::eval` throws them: first `toys` s+b toys and
  /// `bToys().first` b toys; then, with `clsAcc` > 0 (adaptive), further batches of `toys` s+b and
  /// `bToys().more` b toys while the rule's CL has an error ≥ `clsAcc` and (with a `target`, the
  /// limit search's 1 − CL) lies within 3 errors of the target. At most `maxBatches` batches.
  public static func gridPoint(_ problem: FitProblem, mu: Double, point: Int = 0, options o: HybridNewOptions,
                               target: Double? = nil) throws -> HybridGridPoint {
    guard let poi = problem.targets.first else { throw LikelihoodError("HybridNew: the model has no POI") }
    let specs = problem.specs
    if o.testStatistic == .profile {
      guard mu >= specs[poi].lower && mu <= specs[poi].upper else {
        throw LikelihoodError("HybridNew: the tested \(problem.model.parameters[poi].name) = \(mu) is outside its range [\(specs[poi].lower), \(specs[poi].upper)]")
      }
    } else {
      guard mu > 0 else { throw LikelihoodError("HybridNew: the tested \(problem.model.parameters[poi].name) must be positive") }
    }
    guard let qObs = statistic(o.testStatistic, problem.nll, specs: specs, poi: poi, mu: mu) else {
      throw LikelihoodError("HybridNew: the fits of the data at \(problem.model.parameters[poi].name) = \(mu) did not converge")
    }
    let model = problem.model
    let observed = problem.nll.data
    /// The conditional fit to the data at r = value: the toys' generating point.
    func generating(_ value: Double) throws -> [Double] {
      var s = specs
      s[poi].value = value
      s[poi].fixed = true
      let r = Minimizer().minimize(problem.nll, parameters: s)
      guard r.status.isConverged else { throw LikelihoodError("HybridNew: the fit of the data at \(value) did not converge") }
      return r.x
    }
    // LHC: toys at the conditional fits; TEV/LEP: at the nominal nuisances (drawn from their priors).
    let hypotheses: [[Double]]
    if o.testStatistic == .lhc || o.testStatistic == .profile {
      hypotheses = [try generating(mu), try generating(0)]
    } else {
      var sb = specs.map(\.value), b = sb
      sb[poi] = mu
      b[poi] = 0
      hypotheses = [sb, b]
    }
    let nuisances: ToyNuisances = o.testStatistic == .lhc || o.testStatistic == .profile ? .frequentist : .prior
    let fixed = Set(specs.indices.filter { specs[$0].fixed })
    let testStatistic = o.testStatistic
    var toyQ: [[Double]] = [[], []]
    var thrown = [0, 0]  // toys thrown per hypothesis (the next batch continues the stream)
    // A stream per (seed, point, hypothesis): toys of different points and hypotheses differ.
    let pointKey = point == 0 ? mu.bitPattern : UInt64(point)
    let generators = hypotheses.indices.map { h in
      ToyGenerator(model: model, observed: observed, seed: o.seed &* 0x9E37_79B9_7F4A_7C15 &+ pointKey &* 1_000_003 &+ UInt64(h), signal: true)
    }
    func throwToys(_ h: Int, _ count: Int) throws {
      guard count > 0 else { return }
      let first = thrown[h], at = hypotheses[h], generator = generators[h]
      let queue = WorkQueue<Double?>(count: count)
      try forEachWorker(threads: min(o.threads, count), model: model, data: observed, globalObservables: nil) { _, nll in
        while let k = queue.next() {
          let toy = generator.toy(first + k, at: at, nuisances: nuisances, fixed: fixed, nll: nll)
          nll.setData(toy.data)
          nll.setGlobalObservables(toy.globalObservables)
          nll.setBarlowBeestonGlobalObservables(toy.barlowBeestonGlobalObservables)
          queue.set(k, statistic(testStatistic, nll, specs: specs, poi: poi, mu: mu))
        }
      }
      thrown[h] += count
      toyQ[h] += queue.results.compactMap { $0 }.compactMap { $0 }
    }
    let (bFirst, bMore) = o.bToys()
    try throwToys(0, o.toys)
    try throwToys(1, bFirst)
    guard !toyQ[0].isEmpty, !toyQ[1].isEmpty else { throw LikelihoodError("HybridNew: no toy fit converged") }
    var batches = 1
    while o.clsAcc > 0 && batches < o.maxBatches {
      let p = HybridGridPoint(mu: mu, qObserved: qObs, signalPlusBackground: toyQ[0], background: toyQ[1]).cls(observed: nil)
      let v = p.value(o.rule), e = p.error(o.rule)
      guard e >= o.clsAcc, target.map({ abs(v - $0) < 3 * e }) ?? true else { break }
      try throwToys(0, o.toys)
      try throwToys(1, bMore)
      batches += 1
    }
    return HybridGridPoint(mu: mu, qObserved: qObs, signalPlusBackground: toyQ[0], background: toyQ[1])
  }

  /// The observed limit: the μ where the rule's CL crosses 1 − CL, searched from `hint` (e.g. the
  /// asymptotic limit).
  public static func limit(_ problem: FitProblem, hint: Double, options o: HybridNewOptions,
                           progress: ((CLsPoint) -> Void)? = nil) throws -> HybridNewLimit {
    let alpha = 1 - o.cl
    var points: [CLsPoint] = []
    func eval(_ mu: Double) throws -> CLsPoint {
      let p = try point(problem, mu: mu, point: points.count, options: o, target: alpha)
      points.append(p)
      progress?(p)
      return p
    }
    guard hint > 0, hint.isFinite else { throw LikelihoodError("HybridNew: the starting point must be positive") }
    // Bracket: CL(lo) > α > CL(hi).
    var lo: CLsPoint? = nil, hi: CLsPoint? = nil
    var mu = hint
    while (lo == nil || hi == nil) && points.count < o.maxPoints {
      let p = try eval(mu)
      if p.value(o.rule) > alpha {
        if lo == nil || mu > lo!.mu { lo = p }
        mu = hi.map { 0.5 * (mu + $0.mu) } ?? mu * 1.5
      } else {
        if hi == nil || mu < hi!.mu { hi = p }
        mu = lo.map { 0.5 * (mu + $0.mu) } ?? mu / 1.5
      }
    }
    guard var a = lo, var b = hi else {
      throw LikelihoodError("HybridNew: could not bracket the limit in \(points.count) points (CL values \(points.map { String(format: "%.3g@%.3g", $0.value(o.rule), $0.mu) }))")
    }
    // Refine: interpolate ln CL linearly between the bracket's ends.
    func interpolate(_ a: CLsPoint, _ b: CLsPoint) -> Double {
      let la = log(max(a.value(o.rule), 1e-12)), lb = log(max(b.value(o.rule), 1e-12))
      guard la != lb else { return 0.5 * (a.mu + b.mu) }
      return a.mu + (log(alpha) - la) * (b.mu - a.mu) / (lb - la)
    }
    var estimate = interpolate(a, b)
    while points.count < o.maxPoints {
      let width = b.mu - a.mu
      if width < o.rAbsAcc && width < o.rRelAcc * estimate { break }
      let p = try eval(min(max(estimate, a.mu + 0.05 * width), b.mu - 0.05 * width))
      if abs(p.value(o.rule) - alpha) < max(o.clsAcc, p.error(o.rule)) {
        estimate = p.mu
        // Close enough: keep it as an end on its side, for the slope.
        if p.value(o.rule) > alpha { a = p } else { b = p }
        break
      }
      if p.value(o.rule) > alpha { a = p } else { b = p }
      estimate = interpolate(a, b)
    }
    estimate = interpolate(a, b)
    // Error: the CL error at the crossing over the slope of CL between the ends.
    let slope = abs((b.value(o.rule) - a.value(o.rule)) / (b.mu - a.mu))
    let clErr = 0.5 * (a.error(o.rule) + b.error(o.rule))
    return HybridNewLimit(limit: estimate, error: slope > 0 ? clErr / slope : .infinity, points: points)
  }

  /// Toy-based significance (`--LHCmode LHC-significance`): q₀ of the data (r̂ ≥ 0) against q₀ of
  /// background-only toys generated at the nuisances' conditional fit to the data with r = 0
  /// (global observables drawn); p = P(q₀ ≥ q₀,obs | b) from the toys (binomial error), and
  /// Z = Φ⁻¹(1 − p). With no toy at or above the observed q₀, p is reported as < 1/N.
  public static func significance(_ problem: FitProblem, options o: HybridNewOptions)
    throws -> (q0: Double, pValue: Double, pError: Double, significance: Double, toys: Int, passing: Int)
  {
    guard let poi = problem.targets.first else { throw LikelihoodError("HybridNew: the model has no POI") }
    let specs = problem.specs
    let observed = try Significance.compute(nll: problem.nll, specs: specs, poi: poi)
    var s = specs
    s[poi].value = 0
    s[poi].fixed = true
    let fit = Minimizer().minimize(problem.nll, parameters: s)
    guard fit.status.isConverged else { throw LikelihoodError("HybridNew: the background-only fit of the data did not converge") }
    let generator = ToyGenerator(model: problem.model, observed: problem.nll.data, seed: o.seed, signal: true)
    let queue = WorkQueue<Double?>(count: o.toys)
    let at = fit.x
    try forEachWorker(threads: min(o.threads, o.toys), model: problem.model, data: problem.nll.data, globalObservables: nil) { _, nll in
      while let k = queue.next() {
        let toy = generator.toy(k, at: at, nuisances: .frequentist, nll: nll)
        nll.setData(toy.data)
        nll.setGlobalObservables(toy.globalObservables)
        nll.setBarlowBeestonGlobalObservables(toy.barlowBeestonGlobalObservables)
        queue.set(k, (try? Significance.compute(nll: nll, specs: specs, poi: poi))?.q0)
      }
    }
    let qs = queue.results.compactMap { $0 }.compactMap { $0 }
    guard !qs.isEmpty else { throw LikelihoodError("HybridNew: no toy fit converged") }
    let passing = qs.filter { $0 >= observed.q0 - 1e-6 * max(1, observed.q0) }.count
    let p = Double(passing) / Double(qs.count)
    let err = (max(p, 1 / Double(qs.count)) * (1 - p) / Double(qs.count)).squareRoot()
    let z = p > 0 ? normalQuantile(1 - p) : normalQuantile(1 - 1 / Double(qs.count))
    return (observed.q0, p, err, z, qs.count, passing)
  }
}

/// One point of a HybridNew grid: μ, the observed q̃_μ and the toys' q̃_μ under each hypothesis
/// (the content of Combine's saved hybrid results). Grid points of separate jobs merge by μ.
public struct HybridGridPoint: Sendable, Codable, Equatable {
  public var mu: Double
  public var qObserved: Double
  public var signalPlusBackground: [Double]
  public var background: [Double]

  /// CL values with the observed q̃_μ, or (`observed` = quantile q) with the expected one: the
  /// b-only toys' q̃_μ at quantile 1 − q (Combine's --expectedFromGrid q: q = 0.5 the median
  /// expected limit, 0.16 and 0.84 the ∓1σ band).
  public func cls(observed quantile: Double?) -> CLsPoint {
    let q: Double
    if let quantile {
      let b = background.sorted()
      let x = (1 - quantile) * Double(b.count - 1)
      let i = Int(x.rounded(.down)), f = x - Double(i)
      q = i + 1 < b.count ? b[i] + f * (b[i + 1] - b[i]) : b[i]
    } else {
      q = qObserved
    }
    let tolerance = 1e-6 * max(1, abs(q))
    func frac(_ v: [Double]) -> (Double, Double) {
      let p = Double(v.filter { $0 >= q - tolerance }.count) / Double(v.count)
      return (p, (p * (1 - p) / Double(v.count)).squareRoot())
    }
    let (sb, sbe) = frac(signalPlusBackground), (b, be) = frac(background)
    let cls = b > 0 ? sb / b : 0
    let clsErr = b > 0 && sb > 0 ? cls * ((sbe / sb) * (sbe / sb) + (be / b) * (be / b)).squareRoot() : (b > 0 ? sbe / b : 0)
    return CLsPoint(mu: mu, qObserved: q, clsb: sb, clsbError: sbe, clb: b, clbError: be, cls: cls, clsError: clsErr,
                    toysSB: signalPlusBackground.count, toysB: background.count)
  }
}

extension HybridNew {
  /// The limit from a grid (observed, or expected at `quantile`): the rule's CL at each μ, and the
  /// crossing of 1 − CL by linear interpolation of ln CL between the neighbouring grid points that
  /// bracket it; the error from the CL errors at those points over the slope. Throws if the grid
  /// does not bracket the crossing.
  public static func limit(grid: [HybridGridPoint], quantile: Double?, options o: HybridNewOptions) throws -> HybridNewLimit {
    let alpha = 1 - o.cl
    let points = grid.sorted { $0.mu < $1.mu }.map { $0.cls(observed: quantile) }
    for k in 0..<(max(0, points.count - 1)) {
      let a = points[k], b = points[k + 1]
      if a.value(o.rule) > alpha && b.value(o.rule) <= alpha {
        let la = log(max(a.value(o.rule), 1e-12)), lb = log(max(b.value(o.rule), 1e-12))
        let mu = la == lb ? 0.5 * (a.mu + b.mu) : a.mu + (log(alpha) - la) * (b.mu - a.mu) / (lb - la)
        let slope = abs((b.value(o.rule) - a.value(o.rule)) / (b.mu - a.mu))
        let err = 0.5 * (a.error(o.rule) + b.error(o.rule))
        return HybridNewLimit(limit: mu, error: slope > 0 ? err / slope : .infinity, points: points)
      }
    }
    throw LikelihoodError("HybridNew: the grid (\(points.map { String(format: "%g: %.3g", $0.mu, $0.value(o.rule)) }.joined(separator: ", "))) does not bracket CL = \(alpha)")
  }
}


/// A Feldman–Cousins confidence region from a grid (`--LHCmode LHC-feldman-cousins`): the μ where
/// p_μ = CL_s+b of the two-sided profile statistic exceeds α = 1 − CL (Neyman construction with
/// likelihood-ratio ordering, FC's acceptance rule as a p-value).
public struct FeldmanCousinsRegion: Sendable {
  /// One interval: its ends with their errors; an end is nil where the interval reaches the grid's
  /// edge (Combine's one-sided "r < hi" or "r > lo", error −1).
  public struct Interval: Sendable, Equatable {
    public var lower: Double?, lowerError: Double
    public var upper: Double?, upperError: Double
    /// The grid edge where an open end stops.
    public var edgeLower: Double, edgeUpper: Double
  }
  public var intervals: [Interval]
  /// p_μ at each grid point, sorted by μ.
  public var points: [CLsPoint]
}

extension HybridNew {
  /// Combine's `findIntervalsFromSplines`: walking the grid by μ, every pair of neighbours whose
  /// p_μ straddles α is a crossing, placed by linear interpolation of μ against p_μ between the two
  /// (Combine interpolates the inverted graph between the same two points); its error is the p
  /// errors' mean over the slope. Intervals alternate between crossings; a grid edge with p_μ > α
  /// leaves that end open.
  public static func feldmanCousins(grid: [HybridGridPoint], options o: HybridNewOptions) throws -> FeldmanCousinsRegion {
    let alpha = 1 - o.cl
    let points = grid.sorted { $0.mu < $1.mu }.map { $0.cls(observed: nil) }
    guard points.count >= 2 else { throw LikelihoodError("HybridNew: a Feldman–Cousins region needs at least two grid points") }
    var ends: [(mu: Double, error: Double, rising: Bool)] = []
    for k in 0..<(points.count - 1) {
      let a = points[k], b = points[k + 1]
      if (a.clsb > alpha) != (b.clsb > alpha) {
        let mu = a.clsb == b.clsb ? 0.5 * (a.mu + b.mu) : a.mu + (alpha - a.clsb) * (b.mu - a.mu) / (b.clsb - a.clsb)
        let slope = abs((b.clsb - a.clsb) / (b.mu - a.mu))
        ends.append((mu, slope > 0 ? 0.5 * (a.clsbError + b.clsbError) / slope : .infinity, b.clsb > alpha))
      }
    }
    let first = points.first!.mu, last = points.last!.mu
    var intervals: [FeldmanCousinsRegion.Interval] = []
    var open: (Double?, Double)? = points.first!.clsb > alpha ? (nil, -1) : nil
    for e in ends {
      if e.rising {
        open = (e.mu, e.error)
      } else if let start = open {
        intervals.append(.init(lower: start.0, lowerError: start.1, upper: e.mu, upperError: e.error, edgeLower: first, edgeUpper: last))
        open = nil
      }
    }
    if let start = open {
      intervals.append(.init(lower: start.0, lowerError: start.1, upper: nil, upperError: -1, edgeLower: first, edgeUpper: last))
    }
    return FeldmanCousinsRegion(intervals: intervals, points: points)
  }
}
