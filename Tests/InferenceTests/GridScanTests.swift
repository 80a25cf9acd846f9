import Datacard
import EFT
import Fit
import Foundation
import Inference
import Likelihood
import Testing
import TestSupport

@Suite struct GridScanTests {
  static let card = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt")

  /// The long-exercise model with r ∈ [−1, 2] (Combine's --rMin −1 --rMax 2), fitted.
  static func setUp() throws -> (CompiledModel, NLL, [ParameterSpec], MinimizationResult) {
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: card.path), mass: 200)
    var setup = FitSetup(model: model)
    try setup.setFirstPOIRange(min: -1, max: 2)
    let nll = try NLL(model: model)
    let specs = setup.parameterSpecs(model: model)
    return (model, nll, specs, Minimizer().minimize(nll, parameters: specs))
  }

  /// Combine's grid geometry: bin centres, --alignEdges, one point at the minimum.
  @Test func geometry() {
    #expect(GridScan.axisValues(lower: -1, upper: 2, count: 30, alignEdges: false).first! == -0.95)
    let c = GridScan.axisValues(lower: -1, upper: 2, count: 30, alignEdges: false)
    #expect(abs(c[29] - 1.95) < 1e-12)
    #expect(GridScan.axisValues(lower: 0, upper: 1, count: 5, alignEdges: true) == [0, 0.25, 0.5, 0.75, 1])
    #expect(GridScan.axisValues(lower: 3, upper: 7, count: 1, alignEdges: false) == [3])
    #expect(GridScan.pointsPerAxis(400, dimensions: 2) == 20)
    #expect(GridScan.pointsPerAxis(401, dimensions: 2) == 21)
    let p = GridScan.gridPoints(axes: [[1, 2], [10, 20, 30]])
    #expect(p[1] == [1, 20] && p[3] == [2, 10])  // index = i·n_y + j
  }

  /// The 30-point scan of Combine's tutorial (scan_grid30.csv), on 2 threads and on 1: the same
  /// numbers, within 2e-4 of Combine's deltaNLL.
  @Test(.needsReference) func parallelScanMatchesCombine() throws {
    let (model, nll, specs, best) = try Self.setUp()
    let r = model.index(of: "r")!
    var o = GridScanOptions()
    o.points = 30
    o.threads = 2
    let two = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    o.threads = 1
    let one = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    #expect(two.count == 30)
    for (a, b) in zip(one, two) { #expect(abs(a.deltaNLL - b.deltaNLL) < 1e-6) }
    let text = try String(contentsOf: Self.card.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("expected/scan_grid30.csv"), encoding: .utf8)
    let ref = text.split(whereSeparator: { $0.isNewline }).dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
    for (p, row) in zip(two, ref) {
      #expect(abs(p.values[0] - row[0]) < 1e-9)
      #expect(abs(p.deltaNLL - row[1]) < 2e-4)
    }
  }

  /// Points where no fit converges (here r < −2: the expected count s·r + b is negative) are left
  /// out of the table with a warning that says how many and where, never silently.
  @Test func unfittablePointsAreReported() throws {
    var o = FitOptions()
    o.rMin = -5
    o.rMax = 2
    let problem = try FitProblem(card: try Datacard.parse(text: TestCards.countingOneBin), physics: DefaultPhysicsModel(), options: o)
    var g = GridScanOptions()
    g.points = 14
    g.threads = 1
    let result = try GridScan.run(problem, options: g, saveNuisances: false, mass: 120)
    let missing = 14 - result.points.count
    #expect(missing > 0 && missing < 14)
    // For r > −2 the expected count 5r + 10 is positive at the best fit's nuisances: every such
    // point (centres −1.75 … 1.75) is fitted; the missing ones all lie below.
    let fitted = Set(result.points.map { $0.values[0] })
    for k in 0..<14 {
      let r = -5 + 0.5 * (Double(k) + 0.5)
      if r > -2 { #expect(fitted.contains(r), "r = \(r) missing") }
    }
    #expect(result.points.allSatisfy { $0.values[0] > -5 })
    let w = try #require(result.warnings.first { $0.contains("no converged fit") })
    #expect(w.contains("\(missing) of 14 scan points") && w.contains("r = (-4.75)"), "\(w)")
    #expect(result.table.rows.count == 1 + result.points.count)
  }

  /// The numbers of a scan do not depend on the thread count, nor on where an interrupted scan was
  /// resumed: the same points, bit for bit (H→4ℓ, 25 parameters, two blocks of neighbour starts).
  @Test func resumedScanEqualsUninterrupted() throws {
    var o = FitOptions()
    o.setParameterRanges = "r=0,3"
    let card = TestPaths.packageRoot.appendingPathComponent("Datacards/hzz4l/hzz4l.txt").path
    let problem = try FitProblem.load(card: card, physics: PhysicsModelChoice(), options: o)
    let best = try problem.bestFit()
    let r = problem.targets[0]
    func scan(threads: Int, last: Int? = nil, checkpoint: String? = nil) throws -> [ScanPoint] {
      var g = GridScanOptions()
      g.points = 40
      g.threads = threads
      g.lastPoint = last
      g.checkpoint = checkpoint
      return try GridScan.run(model: problem.model, data: problem.nll.data, specs: problem.specs, best: best, axes: [r], options: g)
    }
    let one = try scan(threads: 1), two = try scan(threads: 2)
    #expect(one.count == 40 && one == two)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-resume-\(getpid()).partial").path
    defer { for p in [path, path + ".lock"] { try? FileManager.default.removeItem(atPath: p) } }
    _ = try scan(threads: 2, last: 20, checkpoint: path)  // "killed" after 21 points, inside the first block
    let resumed = try scan(threads: 2, checkpoint: path)
    #expect(resumed == one)
  }

  /// A checkpoint line is trusted only if complete and consistent: a last line without its newline
  /// (a torn write whose fields still parse) and a line whose POI values are not its index's grid
  /// point are recomputed; a second scan on the same checkpoint is refused while the first runs.
  @Test func checkpointIsValidated() throws {
    let model = try CompiledModel.compile(try Datacard.parse(text: TestCards.countingOneBin))
    var setup = FitSetup(model: model)
    try setup.setFirstPOIRange(min: 0, max: 4)
    let nll = try NLL(model: model)
    let specs = setup.parameterSpecs(model: model)
    let best = Minimizer().minimize(nll, parameters: specs)
    let r = model.pois[0]
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-ckpt-\(getpid()).partial").path
    defer { for p in [path, path + ".lock"] { try? FileManager.default.removeItem(atPath: p) } }
    var o = GridScanOptions()
    o.points = 12
    o.threads = 1
    o.checkpoint = path
    let full = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    #expect(!FileManager.default.fileExists(atPath: path + ".lock"))  // removed after a scan that finished
    var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines.count == 13)
    // A point whose values are another grid point's, with a marked deltaNLL.
    var f = lines[3].split(separator: ",").map(String.init)
    let moved = Int(f[0])!
    f[2] = String(full.first { $0.index != moved }!.values[0])
    f[1] = "999"
    lines[3] = f.joined(separator: ",")
    // The last line torn inside its last field: same field count, no newline.
    var g = lines[12].split(separator: ",").map(String.init)
    let torn = Int(g[0])!
    g[1] = "777"
    g[g.count - 1] = String(g[g.count - 1].prefix(2))
    lines[12] = g.joined(separator: ",")
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let resumed = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    for k in [moved, torn] {
      let a = full.first { $0.index == k }!, b = resumed.first { $0.index == k }!
      #expect(b.values == a.values && abs(b.deltaNLL - a.deltaNLL) < 1e-9, "point \(k): \(b.deltaNLL) vs \(a.deltaNLL)")
    }
    // A running scan holds the lock: a second one on the same checkpoint is refused.
    let fd = open(path + ".lock", O_CREAT | O_RDWR, 0o644)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    #expect(throws: LikelihoodError.self) { try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o) }
  }

  /// A scan stopped part-way resumes from its checkpoint: finished points are taken from the file
  /// (a marked value survives), a line cut short by the kill is recomputed.
  @Test(.needsReference) func killedScanResumes() throws {
    let (model, nll, specs, best) = try Self.setUp()
    let r = model.index(of: "r")!
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-scan-\(getpid()).partial").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var o = GridScanOptions()
    o.points = 12
    o.checkpoint = path
    o.lastPoint = 5  // the "killed" run got this far
    let firstRun = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    #expect(firstRun.count == 6)
    // Mark the first point written (threads finish in any order), and cut the last line in half
    // as a kill during a write would.
    var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines.count == 7)
    var f = lines[1].split(separator: ",").map(String.init)
    let marked = Int(f[0])!
    f[1] = "123.5"
    lines[1] = f.joined(separator: ",")
    let cut = lines.last!.prefix(lines.last!.count / 2)
    let cutIndex = Int(cut.split(separator: ",")[0])!
    lines[lines.count - 1] = String(cut)
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    o.lastPoint = nil
    let resumed = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o)
    #expect(resumed.count == 12)
    #expect(resumed.first { $0.index == marked }!.deltaNLL == 123.5)
    let fresh = firstRun.first { $0.index == cutIndex }!
    #expect(abs(resumed.first { $0.index == cutIndex }!.deltaNLL - fresh.deltaNLL) < 1e-6)
    // The same checkpoint is not resumed by a scan of other data (here the Asimov dataset): the
    // marked value is recomputed, and an empty point range is an error.
    var setup = FitSetup(model: model)
    let asimov = setup.makeAsimov(model: model, expectSignal: 1)
    let other = try GridScan.run(model: model, data: asimov, specs: specs, best: best, axes: [r], options: o)
    #expect(other.first { $0.index == marked }!.deltaNLL != 123.5)
    o.firstPoint = 7
    o.lastPoint = 3
    #expect(throws: LikelihoodError.self) { try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [r], options: o) }
  }
}

