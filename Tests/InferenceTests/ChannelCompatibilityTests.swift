import Foundation
import Testing
import TestSupport

@testable import Datacard
@testable import EFT
@testable import Inference
@testable import Likelihood

/// ChannelCompatibilityCheck against separate fits: two channels sharing no nuisance, so the
/// alternate fit is the two channels fitted on their own; 2ΔNLL = 2(NLL_nominal − NLL_a − NLL_b).
@Suite struct ChannelCompatibilityTests {
  static func channel(_ name: String, obs: Int, s: Double, b: Double, unc: Double) -> String {
    """
    imax 1 jmax 1 kmax *
    bin \(name)
    observation \(obs)
    bin \(name) \(name)
    process sig bkg
    process 0 1
    rate \(s) \(b)
    bkg_\(name) lnN - \(unc)
    """
  }

  @Test func alternateFitIsTheSeparateFits() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-ccc-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = Self.channel("a", obs: 40, s: 10, b: 25, unc: 1.1), b = Self.channel("b", obs: 18, s: 8, b: 12, unc: 1.2)
    let both = """
      imax 2 jmax 1 kmax *
      bin a b
      observation 40 18
      bin a a b b
      process sig bkg sig bkg
      process 0 1 0 1
      rate 10 25 8 12
      bkg_a lnN - 1.1 - -
      bkg_b lnN - - - 1.2
      """
    try both.write(to: dir.appendingPathComponent("both.txt"), atomically: true, encoding: .utf8)
    var o = FitOptions()
    o.rMin = -5; o.rMax = 10
    let r = try ChannelCompatibility.run(card: dir.appendingPathComponent("both.txt").path, options: o, rRange: -5...10, minos: true)
    func separate(_ text: String) throws -> (best: Double, nll: Double, lo: Double, hi: Double) {
      let p = try FitProblem(card: try Datacard.parse(text: text), physics: DefaultPhysicsModel(), options: o)
      let f = try MultiDimFit.run(p, algorithm: .singles, hesse: false)
      let k = p.targets[0]
      return (f.best.x[k], f.best.fval, f.intervals[k]!.lower, f.intervals[k]!.upper)
    }
    let sa = try separate(a), sb = try separate(b)
    #expect(r.channels.map(\.name) == ["a", "b"])
    #expect(abs(r.channels[0].best - sa.best) < 2e-3 && abs(r.channels[1].best - sb.best) < 2e-3)
    #expect(abs(r.channels[0].lower - sa.lo) < 2e-3 && abs(r.channels[1].upper - sb.hi) < 2e-3)
    let nominal = try FitProblem(card: try Datacard.parse(text: both), physics: DefaultPhysicsModel(), options: o).bestFit()
    #expect(abs(r.twoDeltaNLL - 2 * (nominal.fval - sa.nll - sb.nll)) < 2e-4)
    #expect(r.twoDeltaNLL > 0 && r.pValue > 0 && r.pValue < 1)
  }
}
