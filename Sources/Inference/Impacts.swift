//===--- Impacts.swift ----------------------------------------------------===//
// Nuisance-parameter impacts (combineTool.py -M Impacts, §6.4): for every floating non-POI
// parameter θ, its own 68% profile interval [θ_lo, θ_hi] and the POIs' profiled values with θ
// fixed at θ_lo and θ_hi; impact = max(|p(θ_hi) − p̂|, |p(θ_lo) − p̂|).
//===----------------------------------------------------------------------===//

import Dispatch
import Fit
import Foundation
import Likelihood
import Support

/// The best fit and 68% interval of one POI: `fit` = [lo, best, hi] (Combine's singles rows).
public struct ImpactPOI: Sendable, Equatable {
  public var name: String
  public var fit: [Double]
  public init(name: String, fit: [Double]) { self.name = name; self.fit = fit }
}

/// The impact record of one parameter, as in Combine's impacts.json.
public struct ParameterImpact: Sendable, Equatable {
  public var name: String
  /// [θ_lo, θ̂, θ_hi]: θ's own profile interval at the singles ΔNLL.
  public var fit: [Double]
  /// [−1σ, nominal, +1σ] of the constraint alone ([v, v, v] for unconstrained parameters).
  public var prefit: [Double]
  /// Gaussian, AsymmetricGaussian, Poisson or Unconstrained (Combine's `prefit_from_workspace`).
  public var type: String
  public var groups: [String]
  /// Per POI: [p(θ_lo), p̂, p(θ_hi)].
  public var poiValues: [String: [Double]]
  /// Per POI: max(|p(θ_hi) − p̂|, |p(θ_lo) − p̂|).
  public var impacts: [String: Double]
  /// Problems met by the fits of this parameter (empty when all converged); written to the JSON
  /// as `warnings` (a key Combine's readers ignore) only when there are some.
  public var warnings: [String] = []

  public init(name: String, fit: [Double], prefit: [Double], type: String, groups: [String],
              poiValues: [String: [Double]], impacts: [String: Double], warnings: [String] = []) {
    self.name = name; self.fit = fit; self.prefit = prefit; self.type = type; self.groups = groups
    self.poiValues = poiValues; self.impacts = impacts; self.warnings = warnings
  }

  /// Signed impacts on `poi` of θ at θ_hi and θ_lo: (p(θ_hi) − p̂, p(θ_lo) − p̂).
  public func signedImpacts(_ poi: String) -> (up: Double, down: Double)? {
    guard let v = poiValues[poi], v.count == 3 else { return nil }
    return (v[2] - v[1], v[0] - v[1])
  }
}

/// Everything impacts.json holds.
public struct ImpactsResult: Sendable, Equatable {
  public var pois: [ImpactPOI]
  public var params: [ParameterImpact]
  public var method: String = "default"

  public init(pois: [ImpactPOI], params: [ParameterImpact], method: String = "default") {
    self.pois = pois; self.params = params; self.method = method
  }

  /// Sorted as plotImpacts.py does: by |impact| on `poi` (default the first POI), descending.
  public func sorted(by poi: String? = nil) -> ImpactsResult {
    guard let p = poi ?? pois.first?.name else { return self }
    var out = self
    out.params.sort { ($0.impacts[p] ?? 0) > ($1.impacts[p] ?? 0) }
    return out
  }

  /// Combine's impacts.json document.
  public func jsonObject() -> [String: Any] {
    let ps: [[String: Any]] = params.map { p in
      var d: [String: Any] = ["name": p.name, "fit": p.fit, "prefit": p.prefit, "type": p.type, "groups": p.groups]
      for (k, v) in p.poiValues { d[k] = v }
      for (k, v) in p.impacts { d["impact_" + k] = v }
      if !p.warnings.isEmpty { d["warnings"] = p.warnings }
      return d
    }
    return ["POIs": pois.map { ["name": $0.name, "fit": $0.fit] as [String: Any] }, "params": ps, "method": method]
  }

  /// The document as pretty JSON with sorted keys; numbers in Swift's shortest round-trip form
  /// (as Python's `json` writes them), non-finite numbers as null.
  public func jsonData() throws -> Data {
    Data((Self.encode(jsonObject(), indent: "") + "\n").utf8)
  }

