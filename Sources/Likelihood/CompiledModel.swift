//===--- CompiledModel.swift ----------------------------------------------===//
// The compiled binned model: flat parameter list, channels, and per-(channel, process) yield terms.
//===----------------------------------------------------------------------===//

import Maths
import Datacard
import Foundation
import Support

/// An error building or configuring a model; `description` is a one-line message.
public struct LikelihoodError: RecombineError, Sendable, Equatable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The constraint term −ln C(θ) a parameter adds to the NLL (Combine §3.6), up to constants.
public enum Constraint: Sendable, Equatable {
  /// No constraint (POIs, rateParams).
  case none
  /// SimpleGaussianConstraint: ½((θ − θ_In)/σ)², θ_In = `mean` (lnN: mean 0, σ 1).
  case gaussian(mean: Double, sigma: Double)
  /// RooBifurGauss: ½((θ − θ_In)/σ_L)² for θ < θ_In, ½((θ − θ_In)/σ_R)² otherwise.
  case bifurcatedGaussian(mean: Double, sigmaLow: Double, sigmaHigh: Double)
  /// RooPoisson(θ_In = N | θ) (gmN): θ − N·ln θ.
  case poisson(observed: Double)
  /// RooUniform over the parameter's range (lnU): 0; the parameter stays bounded.
  case flat
  /// HistFactory's shapesys: Pois(N | s·θ) with auxiliary count N (= τ) and rate s·θ (s = τ):
  /// s·θ − N·ln θ + const, the constant chosen so that the term is 0 at its minimum θ = N/s.
  case scaledPoisson(observed: Double, scale: Double)
}

/// What kind of parameter this is.
public enum ParameterRole: Sendable, Equatable {
  case poi
  /// A constrained nuisance (lnN, lnU, gmN, param).
  case nuisance
  /// A free (or param-constrained) `rateParam`.
  case rateParam
}

/// One parameter of the compiled model.
public struct ModelParameter: Sendable, Equatable {
  public var name: String
  /// The pre-fit value (gmN: N+1; param: the mean; POI: the model's init).
  public var initial: Double
  /// The range as Combine creates it (lnN: [−7, 7], gmN: the 7σ search, param: mean ± 4σ or explicit).
  public var lower: Double
  public var upper: Double
  public var constraint: Constraint
  public var role: ParameterRole
  /// The systematic type that created it (`lnN`, `gmN`, `param`, `rateParam`, `POI`, ...).
  public var kind: String
  /// Combine's `optimizeBounds` attribute: the range is removed during MultiDimFit/FitDiagnostics
  /// fits (lnN-type Gaussian nuisances, §4.3).
  public var unboundedInFits: Bool
  /// Frozen by `nuisance edit freeze`.
  public var frozen: Bool
  /// A typical scale (uncertainty) for the minimiser's first step.
  public var step: Double

  public var isConstrained: Bool { constraint != .none }
}

/// A symmetric log-normal effect κ^θ on one term: factor exp(θ·ln κ).
public struct LogNormalEffect: Sendable, Equatable {
  public var parameter: Int
  public var logKappa: Double
}

/// An asymmetric log-normal effect κ_d/κ_u: factor exp(θ·L(θ; ln κ_d, ln κ_u)), see
/// `asymmetricLogFactor`.
public struct AsymmetricLogNormalEffect: Sendable, Equatable {
  public var parameter: Int
  public var logKappaDown: Double
  public var logKappaUp: Double
  /// Combine's interpolation (default), or a HistFactory code (pyhf workspaces' normsys).
  public var code: NormalisationInterpolation = .combine
  /// The code-4 polynomial's coefficients (`code4Coefficients`), else empty.
  public var coefficients: [Double] = []
}

/// How a term's per-bin template is evaluated (Combine §3.3).
public enum TemplateMode: Sendable, Equatable {
  /// A counting channel or `shapes * * FAKE`: one bin, T = 1.
  case counting
  /// `FastVerticalInterpHistPdf2` (no autoMCStats): unit-normalised float32 templates; after the
  /// morph each bin is floored at 1e-9 and the template renormalised to 1; the rate gives N⁰.
  case normalised
  /// `CMSHistFunc` (autoMCStats): absolute float32 templates, N⁰ = 1; after the morph each bin is
  /// floored at 1e-9 without renormalisation (`shapeN`: rescaled to the nominal sum first).
  case absolute
}

