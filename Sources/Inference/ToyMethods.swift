//===--- ToyMethods.swift -------------------------------------------------===//
// Toys in the limit methods (Combine's `-t N` with AsymptoticLimits and Significance): the
// method run on each toy as on the data, one limit-tree row per toy (iToy = toy index + 1), and
// the distribution's median and 68%/95% quantiles.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood
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
