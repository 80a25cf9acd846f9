//===--- LimitCommand.swift -----------------------------------------------===//
// `recombine limit`: Combine's -M AsymptoticLimits.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Maths
import Support

struct LimitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "limit",
    abstract: "Asymptotic CLs upper limits, observed and expected (Combine's AsymptoticLimits).",
    discussion: """
      The observed limit uses q̃_μ against the background-only Asimov dataset generated after a \
      background-only fit to the data (global observables moved to the fitted values); the expected \
      limits (2.5/16/50/84/97.5%) are crossing searches on that Asimov NLL (--newExpected 1, \
      Combine's default) or the closed form (--newExpected 0). Nuisances stay at their declared \
      ranges (lnN [-7,7], shape [-4,4]). Prints like Combine; --csv writes the limit-tree rows.
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("run"), help: "both (default), observed, expected (a-posteriori Asimov) or blind (a-priori Asimov, no fit to data).")
  var runMode: String = "both"

  @Option(name: [.customShort("C"), .customLong("cl")], help: "Confidence level.")
  var cl: Double = 0.95

  @Option(name: .customLong("rule"), help: "CLs or Pmu.")
  var rule: String = "CLs"

  @Option(name: .customLong("newExpected"), help: "1: expected quantiles by crossing searches (default); 0: closed form from the median.")
  var newExpected: Int = 1

  @Flag(name: .customLong("noFitAsimov"), help: "Use the a-priori (pre-fit) Asimov dataset for the expected limits.")
  var noFitAsimov = false

  @Option(name: .customLong("rAbsAcc"), help: "Absolute accuracy on r.")
  var rAbsAcc: Double = 0.0005

  @Option(name: .customLong("rRelAcc"), help: "Relative accuracy on r.")
  var rRelAcc: Double = 0.005

  @Option(name: .customLong("split-toys"), help: "Split -t N toys into jobs of this many (with --job-mode; merge with merge-scans --dir).")
  var splitToys: Int?

  @OptionGroup(title: "Job splitting (toys)") var jobs: JobOptions

  @Option(name: .customLong("firstToy"), help: "Index of the first toy (-t N; job splitting).")
  var firstToy: Int = 0

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows (limit, limitErr, mh, iToy, quantileExpected) here.")
  var csv: String?

  @Option(name: .customLong("json"), help: "Also write the limit-tree rows here as JSON (one object per row).")
  var json: String?

  @Flag(name: .customLong("pyhf-band"), help: "Expected limits at pyhf's band, the quantiles Φ(∓2), Φ(∓1), 0.5 (Combine's: 0.025, 0.16, 0.5, 0.84, 0.975); with --singlePoint, CLs at k = 2, 1, 0, −1, −2.")
  var pyhfBand = false

  @Option(name: .customLong("singlePoint"), parsing: .unconditional, help: "CLs (or Pmu) at this value of the POI instead of a limit: observed and expected (Combine's --singlePoint, pyhf's hypotest); rows: limit = the CLs value.")
  var singlePoint: Double?

  @Option(name: .customLong("root"), help: "Also write Combine's output file (the limit tree, as higgsCombine*.root holds it) here.")
  var root: String?

  func run() throws {
    try runReportingErrors {
      if let k = splitToys {
        guard let n = model.toys, n > 0 else { throw UsageError("--split-toys needs -t N (N > 0)") }
        return try runSplitToys(command: "limit", jobs: jobs, firstToy: firstToy, csv: csv, toys: n, perJob: k,
                                arguments: commandLineArguments(after: "limit"))
      }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --split-toys") }
      var o = AsymptoticLimitsOptions()
      guard let r = LimitRun(rawValue: runMode) else {
        throw UsageError("--run must be one of both, observed, expected, blind")
      }
      o.run = r
      if noFitAsimov {
        switch r {
        case .expected: o.run = .blind
        case .both, .observed: throw UsageError("--noFitAsimov is supported only with --run expected or blind")
        case .blind: break
        }
      }
      guard let ru = LimitRule(rawValue: rule) else { throw UsageError("--rule must be CLs or Pmu") }
      o.rule = ru
      guard cl > 0 && cl < 1 else { throw UsageError("--cl must be in (0, 1)") }
      o.cl = cl
      o.newExpected = newExpected != 0
      guard rAbsAcc >= 0, rRelAcc >= 0, rAbsAcc > 0 || rRelAcc > 0 else {
        throw UsageError("--rAbsAcc and --rRelAcc must be ≥ 0, and one of them > 0 (the search stops at that accuracy)")
      }
      o.rAbsAccuracy = rAbsAcc
      o.rRelAccuracy = rRelAcc
      if pyhfBand { o.expectedQuantiles = AsymptoticLimitsOptions.pyhfQuantiles }
      if let n = model.toys, n > 0 { return try runToys(n, options: o) }
      let m = try model.boundedProblem()
      let poi = m.targets[0]
      if let mu = singlePoint {
        let r = try AsymptoticLimits.singlePoint(model: m.model, data: m.nll.data, specs: m.specs, poi: poi, mu: mu,
                                                 shifts: o.expectedQuantiles.map { -normalQuantile($0) }, options: o)
        let name = m.model.parameters[poi].name
        print("\n -- AsymptoticLimits ( \(ru.rawValue) ) at \(name) = \(mu) --")
        print(String(format: "Observed %@: %.6f", ru.rawValue, r.observed))
        for e in r.expected { print(String(format: "Expected %4.1f%%: %@ = %.6f", e.quantile * 100, ru.rawValue, e.cls)) }
        let rows = [[r.observed, 0, model.mass, m.iToy, -1]] + r.expected.map { [$0.cls, 0, model.mass, m.iToy, $0.quantile] }
        try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows), csv: csv, root: root, json: json, model: model)
        return
      }
      let res = try AsymptoticLimits.run(model: m.model, data: m.nll.data, specs: m.specs, poi: poi, options: o)
      let name = m.model.parameters[poi].name
      print("\n -- AsymptoticLimits ( \(ru.rawValue) ) --")
      if let obs = res.observed { print(String(format: "Observed Limit: %@ < %6.4f", name, obs)) }
      for e in res.expected {
        print(String(format: "Expected %4.1f%%: %@ < %6.4f", e.quantile * 100, name, e.limit))
      }
      print("")
      try writeLimitTree(res.limitTree(mass: model.mass, iToy: m.iToy), csv: csv, root: root, json: json, model: model)
    }
  }

  /// -t N: the observed asymptotic limit of each toy (one row per toy, iToy = index + 1), and the
  /// distribution's median and bands: expected limits from toys.
  func runToys(_ n: Int, options: AsymptoticLimitsOptions) throws {
    let m = try model.boundedProblem(allowToys: true)
    let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
    let r = try ToyMethods.asymptoticLimits(m, options: options, nuisances: nuisances, seed: model.seed, first: firstToy, count: n)
    let ok = r.compactMap { t in t.value.map { (t.index, $0.0, $0.1) } }
    let v = ok.map(\.1)
    let name = m.model.parameters[m.targets[0]].name
    print("\n -- AsymptoticLimits on \(n) toys (seed \(model.seed)) --")
    print("converged: \(ok.count) of \(n)")
    for (q, label) in [(0.025, "2.5%"), (0.16, "16.0%"), (0.5, "50.0%"), (0.84, "84.0%"), (0.975, "97.5%")] where !v.isEmpty {
      print(String(format: "Toys %@: %@ < %6.4f", label, name, toyQuantile(v, q)))
    }
    let rows = ok.map { [$0.1, $0.2, model.mass, Double($0.0 + 1), -1] }
    try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows), csv: csv, root: root, json: json, model: model)
  }
}