/// How a per-bin scaling μ_i meets a template morphed by shape systematics.
public enum PerBinScaling: String, Sendable, Equatable, CaseIterable {
  /// Combine's `CMSHistSum` (spec §7.3): the nominal is scaled and the morphing shifts are added
  /// unscaled, ν_i = N·max(μ_i·T⁰_i + Σ_s Δ_si, 10⁻⁹). Applied to autoMCStats (absolute, non-log)
  /// templates, where Combine builds CMSHistSum; other templates are scaled whole.
  case nominal
  /// The whole morphed template is scaled, ν_i = N·μ_i·max(T⁰_i + Σ_s Δ_si, 10⁻⁹): the shape
  /// systematics then act relative to the scaled yield.
  case template
}

/// One shape systematic's vertical morph of a template (Combine §3.3.1):
///
///     T_i(θ) = T⁰_i + Σ_s Δ_si(x_s),   Δ_i(x) = ½·x·(diff_i + S(x)·sum_i),   x_s = scale_s·θ_s
///
/// with diff = d⁺ − d⁻, sum = d⁺ + d⁻ (d^± the Up/Down deltas) and S the smooth step of
/// `smoothStep(_:_:)` with the term's smooth region q. For `shapeN` the same is done on logs.
public struct ShapeMorph: Sendable, Equatable {
  public var parameter: Int
  /// The column value s_v: the morph uses x = s_v·θ.
  public var scale: Double
  public var diff: [Double]
  public var sum: [Double]
}

/// A formula rateParam: f(@0, @1, …) of existing parameters (`arguments`), a factor of N_cp.
public struct FormulaSpec: Sendable, Equatable {
  public var name: String
  public var source: String
  public var arguments: [Int]
}

/// A per-process autoMCStats parameter (bins with n_eff ≤ threshold, §3.5): Gaussian,
/// ν_j += x·e_pj·N_p; or Poisson (`poissonCount` n), the process's contribution to bin j scaled
/// by β/n, i.e. ν_j += (β/n − 1)·N_p·T_pj.
public struct PerProcessStat: Sendable, Equatable {
  public var parameter: Int
  public var term: Int
  /// Bin index inside the channel.
  public var bin: Int
  /// n = ⌊0.5 + v²/e²⌋ for a Poisson parameter, nil for a Gaussian one.
  public var poissonCount: Double? = nil
}

/// A channel (datacard bin) with its template bins; counting channels have one bin.
public struct Channel: Sendable, Equatable {
  public var name: String
  public var binCount: Int
  /// Offset of this channel's first bin in the flat bin arrays.
  public var firstBin: Int
  /// The bin edges of the channel's histograms (data_obs, else the first template), binCount + 1;
  /// nil for counting and FAKE channels.
  public var edges: [Double]? = nil
}

/// The expected yield of one (channel, process) pair:
///
///     N_cp(θ) = N⁰_cp · exp( Σ_sym θ_j ln κ_j + Σ_asym θ_a·L(θ_a; ln κ_d, ln κ_u) ) · Π_f x_f
///
/// (Combine's `ProcessNormalization`, §3.2), where the x_f are parameters multiplied in, in
/// Combine's order: the physics-model scale (a POI), then every rateParam of "<c>AND<p>", then the
/// gmN parameter (with N⁰ = α, the gmN column value). The per-bin contribution is N_cp·T_cpi with
/// `template` T (length = the channel's bin count; [1] for a counting channel).
public struct YieldTerm: Sendable, Equatable {
  public var channel: Int
  public var process: String
  public var isSignal: Bool
  /// N⁰_cp: the rate (rounded like `%g` if the term has no factor at all), or α for gmN.
  public var nominal: Double
  /// Per-bin shape T_cpi, multiplied by N_cp.
  public var template: [Double]
  public var logNormals: [LogNormalEffect]
  public var asymmetricLogNormals: [AsymmetricLogNormalEffect]
  /// Parameter indices multiplied into N_cp.
  public var factors: [Int]
  /// Formula rateParams (indices into `CompiledModel.formulas`) multiplied into N_cp.
  public var formulas: [Int] = []
  /// An external scaling function multiplied into N_cp (index into `CompiledModel.scalings`).
  public var scaling: Int? = nil
  /// Per-bin external scaling functions: bin i of the template is multiplied by function
  /// `binScalingFirst + i`.
  public var binScalingFirst: Int? = nil
  public var mode: TemplateMode = .counting
  /// `shapeN` (log-space) morphing.
  public var logMorph: Bool = false
  /// q = min(1, column scales of this template's shape systematics).
  public var smoothRegion: Double = 1
  public var morphs: [ShapeMorph] = []
  /// Nominal per-bin MC errors e_i (absolute mode, for autoMCStats), else empty.
  public var binErrors: [Double] = []
  /// How this term's per-bin scalings meet its morphs, overriding `CompiledModel.perBinScaling`
  /// (pyhf workspaces' terms: `.template`, whatever model they are combined into).
  public var perBinScaling: PerBinScaling? = nil
}