  static func encode(_ v: Any, indent: String) -> String {
    let inner = indent + "  "
    switch v {
    case let d as [String: Any]:
      if d.isEmpty { return "{}" }
      let items = d.keys.sorted().map { "\(inner)\(encodeString($0)): \(encode(d[$0]!, indent: inner))" }
      return "{\n" + items.joined(separator: ",\n") + "\n\(indent)}"
    case let a as [Double]:
      return "[" + a.map { encode($0, indent: inner) }.joined(separator: ", ") + "]"
    case let a as [Any]:
      if a.isEmpty { return "[]" }
      return "[\n" + a.map { inner + encode($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
    case let s as String: return encodeString(s)
    case let x as Double: return x.isFinite ? "\(x)" : "null"
    case let i as Int: return "\(i)"
    default: return "null"
    }
  }

  static func encodeString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
      }
    }
    return out + "\""
  }

  /// Reads an impacts.json (Combine's or ours).
  public static func read(_ data: Data) throws -> ImpactsResult {
    guard let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let poiList = doc["POIs"] as? [[String: Any]], let paramList = doc["params"] as? [[String: Any]]
    else { throw LikelihoodError("impacts.json: expected an object with 'POIs' and 'params'") }
    func numbers(_ a: Any?) -> [Double]? { (a as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } }
    let pois = try poiList.map { d -> ImpactPOI in
      guard let n = d["name"] as? String, let f = numbers(d["fit"]), f.count == 3 else {
        throw LikelihoodError("impacts.json: a POI without 'name' or a 3-number 'fit'")
      }
      return ImpactPOI(name: n, fit: f)
    }
    let params = try paramList.map { d -> ParameterImpact in
      guard let n = d["name"] as? String, let f = numbers(d["fit"]) else {
        throw LikelihoodError("impacts.json: a parameter without 'name' or 'fit'")
      }
      var values: [String: [Double]] = [:], impacts: [String: Double] = [:]
      for p in pois {
        if let v = numbers(d[p.name]) { values[p.name] = v }
        if let i = (d["impact_" + p.name] as? NSNumber)?.doubleValue { impacts[p.name] = i }
      }
      return ParameterImpact(
        name: n, fit: f, prefit: numbers(d["prefit"]) ?? [], type: d["type"] as? String ?? "Unrecognised",
        groups: d["groups"] as? [String] ?? [], poiValues: values, impacts: impacts, warnings: d["warnings"] as? [String] ?? [])
    }
    return ImpactsResult(pois: pois, params: params, method: doc["method"] as? String ?? "default")
  }
}

public struct ImpactsOptions: Sendable {
  /// Worker threads (each with its own NLL).
  public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
  /// ΔNLL of the intervals (POIs and θ); default the model's `singlesDelta` (½, or ½χ²₁(0.68) for
  /// pure counting cards, as Combine's Minos there).
  public var delta: Double? = nil
  /// Only these parameters (indices); default every floating non-POI parameter.
  public var parameters: [Int]? = nil
  /// Impacts of the autoMCStats Barlow–Beeston-lite parameters too (`prop_bin<channel>_bin<i>`,
  /// group `autoMCStats`), as combineTool.py gives them (default); false gives only the model's
  /// parameters (Recombine's earlier behaviour: those parameters are profiled analytically).
  public var barlowBeeston: Bool = true
  /// Names left out, as combineTool's `--exclude`: exact names or `rgx{RE}` (matched anywhere in the
  /// name, e.g. `rgx{prop_bin.*}`).
  public var exclude: [String] = []
  /// Called after each parameter finishes (done, total), from a worker thread.
  public var progress: (@Sendable (Int, Int) -> Void)? = nil
  public init() {}

  /// Whether `name` is left out by `exclude`.
  public func excludes(_ name: String) throws -> Bool {
    for e in exclude {
      if e.hasPrefix("rgx{") && e.hasSuffix("}") && e.count > 5 {
        let re: NSRegularExpression
        do { re = try NSRegularExpression(pattern: String(e.dropFirst(4).dropLast())) } catch {
          throw LikelihoodError("--exclude: '\(e)' is not a regular expression")
        }
        if re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil { return true }
      } else if e == name {
        return true
      }
    }
    return false
  }
}

