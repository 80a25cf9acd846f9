import Datacard
import EFT
import Fit
import Foundation
import Inference
import Likelihood
import Testing

/// The generated EFT benchmark (4 channels × 50 bins, one signal with 26 Wilson coefficients per
/// bin, 2 backgrounds, 10 lnN, autoMCStats): it is deterministic, validates, compiles, and a
/// profiled scan of one coefficient with the other 25 floating finishes with its minimum at the SM.
@Suite struct BenchmarkCardTests {
  @Test func generatesCompilesAndScans() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-eftbench-\(getpid())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let files = try EFTBenchmarkCard.write(to: dir.path)
    let again = try EFTBenchmarkCard.write(to: dir.appendingPathComponent("again").path)
    for (a, b) in [(files.card, again.card), (files.shapes, again.shapes), (files.eft, again.eft)] {
      #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
    }
    let card = try Datacard.parse(contentsOf: files.card)
    #expect(Validator.validate(card).errors.isEmpty)
    let eft = try EFTParametrisation.read(path: files.eft).compile()
    let model = try CompiledModel.compile(card, physics: EFTPhysicsModel(model: eft))
    #expect(model.binCount == 200 && model.pois.count == 26)
    #expect(model.parameters.filter { $0.kind == "lnN" }.count == 10)
    var setup = FitSetup(model: model)
    let data = setup.makeAsimov(model: model, expectSignal: 1)
    let nll = try NLL(model: model, data: data)
    let specs = setup.parameterSpecs(model: model)
    let best = Minimizer().minimize(nll, parameters: specs)
    #expect(best.status.isConverged)
    for k in model.pois { #expect(abs(best.x[k]) < 1e-3) }
    var o = GridScanOptions()
    o.points = 5
    o.neighbourStarts = false
    var narrow = specs
    narrow[model.pois[0]].lower = -0.2
    narrow[model.pois[0]].upper = 0.2
    let scan = try GridScan.run(model: model, data: data, specs: narrow, best: best, axes: [model.pois[0]], options: o)
    #expect(scan.count == 5)
    #expect(scan.min { $0.deltaNLL < $1.deltaNLL }!.values[0] == 0)
  }
}
