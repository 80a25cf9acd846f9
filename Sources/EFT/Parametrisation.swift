//===--- Parametrisation.swift --------------------------------------------===//
// Named Wilson coefficients, named quadratic forms, and per-(channel, process[, bin]) scalings
// μ = Π numerators / Π denominators (production × partial width / total width).
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// A Wilson coefficient and the POI that represents it.
///
/// The physical coefficient c is what the forms of an `EFTParametrisation` are written in. The POI θ
/// is c rescaled for conditioning (STXStoSMEFT's `exponent` convention): c = e·θ with
/// e = 10^(−exponent), so `chg` with exponent 3 becomes the POI `chgXE3` = c_HG × 10³. The range
/// and initial value are those of the POI θ.
public struct WilsonCoefficient: Sendable, Hashable, Codable {
  public var name: String
  /// Initial value of the POI.
  public var value: Double
  /// Range of the POI.
  public var minimum: Double
  public var maximum: Double
  /// c = 10^(−exponent) · θ.
  public var exponent: Int

  public init(
    name: String, value: Double = 0, minimum: Double = -10, maximum: Double = 10, exponent: Int = 0
  ) {
    self.name = name
    self.value = value
    self.minimum = minimum
    self.maximum = maximum
    self.exponent = exponent
  }

  /// e = 10^(−exponent): the physical coefficient per unit POI.
  public var scale: Double { pow(10, Double(-exponent)) }

  /// The POI's name: `name` for exponent 0, `nameXE<n>` for n > 0, `nameXEm<n>` for n < 0
  /// (STXStoSMEFT's naming).
  public var poiName: String {
    exponent == 0 ? name : exponent > 0 ? "\(name)XE\(exponent)" : "\(name)XEm\(-exponent)"
  }
}

/// μ = Π_k F[numerators[k]](c) / Π_k F[denominators[k]](c): named forms of an `EFTParametrisation`.
/// For a Higgs STXS bin p and decay f: numerators = [prod p, decay f], denominators = [decay tot].
public struct ScalingFactors: Sendable, Hashable, Codable {
  public var numerators: [String]
  public var denominators: [String]
  public init(numerators: [String], denominators: [String] = []) {
    self.numerators = numerators
    self.denominators = denominators
  }
}

/// How one (channel, process) is scaled.
public enum TargetScaling: Sendable, Hashable {
  /// One scaling for the whole process (a normalisation factor; every bin alike).
  case process(ScalingFactors)
  /// One scaling per shape bin, in bin order.
  case perBin([ScalingFactors])
}

/// The scaling of one datacard (channel, process). `channel` "*" matches every channel.
public struct EFTTarget: Sendable, Hashable {
  public var channel: String
  public var process: String
  public var scaling: TargetScaling
  public init(channel: String = "*", process: String, scaling: TargetScaling) {
    self.channel = channel
    self.process = process
    self.scaling = scaling
  }
}

/// Errors of the EFT module (parsing, validation, compilation).
public struct EFTError: RecombineError, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A complete EFT parametrisation, in the physical coefficients: the coefficient list, the named
/// quadratic forms (their indices are positions in `coefficients`) and the targets.
/// Every importer produces one; `compile(options:basis:)` turns it into an `EFTModel`.
public struct EFTParametrisation: Sendable, Equatable {
  public var coefficients: [WilsonCoefficient]
  public var forms: [String: QuadraticForm]
  public var targets: [EFTTarget]

  public init(
    coefficients: [WilsonCoefficient] = [], forms: [String: QuadraticForm] = [:],
    targets: [EFTTarget] = []
  ) {
    self.coefficients = coefficients
    self.forms = forms
    self.targets = targets
  }

  /// Position of the coefficient called `name`.
  public func coefficientIndex(named name: String) -> Int? {
    coefficients.firstIndex { $0.name == name }
  }

  /// The target for (channel, process): an exact channel match first, then channel "*".
  public func target(channel: String, process: String) -> EFTTarget? {
    targets.first { $0.channel == channel && $0.process == process }
      ?? targets.first { $0.channel == "*" && $0.process == process }
  }

  /// The factors of one target's scaling μ(c) = Π numerators / Π denominators (bin `bin` for
  /// per-bin targets): names of forms in `forms`, in the physical coefficients. Nil when no target
  /// matches or `bin` is out of range.
  public func factors(channel: String, process: String, bin: Int = 0) -> ScalingFactors? {
    guard let t = target(channel: channel, process: process) else { return nil }
    switch t.scaling {
    case .process(let f): return f
    case .perBin(let b): return bin < b.count ? b[bin] : nil
    }
  }