/// A datacard compiled with a physics model into flat arrays, ready for `NLL`.
public struct CompiledModel: Sendable {
  public var parameters: [ModelParameter]
  /// Indices of the POIs in `parameters`, in the physics model's order.
  public var pois: [Int]
  public var channels: [Channel]
  public var terms: [YieldTerm]
  /// Observed counts per flat bin (nil if the card has no observation line).
  public var observed: [Double]?
  /// True for a pure counting card (no `shapes` line): Combine fits it with RooFit's own NLL, and
  /// the Minos error level ½χ²₁(0.68) = 0.494475 survives (2ΔNLL = 0.98895, §5.4, §11.1). With
  /// `shapes * * FAKE` (CachingSimNLL) the level is reset to 0.5.
  public var isPureCounting: Bool
  /// Flat bins of autoMCStats channels (errors are accumulated, ν floored at 1e-9 after the
  /// Barlow–Beeston terms).
  public var statBins: [Int] = []
  /// Flat bins with one analytic Barlow–Beeston-lite parameter (minimised in closed form, §3.5).
  public var barlowBeestonBins: [Int] = []
  /// Per-process autoMCStats parameters.
  public var perProcessStats: [PerProcessStat] = []
  /// Formula rateParams, referenced by `YieldTerm.formulas`.
  public var formulas: [FormulaSpec] = []
  /// External yield scalings of the physics model (EFT), if any. Bins of channels with scaled
  /// terms are floored at 1e-9 (Combine's floor policy for negative yields).
  public var scalings: YieldScalingFunctions? = nil
  /// Channels left out of the NLL (`mask_<channel>` = 1; their constraint terms stay).
  public var maskedChannels: Set<Int> = []
  /// Nuisance groups (`group` lines, and `autoMCStats` for the bin-wise parameters), members as
  /// parameter indices.
  public var groups: [String: [Int]] = [:]
  /// What a user should know about the inputs, with file and line (e.g. an empty nominal template).
  public var warnings: [String] = []
  /// How a per-bin scaling μ_i (`YieldScale.perBinFunctions`, e.g. Combine's `scaling.json`) enters
  /// a morphed template (see `PerBinScaling`).
  public var perBinScaling: PerBinScaling = .nominal
  public var binCount: Int { channels.reduce(0) { $0 + $1.binCount } }

  /// ΔNLL defining a 68% `singles` interval, as Combine applies it for this card.
  public var singlesDelta: Double { isPureCounting ? 0.5 * chiSquaredQuantile(0.68, degreesOfFreedom: 1) : 0.5 }
  /// The factor Combine's Hesse errors carry relative to √(H⁻¹): √(2·error level).
  public var hesseErrorScale: Double { (2 * singlesDelta).squareRoot() }

  public func index(of name: String) -> Int? { parameters.firstIndex { $0.name == name } }
  public var parameterNames: [String] { parameters.map(\.name) }
  public var initialValues: [Double] { parameters.map(\.initial) }

  /// The parameters with a global observable (Gaussian, bifurcated Gaussian and gmN Poisson
  /// constraints), in parameter order: the order of `NLL.globalObservables`.
  public var globalObservableParameters: [Int] {
    parameters.indices.filter {
      switch parameters[$0].constraint {
      case .gaussian, .bifurcatedGaussian, .poisson, .scaledPoisson: return true
      case .none, .flat: return false
      }
    }
  }

