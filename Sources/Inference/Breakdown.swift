//===--- Breakdown.swift --------------------------------------------------===//
// Saved fits as starting points (Combine's snapshots) and the uncertainty breakdown CMS papers
// quote: the total 68% interval of the POI, the interval with every constrained nuisance frozen
// at its post-fit value (stat only), and with each nuisance group frozen; the components are the
// quadrature differences, per side:
//   σ_syst = √(σ_total² − σ_stat²),   σ_group = √(σ_total² − σ_{group frozen}²).
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Fit
import Foundation
import Likelihood
import Support

/// A saved fit's parameter values (the `parameters` of `fit --json`: name and value each).
public enum FitSnapshot {
  public static func read(_ path: String) throws -> [String: Double] {
    guard let doc = try readJSONObject(path) as? [String: Any], let params = doc["parameters"] as? [[String: Any]] else {
      throw FileReadError("'\(path)': expected a fit result (recombine fit --json): an object with 'parameters'")
    }
    var out: [String: Double] = [:]
    for p in params {
      guard let name = p["name"] as? String, let v = jsonNumber(p["value"]) else {
        throw FileReadError("'\(path)': a parameter without 'name' or a numeric 'value'")
      }
      out[name] = v
    }
    return out
  }

  /// Every parameter's value at `x`, by name.
  public static func values(_ model: CompiledModel, _ x: [Double]) -> [String: Double] {
    Dictionary(uniqueKeysWithValues: model.parameters.indices.map { (model.parameters[$0].name, x[$0]) })
  }
}

/// One line of the breakdown: what was frozen, the POI's interval then, and the component.
public struct BreakdownComponent: Sendable {
  /// "stat", "syst", or a group's name.
  public var name: String
  /// The fit whose interval this line uses (nil for syst, derived from total and stat).
  public var interval: ProfileInterval?
  /// The component, per side (positive numbers).
  public var down: Double
  public var up: Double
}

public struct UncertaintyBreakdown: Sendable {
  public var poi: String
  public var best: ProfileInterval
  public var components: [BreakdownComponent]
  /// Largest move of the POI's best fit when parameters were frozen (should be ~0: they are
  /// frozen at their post-fit values).
  public var bestFitShift: Double

  public var totalDown: Double { best.best - best.lower }
  public var totalUp: Double { best.upper - best.best }
}

public enum Breakdown {
  /// The breakdown of the first target POI of the problem `options` set up on `card`: the total
  /// interval, stat only (`allConstrainedNuisances` frozen at the best fit), syst (their
  /// quadrature difference) and, for each of `groups`, the group frozen at the best fit.
  public static func compute(card: String, physics: PhysicsModelChoice, options: FitOptions, groups: [String] = []) throws
    -> UncertaintyBreakdown
  {
    let full = try FitProblem.load(card: card, physics: physics, options: options)
    guard let k = full.targets.first else { throw LikelihoodError("the model has no POI") }
    let fit = try MultiDimFit.run(full, algorithm: .singles, hesse: false)
    guard let total = fit.intervals[k] else { throw LikelihoodError("no interval for '\(full.model.parameters[k].name)'") }
    let snapshot = FitSnapshot.values(full.model, fit.best.x)
    func frozen(parameters: String?, groups: String?) throws -> ProfileInterval {
      var o = options
      o.startValues = snapshot
      if let p = parameters { o.freezeParameters = [options.freezeParameters, p].compactMap { $0 }.joined(separator: ",") }
      if let g = groups { o.freezeNuisanceGroups = [options.freezeNuisanceGroups, g].compactMap { $0 }.joined(separator: ",") }
      let problem = try FitProblem.load(card: card, physics: physics, options: o)
      let r = try MultiDimFit.run(problem, algorithm: .singles, hesse: false)
      guard let iv = r.intervals[k] else { throw LikelihoodError("no interval with \(parameters ?? groups ?? "") frozen") }
      return iv
    }
    func minus(_ a: Double, _ b: Double) -> Double { (max(a * a - b * b, 0)).squareRoot() }
    let down = total.best - total.lower, up = total.upper - total.best
    let stat = try frozen(parameters: "allConstrainedNuisances", groups: nil)
    var components = [
      BreakdownComponent(name: "syst", interval: nil, down: minus(down, stat.best - stat.lower), up: minus(up, stat.upper - stat.best)),
    ]
    var shift = abs(stat.best - total.best)
    for g in groups {
      let iv = try frozen(parameters: nil, groups: g)
      shift = max(shift, abs(iv.best - total.best))
      components.append(BreakdownComponent(name: g, interval: iv, down: minus(down, iv.best - iv.lower), up: minus(up, iv.upper - iv.best)))
    }
    components.append(BreakdownComponent(name: "stat", interval: stat, down: stat.best - stat.lower, up: stat.upper - stat.best))
    return UncertaintyBreakdown(poi: full.model.parameters[k].name, best: total, components: components, bestFitShift: shift)
  }
}