  /// Checks that coefficient names are unique, every form index is a valid coefficient, no
  /// (channel, process) has two targets, and every referenced form exists.
  public func validate() throws {
    var seenNames = Set<String>()
    for c in coefficients where !seenNames.insert(c.name).inserted {
      throw EFTError("duplicate coefficient '\(c.name)'")
    }
    var seenTargets = Set<[String]>()
    for t in targets where !seenTargets.insert([t.channel, t.process]).inserted {
      throw EFTError("duplicate target \(t.channel)/\(t.process): each (channel, process) may have one target")
    }
    for (name, f) in forms where (f.indices.last ?? -1) >= coefficients.count {
      throw EFTError(
        "form '\(name)' refers to coefficient index \(f.indices.last!) ≥ \(coefficients.count)")
    }
    for t in targets {
      let all: [ScalingFactors]
      switch t.scaling {
      case .process(let f): all = [f]
      case .perBin(let b): all = b
      }
      for f in all {
        for n in f.numerators + f.denominators where forms[n] == nil {
          throw EFTError("target \(t.channel)/\(t.process) refers to unknown form '\(n)'")
        }
      }
    }
  }

  /// Keeps only the coefficients in `names` (in that order); terms in the others are dropped
  /// (equivalent to fixing them at 0). Unknown names are an error.
  public func restricted(to names: [String]) throws -> EFTParametrisation {
    var map: [Int] = []
    for n in names {
      guard let i = coefficientIndex(named: n) else { throw EFTError("unknown coefficient '\(n)'") }
      map.append(i)
    }
    var t = [[Double]](
      repeating: [Double](repeating: 0, count: names.count), count: coefficients.count)
    for (a, i) in map.enumerated() { t[i][a] = 1 }
    var out = self
    out.coefficients = map.map { coefficients[$0] }
    out.forms = forms.mapValues { $0.substituted(t, newCount: names.count) }
    return out
  }
}

// MARK: - Compilation

/// How production, partial and total widths are combined.
public enum RatioMode: String, Sendable, CaseIterable, Codable {
  /// μ = Π numerators / Π denominators, each factor a quadratic form (STXStoSMEFT's default).
  case ratio
  /// The ratio Taylor-expanded to second order in θ around 0 (STXStoSMEFT `expand_equations`); one
  /// quadratic form per target. Can go negative.
  case expanded
}

/// Run-time choice of how the scalings are evaluated.
public struct EFTOptions: Sendable, Hashable {
  /// `.linear` drops θ_iθ_j terms: from every factor before the ratio (`.ratio`), or from the
  /// expanded series (`.expanded`, giving A_j = A_j^P + A_j^f − A_j^tot).
  public var truncation: Truncation
  public var ratio: RatioMode
  /// Apply the per-coefficient `exponent` rescaling (ignored when a basis is given).
  public var applyExponents: Bool

  public init(
    truncation: Truncation = .quadratic, ratio: RatioMode = .ratio, applyExponents: Bool = true
  ) {
    self.truncation = truncation
    self.ratio = ratio
    self.applyExponents = applyExponents
  }

  /// The command-line spelling `--truncation linear|quadratic|expanded`: `linear` and `quadratic`
  /// keep the ratio; `expanded` is the second-order expansion; `linear-expanded` the first-order one.
  public init(truncation name: String) throws {
    switch name {
    case "linear": self.init(truncation: .linear)
    case "quadratic", "linquad", "linear+quadratic": self.init(truncation: .quadratic)
    case "expanded": self.init(truncation: .quadratic, ratio: .expanded)
    case "linear-expanded": self.init(truncation: .linear, ratio: .expanded)
    default:
      throw EFTError("unknown truncation '\(name)' (linear, quadratic, expanded, linear-expanded)")
    }
  }
}

/// One compiled scaling μ(θ) = Π numerators(θ) / Π denominators(θ), in POI space.
public struct CompiledScaling: Sendable, Hashable, ScalingKernel {
  public var numerators: [QuadraticForm]
  public var denominators: [QuadraticForm]

  public init(numerators: [QuadraticForm], denominators: [QuadraticForm] = []) {
    self.numerators = numerators
    self.denominators = denominators
  }

