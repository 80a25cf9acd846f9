//===--- FitCommand.swift -------------------------------------------------===//
// `recombine fit`: MultiDimFit --algo none|singles.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Fit
import Foundation
import ROOTIO
import Inference
import Likelihood

struct FitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit",
    abstract: "Best fit and 68% profile-likelihood intervals of the POIs (Combine's MultiDimFit).")

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("algo"), help: "none or singles.")
  var algo: String = "none"

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows here.")
  var csv: String?

  @Option(name: .customLong("json"), help: "Write the fit result (all parameters, Hesse errors, correlations) here.")
  var json: String?

  @Option(name: .customLong("firstToy"), help: "With -t N: run toys firstToy … firstToy+N−1 (seeds seed+firstToy+i), as one job of a split study does.")
  var firstToy: Int = 0

  @Option(name: .customLong("split-toys"), help: "With -t N: split the toys into jobs of this many (see --job-mode); merge with merge-scans --dir.")
  var splitToys: Int?

  @OptionGroup(title: "Job splitting (toys)") var jobs: JobOptions

  @Option(name: .customLong("plot"), help: "Draw the profile likelihood of the first POI around the best fit (40 points over ±3σ) to this .png or .pdf.")
  var plot: String?

  func run() throws {
    try runReportingErrors {
      guard algo == "none" || algo == "singles" else {
        throw LikelihoodError("--algo \(algo) is not supported by 'fit' (none, singles; use 'scan' for grid)")
      }
      let prep = try PreparedFit(model, allowToys: true)
      if let k = splitToys {
        guard let n = prep.toys else { throw LikelihoodError("--split-toys needs -t N (N > 0)") }
        // Checked before anything is planned: every job would fail on these.
        if json != nil || plot != nil { throw LikelihoodError("--json and --plot describe one fit; with -t N use --csv") }
        if jobs.mergeJob && csv == nil { throw LikelihoodError("--merge-job needs --csv (the merged output)") }
        return try runSplitToys(self, toys: n, perJob: k, arguments: commandLineArguments(after: "fit"))
      }
      guard firstToy == 0 || prep.toys != nil else { throw LikelihoodError("--firstToy needs -t N (N > 0)") }
      guard jobs.isDefault else { throw LikelihoodError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-toys") }
      if let n = prep.toys {
        try runToys(prep, count: n)
        return
      }
      let best = try prep.bestFit()
      let m = prep.model
      let delta = m.singlesDelta
      var intervals: [Int: ProfileInterval] = [:]
      if algo == "singles" {
        for k in prep.targets {
          intervals[k] = profileInterval(
            prep.nll, parameters: prep.specs, best: best, index: k, delta: delta, minimizer: Minimizer())
        }
      }
      print("\n --- MultiDimFit ---")
      if algo == "singles" {
        print("best fit parameter values and profile-likelihood uncertainties: ")
      } else {
        print("best fit parameter values: ")
      }
      let width = prep.targets.map { m.parameters[$0].name.count }.max() ?? 1
      for k in prep.targets {
        let name = String(repeating: " ", count: width - m.parameters[k].name.count) + m.parameters[k].name
        if let iv = intervals[k] {
          print("   \(name) :  \(signed(best.x[k], 8))   \(signed(iv.lower - best.x[k], 6))/\(signed(iv.upper - best.x[k], 6)) (68%)")
        } else {
          print("   \(name) :  \(signed(best.x[k], 8))")
        }
      }

      let iToy = prep.asimov ? -1.0 : 0.0
      if let csv {
        let header = ["mh", "iToy", "quantileExpected"] + prep.targets.map { m.parameters[$0].name } + ["deltaNLL"]
        let rows = limitTreeRows(mass: model.mass, iToy: iToy, targets: prep.targets, best: best.x, intervals: intervals)
        try writeCSV(header, rows, to: csv)
      }
      if let json {
        // HESSE only when asked for: errors and correlations of the floating parameters.
        let fit = FitOutcome(prep: prep, specs: prep.specs, best: best)
        let free = (0..<best.x.count).filter { !prep.specs[$0].fixed }
        var doc = fit.json(m, intervals: intervals)
        doc["singlesDelta"] = delta
        let matrix: [[Double]] = free.map { i in free.map { fit.correlation(i, $0) } }
        let correlation: [String: Any] = ["names": free.map { m.parameters[$0].name }, "matrix": matrix]
        doc["correlation"] = correlation
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically(String(decoding: data, as: UTF8.self) + "\n", to: json)
      }
      if let plot, let k = prep.targets.first {
        try plotProfile(prep, best: best, poi: k, interval: intervals[k], to: plot)
      }
    }
  }
}

/// Combine's limit-tree rows of one fit: the best fit (quantileExpected −1), then per target with
/// an interval its lower (−0.32) and upper (+0.32) end, the other targets at their best fit.
func limitTreeRows(mass: Double, iToy: Double, targets: [Int], best x: [Double], intervals: [Int: ProfileInterval]) -> [[Double]] {
  let best = targets.map { x[$0] }
  var rows: [[Double]] = [[mass, iToy, -1] + best + [0]]
  for (j, k) in targets.enumerated() {
    guard let iv = intervals[k] else { continue }
    var lo = best, hi = best
    lo[j] = iv.lower
    hi[j] = iv.upper
    rows.append([mass, iToy, -0.32] + lo + [0])
    rows.append([mass, iToy, 0.32] + hi + [0])
  }
  return rows
}

extension FitCommand {
  /// Scans the POI over best ± 3σ (σ from the interval or HESSE; clipped to its range) and draws it.
  func plotProfile(_ prep: PreparedFit, best: MinimizationResult, poi k: Int, interval: ProfileInterval?, to path: String) throws {
    let x = best.x[k]
    var sigma = interval.map { max($0.upper - x, x - $0.lower) } ?? (best.error(k) ?? 1)
    // On a bound (or without an error) σ can vanish: then a tenth of the range, or 1.
    if !(sigma > 0) || !sigma.isFinite {
      let span = prep.specs[k].upper - prep.specs[k].lower
      sigma = span.isFinite && span > 0 ? span / 10 : 1
    }
    var specs = prep.specs
    specs[k].lower = max(prep.specs[k].lower, x - 3 * sigma)
    specs[k].upper = min(prep.specs[k].upper, x + 3 * sigma)
    var o = GridScanOptions()
    o.points = 40
    let scan = try GridScan.run(model: prep.model, data: prep.nll.data, globalObservables: prep.nll.globalObservables,
                                specs: specs, best: best, axes: [k], options: o)
    let name = prep.model.parameters[k].name
    var rows: [[Double]] = [[model.mass, 0, -1, x, 0]]
    for p in scan { rows.append([model.mass, 0, 0, p.values[0], p.deltaNLL]) }
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-fit-\(getpid()).csv").path
    try writeCSV(["mh", "iToy", "quantileExpected", name, "deltaNLL"], rows, to: tmp)
    defer { try? FileManager.default.removeItem(atPath: tmp) }
    let cmd = try PlotScanCommand.parse([tmp, "-o", path, "-P", name])
    try cmd.run()
  }
}
