//===--- ScanCommand.swift ------------------------------------------------===//
// `recombine scan`: MultiDimFit --algo grid.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Fit
import Foundation
import Inference
import Likelihood

struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Profile-likelihood grid scan of the POIs (Combine's MultiDimFit --algo grid).",
    discussion: """
      Points sit where Combine puts them: bin centres lo + (i+½)(hi−lo)/N, or the range ends \
      included with --alignEdges 1; n POIs get ⌈points^(1/n)⌉ points each. Every other parameter is \
      profiled, starting from the best fit with its conditional covariance and from the previous \
      point's solution (the lower minimum is kept; --pointsRandProf adds random starts of the \
      floating other POIs); points run in parallel.
      With --csv FILE, finished points are kept in FILE.partial until the scan completes, so a \
      killed scan started again with the same command resumes where it stopped.
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

  @Flag(name: .customLong("save-nuisances"), help: "Add every other parameter's profiled value as a column (Combine's --saveSpecifiedNuis all).")
  var saveNuisances = false

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows here (atomically).")
  var csv: String?

  @Option(name: .customLong("plot"), help: "Also draw the scan (1D: 2ΔNLL curve; 2D: 68%/95% contours) to this .png or .pdf.")
  var plot: String?

  @Option(name: .customLong("split-points"), help: "Split the scan into jobs of this many points each (inclusive [first, last] chunks of the global point index).")
  var splitPoints: Int?

  @OptionGroup(title: "Job splitting") var jobs: JobOptions

  func run() throws {
    try runReportingErrors {
      if splitPoints != nil { return try runSplitScan(self, arguments: commandLineArguments(after: "scan")) }
      guard jobs.isDefault else { throw LikelihoodError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-points") }
      guard algo == "grid" else { throw LikelihoodError("--algo \(algo) is not supported by 'scan' (grid)") }
      guard points >= 1 else { throw LikelihoodError("--points must be ≥ 1") }
      let prep = try PreparedFit(model)
      let m = prep.model
      let best = try prep.bestFit()
      let axes = prep.targets
      var options = GridScanOptions()
      options.points = points
      if pointsX != nil || pointsY != nil {
        guard axes.count == 2 else { throw LikelihoodError("--points-x/--points-y need exactly two POIs (-P a -P b)") }
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
      options.randomizedParameters = m.pois.filter { !axes.contains($0) && !prep.specs[$0].fixed }
      let scan = try GridScan.run(model: m, data: prep.nll.data, globalObservables: prep.nll.globalObservables,
                                  specs: prep.specs, best: best, axes: axes, options: options)
      if let sc = m.scalings {
        // Negative yield scalings (a truncated or expanded polynomial) are floored at 1e-9.
        var values = [Double](repeating: 0, count: sc.count)
        let bad = scan.filter { p in
          p.parameters.withUnsafeBufferPointer { x in values.withUnsafeMutableBufferPointer { sc.evaluate(x, into: $0) } }
          return values.contains { $0 <= 0 }
        }
        if !bad.isEmpty {
          printError("warning: at \(bad.count) of \(scan.count) scan points some EFT yield scaling is ≤ 0 (the bin yields are floored at 1e-9 there), e.g. at \(axes.map { m.parameters[$0].name }) = \(bad[0].values)")
        }
      }
      let others = saveNuisances ? m.parameters.indices.filter { !axes.contains($0) && !prep.specs[$0].fixed } : []
      let iToy = prep.asimov ? -1.0 : 0.0
      let dof = axes.count + prep.floatingOtherPOIs
      var rows: [[Double]] = [[model.mass, iToy, -1] + axes.map { best.x[$0] } + others.map { best.x[$0] } + [0]]
      for p in scan {
        let q = chiSquaredSurvival(2 * max(p.deltaNLL, 0), degreesOfFreedom: dof)
        rows.append([model.mass, iToy, q] + p.values + others.map { p.parameters[$0] } + [p.deltaNLL])
      }
      let header = ["mh", "iToy", "quantileExpected"] + axes.map { m.parameters[$0].name } + others.map { m.parameters[$0].name } + ["deltaNLL"]
      if let csv {
        try writeCSV(header, rows, to: csv)
        try? FileManager.default.removeItem(atPath: csv + ".partial")
        printError("scan: \(scan.count) points written to \(csv)")
      } else {
        print(header.joined(separator: ","))
        for r in rows { print(r.map { String(format: "%.9g", $0) }.joined(separator: ",")) }
      }
      if let plot {
        guard axes.count <= 2 else { throw LikelihoodError("--plot draws 1D and 2D scans only") }
        var path = csv
        if path == nil {
          path = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-scan-\(getpid()).csv").path
          try writeCSV(header, rows, to: path!)
        }
        defer { if csv == nil { try? FileManager.default.removeItem(atPath: path!) } }
        try plotScanFile(path!, pois: axes.map { m.parameters[$0].name }, to: plot)
      }
    }
  }
}

/// Draws a scan CSV of one POI (`plot scan`) or two (`plot contour`) to `path`.
func plotScanFile(_ csv: String, pois: [String], to path: String) throws {
  guard pois.count == 1 || pois.count == 2 else { throw LikelihoodError("--plot draws 1D and 2D scans only") }
  let args = [csv, "-o", path] + pois.flatMap { ["-P", $0] }
  if pois.count == 1 { try PlotScanCommand.parse(args).run() } else { try PlotContourCommand.parse(args).run() }
}