  /// μ = N/D with N = Π n_k, D = Π d_k; gradient by the product and quotient rules:
  ///
  ///     ∂μ/∂θ = Σ_k (Π_{l≠k} n_l / D) ∂n_k/∂θ − Σ_k (μ / d_k) ∂d_k/∂θ.
  ///
  /// No heap allocation (the factor values are kept in a stack buffer); with a gradient each
  /// factor is evaluated twice (value pass, then weighted gradient pass), without once. A
  /// single-numerator scaling costs one pass.
  @inline(__always)
  public func evaluate(
    _ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutablePointer<Double>?, weight: Double
  )
    -> Double
  {
    if denominators.isEmpty && numerators.count == 1 {
      return numerators[0].evaluate(theta, gradient: gradient, weight: weight)
    }
    guard let g = gradient else {
      var num = 1.0
      for f in numerators { num *= f.evaluate(theta, gradient: nil, weight: 0) }
      var den = 1.0
      for f in denominators { den *= f.evaluate(theta, gradient: nil, weight: 0) }
      return num / den
    }
    let nn = numerators.count
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: nn + denominators.count) { v in
      var num = 1.0
      for k in 0..<nn {
        v[k] = numerators[k].evaluate(theta, gradient: nil, weight: 0)
        num *= v[k]
      }
      var den = 1.0
      for k in denominators.indices {
        v[nn + k] = denominators[k].evaluate(theta, gradient: nil, weight: 0)
        den *= v[nn + k]
      }
      let mu = num / den
      for k in 0..<nn {
        var others = 1.0
        for l in 0..<nn where l != k { others *= v[l] }
        _ = numerators[k].evaluate(theta, gradient: g, weight: weight * others / den)
      }
      for k in denominators.indices {
        _ = denominators[k].evaluate(theta, gradient: g, weight: -weight * mu / v[nn + k])
      }
      return mu
    }
  }
}

/// A target after compilation: its scalings (one, or one per bin) in POI space.
public struct CompiledTarget: Sendable, Hashable {
  public var channel: String
  public var process: String
  /// True when `scalings` has one entry per shape bin; false for one normalisation scaling.
  public var perBin: Bool
  public var scalings: [CompiledScaling]

  /// The scaling of shape bin `bin` (the single scaling for a process-level target).
  public func scaling(bin: Int) -> CompiledScaling { perBin ? scalings[bin] : scalings[0] }
}

/// The compiled EFT model the likelihood consumes: POIs, and for each (channel, process[, bin]) a
/// `CompiledScaling` in the POIs. With `.expanded` every scaling is a single quadratic form.
public struct EFTModel: Sendable {
  /// The POIs in θ order (names, initial values and ranges).
  public let parameters: [POI]
  public let options: EFTOptions
  public let targets: [CompiledTarget]
  /// c = T θ: row i gives physical coefficient i in terms of the POIs.
  public let coefficientTransform: [[Double]]

  /// A POI of the model.
  public struct POI: Sendable, Hashable {
    public var name: String
    public var value: Double
    public var minimum: Double
    public var maximum: Double
  }

  public var parameterNames: [String] { parameters.map(\.name) }

  init(parameters: [POI], options: EFTOptions, targets: [CompiledTarget], transform: [[Double]]) {
    self.parameters = parameters
    self.options = options
    self.targets = targets
    self.coefficientTransform = transform
    var idx: [String: Int] = [:]
    for (k, t) in targets.enumerated() where idx["\(t.channel)\u{1F}\(t.process)"] == nil {
      idx["\(t.channel)\u{1F}\(t.process)"] = k
    }
    lookup = idx
    var unique: [CompiledScaling] = []
    var position: [CompiledScaling: Int] = [:]
    var map: [Int] = []
    var first: [Int] = []
    for s in targets.lazy.flatMap(\.scalings) {
      if let u = position[s] {
        map.append(u)
      } else {
        position[s] = unique.count
        map.append(unique.count)
        first.append(map.count - 1)
        unique.append(s)
      }
    }
    uniqueScalings = unique
    flatToUnique = map
    firstFlatIndex = first
  }

  private let lookup: [String: Int]

  /// The distinct scalings of `flatScalings`, in order of first use. Targets with the same factors
  /// share one (compile() builds each distinct `ScalingFactors` once, and equal forms give equal
  /// scalings), so each is evaluated once by `evaluateAll` and `accumulateGradient`.
  public let uniqueScalings: [CompiledScaling]
  /// For each entry of `flatScalings`, the index of its scaling in `uniqueScalings`.
  public let flatToUnique: [Int]
  /// For each entry of `uniqueScalings`, the first `flatScalings` index that uses it.
  private let firstFlatIndex: [Int]