/// Two-POI scans on toy-hgg-125 (multiSignalModel: r_ggH, r_qqH): the grid agrees with a direct
/// profile computation — an independent cold-start minimisation at every point.
@Suite struct TwoPOIScanTests {
  static func setUp() throws -> (CompiledModel, [Double], [ParameterSpec], MinimizationResult, NLL) {
    let url = TestPaths.reference.appendingPathComponent("corpus/data/tutorials/multiDim/toy-hgg-125.txt")
    let physics = try MultiSignalModel(options: ["map=.*/ggH:r_ggH[1,0,4]", "map=.*/qqH:r_qqH[1,0,10]"])
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: url.path), physics: physics)
    let setup = FitSetup(model: model)
    let nll = try NLL(model: model)
    let specs = setup.parameterSpecs(model: model)
    return (model, nll.data, specs, Minimizer().minimize(nll, parameters: specs), nll)
  }

  /// Cold start from the pre-fit values with the given parameters fixed.
  static func direct(_ nll: NLL, _ specs: [ParameterSpec], _ fixing: [Int: Double]) -> Double {
    var s = specs
    for (k, v) in fixing {
      s[k].value = v
      s[k].fixed = true
    }
    return Minimizer().minimize(nll, parameters: s).fval
  }

  @Test(.needsReference) func grid20x20() throws {
    let (model, data, specs, best, nll) = try Self.setUp()
    let g = model.index(of: "r_ggH")!, q = model.index(of: "r_qqH")!
    var o = GridScanOptions()
    o.points = 400
    let scan = try GridScan.run(model: model, data: data, specs: specs, best: best, axes: [g, q], options: o)
    #expect(scan.count == 400)
    #expect(GridScan.axisValues(lower: 0, upper: 4, count: 20, alignEdges: false)[0] == 0.1)
    var worst = 0.0
    for p in scan where p.index % 7 == 0 {
      let d = Self.direct(nll, specs, [g: p.values[0], q: p.values[1]]) - best.fval
      worst = max(worst, abs(d - p.deltaNLL))
    }
    #expect(worst < 1e-6, "max |Δ deltaNLL| = \(worst)")
  }

  @Test(.needsReference) func profiledOtherPOI() throws {
    let (model, data, specs, best, nll) = try Self.setUp()
    let g = model.index(of: "r_ggH")!
    var o = GridScanOptions()
    o.points = 25
    let scan = try GridScan.run(model: model, data: data, specs: specs, best: best, axes: [g], options: o)
    #expect(scan.count == 25)
    for p in scan {
      let d = Self.direct(nll, specs, [g: p.values[0]]) - best.fval
      #expect(abs(d - p.deltaNLL) < 1e-6, "r_ggH = \(p.values[0])")
    }
  }

  /// A grid of more than 10⁷ points (what --points N becomes over many POIs, ⌈N^(1/d)⌉ per axis) is
  /// refused with the advice to choose the POIs, instead of allocating it.
  @Test func hugeGridsAreRefused() throws {
    var o = FitOptions()
    o.rMin = 0
    o.rMax = 5
    let problem = try FitProblem(card: try Datacard.parse(text: TestCards.countingOneBin), physics: DefaultPhysicsModel(), options: o)
    var so = GridScanOptions()
    so.points = 20_000_000
    do {
      _ = try GridScan.run(problem, options: so, saveNuisances: false, mass: 120)
      Issue.record("no error")
    } catch let e as LikelihoodError {
      #expect(e.message.contains("would have 2e+07 points") && e.message.contains("-P"), "\(e.message)")
    }
  }
}