public enum Impacts {
  /// Pre-fit [−1σ, nominal, +1σ] and type of a parameter, from its constraint alone (Combine's
  /// `prefit_from_workspace`: the constraint minimised with Minos at error level ½).
  public static func prefit(of constraint: Constraint, value: Double) -> (type: String, prefit: [Double]) {
    switch constraint {
    case let .gaussian(mean, sigma):
      return ("Gaussian", [mean - sigma, mean, mean + sigma])
    case let .bifurcatedGaussian(mean, lo, hi):
      return ("AsymmetricGaussian", [mean - lo, mean, mean + hi])
    case let .poisson(n):
      // −ln C = θ − N ln θ, minimum at θ = N; the Minos ends where it rises by ½.
      func f(_ t: Double) -> Double { n > 0 ? t - n * log(t) : t }
      let f0 = f(n)
      func solve(_ a0: Double, _ b0: Double) -> Double {  // f − f0 − ½ changes sign on [a, b]
        var a = a0, b = b0
        let sa = f(a) - f0 - 0.5 > 0
        for _ in 0..<200 {
          let m = 0.5 * (a + b)
          if (f(m) - f0 - 0.5 > 0) == sa { a = m } else { b = m }
        }
        return 0.5 * (a + b)
      }
      let lo = n > 0 ? solve(max(1e-300, n * 1e-12), n) : 0
      let hi = solve(n, n + 10 * (n + 1).squareRoot() + 10)
      return ("Poisson", [lo, n, hi])
    case let .scaledPoisson(n, scale):
      // sθ − N ln θ is the Poisson case in u = sθ.
      let u = prefit(of: .poisson(observed: n), value: value * scale).prefit
      return ("Poisson", u.map { $0 / scale })
    case .flat, .none:
      return ("Unconstrained", [value, value, value])
    }
  }

  /// Computes the impacts of the floating non-POI parameters of `specs` on `pois`.
  ///
  /// - Parameters:
  ///   - best: the unconditional best fit (computed if nil).
  /// Each task (a POI interval, or one parameter θ: `profileInterval` of θ, then one conditional
  /// fit at θ_lo and one at θ_hi, warm-started from the best fit with its conditional covariance;
  /// a failed warm fit is redone from the pre-fit values) runs on one of `threads` workers, each
  /// with its own NLL.
  /// Impacts on the problem's targets, from its best fit.
  /// Combine's `-M MultiDimFit --algo impact -P θ` limit tree (what combineTool.py's Impacts
  /// reads): the best fit (quantileExpected −1), then per parameter its fits at θ_lo and θ_hi
  /// (quantileExpected 0.32 each, as MultiDimFit::doImpact commits them); columns: the
  /// parameters, then the POIs (`--saveInactivePOI 1`), then deltaNLL (0 at the best fit, the
  /// singles ΔNLL at the interval ends). A parameter's column holds its best-fit value in the rows
  /// of the other parameters.
  /// The POIs' values [at θ_lo, best, at θ_hi] and impacts max(|p(θ_hi) − p̂|, |p(θ_lo) − p̂|).
  static func poiShifts(_ pois: [Int], model: CompiledModel, best: MinimizationResult, low: [Double], high: [Double])
    -> (values: [String: [Double]], impacts: [String: Double])
  {
    var values: [String: [Double]] = [:], impacts: [String: Double] = [:]
    for p in pois {
      let name = model.parameters[p].name
      let v = [low[p], best.x[p], high[p]]
      values[name] = v
      impacts[name] = max(abs(v[2] - v[1]), abs(v[0] - v[1]))
    }
    return (values, impacts)
  }

  public static func limitTree(_ result: ImpactsResult, problem: FitProblem, mass: Double) -> LimitTreeTable {
    let names = result.params.map(\.name), pois = result.pois.map(\.name)
    var rows: [[Double]] = [[mass, problem.iToy, -1] + result.params.map { $0.fit[1] } + result.pois.map { $0.fit[1] } + [0]]
    let delta = problem.model.singlesDelta
    for (i, p) in result.params.enumerated() {
      for side in [0, 2] {
        var values = result.params.map { $0.fit[1] }
        values[i] = p.fit[side]
        rows.append([mass, problem.iToy, 0.32] + values + pois.map { p.poiValues[$0]?[side] ?? .nan } + [delta])
      }
    }
    return LimitTreeTable(header: ["mh", "iToy", "quantileExpected"] + names + pois + ["deltaNLL"], values: rows)
  }