  /// The target for (channel, process): exact channel first, then "*".
  public func target(channel: String, process: String) -> CompiledTarget? {
    if let k = lookup["\(channel)\u{1F}\(process)"] { return targets[k] }
    if let k = lookup["*\u{1F}\(process)"] { return targets[k] }
    return nil
  }

  /// The scaling of (channel, process, bin), or nil if the process is not EFT-scaled.
  public func scaling(channel: String, process: String, bin: Int = 0) -> CompiledScaling? {
    target(channel: channel, process: process)?.scaling(bin: bin)
  }

  /// The POI vector at the model's initial values.
  public var initialValues: [Double] { parameters.map(\.value) }

  // MARK: Bulk evaluation (the layout the likelihood uses)

  /// Every scaling of every target, flattened: target k owns `flatScalings[flatOffsets[k] ..<
  /// flatOffsets[k] + targets[k].scalings.count]` (one entry, or one per shape bin).
  public var flatScalings: [CompiledScaling] { targets.flatMap(\.scalings) }

  /// Start of each target's scalings in `flatScalings`.
  public var flatOffsets: [Int] {
    var out: [Int] = []
    var o = 0
    for t in targets {
      out.append(o)
      o += t.scalings.count
    }
    return out
  }

  /// μ of every scaling (in `flatScalings` order) written into `values` (which must be at least
  /// that long), without allocation: each of `uniqueScalings` is evaluated once and copied to the
  /// entries that share it.
  public func evaluateAll(_ theta: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) {
    for u in uniqueScalings.indices {
      values[firstFlatIndex[u]] = uniqueScalings[u].evaluate(theta, gradient: nil, weight: 0)
    }
    for k in flatToUnique.indices { values[k] = values[firstFlatIndex[flatToUnique[k]]] }
  }

  /// `evaluateAll` on arrays.
  public func evaluateAll(at theta: [Double], into values: inout [Double]) {
    theta.withUnsafeBufferPointer { t in values.withUnsafeMutableBufferPointer { evaluateAll(t, into: $0) } }
  }

  /// Adds Σ_k weights[k] · ∂μ_k/∂θ to `gradient` (k over `flatScalings`); returns Σ_k weights[k]·μ_k.
  /// This is what an NLL needs: weights[k] = ∂NLL/∂μ_k (e.g. Σ_bins y_k,b (1 − n_b/ν_b)). The
  /// weights of entries that share a scaling are summed first (in a stack buffer), so each of
  /// `uniqueScalings` is evaluated at most once.
  @discardableResult
  public func accumulateGradient(
    _ theta: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>, into gradient: UnsafeMutablePointer<Double>?
  ) -> Double {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: uniqueScalings.count) { w in
      w.initialize(repeating: 0)
      for k in flatToUnique.indices { w[flatToUnique[k]] += weights[k] }
      var total = 0.0
      for u in uniqueScalings.indices where w[u] != 0 {
        total += w[u] * uniqueScalings[u].evaluate(theta, gradient: gradient, weight: w[u])
      }
      return total
    }
  }

  /// `accumulateGradient` on arrays.
  @discardableResult
  public func accumulateGradient(
    at theta: [Double], weights: [Double], into gradient: inout [Double]
  ) -> Double {
    theta.withUnsafeBufferPointer { t in
      weights.withUnsafeBufferPointer { w in
        gradient.withUnsafeMutableBufferPointer { accumulateGradient(t, weights: w, into: $0.baseAddress) }
      }
    }
  }

  /// The scalings that are ≤ `threshold` at θ (e.g. negative yields from a truncated or expanded
  /// polynomial), for warnings during scans.
  public func nonPositiveScalings(at theta: [Double], threshold: Double = 0) -> [(
    channel: String, process: String, bin: Int, value: Double
  )] {
    var out: [(String, String, Int, Double)] = []
    for t in targets {
      for (b, s) in t.scalings.enumerated() {
        let v = s.value(at: theta)
        if v <= threshold { out.append((t.channel, t.process, t.perBin ? b : 0, v)) }
      }
    }
    return out
  }
}