  /// The nominal global observables θ_In, aligned with `globalObservableParameters`: the Gaussian
  /// and bifurcated means, the gmN counts N.
  public var nominalGlobalObservables: [Double] {
    globalObservableParameters.map {
      switch parameters[$0].constraint {
      case .gaussian(let m, _), .bifurcatedGaussian(let m, _, _): return m
      case .poisson(let n), .scaledPoisson(let n, _): return n
      case .none, .flat: return 0
      }
    }
  }

  /// The global observables at which the constraints are minimal at parameter values x (the
  /// a-posteriori Asimov's, aligned with `globalObservableParameters`): θ itself, or s·θ for a
  /// scaled Poisson (shapesys' τγ).
  public func globalObservables(at x: [Double]) -> [Double] {
    globalObservableParameters.map {
      if case .scaledPoisson(_, let scale) = parameters[$0].constraint { return scale * x[$0] }
      return x[$0]
    }
  }

  /// All external scaling values at x (allocates; for inspection, not hot loops).
  func scalingValues(_ f: YieldScalingFunctions, _ x: [Double]) -> [Double] {
    var v = [Double](repeating: 0, count: f.count)
    x.withUnsafeBufferPointer { xb in v.withUnsafeMutableBufferPointer { f.evaluate(xb, into: $0) } }
    return v
  }

  /// ν_i for every flat bin at parameter values x (templates morphed; Barlow–Beeston terms at
  /// their nominal value 0, as for an Asimov dataset); with `signal: false` the background-only
  /// model's (every signal process dropped, Combine's `ModelConfig_bonly`).
  public func expectedYields(at x: [Double], signal: Bool = true) -> [Double] {
    guard let nll = try? NLL(model: self, data: [Double](repeating: 0, count: binCount)) else { return [] }
    return nll.expectedYields(at: x, barlowBeeston: false, signal: signal)
  }
}

extension CompiledModel {
  /// Compiles a datacard with a physics model: counting channels, `shapes * * FAKE` channels and
  /// TH1 template channels (read from the card's ROOT files with `$MASS` = `mass`).
  ///
  /// Parameters, in order: the POIs, then every systematic in card order (lnN/lnU/`shape?` as lnN
  /// where no template exists, shape types: one θ each; gmN: θ ∈ 7σ bounds starting at N+1; param:
  /// Gaussian/bifurcated), then extArgs, then rateParams in first-appearance order (a `param` line
  /// of the same name constrains them), then the per-process autoMCStats parameters. Formula
  /// rateParams are functions of existing parameters (`CompiledModel.formulas`).
  /// Not supported yet (clear errors): external (workspace) rateParams and extArgs, gmM, trG, unif,
  /// dFD, dFD2, constr, gmN on a template channel, non-TH1 shape inputs.
  public static func compile(_ card: Datacard, physics: PhysicsModel = DefaultPhysicsModel(), mass: Double = 120) throws -> CompiledModel {
    try compile(card, shapes: try shapeInputs(of: card, mass: mass), physics: physics, mass: mass)
  }

  /// The templates of `card`'s shape channels, read from its ROOT files with `$MASS` = `mass`
  /// (`ShapeLoader`, normalisations checked); empty for counting and FAKE-shape cards. Errors are
  /// `DatacardError`s naming the card's file and line.
  public static func shapeInputs(of card: Datacard, mass: Double = 120) throws -> ShapeInputs {
    guard card.shapes.contains(where: { !$0.isFake }) else { return ShapeInputs() }
    return try ShapeLoader(card: card, mass: mass).load()
  }

