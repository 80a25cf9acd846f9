import Datacard
import Fit
import Foundation
@testable import Inference
import Likelihood
import Testing
import TestSupport

/// The warm starts of a scan's neighbour chain, and its exactness where the profiled minimum sits
/// on a kink of the NLL.
@Suite struct ScanWarmStartTests {
  /// On a straight run of equally spaced points the start is the linear extrapolation of the last
  /// two solutions (clipped into the ranges); where the run turns (a new row of a 2D grid) it is
  /// the previous solution.
  @Test func predictedStartExtrapolatesStraightRuns() {
    let specs = [ParameterSpec(name: "r", value: 1, lower: 0, upper: 5),
                 ParameterSpec(name: "a", value: 0, lower: -4, upper: 4),
                 ParameterSpec(name: "b", value: 0, lower: 0, upper: 1)]
    let line: [[Double]] = [[0.5], [1.0], [1.5], [2.0]]
    let p = GridScan.predictedStart(previous: [1.5, 0.3, 0.05], beforePrevious: (1, [1.0, 0.1, 0.2]), at: 3,
                                    grid: line, specs: specs)
    #expect(abs(p[0] - 2.0) < 1e-15 && abs(p[1] - 0.5) < 1e-15)
    #expect(p[2] == 0)  // 0.05 − 0.15 clipped to the lower bound
    // Not the point before: no extrapolation.
    #expect(GridScan.predictedStart(previous: [1.5, 0.3, 0.05], beforePrevious: (0, [1.0, 0.1, 0.2]), at: 3,
                                    grid: line, specs: specs) == [1.5, 0.3, 0.05])
    // A 2D grid (last axis fastest): (0,1) → (1,0) is a turn.
    let plane: [[Double]] = [[0, 0], [0, 1], [1, 0]]
    #expect(GridScan.predictedStart(previous: [2, 0.3, 0.5], beforePrevious: (0, [1, 0.1, 0.2]), at: 2,
                                    grid: plane, specs: specs) == [2, 0.3, 0.5])
  }

  /// The CMS H→ττ CI card (`htt_multiple_regions`, -m 125): for r ≈ 1.6–2.4 the profiled minimum
  /// puts `CMS_htt_tt_tauTau_vbf_8TeV_ZTT_bin_9` on the kink where a ZTT template bin reaches its
  /// 1e-9 floor. Every scan point (best-fit start and the neighbour chain with its carried metric)
  /// must agree with an independent cold fit from the best fit at a 10⁴ times tighter tolerance.
  /// Before the kink handling, the first point of a block (best-fit start alone) stopped up to
  /// 5e-5 above the minimum.
  @Test(.needsReference) func kinkedScanPointsAreExact() throws {
    let url = TestPaths.reference.appendingPathComponent("corpus/data/ci/htt_multiple_regions.txt")
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: url.path), mass: 125)
    var setup = FitSetup(model: model)
    try setup.setRanges("r=1.6,2.4")
    let nll = try NLL(model: model)
    let specs = setup.parameterSpecs(model: model)
    let best = Minimizer().minimize(nll, parameters: specs)
    let r = model.index(of: "r")!
    var o = GridScanOptions()
    o.points = 16
    o.threads = 1
    let scan = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    #expect(scan.count == 16)
    var tight = MinimizerOptions()
    tight.tolerance = 1e-10
    var worst = 0.0
    for p in scan {
      let ref = Minimizer(options: tight).minimize(nll, parameters: specs, fixing: [r: p.values[0]], best: best)
      let d = p.deltaNLL - (ref.fval - best.fval)
      worst = max(worst, d)
      #expect(d > -1e-7 && d < 1e-6, "r = \(p.values[0]): scan \(p.deltaNLL), tight fit \(ref.fval - best.fval)")
    }
    print("htt kink region: worst scan point \(worst) above the tight fits")
  }
}
