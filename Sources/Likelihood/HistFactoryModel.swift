//===--- HistFactoryModel.swift -------------------------------------------===//
// A pyhf / HistFactory workspace compiled into the same flat model as a datacard, with pyhf's
// semantics for every modifier (pyhf 0.7):
//
//     ν_cb = Π_f(normfactor, lumi) · Π_n f_n(α_n) · Π_γ γ_b · (nominal_b + Σ_h Δ_hb(α_h))
//
// normsys f(α) by pyhf's normsys code (code 4 by default, `histFactoryLogFactor`); histosys Δ by
// code 4p (Combine's smooth vertical morph with region 1: identical inside |α| < 1 and linear
// beyond) or code 0 (piecewise linear); the per-bin γ of staterror, shapesys and shapefactor
// multiply the whole sample (`PerBinScaling.template`). Constraints (−ln, up to constants):
// normsys/histosys α: ½α²; lumi: ½((λ − aux)/σ)²; staterror γ_b: ½((γ_b − 1)/σ_b)² with
// σ_b = √(Σ_s δ_sb²)/Σ_s ν_sb over the channel's samples carrying that staterror; shapesys γ_b:
// τ_bγ_b − τ_b ln γ_b (Pois(τ_b | τ_bγ_b), τ_b = (ν_b/δ_b)²); normfactor, shapefactor: none.
// Bins where a staterror or shapesys has no uncertainty (or no yield) get no parameter (γ = 1),
// as pyhf fixes them. Parameters: pyhf's names (`name[b]` for per-bin ones), inits, bounds
// (α: [−5, 5]; normfactor, lumi, shapefactor: [0, 10]; γ of staterror/shapesys: [10⁻¹⁰, 10]) and
// the measurement's overrides (inits, bounds, fixed, auxdata, sigmas).
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import HistFactory

/// pyhf's interpolation codes (`--interpcode normsys=code4,histosys=code4p`).
public struct HistFactoryInterpolation: Sendable, Equatable {
  /// normsys: code0, code1, code2 or code4 (pyhf 0.7's default).
  public var normsys: NormalisationInterpolation = .code4
  /// histosys: code4p (the default) or code0 (`true`).
  public var histosysPiecewiseLinear = false
  public init() {}

  /// Parses `normsys=codeN,histosys=codeM`.
  public init(parsing s: String) throws {
    for part in s.split(separator: ",") {
      let kv = part.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
      guard kv.count == 2 else { throw LikelihoodError("--interpcode '\(part)': expected normsys=codeN or histosys=codeN") }
      switch (kv[0], kv[1]) {
      case ("normsys", "code0"): normsys = .code0
      case ("normsys", "code1"): normsys = .code1
      case ("normsys", "code2"): normsys = .code2
      case ("normsys", "code4"): normsys = .code4
      case ("histosys", "code4p"): histosysPiecewiseLinear = false
      case ("histosys", "code0"): histosysPiecewiseLinear = true
      case ("histosys", "code2"):
        throw LikelihoodError("--interpcode histosys=code2 is not supported: pyhf 0.7's code 2 is discontinuous at |α| = 1 (README); use code0 or code4p")
      default:
        throw LikelihoodError("--interpcode \(kv[0])=\(kv[1]): normsys takes code0, code1, code2, code4; histosys code0, code4p")
      }
    }
  }
}

/// Products of parameters, one function per (term, bin) carrying per-bin modifiers: μ = Π x_k.
final class ParameterProducts: YieldScalingFunctions, @unchecked Sendable {
  let offsets: [Int]
  let members: [Int]
  var count: Int { offsets.count - 1 }
  init(_ lists: [[Int]]) {
    var o = [0], m: [Int] = []
    for l in lists {
      m += l
      o.append(m.count)
    }
    offsets = o
    members = m
  }
  func evaluate(_ x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) {
    for k in 0..<count {
      var p = 1.0
      for j in offsets[k]..<offsets[k + 1] { p *= x[members[j]] }
      values[k] = p
    }
  }
  func accumulateGradient(_ x: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
                          into gradient: UnsafeMutableBufferPointer<Double>) {
    for k in 0..<count where weights[k] != 0 {
      for j in offsets[k]..<offsets[k + 1] {
        var p = weights[k]
        for i in offsets[k]..<offsets[k + 1] where i != j { p *= x[members[i]] }
        gradient[members[j]] += p
      }
    }
  }
}