  /// The compiler proper: `card` with its shape inputs already read (`shapeInputs(of:mass:)`).
  public static func compile(
    _ card: Datacard, shapes inputs: ShapeInputs, physics: PhysicsModel = DefaultPhysicsModel(), mass: Double = 120
  ) throws -> CompiledModel {
    var params: [ModelParameter] = []
    var indexOf: [String: Int] = [:]
    func add(_ p: ModelParameter) throws -> Int {
      if indexOf[p.name] != nil { throw LikelihoodError("parameter '\(p.name)' is defined twice") }
      params.append(p)
      indexOf[p.name] = params.count - 1
      return params.count - 1
    }

    var poiIndices: [Int] = []
    for poi in try physics.parametersOfInterest(for: card) {
      guard !poi.lower.isNaN, !poi.upper.isNaN, poi.lower < poi.upper, poi.initial >= poi.lower, poi.initial <= poi.upper else {
        throw LikelihoodError("POI '\(poi.name)' of the physics model has the empty or invalid range [\(poi.lower), \(poi.upper)] (start \(poi.initial))")
      }
      poiIndices.append(try add(ModelParameter(
        name: poi.name, initial: poi.initial, lower: poi.lower, upper: poi.upper, constraint: .none,
        role: .poi, kind: "POI", unboundedInFits: false, frozen: false,
        step: max(0.1, min(1, 0.1 * (poi.upper - poi.lower))))))
    }

    let rateParamNames = Set(card.rateParams.map(\.name))
    var paramLines: [String: ParamConstraint] = [:]
    for s in card.systematics where s.type == .param {
      guard let c = s.paramConstraint else { throw LikelihoodError("\(card.path):\(s.line): cannot parse param line '\(s.name)'") }
      paramLines[s.name] = c
    }
    func constraint(of c: ParamConstraint) -> Constraint {
      c.isAsymmetric ? .bifurcatedGaussian(mean: c.mean, sigmaLow: c.sigmaLow, sigmaHigh: c.sigmaHigh)
        : .gaussian(mean: c.mean, sigma: c.sigmaLow)
    }

    // Systematics → parameters. A name on several lines (e.g. `shape` and `shape?` in converted pyhf
    // cards) is one parameter, created by its first line; every line adds its effects to it, as in
    // Combine (its parser keeps all line indices of a name). The lines must agree on the constraint.
    var firstLine: [String: Int] = [:]
    func add(_ p: ModelParameter, line: Int) throws -> Int {
      if let k = indexOf[p.name], let first = firstLine[p.name] {
        guard params[k].constraint == p.constraint else {
          throw LikelihoodError("\(card.path):\(line): '\(p.name)' is declared with another constraint (\(p.kind)) than at line \(first) (\(params[k].kind))")
        }
        return k
      }
      firstLine[p.name] = line
      return try add(p)
    }
    for s in card.systematics {
      let frozen = card.frozen.contains(s.name)
      switch s.type {
      case .shape, .shapeN, .shape2, .shapeN2, .shapeStar, .shapeU:
        if s.effects.allSatisfy(\.isNone) { continue }
        let flat = s.type == .shapeU
        let bound = s.type == .shape ? 4.0 : 7.0
        _ = try add(ModelParameter(
          name: s.name, initial: 0, lower: flat ? -1 : -bound, upper: flat ? 1 : bound,
          constraint: flat ? .flat : .gaussian(mean: 0, sigma: 1), role: .nuisance, kind: s.type.rawValue,
          unboundedInFits: !flat, frozen: frozen, step: flat ? 0.5 : 1), line: s.line)
      case .lnN, .shapeQ, .shapeNQ:
        var p = ModelParameter(
          name: s.name, initial: 0, lower: -7, upper: 7, constraint: .gaussian(mean: 0, sigma: 1),
          role: .nuisance, kind: s.type.rawValue, unboundedInFits: true, frozen: frozen, step: 1)
        if let c = paramLines[s.name] {
          // A param line on an existing nuisance replaces its constraint and range.
          p.constraint = constraint(of: c)
          p.initial = c.mean
          p.lower = c.range.lowerBound
          p.upper = c.range.upperBound
          p.unboundedInFits = false
          p.kind = "param"
        }
        _ = try add(p, line: s.line)
      case .lnU:
        _ = try add(ModelParameter(
          name: s.name, initial: 0, lower: -1, upper: 1, constraint: .flat, role: .nuisance, kind: "lnU",
          unboundedInFits: false, frozen: frozen, step: 0.5), line: s.line)
      case .gmN:
        guard let n = s.gmNCount, n >= 0 else { throw LikelihoodError("\(card.path):\(s.line): gmN '\(s.name)' needs a count N") }
        let b = gammaNormBounds(observed: n)
        _ = try add(ModelParameter(
          name: s.name, initial: Double(n + 1), lower: b.lowerBound, upper: b.upperBound,
          constraint: .poisson(observed: Double(n)), role: .nuisance, kind: "gmN", unboundedInFits: false,
          frozen: frozen, step: Double(n + 1).squareRoot()), line: s.line)
      case .param:
        if rateParamNames.contains(s.name) || indexOf[s.name] != nil { continue }
        if card.systematics.contains(where: { $0.name == s.name && $0.type != .param }) { continue }
        let c = paramLines[s.name]!
        _ = try add(ModelParameter(
          name: s.name, initial: c.mean, lower: c.range.lowerBound, upper: c.range.upperBound,
          constraint: constraint(of: c), role: .nuisance, kind: "param", unboundedInFits: false,
          frozen: frozen, step: 0.5 * (c.sigmaLow + c.sigmaHigh)), line: s.line)
      default:
        if s.effects.allSatisfy(\.isNone) && s.type.isShape { continue }
        if s.type.isShape {
          throw LikelihoodError("\(card.path):\(s.line): systematic '\(s.name)' of type \(s.type.rawValue) needs shape templates, which are not supported yet")
        }
        throw LikelihoodError("\(card.path):\(s.line): systematic type \(s.type.rawValue) ('\(s.name)') is not supported yet")
      }
    }

    // extArg → free parameters (`name extArg init [lo,hi]`, `[const]` = fixed).
    for e in card.extArgs where indexOf[e.name] == nil {
      let loc = "\(card.path):\(e.line)"
      if e.arguments.first?.contains(".root:") == true {
        throw LikelihoodError("\(loc): extArg '\(e.name)' imports from a RooWorkspace (\(e.arguments[0])), which Recombine does not read")
      }
      guard let v = e.arguments.first.flatMap({ Double($0) }) else {
        throw LikelihoodError("\(loc): extArg '\(e.name)': expected an initial value, found '\(e.arguments.first ?? "")'")
      }
      var p = ModelParameter(name: e.name, initial: v, lower: -.infinity, upper: .infinity, constraint: .none, role: .rateParam,
                             kind: "extArg", unboundedInFits: false, frozen: card.frozen.contains(e.name), step: max(0.01, 0.1 * abs(v)))
      if e.arguments.count > 1 {
        let r = e.arguments[1]
        if r == "[const]" {
          p.frozen = true
        } else {
          let parts = r.dropFirst().dropLast().split(separator: ",").compactMap { Double($0) }
          guard r.hasPrefix("["), r.hasSuffix("]"), parts.count == 2, parts[0] <= v, v <= parts[1] else {
            throw LikelihoodError("\(loc): extArg '\(e.name)': expected a range [lo,hi] containing \(v) or [const], found '\(r)'")
          }
          p.lower = parts[0]
          p.upper = parts[1]
        }
      }
      if let c = paramLines[e.name] {
        p.constraint = constraint(of: c)
        p.lower = c.range.lowerBound
        p.upper = c.range.upperBound
      }
      _ = try add(p)
    }

    // rateParams → parameters (one per name, first definition wins); formula rateParams become
    // functions of existing parameters, after all plain ones (as text2workspace orders them).
    var formulaSpecs: [FormulaSpec] = []
    var formulaIndex: [String: Int] = [:]
    for rp in card.rateParams where indexOf[rp.name] == nil {
      if case .formula = rp.value { continue }
      switch rp.value {
      case .free(let initial, let range):
        var p = ModelParameter(
          name: rp.name, initial: initial, lower: range?.lowerBound ?? -.infinity,
          upper: range?.upperBound ?? .infinity, constraint: .none, role: .rateParam, kind: "rateParam",
          unboundedInFits: false, frozen: card.frozen.contains(rp.name),
          step: max(0.01, 0.1 * abs(initial)))
        if let c = paramLines[rp.name] {
          p.constraint = constraint(of: c)
          p.initial = c.mean
          p.lower = c.range.lowerBound
          p.upper = c.range.upperBound
          p.step = 0.5 * (c.sigmaLow + c.sigmaHigh)
        }
        _ = try add(p)
      case .formula:
        break
      case .external:
        throw LikelihoodError("\(card.path):\(rp.line): external rateParam '\(rp.name)' is not supported yet")
      }
    }

    for rp in card.rateParams where formulaIndex[rp.name] == nil {
      guard case .formula(let source, let args) = rp.value else { continue }
      guard indexOf[rp.name] == nil else { continue }
      var argIndices: [Int] = []
      for a in args {
        guard let k = indexOf[a] else {
          throw LikelihoodError("\(card.path):\(rp.line): formula rateParam '\(rp.name)' uses '\(a)', which is not a parameter of the model (nested formulas are not supported)")
        }
        argIndices.append(k)
      }
      do { _ = try Formula(source, argumentCount: args.count) } catch let e as LikelihoodError {
        throw LikelihoodError("\(card.path):\(rp.line): rateParam '\(rp.name)': \(e.message)")
      }
      formulaIndex[rp.name] = formulaSpecs.count
      formulaSpecs.append(FormulaSpec(name: rp.name, source: source, arguments: argIndices))
    }
    // flatParam: an existing parameter floats without constraint.
    for f in card.flatParams {
      guard let k = indexOf[f.name] else { continue }
      params[k].constraint = .none
      params[k].frozen = card.frozen.contains(f.name)
    }

    // Channels: template channels have the templates' bins, counting and FAKE channels one.
    var channels: [Channel] = []
    var first = 0
    // The first column of each bin with a template, in one pass over the columns.
    var templateColumn: [String: Int] = [:]
    for (ci, c) in card.columns.enumerated() where templateColumn[c.bin] == nil && inputs.templates[ci] != nil {
      templateColumn[c.bin] = ci
    }
    for b in card.bins {
      var n = 1
      var edges: [Double]? = nil
      if let d = inputs.data[b] {
        n = d.values.count
        edges = d.xEdges
      } else if let ci = templateColumn[b] {
        n = inputs.templates[ci]!.nominal.values.count
        edges = inputs.templates[ci]!.nominal.xEdges
      }
      if edges?.count != n + 1 { edges = nil }
      channels.append(Channel(name: b, binCount: n, firstBin: first, edges: edges))
      first += n
    }
    let channelIndex = Dictionary(uniqueKeysWithValues: card.bins.enumerated().map { ($1, $0) })

    // Terms.
    var terms: [YieldTerm] = []
    for (col, pc) in card.columns.enumerated() where pc.rate != 0 {
      guard let ci = channelIndex[pc.bin] else { throw LikelihoodError("column bin '\(pc.bin)' is not a declared bin") }
      let scale = try physics.yieldScale(bin: pc.bin, process: pc.process, isSignal: pc.isSignal)
      var factors: [Int] = []
      var scalingIndex: Int? = nil, binScaling: (first: Int, count: Int)? = nil
      switch scale {
      case .zero: continue
      case .one: break
      case .parameter(let name):
        guard let k = indexOf[name] else { throw LikelihoodError("physics model scales \(pc.bin)/\(pc.process) by unknown parameter '\(name)'") }
        factors.append(k)
      case .function(let k):
        guard let f = physics.scalingFunctions, k >= 0, k < f.count else {
          throw LikelihoodError("physics model scales \(pc.bin)/\(pc.process) by scaling function \(k), which it does not provide")
        }
        scalingIndex = k
      case .perBinFunctions(let first, let count):
        guard let f = physics.scalingFunctions, first >= 0, first + count <= f.count else {
          throw LikelihoodError("physics model scales \(pc.bin)/\(pc.process) by scaling functions it does not provide")
        }
        binScaling = (first, count)
      }
      let key = BinProcess(pc.bin, pc.process)
      var formulas: [Int] = []
      for rp in card.rateParams where rp.targets.contains(key) {
        if let f = formulaIndex[rp.name] { formulas.append(f) } else { factors.append(indexOf[rp.name]!) }
      }

      var sym: [LogNormalEffect] = []
      var asym: [AsymmetricLogNormalEffect] = []
      var nominal = pc.rate
      var gamma: Int? = nil
      let templates = inputs.templates[col]
      for (si, s) in card.systematics.enumerated() where s.type.hasColumns && col < s.effects.count {
        let e = s.effects[col]
        if e.isNone { continue }
        // A shape-type column with templates morphs; `shape?` without an Up template is an lnN.
        if s.type.isShape, templates?.variations[si] != nil { continue }
        if s.type.isShape, !s.type.isShapeOrLogNormal {
          throw LikelihoodError("\(card.path):\(s.line): shape systematic '\(s.name)' affects \(pc.bin)/\(pc.process), which has no template (counting or FAKE channel)")
        }
        switch s.type {
        case .lnN, .lnU, .shapeQ, .shapeNQ:
          guard let k = indexOf[s.name] else { continue }
          switch e {
          case .value(let kappa):
            if kappa == 0 || kappa == 1 { continue }
            guard kappa > 0 else { throw LikelihoodError("\(card.path):\(s.line): \(s.name): κ = \(kappa) must be positive") }
            sym.append(LogNormalEffect(parameter: k, logKappa: log(kappa)))
          case .asymmetric(let d, let u):
            guard d > 0, u > 0 else { throw LikelihoodError("\(card.path):\(s.line): \(s.name): κ = \(d)/\(u) must be positive") }
            // |κ_d·κ_u − 1| < 1e-5 → a symmetric κ_u (`addAsymmLogNormal`).
            if abs(d * u - 1) < 1e-5 {
              if u != 1 { sym.append(LogNormalEffect(parameter: k, logKappa: log(u))) }
            } else {
              asym.append(AsymmetricLogNormalEffect(parameter: k, logKappaDown: log(d), logKappaUp: log(u)))
            }
          case .none: continue
          }
        case .gmN:
          guard case .value(let alpha) = e else { throw LikelihoodError("\(card.path):\(s.line): gmN '\(s.name)' needs a single α per column") }
          if alpha == 0 { continue }
          if gamma != nil { throw LikelihoodError("\(card.path):\(s.line): more than one gmN for \(pc.bin)/\(pc.process)") }
          gamma = indexOf[s.name]!
          nominal = alpha
        default:
          break  // rejected when the parameters were created
        }
      }
      if let g = gamma { factors.append(g) }
      var term = YieldTerm(
        channel: ci, process: pc.process, isSignal: pc.isSignal, nominal: nominal, template: [1],
        logNormals: sym, asymmetricLogNormals: asym, factors: factors)
      term.formulas = formulas
      term.scaling = scalingIndex
      if let b = binScaling {
        guard b.count == channels[ci].binCount else {
          throw LikelihoodError("physics model gives \(b.count) per-bin scalings for \(pc.bin)/\(pc.process), which has \(channels[ci].binCount) bins")
        }
        term.binScalingFirst = b.first
      }
      if let templates {
        if gamma != nil { throw LikelihoodError("\(card.path): gmN on a shape channel (\(pc.bin)/\(pc.process)) is not supported yet") }
        try addTemplate(&term, templates, column: col, card: card, stats: card.autoMCStatsSettings(forBin: pc.bin), parameterIndex: indexOf)
      }
      if factors.isEmpty && formulas.isEmpty && scalingIndex == nil && sym.isEmpty && asym.isEmpty && term.mode != .absolute {
        // Factor-free yields are written as `n_exp_bin<c>_proc_<p>[<rate:g>]` (§11).
        term.nominal = roundedLikePercentG(term.nominal)
      }
      terms.append(term)
    }

    // Observed data: data_obs contents (float32, as Combine's TH1F copies) or the observation.
    var observed: [Double]? = nil
    if let obs = card.observations {
      var o: [Double] = []
      for (bi, b) in card.bins.enumerated() {
        if let d = inputs.data[b] {
          o += d.values.map { Double(Float($0)) }
        } else {
          o.append(obs[bi])
        }
      }
      observed = o
    }
    var model = CompiledModel(
      parameters: params, pois: poiIndices, channels: channels, terms: terms,
      observed: observed, isPureCounting: !card.hasShapes)
    model.formulas = formulaSpecs
    model.scalings = physics.scalingFunctions
    model.warnings = inputs.warnings.map { "warning: \(card.path):\($0.line): \($0.message)" }
    try model.setUpAutoMCStats(card)
    for g in card.groups { model.groups[g.name] = g.members.compactMap { name in model.parameters.firstIndex { $0.name == name } } }
    let stats = model.parameters.indices.filter { model.parameters[$0].kind == "autoMCStats" }
    if !stats.isEmpty { model.groups["autoMCStats"] = stats }
    return model
  }
}