  public static func compute(_ problem: FitProblem, options: ImpactsOptions = ImpactsOptions()) throws -> ImpactsResult {
    let best = try problem.bestFit()
    return try compute(model: problem.model, data: problem.nll.data, globalObservables: problem.nll.globalObservables,
                       specs: problem.specs, pois: problem.targets, best: best, options: options)
  }

  public static func compute(
    model: CompiledModel, data: [Double], globalObservables: [Double]? = nil, specs: [ParameterSpec],
    pois: [Int], best: MinimizationResult? = nil, options: ImpactsOptions = ImpactsOptions()
  ) throws -> ImpactsResult {
    let n = model.parameters.count
    precondition(specs.count == n)
    guard !pois.isEmpty else { throw LikelihoodError("impacts: no POI") }
    let delta = options.delta ?? model.singlesDelta
    let fitted: MinimizationResult
    if let best { fitted = best } else {
      let nll = try NLL(model: model, data: data)
      if let g = globalObservables { nll.setGlobalObservables(g) }
      fitted = Minimizer().minimize(nll, parameters: specs)
    }
    guard fitted.status.isConverged else { throw LikelihoodError("impacts: the best fit did not converge: \(fitted.status)") }
    let poiSet = Set(pois).union(model.pois)
    let params = try (options.parameters ?? Array(0..<n)).filter {
      try !specs[$0].fixed && !poiSet.contains($0) && !options.excludes(model.parameters[$0].name)
    }
    // The Barlow–Beeston-lite bins that carry an MC error at the fit, with their x̂_j there.
    var bbFound: [(bin: Int, name: String, sigma: Double)] = []
    var bbValues: [Double] = []
    if options.barlowBeeston && options.parameters == nil && !model.barlowBeestonBins.isEmpty {
      let nll = try NLL(model: model, data: data)
      if let g = globalObservables { nll.setGlobalObservables(g) }
      let nu = nll.expectedYields(at: fitted.x)
      let e = nll.barlowBeestonErrors
      bbValues = nll.barlowBeestonValues
      var channelOf = [Int](repeating: 0, count: model.binCount)
      for (c, ch) in model.channels.enumerated() { for b in 0..<ch.binCount { channelOf[ch.firstBin + b] = c } }
      for j in model.barlowBeestonBins where e[j] > 0 {
        let ch = model.channels[channelOf[j]]
        let name = "prop_bin\(ch.name)_bin\(j - ch.firstBin)"
        if try options.excludes(name) { continue }
        // Its own curvature 1 + n e²/ν² (the other parameters fixed): the scale of the first step.
        let h = 1 + data[j] * e[j] * e[j] / max(nu[j] * nu[j], 1e-300)
        bbFound.append((j, name, 1 / h.squareRoot()))
      }
    }
    let bbBins = bbFound, bbXhat = bbValues

    var groupsOfVar: [Int: [String]] = [:]
    for (g, members) in model.groups { for m in members { groupsOfVar[m, default: []].append(g) } }
    let groupsOf = groupsOfVar

    enum Task { case poi(Int), param(Int), barlowBeeston(Int) }
    let tasks: [Task] = pois.map { .poi($0) } + params.map { .param($0) } + bbBins.indices.map { .barlowBeeston($0) }
    let total = params.count + bbBins.count
    enum Outcome { case poi(ImpactPOI), param(ParameterImpact) }
    let state = WorkQueue<Outcome>(count: tasks.count)
    let threads = max(1, min(options.threads, tasks.count))
    try forEachWorker(threads: threads, model: model, data: data, globalObservables: globalObservables) { _, nll in
      let minimizer = Minimizer()
      while let t = state.next() {
        switch tasks[t] {
        case .poi(let k):
          let iv = profileInterval(nll, parameters: specs, best: fitted, index: k, delta: delta, minimizer: minimizer)
          state.set(t, .poi(ImpactPOI(name: model.parameters[k].name, fit: [iv.lower, fitted.x[k], iv.upper])))
        case .param(let k):
          var warnings: [String] = []
          let iv = profileInterval(nll, parameters: specs, best: fitted, index: k, delta: delta, minimizer: minimizer)
          if case .failed(let why) = iv.status { warnings.append("interval: \(why)") }
          func conditional(_ v: Double) -> [Double] {
            var r = minimizer.minimize(nll, parameters: specs, fixing: [k: v], best: fitted)
            if !r.status.isConverged {
              var s = specs
              s[k].value = v
              s[k].fixed = true
              let cold = minimizer.minimize(nll, parameters: s)
              if cold.status.isConverged || cold.fval < r.fval { r = cold }
              if !r.status.isConverged { warnings.append("fit at \(model.parameters[k].name) = \(v): \(r.status)") }
            }
            return r.x
          }
          let (values, impacts) = poiShifts(pois, model: model, best: fitted, low: conditional(iv.lower), high: conditional(iv.upper))
          let pre = prefit(of: model.parameters[k].constraint, value: specs[k].value)
          state.set(t, .param(ParameterImpact(
            name: model.parameters[k].name, fit: [iv.lower, fitted.x[k], iv.upper], prefit: pre.prefit,
            type: pre.type, groups: (groupsOf[k] ?? []).sorted(), poiValues: values, impacts: impacts, warnings: warnings)))
          options.progress?(max(0, state.finished - pois.count), total)  // POI tasks count too
        case .barlowBeeston(let b):
          // x_j made parameter n of an extended objective; its interval and the conditional fits
          // are the same as any parameter's.
          let (j, name, sigma) = bbBins[b]
          let f = HeldBarlowBeestonObjective(nll: nll, bin: j)
          defer { f.release() }
          var s = specs
          s.append(ParameterSpec(name: name, value: bbXhat[j], lower: -7, upper: 7, step: sigma))
          var best = fitted
          best.x.append(bbXhat[j])
          best.inverseHessian = nil
          var warnings: [String] = []
          let iv = profileInterval(f, parameters: s, best: best, index: n, delta: delta, minimizer: minimizer)
          if case .failed(let why) = iv.status { warnings.append("interval: \(why)") }
          func conditional(_ v: Double) -> [Double] {
            let r = minimizer.minimize(f, parameters: s, fixing: [n: v], best: best)
            if !r.status.isConverged { warnings.append("fit at \(name) = \(v): \(r.status)") }
            return r.x
          }
          let (values, impacts) = poiShifts(pois, model: model, best: fitted, low: conditional(iv.lower), high: conditional(iv.upper))
          state.set(t, .param(ParameterImpact(
            name: name, fit: [iv.lower, bbXhat[j], iv.upper], prefit: [-1, 0, 1], type: "Gaussian",
            groups: ["autoMCStats"], poiValues: values, impacts: impacts, warnings: warnings)))
          options.progress?(max(0, state.finished - pois.count), total)
        }
      }
    }
    let results = state.results
    let poiResults = results.compactMap { r -> ImpactPOI? in if case .poi(let p)? = r { return p } else { return nil } }
    let paramResults = results.compactMap { r -> ParameterImpact? in if case .param(let p)? = r { return p } else { return nil } }
    return ImpactsResult(pois: poiResults, params: paramResults).sorted()
  }
}


