//===--- FitCommand.swift -------------------------------------------------===//
// `recombine fit`: MultiDimFit --algo none|singles.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference

struct FitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit",
    abstract: "Best fit and 68% profile-likelihood intervals of the POIs (Combine's MultiDimFit).")

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("algo"), help: "none or singles.")
  var algo: String = "none"

  @Option(name: .customLong("do95"), help: "1: with --algo singles, also the 95% intervals (2ΔNLL = 3.84), as Combine's --do95 1.")
  var do95: Int = 0

  @Option(name: .customLong("robustFit"), help: "1: with --algo singles, Combine's robust fit: the crossings of ΔNLL = ½χ²₁⁻¹(0.68) = 0.4945 on every card (Minos on shape cards gives ½).")
  var robustFit: Int = 0

  @Option(name: .customLong("cl"), help: "With --algo singles: the intervals' confidence level (default 0.6827; Combine ignores --cl with singles, Recombine honours it).")
  var cl: Double?

  @Option(name: .customLong("fixedPointPOIs"), parsing: .unconditional, help: "With --algo fixed: the point a=1,b=2 where the profiled ΔNLL is computed (default: the --setParameters values).")
  var fixedPointPOIs: String?

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows here.")
  var csv: String?

  @Option(name: .customLong("root"), help: "Also write Combine's output file (the limit tree, as higgsCombine*.root holds it) here.")
  var root: String?

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
      if algo == "fixed" { return try runFixedPoint() }
      guard fixedPointPOIs == nil else { throw UsageError("--fixedPointPOIs needs --algo fixed") }
      guard let algorithm = MultiDimFit.Algorithm(rawValue: algo) else {
        throw UsageError("--algo \(algo) is not supported by 'fit' (none, singles, fixed; use 'scan' for grid)")
      }
      let problem = try model.problem(allowToys: true)
      if let k = splitToys {
        guard let n = problem.toys else { throw UsageError("--split-toys needs -t N (N > 0)") }
        // Checked before anything is planned: every job would fail on these.
        if json != nil || plot != nil { throw UsageError("--json and --plot describe one fit; with -t N use --csv") }
        if jobs.mergeJob && csv == nil { throw UsageError("--merge-job needs --csv (the merged output)") }
        return try runSplitToys(jobs: jobs, firstToy: firstToy, csv: csv, toys: n, perJob: k, arguments: commandLineArguments(after: "fit"))
      }
      guard firstToy == 0 || problem.toys != nil else { throw UsageError("--firstToy needs -t N (N > 0)") }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-toys") }
      if let n = problem.toys {
        return try runToys(problem, algorithm: algorithm, count: n)
      }
      // HESSE only when asked for (--json): errors and correlations of the floating parameters.
      if let cl { guard cl > 0 && cl < 1 else { throw UsageError("--cl must be in (0, 1)") } }
      guard robustFit == 0 || robustFit == 1 else { throw UsageError("--robustFit expects 0 or 1") }
      let result = try MultiDimFit.run(problem, algorithm: algorithm, hesse: json != nil, cl: cl, do95: do95 != 0, robust: robustFit == 1)
      let m = problem.model
      print("\n --- MultiDimFit ---")
      print(algorithm == .singles ? "best fit parameter values and profile-likelihood uncertainties: " : "best fit parameter values: ")
      let width = problem.targets.map { m.parameters[$0].name.count }.max() ?? 1
      for k in problem.targets {
        let name = String(repeating: " ", count: width - m.parameters[k].name.count) + m.parameters[k].name
        if let iv = result.intervals[k] {
          // An end that is the parameter's range limit is not a crossing: say so.
          let atRange = [iv.lowerAtBound ? "lower" : nil, iv.upperAtBound ? "upper" : nil].compactMap { $0 }
          let note = atRange.isEmpty ? "" : "   [\(atRange.joined(separator: " and ")) end at the range limit, not a 2ΔNLL crossing]"
          let level = cl.map { String(format: "%.0f", 100 * $0) } ?? "68"
          var line = "   \(name) :  \(signed(result.best.x[k], 8))   \(signed(iv.lower - result.best.x[k], 6))/\(signed(iv.upper - result.best.x[k], 6)) (\(level)%)"
          if let iv95 = result.intervals95[k] {
            line += "    \(signed(iv95.lower - result.best.x[k], 6))/\(signed(iv95.upper - result.best.x[k], 6)) (95%)"
            let at95 = [iv95.lowerAtBound ? "lower" : nil, iv95.upperAtBound ? "upper" : nil].compactMap { $0 }
            if !at95.isEmpty { line += "   [95% \(at95.joined(separator: " and ")) end at the range limit]" }
          }
          print(line + note)
        } else {
          print("   \(name) :  \(signed(result.best.x[k], 8))")
        }
      }
      try writeLimitTree(result.limitTree(problem, mass: model.mass), csv: csv, root: root, model: model)
      if let json { try writeJSON(result.json(problem), to: json) }
      if let plot, let k = problem.targets.first {
        let curve = try MultiDimFit.profileCurve(problem, result: result, poi: k, mass: model.mass)
        try drawScan(curve, pois: [m.parameters[k].name], to: plot)
      }
    }
  }

  /// `fit -t N`: fits toys firstToy … firstToy + N − 1, prints the distribution of the fitted POIs
  /// and, with --algo singles, the coverage of the 68% intervals; --csv writes the limit tree.
  func runToys(_ problem: FitProblem, algorithm: MultiDimFit.Algorithm, count: Int) throws {
    if json != nil || plot != nil { throw UsageError("--json and --plot describe one fit; with -t N use --csv") }
    let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
    let study = try MultiDimFit.runToys(problem, nuisances: nuisances, algorithm: algorithm, seed: model.seed, first: firstToy, count: count)
    let label: String
    switch nuisances {
    case .prior: label = "nuisances drawn from their constraints"
    case .none: label = "no systematics drawn"
    case .frequentist: label = "frequentist: post-fit nuisances, global observables drawn"
    }
    print("\n --- MultiDimFit, \(count) toys (seed \(model.seed), toys \(firstToy)…\(firstToy + count - 1), \(label)) ---")
    print("converged: \(study.converged) of \(count)")
    for s in study.summaries {
      var line = "   \(s.name): generated \(signed(s.generated)), fitted mean \(signed(s.mean)) ± \(String(format: "%.3f", s.meanError)), sd \(String(format: "%.3f", s.standardDeviation)), median \(signed(s.median))"
      if algorithm == .singles && s.withInterval > 0 {
        line += String(format: "; 68%% interval covers the generated value in %.1f%% of %d toys (exact coverage: 68.3%% ± %.1f%%)",
                       100 * s.coverage, s.withInterval, 100 * s.coverageSpread)
      }
      print(line)
    }
    try writeLimitTree(MultiDimFit.toyLimitTree(problem, study: study, mass: model.mass), csv: csv, root: root, model: model)
  }

  /// --algo fixed: the best fit and the profiled ΔNLL at one point of the POIs.
  func runFixedPoint() throws {
    let problem = try model.problem()
    guard let spec = fixedPointPOIs ?? model.setParameters else {
      throw UsageError("--algo fixed needs --fixedPointPOIs a=1,b=2 (or --setParameters)")
    }
    var values: [String: Double] = [:]
    for item in spec.split(separator: ",") {
      let kv = item.split(separator: "=", maxSplits: 1)
      guard kv.count == 2, let v = Double(kv[1]) else { throw UsageError("--fixedPointPOIs: expected name=value, found '\(item)'") }
      values[String(kv[0])] = v
    }
    let table = try MultiDimFit.fixedPoint(problem, values: values, mass: model.mass)
    let d = table.column("deltaNLL")![1], q = table.column("quantileExpected")![1]
    print("\n --- MultiDimFit (fixed point) ---")
    print("deltaNLL at \(spec) = \(String(format: "%.6f", d)) (2ΔNLL = \(String(format: "%.6f", 2 * d)), p = \(String(format: "%.4g", q)))")
    try writeLimitTree(table, csv: csv, root: root, model: model)
  }
}