extension EFTParametrisation {
  /// Builds the POI-space model.
  /// - Parameters:
  ///   - options: truncation and ratio mode.
  ///   - basis: if given, the POIs are the basis parameters φ (c = T φ) and the exponents are not
  ///     used; otherwise the POIs are the coefficients rescaled by their exponents (c = e·θ) when
  ///     `options.applyExponents`, else the coefficients themselves.
  public func compile(options: EFTOptions = EFTOptions(), basis: EFTBasis? = nil) throws -> EFTModel
  {
    try validate()
    let n = coefficients.count
    var transform: [[Double]]
    var pois: [EFTModel.POI]
    if let b = basis {
      guard b.transform.count == n else {
        throw EFTError(
          "basis has \(b.transform.count) coefficient rows, parametrisation has \(n) coefficients")
      }
      transform = b.transform
      pois = b.parameters.map {
        EFTModel.POI(name: $0.name, value: $0.value, minimum: $0.minimum, maximum: $0.maximum)
      }
    } else {
      transform = (0..<n).map { i in
        var row = [Double](repeating: 0, count: n)
        row[i] = options.applyExponents ? coefficients[i].scale : 1
        return row
      }
      pois = coefficients.map {
        EFTModel.POI(
          name: options.applyExponents ? $0.poiName : $0.name, value: $0.value, minimum: $0.minimum,
          maximum: $0.maximum)
      }
    }
    let m = pois.count
    let isDiagonal = basis == nil
    // The diagonal case rescales each coefficient; a basis (m ≤ n columns) substitutes c = T φ.
    let scales = isDiagonal ? transform.enumerated().map { $0.element[$0.offset] } : []
    var converted: [String: QuadraticForm] = [:]
    for (name, f) in forms {
      converted[name] = isDiagonal ? f.rescaled(scales) : f.substituted(transform, newCount: m)
    }
    func build(_ sf: ScalingFactors) -> CompiledScaling {
      let nums = sf.numerators.map { converted[$0]! }
      let dens = sf.denominators.map { converted[$0]! }
      switch options.ratio {
      case .ratio:
        return CompiledScaling(
          numerators: nums.map { $0.truncated(options.truncation) },
          denominators: dens.map { $0.truncated(options.truncation) })
      case .expanded:
        let f = QuadraticForm.expandedRatio(numerators: nums, denominators: dens)
        return CompiledScaling(numerators: [f.truncated(options.truncation)])
      }
    }
    var cache: [ScalingFactors: CompiledScaling] = [:]
    func cached(_ sf: ScalingFactors) -> CompiledScaling {
      if let c = cache[sf] { return c }
      let c = build(sf)
      cache[sf] = c
      return c
    }
    let compiled = targets.map { t -> CompiledTarget in
      switch t.scaling {
      case .process(let f):
        return CompiledTarget(
          channel: t.channel, process: t.process, perBin: false, scalings: [cached(f)])
      case .perBin(let b):
        return CompiledTarget(
          channel: t.channel, process: t.process, perBin: true, scalings: b.map(cached))
      }
    }
    return EFTModel(parameters: pois, options: options, targets: compiled, transform: transform)
  }
}

extension EFTParametrisation {
  /// A copy in which every scaling with more than one factor (or any denominator) is replaced by its
  /// second-order Taylor expansion, one form per distinct scaling, named
  /// `"expanded:<n1>*<n2>/<d1>"` (STXStoSMEFT's `expand_equations`, then `truncation`). Needed to
  /// write ratio parametrisations in single-form formats (Combine scaling.json, EFT2Obs).
  public func expandingRatios(truncation: Truncation = .quadratic) throws -> EFTParametrisation {
    try validate()
    var out = self
    func expand(_ f: ScalingFactors) -> ScalingFactors {
      if f.numerators.count == 1 && f.denominators.isEmpty && truncation == .quadratic { return f }
      let name =
        "expanded:" + f.numerators.joined(separator: "*")
        + (f.denominators.isEmpty ? "" : "/" + f.denominators.joined(separator: "*"))
        + (truncation == .linear ? ":linear" : "")
      if out.forms[name] == nil {
        out.forms[name] = QuadraticForm.expandedRatio(
          numerators: f.numerators.map { forms[$0]! },
          denominators: f.denominators.map { forms[$0]! }
        ).truncated(truncation)
      }
      return ScalingFactors(numerators: [name])
    }
    out.targets = targets.map { t in
      var t = t
      switch t.scaling {
      case .process(let f): t.scaling = .process(expand(f))
      case .perBin(let b): t.scaling = .perBin(b.map(expand))
      }
      return t
    }
    return out
  }
}
