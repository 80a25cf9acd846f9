import Foundation
import Testing
import TestSupport

@testable import Datacard
@testable import Inference
@testable import Likelihood

/// GoodnessOfFit against closed forms: the saturated statistic of a one-bin card is the Poisson
/// deviance, KS and AD on hand-computed cumulative distributions, the toys' saturated statistic at
/// large counts follows χ²₁, and toys are reproducible by seed and by split.
@Suite struct GoodnessOfFitTests {
  static func problem(_ text: String, toys: Int? = nil) throws -> FitProblem {
    var o = FitOptions()
    o.toys = toys
    return try FitProblem.bounded(card: try Datacard.parse(text: text), physics: DefaultPhysicsModel(), options: o, allowToys: true)
  }

  static func card(obs: Int, s: Double, b: Double, systematics: String = "") -> String {
    """
    imax 1 jmax 1 kmax *
    bin b1
    observation \(obs)
    bin b1 b1
    process sig bkg
    process 0 1
    rate \(s) \(b)
    \(systematics)
    """
  }

  @Test func saturatedIsThePoissonDeviance() throws {
    // r held at 0: ν = b = 10, n = 15: q = 2(ν − n + n ln(n/ν)).
    let p = try Self.problem(Self.card(obs: 15, s: 5, b: 10))
    let r = try GoodnessOfFit.run(p, algorithm: .saturated, fixedSignalStrength: 0)
    #expect(abs(r.observed - 2 * (10 - 15 + 15 * log(15.0 / 10))) < 1e-6)
    // r free: the fit reaches ν = n, q = 0.
    #expect(abs(try GoodnessOfFit.run(p, algorithm: .saturated).observed) < 1e-6)
    // A gmN constraint: its saturated term N − N ln N is subtracted; with the fit at ν = n and
    // θ = N the statistic is 0 again.
    let g = try Self.problem(Self.card(obs: 15, s: 5, b: 10, systematics: "stat gmN 20 - 0.5"))
    #expect(abs(try GoodnessOfFit.run(g, algorithm: .saturated).observed) < 1e-5)
  }

  @Test func kolmogorovAndAndersonDarlingByHand() {
    // ν = (1, 2, 1), n = (2, 1, 1): F = (¼, ¾, 1), E = (½, ¾, 1).
    #expect(abs(GoodnessOfFit.distance(expected: [1, 2, 1], observed: [2, 1, 1], kolmogorov: true) - 0.25) < 1e-15)
    // AD: 4·(¼)²/(¼·¾)·¼ = ⅓, then 0, then F = 1 contributes nothing.
    #expect(abs(GoodnessOfFit.distance(expected: [1, 2, 1], observed: [2, 1, 1], kolmogorov: false) - 1.0 / 3) < 1e-15)
    #expect(GoodnessOfFit.distance(expected: [1, 2], observed: [0, 0], kolmogorov: true) == -1)
  }

  @Test func toysFollowChiSquareAtLargeCounts() throws {
    let p = try Self.problem(Self.card(obs: 1000, s: 1, b: 1000), toys: 400)
    let r = try GoodnessOfFit.run(p, algorithm: .saturated, fixedSignalStrength: 0, toys: 400, seed: 11, threads: 2)
    #expect(r.toys.count == 400)
    let mean = r.toys.reduce(0, +) / Double(r.toys.count)
    // χ²₁: mean 1, standard error of the mean √(2/400) ≈ 0.07.
    #expect(abs(mean - 1) < 0.25, "mean \(mean)")
    let p68 = Double(r.toys.filter { $0 < 1 }.count) / Double(r.toys.count)
    #expect(abs(p68 - 0.6827) < 0.08, "\(p68)")
  }

  @Test func toysAreReproducibleBySeedAndSplit() throws {
    let p = try Self.problem(Self.card(obs: 30, s: 5, b: 25, systematics: "bkgUnc lnN - 1.1"), toys: 12)
    let all = try GoodnessOfFit.run(p, algorithm: .saturated, toys: 12, seed: 5, threads: 2)
    let a = try GoodnessOfFit.run(p, algorithm: .saturated, toys: 5, seed: 5, first: 0, threads: 1)
    let b = try GoodnessOfFit.run(p, algorithm: .saturated, toys: 7, seed: 5, first: 5, threads: 2)
    #expect(all.toys == a.toys + b.toys)
    #expect(all.toyIndices == Array(0..<12))
    let other = try GoodnessOfFit.run(p, algorithm: .saturated, toys: 12, seed: 6, threads: 2)
    #expect(other.toys != all.toys)
  }
}
