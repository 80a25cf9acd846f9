import Foundation
import Testing
import TestSupport

@testable import Datacard
@testable import Inference
@testable import Likelihood
import Maths
@testable import Fit

/// HybridNew against the closed-form Poisson CLs of a counting card without systematics: with q̃_μ
/// ordering the outcomes by n (for q_obs > 0), CL_s+b = P(n ≤ n_obs | μs + b), CL_b = P(n ≤ n_obs | b).
@Suite struct HybridNewTests {
  static let card = TestCards.countingFiveOverThree

  static func poissonCDF(_ n: Int, _ l: Double) -> Double {
    var term = exp(-l), sum = term
    for k in stride(from: 1, through: n, by: 1) { term *= l / Double(k); sum += term }
    return sum
  }

  static func problem() throws -> FitProblem {
    try FitProblem.bounded(card: try Datacard.parse(text: card), physics: DefaultPhysicsModel(), options: FitOptions())
  }

  @Test func singlePointIsThePoissonCLs() throws {
    var o = HybridNewOptions()
    o.toys = 4000
    o.seed = 1
    let p = try HybridNew.point(try Self.problem(), mu: 1, options: o)
    let sb = Self.poissonCDF(5, 8), b = Self.poissonCDF(5, 3)
    #expect(abs(p.clsb - sb) < 4 * p.clsbError, "CLs+b \(p.clsb) ± \(p.clsbError) vs \(sb)")
    #expect(abs(p.clb - b) < 4 * p.clbError, "CLb \(p.clb) ± \(p.clbError) vs \(b)")
    #expect(abs(p.cls - sb / b) < 4 * p.clsError, "CLs \(p.cls) ± \(p.clsError) vs \(sb / b)")
    // Toys are reproducible by seed.
    let again = try HybridNew.point(try Self.problem(), mu: 1, options: o)
    #expect(again.cls == p.cls)
  }

  /// Combine's adaptive toys: batches of -T s+b and ⌊T/4⌋ (then ⌊T/4⌋ + 1) b toys until CLs's
  /// error is below clsAcc; with a target 1 − CL more than 3 errors away, one batch. The result
  /// still agrees with the closed form.
  @Test func adaptiveToysReachTheAccuracy() throws {
    var o = HybridNewOptions()
    o.toys = 500
    o.seed = 4
    o.clsAcc = 0.01
    let p = try HybridNew.point(try Self.problem(), mu: 1, options: o)
    let batches = p.toysSB / 500
    #expect(p.toysSB % 500 == 0 && batches > 1 && p.clsError < 0.01, "\(p.toysSB) toys, error \(p.clsError)")
    #expect(p.toysB == 125 + (batches - 1) * 126)
    let sb = Self.poissonCDF(5, 8), b = Self.poissonCDF(5, 3)
    #expect(abs(p.cls - sb / b) < 4 * p.clsError)
    let far = try HybridNew.point(try Self.problem(), mu: 1, options: o, target: 0.9)
    #expect(far.toysSB == 500 && far.toysB == 125)
  }

  /// TEV and LEP (with Combine's hybrid toys) order a counting experiment by n too: the same CLs.
  @Test(arguments: [HybridTestStatistic.tev, .lep])
  func otherStatisticsGiveThePoissonCLs(_ t: HybridTestStatistic) throws {
    var o = HybridNewOptions()
    o.toys = 4000
    o.seed = 3
    o.testStatistic = t
    let p = try HybridNew.point(try Self.problem(), mu: 1, options: o)
    let sb = Self.poissonCDF(5, 8), b = Self.poissonCDF(5, 3)
    #expect(abs(p.cls - sb / b) < 4 * p.clsError, "\(t): CLs \(p.cls) ± \(p.clsError) vs \(sb / b)")
  }

