//===--- ScanCommand.swift ------------------------------------------------===//
// `recombine scan`: MultiDimFit --algo grid.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Batch
import Foundation
import Inference

struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Profile-likelihood grid scan of the POIs (Combine's MultiDimFit --algo grid).",
    discussion: """
      Points sit where Combine puts them: bin centres lo + (i+½)(hi−lo)/N, or the range ends \
      included with --alignEdges 1; n POIs get ⌈points^(1/n)⌉ points each. Every other parameter is \
      profiled, starting from the best fit with its conditional covariance and from the preceding \
      point's solution (extrapolated along the run, with that point's metric) within fixed blocks \
      of 32 points (the lower minimum is kept; --pointsRandProf \
      adds random starts of the floating other POIs, one random stream per point); blocks run in \
      parallel, and the numbers do not depend on the thread count.
      With --csv FILE, finished points are kept in FILE.partial (locked by FILE.partial.lock) until \
      the scan completes, so a killed scan started again with the same command resumes where it \
      stopped, with the same numbers as an uninterrupted scan. Points without a converged fit are \
      left out with a warning.
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("algo"), help: "grid.")
  var algo: String = "grid"

  @Option(name: .customLong("points"), help: "Total number of grid points (per axis: ⌈points^(1/n)⌉).")
  var points: Int = 50

  @Option(name: .customLong("points-x"), help: "Points on the first axis (2D scans).")
  var pointsX: Int?

  @Option(name: .customLong("points-y"), help: "Points on the second axis (2D scans).")
  var pointsY: Int?

  @Option(name: .customLong("alignEdges"), help: "1: include the range ends.")
  var alignEdges: Int = 0

  @Option(name: .customLong("firstPoint"), help: "First point index to run (job splitting).")
  var firstPoint: Int?

  @Option(name: .customLong("lastPoint"), help: "Last point index to run (job splitting).")
  var lastPoint: Int?

  @Option(name: .customLong("threads"), help: "Worker threads (default: all cores).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(name: .customLong("pointsRandProf"), help: "Extra random starts per point for the floating other POIs (with --floatOtherPOIs 1).")
  var pointsRandProf: Int = 0

  @Option(name: .customLong("randPointsSeed"), help: "Seed of the random starts.")
  var randPointsSeed: UInt64 = 123456

  @Flag(name: .customLong("saveNLL"), help: "Add the columns nll (the NLL at each point) and nll0 (at the best fit), as Combine's --saveNLL.")
  var saveNLL = false

  @Flag(name: .customLong("save-nuisances"), help: "Add every other parameter's profiled value as a column (Combine's --saveSpecifiedNuis all).")
  var saveNuisances = false

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows here (atomically).")
  var csv: String?

  @Option(name: .customLong("root"), help: "Also write Combine's output file (the limit tree, as higgsCombine*.root holds it) here.")
  var root: String?

  @Option(name: .customLong("plot"), help: "Also draw the scan (1D: 2ΔNLL curve; 2D: 68%/95% contours) to this .png or .pdf.")
  var plot: String?

  @Option(name: .customLong("split-points"), help: "Split the scan into jobs of this many points each (inclusive [first, last] chunks of the global point index).")
  var splitPoints: Int?

  @OptionGroup(title: "Job splitting") var jobs: JobOptions

  @Option(name: .customLong("firstToy"), help: "With -t N: index of the first toy (job splitting).")
  var firstToy: Int = 0

  @Option(name: .customLong("split-toys"), help: "With -t N: split the toys into jobs of this many (see --job-mode); merge with merge-scans --dir.")
  var splitToys: Int?

  func run() throws {
    try runReportingErrors {
      if splitPoints != nil {
        guard splitToys == nil else { throw UsageError("give --split-points or --split-toys, not both") }
        return try runSplitScan(self, arguments: commandLineArguments(after: "scan"))
      }
      if let k = splitToys {
        guard let n = model.toys, n > 0 else { throw UsageError("--split-toys needs -t N (N > 0)") }
        let arguments = JobSplitting.removingOptions(commandLineArguments(after: "scan"), withValue: ["--plot"])
        return try runSplitToys(command: "scan", jobs: jobs, firstToy: firstToy, csv: csv, toys: n, perJob: k, arguments: arguments)
      }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-points or --split-toys") }
      guard algo == "grid" else { throw UsageError("--algo \(algo) is not supported by 'scan' (grid)") }
      guard points >= 1 else { throw UsageError("--points must be ≥ 1") }
      if let csv { try checkOutputPath(csv, option: "--csv") }
      if let root { try checkOutputPath(root, option: "--root") }
      if let plot { try checkOutputPath(plot, option: "--plot") }
      let problem = try model.problem(allowToys: true)
      let m = problem.model
      let axes = problem.targets
      var options = GridScanOptions()
      options.points = points
      if pointsX != nil || pointsY != nil {
        guard axes.count == 2 else { throw UsageError("--points-x/--points-y need exactly two POIs (-P a -P b)") }
        let n = GridScan.pointsPerAxis(points, dimensions: 2)
        options.pointsPerAxis = [pointsX ?? n, pointsY ?? n]
      }
      options.alignEdges = alignEdges == 1
      options.threads = max(1, threads)
      options.firstPoint = firstPoint
      options.lastPoint = lastPoint
      if let csv {
        options.checkpoint = csv + ".partial"
        if FileManager.default.fileExists(atPath: csv + ".partial") {
          printError("scan: \(csv).partial exists: its points are reused if it comes from this same scan (same grid, data, settings and best fit), else it is started afresh")
        }
      }
      options.randomStarts = max(0, pointsRandProf)
      options.randomSeed = randPointsSeed
      options.randomizedParameters = m.pois.filter { !axes.contains($0) && !problem.specs[$0].fixed }
      if let n = problem.toys {
        // -t N: a scan of every toy, rows with iToy = toy index + 1.
        options.checkpoint = nil
        let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
        let table = try ToyMethods.scans(problem, options: options, nuisances: nuisances, seed: model.seed, first: firstToy, count: n,
                                         mass: model.mass, threads: max(1, threads))
        try writeLimitTree(table, csv: csv, root: root, model: model)
        if csv == nil { print(table.csv, terminator: "") }
        printError("scan: \(n) toys scanned, \(table.rows.count) rows")
        return
      }
      let result = try GridScan.run(problem, options: options, saveNuisances: saveNuisances, saveNLL: saveNLL, mass: model.mass)
      for w in result.warnings { printError(w) }
      try writeLimitTree(result.table, csv: nil, root: root, model: model)
      if let csv {
        try result.table.write(to: csv)
        try? FileManager.default.removeItem(atPath: csv + ".partial")
        printError("scan: \(result.points.count) points written to \(csv)" + (result.computedPoints > 0
          ? String(format: " (%d computed here, %.1f NLL+gradient calls per point, all starts)", result.computedPoints, result.meanCallsPerPoint) : ""))
      } else {
        print(result.table.csv, terminator: "")
      }
      if let plot {
        guard axes.count <= 2 else { throw UsageError("--plot draws 1D and 2D scans only") }
        try drawScan(result.table, pois: axes.map { m.parameters[$0].name }, to: plot)
      }
    }
  }
}
