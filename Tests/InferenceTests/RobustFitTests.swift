import Datacard
import Fit
import Foundation
import Inference
import Likelihood
import Testing
import TestSupport

/// `--robustFit 1` (Combine's FitterAlgoBase::findCrossing at nll0 + ½χ²₁⁻¹(0.68)).
@Suite struct RobustFitTests {
  /// On a shape card the robust ends are where the profile rises by ½χ²₁⁻¹(0.68) = 0.4945, checked
  /// by a fit with r fixed at each end (a second evaluation), and they lie inside Minos's ΔNLL = ½
  /// ends; on a pure counting card both use 0.4945 (Combine's Minos there too), so they agree.
  @Test func crossingThreshold() throws {
    let (dir, path) = try ImpactsTests.writeBarlowBeestonCard(
      bins: [(s: 20, v: 100, e: 15, n: 130), (s: 5, v: 40, e: 8, n: 38)], lnN: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var o = FitOptions()
    o.rMin = -5
    o.rMax = 5
    let shape = try FitProblem(card: try Datacard.parse(contentsOf: path), physics: DefaultPhysicsModel(), options: o)
    let k = shape.targets[0]
    let minos = try MultiDimFit.run(shape, algorithm: .singles, hesse: false)
    let robust = try MultiDimFit.run(shape, algorithm: .singles, hesse: false, robust: true)
    #expect(abs(MultiDimFit.robustDelta68 - 0.49447) < 1e-5)
    #expect(minos.singlesDelta == 0.5 && robust.singlesDelta == MultiDimFit.robustDelta68)
    for end in [robust.intervals[k]!.lower, robust.intervals[k]!.upper] {
      var s = shape.specs
      s[k].value = end
      s[k].fixed = true
      let f = Minimizer().minimize(shape.nll, parameters: s)
      #expect(abs(f.fval - robust.best.fval - MultiDimFit.robustDelta68) < 2e-4, "\(end)")
    }
    #expect(robust.intervals[k]!.lower > minos.intervals[k]!.lower && robust.intervals[k]!.upper < minos.intervals[k]!.upper)

    let counting = try FitProblem(card: try Datacard.parse(text: TestCards.countingOneBin), physics: DefaultPhysicsModel(), options: o)
    let c = counting.targets[0]
    let a = try MultiDimFit.run(counting, algorithm: .singles, hesse: false)
    let b = try MultiDimFit.run(counting, algorithm: .singles, hesse: false, robust: true)
    #expect(abs(a.intervals[c]!.lower - b.intervals[c]!.lower) < 1e-6 && abs(a.intervals[c]!.upper - b.intervals[c]!.upper) < 1e-6)
  }
}