  @Test func limitIsThePoissonCLsLimit() throws {
    // The closed-form limit: CL_s(μ) = 0.05 by bisection.
    var lo = 0.1, hi = 10.0
    for _ in 0..<60 {
      let m = 0.5 * (lo + hi)
      if Self.poissonCDF(5, 5 * m + 3) / Self.poissonCDF(5, 3) > 0.05 { lo = m } else { hi = m }
    }
    var o = HybridNewOptions()
    o.toys = 3000
    o.seed = 7
    o.rAbsAcc = 0.02
    o.rRelAcc = 0.01
    let r = try HybridNew.limit(try Self.problem(), hint: 1.2, options: o)
    #expect(abs(r.limit - lo) < 3 * r.error + 0.02, "limit \(r.limit) ± \(r.error) vs \(lo)")
    #expect(r.error > 0 && r.error < 0.2)
  }

  /// LHC-significance: with n = 9 over b = 3 and no systematics, q₀ orders the outcomes by n, so
  /// p = P(n ≥ 9 | b = 3).
  @Test func significanceIsThePoissonTail() throws {
    let card = Self.card.replacingOccurrences(of: "observation 5", with: "observation 9")
    let p = try FitProblem.bounded(card: try Datacard.parse(text: card), physics: DefaultPhysicsModel(), options: FitOptions())
    var o = HybridNewOptions()
    o.toys = 20000
    o.seed = 2
    let z = try HybridNew.significance(p, options: o)
    let closed = 1 - Self.poissonCDF(8, 3)
    #expect(abs(z.pValue - closed) < 4 * z.pError, "p \(z.pValue) ± \(z.pError) vs \(closed)")
    #expect(abs(z.significance - normalQuantile(1 - closed)) < 0.15)
  }
}

/// The two-sided profile statistic and Feldman–Cousins regions against the exact Neyman
/// construction of the counting card (s = 5, b = 3, n = 5, r ∈ [0, 20], no systematics):
/// q(n) = 2[NLL(μ) − NLL(r̂(n))], r̂(n) = clamp((n − b)/s, 0, 20), and
/// p_μ = Σ_n' Pois(n' | μs + b)·[q(n') ≥ q(n_obs)] (FC's likelihood-ratio ordering as a p-value).
@Suite struct FeldmanCousinsTests {
  static func exactPmu(_ mu: Double, nObs: Int = 5, s: Double = 5, b: Double = 3) -> Double {
    func nll(_ r: Double, _ n: Int) -> Double { let v = r * s + b; return v - Double(n) * log(v) }
    func q(_ n: Int) -> Double { 2 * (nll(mu, n) - nll(min(max((Double(n) - b) / s, 0), 20), n)) }
    let qo = q(nObs), nu = mu * s + b
    var p = 0.0, term = exp(-nu)
    for n in 0..<300 {
      if n > 0 { term *= nu / Double(n) }
      if q(n) >= qo - 1e-6 * max(1, qo) { p += term }
    }
    return p
  }

  @Test func pointIsTheExactPValue() throws {
    var o = HybridNewOptions()
    o.toys = 4000
    o.toysB = 41
    o.clsAcc = 0  // one batch, as Combine's FC recipe (--clsAcc 0)
    o.seed = 5
    o.testStatistic = .profile
    for mu in [0.0, 1.0] {
      let p = try HybridNew.point(try HybridNewTests.problem(), mu: mu, options: o)
      let exact = Self.exactPmu(mu)
      #expect(abs(p.clsb - exact) < 4 * p.clsbError, "μ = \(mu): p \(p.clsb) ± \(p.clsbError) vs \(exact)")
      #expect(p.toysSB == 4000 && p.toysB == 41)
    }
  }