/// The NLL with the Barlow–Beeston-lite parameter x_j of flat bin `bin` made explicit as the last
/// parameter: f(θ, x_j) = NLL(θ) with bin j held at x_j (bin term ν − n ln ν + ½(x_j − g_j)²,
/// ν = v + e·x_j). Minimised over x_j it is the analytically profiled NLL, so intervals and
/// conditional fits of x_j are those of Combine's `prop_bin` parameter. Does not allocate per
/// evaluation. `release()` returns the bin to analytic profiling.
final class HeldBarlowBeestonObjective: ObjectiveFunction {
  let nll: NLL
  let bin: Int
  let n: Int
  var dimension: Int { n + 1 }

  init(nll: NLL, bin: Int) {
    self.nll = nll
    self.bin = bin
    n = nll.model.parameters.count
  }

  func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    nll.holdBarlowBeeston(bin: bin, at: x[n])
    return nll.value(UnsafeBufferPointer(rebasing: x[0..<n]))
  }

  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    nll.holdBarlowBeeston(bin: bin, at: x[n])
    let v = nll.valueAndGradient(UnsafeBufferPointer(rebasing: x[0..<n]), UnsafeMutableBufferPointer(rebasing: g[0..<n]))
    g[n] = nll.heldBarlowBeestonDerivative(bin: bin)
    return v
  }

  func release() { nll.holdBarlowBeeston(bin: bin, at: nil) }
}
