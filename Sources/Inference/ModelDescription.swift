//===--- ModelDescription.swift -------------------------------------------===//
// What a physics model does to a card: its POIs with ranges, which (channel, process) each one
// scales, and which processes none touches (`recombine model`).
//===----------------------------------------------------------------------===//

import Foundation
import Likelihood

/// One POI of a compiled model and the yield terms it changes.
public struct POIDescription: Sendable {
  public var name: String
  public var initial: Double
  public var lower: Double
  public var upper: Double
  /// The (channel, process) pairs whose expected yield changes when the POI moves.
  public var scales: [(channel: String, process: String)]
}

/// The POIs of a model and the processes none of them touches.
public struct ModelDescription: Sendable {
  public var pois: [POIDescription]
  /// (channel, process) pairs no POI changes (signals among them are flagged).
  public var untouched: [(channel: String, process: String, isSignal: Bool)]

  /// Probes each POI: the per-term expected yields at the initial point against those with the POI
  /// moved by its step either way (a change above 1e-12 relative counts), as the fits' own check of
  /// which POIs have an effect does.
  public init(_ problem: FitProblem) {
    let m = problem.model, nll = problem.nll
    let x0 = problem.specs.map(\.value)
    let base = nll.termYields(at: x0, barlowBeeston: false).terms
    var touched = Set<Int>()
    pois = m.pois.map { k in
      let p = m.parameters[k]
      let step = max(abs(p.step), 1e-3 * max(1, abs(x0[k])))
      var changed = Set<Int>()
      for v in [x0[k] + step, x0[k] - step] {
        var y = x0
        y[k] = v
        let rows = nll.termYields(at: y, barlowBeeston: false).terms
        for t in rows.indices where zip(rows[t], base[t]).contains(where: { abs($0 - $1) > 1e-12 * max(1, abs($1)) }) {
          changed.insert(t)
        }
      }
      touched.formUnion(changed)
      return POIDescription(
        name: p.name, initial: problem.specs[k].value, lower: problem.specs[k].lower, upper: problem.specs[k].upper,
        scales: changed.sorted().map { (m.channels[m.terms[$0].channel].name, m.terms[$0].process) })
    }
    untouched = m.terms.indices.filter { !touched.contains($0) }.map {
      (m.channels[m.terms[$0].channel].name, m.terms[$0].process, m.terms[$0].isSignal)
    }
    _ = nll.termYields(at: x0, barlowBeeston: false)  // leave the NLL's scratch state at x0
  }
}