extension CompiledModel {
  /// A datacard skeleton of `workspace` (bins = channels, one column per sample, signals = the
  /// samples the measurement's POI scales): what a physics model is built for.
  public static func skeleton(of ws: Workspace, measurement name: String? = nil) throws -> Datacard {
    let meas = try ws.measurement(name)
    var card = Datacard(path: ws.path)
    card.bins = ws.channels.map(\.name)
    var seen = Set<String>()
    for ch in ws.channels {
      for (k, s) in ch.samples.enumerated() {
        let signal = s.modifiers.contains(.normfactor(name: meas.poi))
        card.columns.append(ProcessColumn(bin: ch.name, process: s.name, id: signal ? -k : k + 1, rate: s.data.reduce(0, +)))
        if seen.insert(s.name).inserted { card.processes.append(s.name) }
      }
    }
    return card
  }

  /// Compiles `workspace` under `measurement` (nil: the first) with pyhf's `interpolation` codes.
  /// With a `physics` model (built for `skeleton(of:)`, e.g. an EFT parametrisation), its POIs come
  /// first and scale the samples it targets (as it scales datacard processes); the measurement's
  /// POI is then an ordinary normalisation held at its initial value (1: the SM).
  public static func compile(workspace ws: Workspace, measurement name: String? = nil,
                             interpolation: HistFactoryInterpolation = HistFactoryInterpolation(),
                             physics: PhysicsModel? = nil) throws -> CompiledModel {
    let meas = try ws.measurement(name)
    var settings: [String: ParameterSetting] = [:]
    for s in meas.parameters { settings[s.name] = s }
    var params: [ModelParameter] = []
    var indexOf: [String: Int] = [:]
    var typeOf: [String: String] = [:]
    func fail(_ what: String) -> LikelihoodError { LikelihoodError("\(ws.path): \(what)") }

    /// The parameter `pname` (created on first use) of modifier type `type`.
    func parameter(_ pname: String, type: String, defaults: ModelParameter, bin: Int? = nil, setting: String) throws -> Int {
      if let k = indexOf[pname] {
        let compatible = typeOf[pname] == type || (["normsys", "histosys"].contains(type) && ["normsys", "histosys"].contains(typeOf[pname]!))
        guard compatible else { throw fail("modifier '\(pname)' is used as \(typeOf[pname]!) and as \(type)") }
        return k
      }
      var p = defaults
      p.name = pname
      if let s = settings[setting] {
        let i = bin ?? 0
        if let v = s.inits { guard i < v.count else { throw fail("measurement '\(meas.name)': inits of '\(setting)' has \(v.count) values") }; p.initial = v[i] }
        if let b = s.bounds { guard i < b.count else { throw fail("measurement '\(meas.name)': bounds of '\(setting)' has \(b.count) pairs") }; (p.lower, p.upper) = (b[i][0], b[i][1]) }
        if let f = s.fixed { p.frozen = f }
        if case .gaussian(var m, var sg) = p.constraint {
          if let a = s.auxdata, i < a.count { m = a[i] }
          if let v = s.sigmas, i < v.count { sg = v[i] }
          p.constraint = .gaussian(mean: m, sigma: sg)
        }
      }
      guard p.lower < p.upper || p.frozen else { throw fail("parameter '\(pname)': empty range [\(p.lower), \(p.upper)]") }
      p.initial = min(max(p.initial, p.lower), p.upper)
      params.append(p)
      indexOf[pname] = params.count - 1
      typeOf[pname] = type
      return params.count - 1
    }
    func plain(_ initial: Double, _ lo: Double, _ hi: Double, _ c: Constraint, role: ParameterRole, kind: String, step: Double) -> ModelParameter {
      ModelParameter(name: "", initial: initial, lower: lo, upper: hi, constraint: c, role: role, kind: kind,
                     unboundedInFits: false, frozen: false, step: step)
    }

    // The POI first (or the physics model's POIs).
    let poiUsed = ws.channels.contains { $0.samples.contains { $0.modifiers.contains { $0 == .normfactor(name: meas.poi) } } }
    guard poiUsed else { throw fail("measurement '\(meas.name)': the POI '\(meas.poi)' is no normfactor of any sample") }
    var pois: [Int] = []
    if let physics {
      for d in try physics.parametersOfInterest(for: try skeleton(of: ws, measurement: name)) {
        params.append(ModelParameter(name: d.name, initial: d.initial, lower: d.lower, upper: d.upper, constraint: .none, role: .poi,
                                     kind: "POI", unboundedInFits: false, frozen: false, step: max(0.1, min(1, 0.1 * (d.upper - d.lower)))))
        indexOf[d.name] = params.count - 1
        typeOf[d.name] = "normfactor"
        pois.append(params.count - 1)
      }
      var held = plain(1, 0, 10, .none, role: .rateParam, kind: "normfactor", step: 0.1)
      held.frozen = true
      _ = try parameter(meas.poi, type: "normfactor", defaults: held, setting: meas.poi)
      params[indexOf[meas.poi]!].frozen = true
    } else {
      pois = [try parameter(meas.poi, type: "normfactor", defaults: plain(1, 0, 10, .none, role: .poi, kind: "POI", step: 0.1), setting: meas.poi)]
    }
    let physicsFunctions = physics?.scalingFunctions
    let functionOffset = physicsFunctions?.count ?? 0

    var channels: [Channel] = []
    var terms: [YieldTerm] = []
    var observed: [Double] = []
    var products: [[Int]] = []
    var first = 0
    for (ci, ch) in ws.channels.enumerated() {
      let nb = ch.binCount
      channels.append(Channel(name: ch.name, binCount: nb, firstBin: first, edges: nil))
      observed += ws.observations[ch.name]!
      first += nb
      // staterror: σ_b per name over the channel's samples carrying it.
      var statSum: [String: [Double]] = [:], statErr2: [String: [Double]] = [:]
      for s in ch.samples {
        for case let .staterror(n, d) in s.modifiers {
          statSum[n, default: [Double](repeating: 0, count: nb)] = zip(statSum[n] ?? [Double](repeating: 0, count: nb), s.data).map(+)
          statErr2[n, default: [Double](repeating: 0, count: nb)] = zip(statErr2[n] ?? [Double](repeating: 0, count: nb), d).map { $0 + $1 * $1 }
        }
      }
      for s in ch.samples {
        var term = YieldTerm(channel: ci, process: s.name, isSignal: s.modifiers.contains(.normfactor(name: meas.poi)), nominal: 1,
                             template: s.data, logNormals: [], asymmetricLogNormals: [], factors: [])
        term.mode = .absolute
        term.perBinScaling = .template
        term.smoothRegion = interpolation.histosysPiecewiseLinear ? 1e-9 : 1
        var perBin = [[Int]](repeating: [], count: nb)
        var physicsPerBin: Int? = nil
        if let physics {
          switch try physics.yieldScale(bin: ch.name, process: s.name, isSignal: term.isSignal) {
          case .zero: continue
          case .one: break
          case .parameter(let n):
            guard let k = indexOf[n] else { throw fail("the physics model scales \(ch.name)/\(s.name) by '\(n)', which is not one of its POIs") }
            term.factors.append(k)
          case .function(let k): term.scaling = k
          case .perBinFunctions(let first, let count):
            guard count == nb else { throw fail("the physics model gives \(count) per-bin scalings for \(ch.name)/\(s.name), which has \(nb) bins") }
            physicsPerBin = first
          }
        }
        for m in s.modifiers {
          switch m {
          case .normfactor(let n):
            term.factors.append(try parameter(n, type: "normfactor", defaults: plain(1, 0, 10, .none, role: .rateParam, kind: "normfactor", step: 0.1), setting: n))
          case .lumi(let n):
            guard let st = settings[n], st.sigmas?.first != nil else {
              throw fail("measurement '\(meas.name)': the lumi modifier '\(n)' needs its sigmas (and auxdata) in the measurement's parameters")
            }
            term.factors.append(try parameter(n, type: "lumi", defaults: plain(1, 0, 10, .gaussian(mean: 1, sigma: 0.1), role: .nuisance, kind: "lumi", step: 0.02), setting: n))
          case .normsys(let n, let hi, let lo):
            let k = try parameter(n, type: "normsys", defaults: plain(0, -5, 5, .gaussian(mean: 0, sigma: 1), role: .nuisance, kind: "normsys", step: 1), setting: n)
            if [.code1, .code4].contains(interpolation.normsys) {
              guard hi > 0, lo > 0 else { throw fail("channel '\(ch.name)', sample '\(s.name)': normsys '\(n)' has hi = \(hi), lo = \(lo); code \(interpolation.normsys.rawValue) needs positive factors") }
            }
            // The factors are carried as logs (a factor 0, possible with codes 0 and 2, as 10⁻³⁰⁰).
            var e = AsymmetricLogNormalEffect(parameter: k, logKappaDown: log(max(lo, 1e-300)), logKappaUp: log(max(hi, 1e-300)))
            e.code = interpolation.normsys
            if interpolation.normsys == .code4 { e.coefficients = code4Coefficients(lo: lo, hi: hi) }
            term.asymmetricLogNormals.append(e)
          case .histosys(let n, let hi, let lo):
            let k = try parameter(n, type: "histosys", defaults: plain(0, -5, 5, .gaussian(mean: 0, sigma: 1), role: .nuisance, kind: "histosys", step: 1), setting: n)
            term.morphs.append(ShapeMorph(parameter: k, scale: 1, diff: zip(hi, lo).map { $0 - $1 },
                                          sum: (0..<nb).map { hi[$0] + lo[$0] - 2 * s.data[$0] }))
          case .staterror(let n, _):
            let sum = statSum[n]!, e2 = statErr2[n]!
            for b in 0..<nb where sum[b] > 0 && e2[b] > 0 {
              let sigma = e2[b].squareRoot() / sum[b]
              let pn = "\(n)[\(b)]"
              let k = try parameter(pn, type: "staterror", defaults: plain(1, 1e-10, 10, .gaussian(mean: 1, sigma: sigma), role: .nuisance, kind: "staterror", step: sigma), bin: b, setting: n)
              perBin[b].append(k)
            }
          case .shapesys(let n, let d):
            for b in 0..<nb where s.data[b] > 0 && d[b] > 0 {
              let tau = (s.data[b] / d[b]) * (s.data[b] / d[b])
              let pn = "\(n)[\(b)]"
              let k = try parameter(pn, type: "shapesys", defaults: plain(1, 1e-10, 10, .scaledPoisson(observed: tau, scale: tau), role: .nuisance, kind: "shapesys", step: 1 / tau.squareRoot()), bin: b, setting: n)
              perBin[b].append(k)
            }
          case .shapefactor(let n):
            for b in 0..<nb {
              perBin[b].append(try parameter("\(n)[\(b)]", type: "shapefactor", defaults: plain(1, 0, 10, .none, role: .rateParam, kind: "shapefactor", step: 0.1), bin: b, setting: n))
            }
          }
        }
        if perBin.contains(where: { !$0.isEmpty }) {
          guard physicsPerBin == nil else {
            throw fail("\(ch.name)/\(s.name): per-bin physics-model scalings on a sample with staterror/shapesys/shapefactor are not supported yet")
          }
          term.binScalingFirst = functionOffset + products.count
          products += perBin
        } else if let first = physicsPerBin {
          term.binScalingFirst = first
        }
        terms.append(term)
      }
    }
    var model = CompiledModel(parameters: params, pois: pois, channels: channels, terms: terms, observed: observed, isPureCounting: false)
    model.perBinScaling = .template
    if let physicsFunctions {
      // The physics model's functions read x[0..<pois.count] (its POIs come first).
      model.scalings = ConcatenatedScalings(physicsFunctions, ParameterProducts(products), firstReads: pois.count)
    } else if !products.isEmpty {
      model.scalings = ParameterProducts(products)
    }
    return model
  }
}
