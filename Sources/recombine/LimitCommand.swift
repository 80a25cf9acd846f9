//===--- LimitCommand.swift -----------------------------------------------===//
// `recombine limit`: Combine's -M AsymptoticLimits.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import Fit
import Foundation
import Inference
import Likelihood

/// A model set up as AsymptoticLimits and Significance see it: data (observed or `-t -1`), every
/// parameter at its declared range (nuisances bounded), and the POI the method works on.
struct BoundedModel {
  let model: CompiledModel
  let data: [Double]
  let specs: [ParameterSpec]
  let poi: Int
  let asimov: Bool

  init(_ o: ModelOptions) throws {
    var (compiled, setup, targets) = try configureModel(o)
    guard let poi = targets.first else { throw LikelihoodError("the model has no POI") }
    if o.floatOtherPOIs == 0 { setup.fixPOIs(except: [poi]) }
    if let s = o.freezeParameters { try setup.freeze(s) }
    if let s = o.freezeNuisanceGroups { try setup.freezeGroups(s) }
    compiled.maskedChannels = setup.maskedChannels
    model = compiled
    switch o.toys {
    case nil, 0:
      guard let d = compiled.observed else {
        throw LikelihoodError("the card has no observation line; use an Asimov dataset (-t -1)")
      }
      data = d
      asimov = false
    case -1:
      data = setup.makeAsimov(model: compiled, expectSignal: o.expectSignal)
      asimov = true
    default:
      throw LikelihoodError("-t \(o.toys!): only -t -1 (Asimov) is supported")
    }
    // The POI's start value is not changed by -t -1's signal (Combine restores the clean snapshot).
    specs = setup.boundedParameterSpecs(model: compiled)
    self.poi = poi
  }
}

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

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows (limit, limitErr, mh, iToy, quantileExpected) here.")
  var csv: String?

  func run() throws {
    try runReportingErrors {
      var o = AsymptoticLimitsOptions()
      guard let r = LimitRun(rawValue: runMode) else {
        throw LikelihoodError("--run must be one of both, observed, expected, blind")
      }
      o.run = r
      if noFitAsimov {
        switch r {
        case .expected: o.run = .blind
        case .both, .observed: throw LikelihoodError("--noFitAsimov is supported only with --run expected or blind")
        case .blind: break
        }
      }
      guard let ru = LimitRule(rawValue: rule) else { throw LikelihoodError("--rule must be CLs or Pmu") }
      o.rule = ru
      guard cl > 0 && cl < 1 else { throw LikelihoodError("--cl must be in (0, 1)") }
      o.cl = cl
      o.newExpected = newExpected != 0
      guard rAbsAcc >= 0, rRelAcc >= 0, rAbsAcc > 0 || rRelAcc > 0 else {
        throw LikelihoodError("--rAbsAcc and --rRelAcc must be ≥ 0, and one of them > 0 (the search stops at that accuracy)")
      }
      o.rAbsAccuracy = rAbsAcc
      o.rRelAccuracy = rRelAcc
      let m = try BoundedModel(model)
      let res = try AsymptoticLimits.run(model: m.model, data: m.data, specs: m.specs, poi: m.poi, options: o)
      let name = m.model.parameters[m.poi].name
      print("\n -- AsymptoticLimits ( \(ru.rawValue) ) --")
      if let obs = res.observed { print(String(format: "Observed Limit: %@ < %6.4f", name, obs)) }
      for e in res.expected {
        print(String(format: "Expected %4.1f%%: %@ < %6.4f", e.quantile * 100, name, e.limit))
      }
      print("")
      if let csv {
        let iToy = m.asimov ? -1.0 : 0.0
        var rows: [[Double]] = res.expected.map { [$0.limit, 0, model.mass, iToy, Double(Float($0.quantile))] }
        if let obs = res.observed { rows.append([obs, res.observedError ?? 0, model.mass, iToy, -1]) }
        try writeCSV(["limit", "limitErr", "mh", "iToy", "quantileExpected"], rows, to: csv)
      }
    }
  }
}
