//===--- ToyMethods.swift -------------------------------------------------===//
// Toys in the limit methods (Combine's `-t N` with AsymptoticLimits and Significance): the
// method run on each toy as on the data, one limit-tree row per toy (iToy = toy index + 1), and
// the distribution's median and 68%/95% quantiles.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood
import Maths
import Support

/// The quantiles of a toy distribution (linear interpolation between order statistics).
public func toyQuantile(_ values: [Double], _ p: Double) -> Double {
  let v = values.sorted()
  guard !v.isEmpty else { return .nan }
  let x = p * Double(v.count - 1)
  let i = Int(x.rounded(.down)), f = x - Double(i)
  return i + 1 < v.count ? v[i] + f * (v[i + 1] - v[i]) : v[i]
}

public enum ToyMethods {
  /// The significance (or p-value) of each toy; nil where a fit failed.
  public static func significance(
    _ problem: FitProblem, nullValue: Double = 0, uncapped: Bool = false, pValue: Bool = false, nuisances: ToyNuisances,
    seed: UInt64, first: Int = 0, count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws -> [(index: Int, value: Double?)] {
    let specs = problem.specs, poi = problem.targets[0]
    return try Toys.map(problem, nuisances: nuisances, seed: seed, first: first, count: count, threads: threads) { nll in
      guard let z = try? Significance.compute(nll: nll, specs: specs, poi: poi, nullValue: nullValue, uncapped: uncapped) else { return nil }
      return pValue ? z.pValue : z.significance
    }
  }

  /// The observed asymptotic limit of each toy (its error as the second value); nil where the
  /// search failed. Toys with drawn Barlow–Beeston-lite global observables (`--toysFrequentist` on
  /// a card with autoMCStats) are refused: the limit code takes the nuisances' global observables only.
  public static func asymptoticLimits(
    _ problem: FitProblem, options: AsymptoticLimitsOptions, nuisances: ToyNuisances, seed: UInt64, first: Int = 0, count: Int,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws -> [(index: Int, value: (Double, Double)?)] {
    if nuisances == .frequentist && !problem.model.barlowBeestonBins.isEmpty {
      throw LikelihoodError("limits on --toysFrequentist toys of a card with autoMCStats are not supported yet")
    }
    var o = options
    o.run = .observed
    let model = problem.model, specs = problem.specs, poi = problem.targets[0], limitOptions = o
    return try Toys.map(problem, nuisances: nuisances, seed: seed, first: first, count: count, threads: threads) { nll in
      guard let r = try? AsymptoticLimits.run(model: model, data: nll.data, globalObservables: nll.globalObservables, specs: specs,
                                              poi: poi, options: limitOptions),
            let l = r.observed else { return nil }
      return (l, r.observedError ?? 0)
    }
  }
}

extension ToyMethods {
  /// A grid scan of each toy (`scan -t N`): the toy's best fit (quantileExpected −1) and its grid
  /// points, as `GridScan.run` writes them for the data, with iToy = toy index + 1. The toys run in
  /// parallel, each scan on one thread. Toys with drawn Barlow–Beeston-lite global observables
  /// (`--toysFrequentist` on an autoMCStats card) are refused, as for limits.
  public static func scans(
    _ problem: FitProblem, options: GridScanOptions, nuisances: ToyNuisances, seed: UInt64, first: Int = 0, count: Int,
    mass: Double, threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws -> LimitTreeTable {
    if nuisances == .frequentist && !problem.model.barlowBeestonBins.isEmpty {
      throw LikelihoodError("scans of --toysFrequentist toys of a card with autoMCStats are not supported yet")
    }
    var o = options
    o.threads = 1
    o.checkpoint = nil
    o.callCounter = nil
    let model = problem.model, specs = problem.specs, axes = problem.targets, scanOptions = o
    let dof = axes.count + problem.floatingOtherPOIs
    let results = try Toys.map(problem, nuisances: nuisances, seed: seed, first: first, count: count, threads: threads) { nll -> [[Double]]? in
      let best = Minimizer().minimize(nll, parameters: specs)
      guard best.status.isConverged,
            let points = try? GridScan.run(model: model, data: nll.data, globalObservables: nll.globalObservables, specs: specs,
                                           best: best, axes: axes, options: scanOptions)
      else { return nil }
      var rows: [[Double]] = [[mass, 0, -1] + axes.map { best.x[$0] } + [0]]
      for p in points {
        rows.append([mass, 0, chiSquaredSurvival(2 * max(p.deltaNLL, 0), degreesOfFreedom: dof)] + p.values + [p.deltaNLL])
      }
      return rows
    }
    var rows: [[Double]] = []
    for r in results {
      guard let toyRows = r.value else { continue }
      rows += toyRows.map { row in var x = row; x[1] = Double(r.index + 1); return x }
    }
    return LimitTreeTable(header: ["mh", "iToy", "quantileExpected"] + axes.map { model.parameters[$0].name } + ["deltaNLL"], values: rows)
  }
}