  /// The region from a grid equals the exact p_μ's on the same grid (same linear interpolation):
  /// at 68% a two-sided interval, at 90% one open at the grid's first point (μ = 0 accepted).
  @Test func regionFromGridIsTheExactOne() throws {
    let problem = try HybridNewTests.problem()
    var o = HybridNewOptions()
    o.toys = 1500
    o.toysB = 16
    o.clsAcc = 0
    o.seed = 9
    o.testStatistic = .profile
    let mus = stride(from: 0.0, through: 1.6, by: 0.2).map { $0 }
    let grid = try mus.map { try HybridNew.gridPoint(problem, mu: $0, options: o) }
    func exactCrossings(_ alpha: Double) -> [Double] {
      zip(mus, mus.dropFirst()).compactMap { a, b in
        let pa = Self.exactPmu(a), pb = Self.exactPmu(b)
        return (pa > alpha) != (pb > alpha) ? a + (alpha - pa) * (b - a) / (pb - pa) : nil
      }
    }
    o.cl = 0.68
    let r68 = try HybridNew.feldmanCousins(grid: grid, options: o)
    let e68 = exactCrossings(0.32)
    #expect(r68.intervals.count == 1 && e68.count == 2)
    let iv = try #require(r68.intervals.first)
    #expect(abs(iv.lower! - e68[0]) < 4 * iv.lowerError + 0.01, "\(iv) vs \(e68)")
    #expect(abs(iv.upper! - e68[1]) < 4 * iv.upperError + 0.01, "\(iv) vs \(e68)")
    o.cl = 0.9
    let r90 = try HybridNew.feldmanCousins(grid: grid, options: o)
    let e90 = exactCrossings(0.1)
    #expect(Self.exactPmu(0) > 0.1 && e90.count == 1 && r90.intervals.count == 1)
    #expect(r90.intervals[0].lower == nil && r90.intervals[0].edgeLower == 0)
    #expect(abs(r90.intervals[0].upper! - e90[0]) < 4 * r90.intervals[0].upperError + 0.01, "\(r90.intervals) vs \(e90)")
  }
}

/// HybridNew grids: points computed separately (as in separate jobs) and merged give the observed
/// limit and, from the b-only toys' quantiles, the expected one (closed forms for a counting card:
/// the median expected limit uses n = 3, the median of Poisson(3)).
@Suite struct HybridNewGridTests {
  @Test func gridLimitsAreTheClosedForms() throws {
    let problem = try HybridNewTests.problem()
    var o = HybridNewOptions()
    o.toys = 3000
    o.seed = 11
    let grid = try [0.9, 1.2, 1.5, 1.8].map { try HybridNew.gridPoint(problem, mu: $0, options: o) }
    // The JSON of --saveGrid reads back to the same points.
    let back = try JSONDecoder().decode([HybridGridPoint].self, from: JSONEncoder().encode(grid))
    #expect(back == grid)
    func closed(_ n: Int) -> Double {
      var lo = 0.1, hi = 10.0
      for _ in 0..<60 {
        let m = 0.5 * (lo + hi)
        if HybridNewTests.poissonCDF(n, 5 * m + 3) / HybridNewTests.poissonCDF(n, 3) > 0.05 { lo = m } else { hi = m }
      }
      return lo
    }
    let observed = try HybridNew.limit(grid: grid, quantile: nil, options: o)
    #expect(abs(observed.limit - closed(5)) < 3 * observed.error + 0.03, "observed \(observed.limit) ± \(observed.error) vs \(closed(5))")
    let median = try HybridNew.limit(grid: grid, quantile: 0.5, options: o)
    #expect(abs(median.limit - closed(3)) < 3 * median.error + 0.03, "median \(median.limit) ± \(median.error) vs \(closed(3))")
  }
}

/// HESSE of a large model is refused with a clear error instead of forming an n×n matrix.
@Suite struct HesseSizeTests {
  @Test func largeModelsAreRefused() throws {
    let specs = (0..<2001).map { ParameterSpec(name: "p\($0)", value: 0, lower: -1, upper: 1, step: 1) }
    #expect(throws: LikelihoodError.self) { try HesseFit.checkSize(specs) }
    try HesseFit.checkSize(Array(specs.prefix(2000)))
  }
}
