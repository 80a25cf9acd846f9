//===--- GoodnessOfFitCommand.swift ---------------------------------------===//
// `recombine gof`: Combine's -M GoodnessOfFit (saturated, KS, AD), on the data and on toys.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Plots
import Support

struct GoodnessOfFitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gof",
    abstract: "Goodness of fit (Combine's -M GoodnessOfFit): the saturated-model, Kolmogorov–Smirnov or Anderson–Darling statistic, with toys and the p-value.",
    discussion: """
      saturated: 2(NLL − NLL_saturated), constraint terms kept in both (one free normalisation per bin \
      in the saturated model). KS, AD: per channel on the cumulative distributions of the post-fit \
      prediction and the data, summed over channels. -t N toys are generated as Combine generates them \
      (nuisances drawn from their constraints; --toysFrequentist: from the post-fit model, global \
      observables drawn); the p-value is the fraction of toys with a statistic at least the observed.
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("algo"), help: "saturated, KS or AD.")
  var algo: String = "saturated"

  @Option(name: .customLong("fixedSignalStrength"), parsing: .unconditional, help: "Hold the first POI at this value in every fit.")
  var fixedSignalStrength: Double?

  @Option(name: .customLong("split-toys"), help: "Split -t N toys into jobs of this many (with --job-mode; merge with merge-scans --dir).")
  var splitToys: Int?

  @OptionGroup(title: "Job splitting (toys)") var jobs: JobOptions

  @Option(name: .customLong("firstToy"), help: "Index of the first toy (job splitting).")
  var firstToy: Int = 0

  @Option(name: .customLong("threads"), help: "Worker threads for the toys (default: all cores).")
  var threads: Int?

  @Option(name: .customLong("csv"), help: "Write the limit-tree rows: the data's statistic, or with -t N one row per toy (iToy 1…N), as Combine.")
  var csv: String?

  @Option(name: .customLong("root"), help: "Write Combine's output file (limit tree) here.")
  var root: String?

  @Option(name: .customLong("json"), help: "Write the statistic, per-channel values, toys and p-value here.")
  var json: String?

  @Option(name: .customLong("plot"), help: "Draw the toys' distribution with the observed value (.png, .pdf, .svg).")
  var plot: String?

  @OptionGroup var labels: FigureLabelOptions

  func run() throws {
    try runReportingErrors {
      if let k = splitToys {
        guard let n = model.toys, n > 0 else { throw UsageError("--split-toys needs -t N (N > 0)") }
        return try runSplitToys(command: "gof", jobs: jobs, firstToy: firstToy, csv: csv, toys: n, perJob: k,
                                arguments: commandLineArguments(after: "gof"))
      }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-toys") }
      guard let algorithm = GoodnessOfFitAlgorithm(rawValue: algo) else {
        throw UsageError("--algo must be saturated, KS or AD")
      }
      if model.toys == -1 { throw UsageError("gof: -t -1 is not supported (the Asimov dataset fits perfectly); use -t N for toys") }
      if plot != nil && (model.toys ?? 0) <= 0 { throw UsageError("--plot draws the toys: give -t N") }
      let problem = try model.boundedProblem(allowToys: true)
      let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
      let r = try GoodnessOfFit.run(problem, algorithm: algorithm, fixedSignalStrength: fixedSignalStrength, toys: problem.toys ?? 0,
                                    seed: model.seed, first: firstToy, nuisances: nuisances,
                                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
      print("\n --- GoodnessOfFit --- ")
      let name = algorithm == .saturated ? "Best fit test statistic" : algorithm == .KS ? "Kolmogorov-Smirnov test statistic" : "Anderson-Darling test statistic"
      print("\(name): \(String(format: "%.6g", r.observed))")
      for (ch, v) in r.perChannel { print("   \(ch): \(String(format: "%.6g", v))") }
      if let p = r.pValue {
        print("toys: \(r.toys.count) (\(r.failedToys) failed fits left out), p-value = \(String(format: "%.4f", p))")
      }
      // As Combine: a toy run's rows are the toys only (the data's statistic is another run, printed here).
      try writeLimitTree(GoodnessOfFit.limitTree(r, mass: model.mass, dataRow: r.toys.isEmpty && r.failedToys == 0),
                         csv: csv, root: root, model: model)
      if let json {
        var doc: [String: Any] = ["algorithm": algorithm.rawValue, "observed": r.observed, "toys": r.toys, "failedToys": r.failedToys]
        doc["perChannel"] = Dictionary(uniqueKeysWithValues: r.perChannel.map { ($0.channel, $0.value) })
        if let p = r.pValue { doc["pValue"] = p }
        try writeJSON(doc, to: json)
      }
      if let plot {
        var o = ToyDistributionOptions()
        o.style = labels.style()
        o.xTitle = algorithm == .saturated ? "q_{saturated}" : algorithm == .KS ? "q_{KS}" : "q_{AD}"
        try plotToyDistribution(r.toys, observed: r.observed, options: o, to: plot)
        print("wrote \(plot)")
      }
    }
  }
}
