//===--- SignificanceCommand.swift ----------------------------------------===//
// `recombine significance`: Combine's -M Significance.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Support

struct SignificanceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "significance",
    abstract: "Asymptotic significance Z = √q₀ of the signal (Combine's Significance).",
    discussion: """
      q₀ = 2(NLL(r=0, θ̂̂) − NLL(r̂, θ̂)) with r̂ ≥ 0 (Z = 0 for a deficit unless --uncapped, which \
      gives −√q₀). Nuisances stay at their declared ranges. Use -t -1 --expectSignal 1 for the \
      a-priori expected significance.
      """)

  @OptionGroup var model: ModelOptions

  @Flag(name: .customLong("uncapped"), help: "Negative significances for deficits (r̂ < 0; needs a POI range below 0, e.g. --rMin).")
  var uncapped = false

  @Flag(name: .customLong("pvalue"), help: "Report the p-value instead of the significance.")
  var pvalue = false

  @Option(name: .customLong("signalForSignificance"), parsing: .unconditional, help: "The null hypothesis value of the POI.")
  var signalForSignificance: Double = 0

  @Option(name: .customLong("split-toys"), help: "Split -t N toys into jobs of this many (with --job-mode; merge with merge-scans --dir).")
  var splitToys: Int?

  @OptionGroup(title: "Job splitting (toys)") var jobs: JobOptions

  @Option(name: .customLong("firstToy"), help: "Index of the first toy (-t N; job splitting).")
  var firstToy: Int = 0

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree row (limit, limitErr, mh, iToy, quantileExpected) here.")
  var csv: String?

  @Option(name: .customLong("json"), help: "Also write the limit-tree rows here as JSON (one object per row).")
  var json: String?

  @Option(name: .customLong("root"), help: "Also write Combine's output file (the limit tree, as higgsCombine*.root holds it) here.")
  var root: String?

  func run() throws {
    try runReportingErrors {
      if let k = splitToys {
        guard let n = model.toys, n > 0 else { throw UsageError("--split-toys needs -t N (N > 0)") }
        return try runSplitToys(command: "significance", jobs: jobs, firstToy: firstToy, csv: csv, toys: n, perJob: k,
                                arguments: commandLineArguments(after: "significance"))
      }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-toys") }
      if let n = model.toys, n > 0 { return try runToys(n) }
      let m = try model.boundedProblem()
      let poi = m.targets[0]
      let z = try Significance.compute(
        nll: m.nll, specs: m.specs, poi: poi, nullValue: signalForSignificance, uncapped: uncapped)
      if !uncapped && z.significance == 0 {
        printError("The minimum of the likelihood is for \(m.model.parameters[poi].name) <= \(String(format: "%g", signalForSignificance)), so the significance is zero")
      }
      let value = pvalue ? z.pValue : z.significance
      print("\n -- Significance -- ")
      print((pvalue ? "p-value of background: " : "Significance: ") + String(format: "%g", value))
      try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[value, 0, model.mass, m.iToy, -1]]),
                         csv: csv, root: root, json: json, model: model)
    }
  }

  /// -t N: the significance of each toy, one row per toy (iToy = index + 1), and the distribution.
  func runToys(_ n: Int) throws {
    let m = try model.boundedProblem(allowToys: true)
    let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
    let r = try ToyMethods.significance(m, nullValue: signalForSignificance, uncapped: uncapped, pValue: pvalue, nuisances: nuisances,
                                        seed: model.seed, first: firstToy, count: n)
    let ok = r.compactMap { t in t.value.map { (t.index, $0) } }
    let v = ok.map(\.1)
    print("\n -- Significance, \(n) toys (seed \(model.seed)) -- ")
    print("converged: \(ok.count) of \(n)")
    if !v.isEmpty {
      print(String(format: "median %@ %g, 68%% of toys in [%g, %g], 95%% in [%g, %g]", pvalue ? "p-value" : "significance",
                   toyQuantile(v, 0.5), toyQuantile(v, 0.16), toyQuantile(v, 0.84), toyQuantile(v, 0.025), toyQuantile(v, 0.975)))
    }
    let rows = ok.map { [$0.1, 0, model.mass, Double($0.0 + 1), -1] }
    try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows), csv: csv, root: root, json: json, model: model)
  }
}
