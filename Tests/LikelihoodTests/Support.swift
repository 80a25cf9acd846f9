import Foundation
@_exported import TestSupport


import Datacard
import Fit
import Likelihood


/// Reads a CSV file into rows of name → value.
func readCSV(_ url: URL) throws -> [[String: Double]] {
  let text = try String(contentsOf: url, encoding: .utf8)
  let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
  guard let header = lines.first else { return [] }
  return lines.dropFirst().map { cols in
    var d: [String: Double] = [:]
    for (h, c) in zip(header, cols) { if let v = Double(c) { d[h] = v } }
    return d
  }
}

/// Reads `fit_*_params.csv` into name → (value, error).
func readParams(_ url: URL) throws -> [String: (value: Double, error: Double)] {
  let text = try String(contentsOf: url, encoding: .utf8)
  var out: [String: (Double, Double)] = [:]
  for line in text.split(whereSeparator: \.isNewline).dropFirst() {
    let c = line.split(separator: ",").map(String.init)
    out[c[0]] = (Double(c[1])!, Double(c[2])!)
  }
  return out
}

/// A model with data and minimiser specs, configured like the Combine commands of the references.
struct Problem {
  let model: CompiledModel
  let nll: NLL
  let specs: [ParameterSpec]

  init(card: Datacard, physics: PhysicsModel = DefaultPhysicsModel(), mass: Double = 120, ranges: String? = nil,
       asimovSignal: Double? = nil) throws {
    model = try CompiledModel.compile(card, physics: physics, mass: mass)
    var setup = FitSetup(model: model)
    if let ranges { try setup.setRanges(ranges) }
    var data: [Double]? = nil
    if let s = asimovSignal { data = setup.makeAsimov(model: model, expectSignal: s) }
    nll = try NLL(model: model, data: data)
    specs = setup.parameterSpecs(model: model)
  }

  init(path: URL, physics: PhysicsModel = DefaultPhysicsModel(), ranges: String? = nil,
       asimovSignal: Double? = nil) throws {
    try self.init(card: try Datacard.parse(contentsOf: path.path), physics: physics, ranges: ranges,
                  asimovSignal: asimovSignal)
  }

  func fit() -> MinimizationResult { Minimizer().minimize(nll, parameters: specs) }

  func interval(_ best: MinimizationResult, _ name: String) -> ProfileInterval {
    profileInterval(nll, parameters: specs, best: best, index: model.index(of: name)!,
                    delta: model.singlesDelta, minimizer: Minimizer())
  }

  /// Profiled ΔNLL at POI value v.
  func deltaNLL(_ best: MinimizationResult, _ name: String, _ v: Double) -> Double {
    let r = Minimizer().minimize(nll, parameters: specs, fixing: [model.index(of: name)!: v], best: best)
    return r.fval - best.fval
  }

  /// The HESSE covariance (parameters on a bound held fixed).
  func hesseCovariance(_ best: MinimizationResult) -> [Double] {
    var s = specs
    for i in best.atBound { s[i].fixed = true }
    return Minimizer().hesse(nll, at: best.x, parameters: s).covariance
  }

  /// Hesse errors as Combine reports them (parameters on a bound held; scaled by √(2·level)).
  func hesseErrors(_ best: MinimizationResult) -> [String: Double] {
    var s = specs
    for i in best.atBound { s[i].fixed = true }
    let h = Minimizer().hesse(nll, at: best.x, parameters: s)
    let n = s.count
    let (_, g) = nll.valueAndGradient(at: best.x)
    var out: [String: Double] = [:]
    for i in 0..<n where !specs[i].fixed {
      let linear = max(0, h.covariance[i * n + i]).squareRoot() * model.hesseErrorScale
      out[s[i].name] = minuitExternalError(
        value: best.x[i], lower: specs[i].lower, upper: specs[i].upper, linearError: linear,
        gradient: g[i], errorLevel: model.singlesDelta)
    }
    return out
  }
}
