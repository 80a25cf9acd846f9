//===--- FitSetup.swift ---------------------------------------------------===//
// Parameter values, ranges and frozen flags for one fit, and Combine's command-line semantics for
// changing them (§4.1, §4.4).
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// The state of every model parameter for a fit: current value, the range the minimiser uses,
/// the range Combine checks `--setParameters` against, and whether it is held fixed.
public struct FitSetup: Sendable {
  public var names: [String]
  public var values: [Double]
  /// Bounds used by the minimiser (−∞/+∞ for lnN nuisances: Combine's OPTIMIZE_BOUNDS, §4.3).
  public var lower: [Double]
  public var upper: [Double]
  /// The variables' declared ranges (what `--setParameters` is checked against).
  public var declaredLower: [Double]
  public var declaredUpper: [Double]
  public var fixed: [Bool]
  /// Names given in `--setParameters` (they keep `r` from being overwritten by `--expectSignal`'s default).
  public var explicitlySet: Set<String> = []
  let indexOf: [String: Int]
  let pois: [Int]
  let constrained: [Bool]
  let channelIndex: [String: Int]
  let groups: [String: [Int]]
  /// Channels masked with `--setParameters mask_<channel>=1` (no `--channel-masks` step is needed).
  public var maskedChannels: Set<Int> = []
  /// The autoMCStats Barlow–Beeston-lite parameters are held (`allConstrainedNuisances`, or the
  /// group `autoMCStats`, as Combine names it) instead of being profiled.
  public var barlowBeestonFrozen = false
  let hasBarlowBeeston: Bool

  /// The pre-fit state: initial values, declared ranges (lnN-type nuisances unbounded for fits),
  /// `nuisance edit freeze` parameters fixed.
  public init(model: CompiledModel) {
    names = model.parameters.map(\.name)
    values = model.parameters.map(\.initial)
    declaredLower = model.parameters.map(\.lower)
    declaredUpper = model.parameters.map(\.upper)
    lower = model.parameters.map { $0.unboundedInFits ? -.infinity : $0.lower }
    upper = model.parameters.map { $0.unboundedInFits ? .infinity : $0.upper }
    fixed = model.parameters.map(\.frozen)
    indexOf = Dictionary(uniqueKeysWithValues: model.parameters.enumerated().map { ($1.name, $0) })
    pois = model.pois
    constrained = model.parameters.map { $0.role == .nuisance }
    channelIndex = Dictionary(model.channels.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    groups = model.groups
    maskedChannels = model.maskedChannels
    hasBarlowBeeston = !model.barlowBeestonBins.isEmpty
  }

  /// `--freezeNuisanceGroups g1,^g2`: freeze every member of g1, and every nuisance not in g2.
  public mutating func freezeGroups(_ spec: String) throws {
    for item in spec.split(separator: ",") where !item.isEmpty {
      var name = item.trimmingCharacters(in: .whitespaces)
      let invert = name.hasPrefix("^")
      if invert { name.removeFirst() }
      if name == "autoMCStats" && groups[name] == nil && hasBarlowBeeston {
        // Combine's automatic group of the autoMCStats parameters.
        if invert {
          for k in names.indices where constrained[k] { fixed[k] = true }
        } else {
          barlowBeestonFrozen = true
        }
        continue
      }
      guard let members = groups[name] else {
        throw LikelihoodError("unknown nuisance group '\(name)' (groups: \(groups.keys.sorted().joined(separator: ", ")))")
      }
      if invert {
        let keep = Set(members)
        for k in names.indices where constrained[k] && !keep.contains(k) { fixed[k] = true }
      } else {
        for k in members { fixed[k] = true }
      }
    }
  }

  public func index(of name: String) -> Int? { indexOf[name] }

  func require(_ name: String) throws -> Int {
    guard let i = indexOf[name] else { throw LikelihoodError("unknown parameter '\(name)'\(didYouMean(name, in: names))") }
    return i
  }

  /// The parameters a name stands for: itself, or, written `rgx{RE}` or `var{RE}` as Combine takes
  /// them in `--freezeParameters`, `--setParameters` and `--setParameterRanges`, every parameter
  /// whose whole name matches the regular expression RE (anchored at both ends, as Combine's
  /// `std::regex_match`). A pattern matching nothing, or that is not a valid expression, is an error.
  public func resolve(_ name: String) throws -> [Int] {
    guard (name.hasPrefix("rgx{") || name.hasPrefix("var{")), name.hasSuffix("}"), name.count > 5 else { return [try require(name)] }
    let pattern = String(name.dropFirst(4).dropLast())
    let regex: Regex<AnyRegexOutput>
    do { regex = try Regex(pattern) } catch {
      throw LikelihoodError("'\(name)': '\(pattern)' is not a valid regular expression (\(error))")
    }
    let matches = names.indices.filter { (try? regex.wholeMatch(in: names[$0])) != nil }
    guard !matches.isEmpty else { throw LikelihoodError("'\(name)' matches no parameter") }
    return matches
  }

  /// `--rMin/--rMax`: the range of the **first** POI, and its value moved to the midpoint.
  public mutating func setFirstPOIRange(min lo: Double?, max hi: Double?) throws {
    guard lo != nil || hi != nil else { return }
    guard let k = pois.first else { throw LikelihoodError("--rMin/--rMax: the model has no POI") }
    let l = lo ?? declaredLower[k], h = hi ?? declaredUpper[k]
    guard l < h else { throw LikelihoodError("empty range [\(l), \(h)] for '\(names[k])'") }
    setRange(k, l, h)
    values[k] = 0.5 * (l + h)
  }

  private mutating func setRange(_ k: Int, _ l: Double, _ h: Double) {
    declaredLower[k] = l
    declaredUpper[k] = h
    lower[k] = l
    upper[k] = h
    values[k] = Swift.min(Swift.max(values[k], l), h)
  }

  /// `--setParameterRanges a=lo,hi:b=lo,hi` (`-inf`/`inf` allowed; `rgx{RE}` names every match):
  /// changes ranges and clips values.
  public mutating func setRanges(_ spec: String) throws {
    for item in spec.split(separator: ":") where !item.isEmpty {
      let kv = item.split(separator: "=", maxSplits: 1)
      guard kv.count == 2 else { throw LikelihoodError("--setParameterRanges: expected name=lo,hi, found '\(item)'") }
      let name = String(kv[0]).trimmingCharacters(in: .whitespaces)
      let targets = try resolve(name)
      let parts = kv[1].split(separator: ",").map { parseBound(String($0)) }
      guard parts.count == 2, let l = parts[0], let h = parts[1] else {
        throw LikelihoodError("--setParameterRanges: expected two numbers for '\(name)', found '\(kv[1])'")
      }
      guard l < h else { throw LikelihoodError("empty range [\(kv[1])] for '\(name)'") }
      for k in targets { setRange(k, l, h) }
    }
  }

  /// `--setParameters a=v,b=w` (`rgx{RE}=v` sets every match): sets values; a value outside the
  /// parameter's range is an error
  /// ("is outside its range"), as in Combine.
  public mutating func setValues(_ spec: String) throws {
    for item in spec.split(separator: ",") where !item.isEmpty {
      let kv = item.split(separator: "=", maxSplits: 1)
      guard kv.count == 2, let v = Double(kv[1].trimmingCharacters(in: .whitespaces)) else {
        throw LikelihoodError("--setParameters: expected name=value, found '\(item)'")
      }
      let name = String(kv[0]).trimmingCharacters(in: .whitespaces)
      if name.hasPrefix("mask_"), let c = channelIndex[String(name.dropFirst(5))], indexOf[name] == nil {
        if v != 0 { maskedChannels.insert(c) } else { maskedChannels.remove(c) }
        continue
      }
      for k in try resolve(name) {
        guard v >= declaredLower[k] && v <= declaredUpper[k] else {
          throw LikelihoodError("parameter '\(names[k])' value \(v) is outside its range [\(declaredLower[k]), \(declaredUpper[k])]")
        }
        values[k] = v
        explicitlySet.insert(names[k])
      }
    }
  }

  /// Start values from a saved fit (`--fromFit`): every named parameter of the model takes its
  /// value, clipped to its range. Names the model does not have are skipped; none matching is an
  /// error (the fit belongs to another card).
  public mutating func start(from saved: [String: Double]) throws {
    var matched = 0
    for (name, v) in saved {
      guard let k = indexOf[name], v.isFinite else { continue }
      values[k] = Swift.min(Swift.max(v, declaredLower[k]), declaredUpper[k])
      matched += 1
    }
    guard matched > 0 || saved.isEmpty else { throw LikelihoodError("the saved fit names none of this model's parameters") }
  }

  /// `--freezeParameters a,b`, `rgx{RE}` or `allConstrainedNuisances`: hold at the current values.
  public mutating func freeze(_ spec: String) throws {
    for item in spec.split(separator: ",") where !item.isEmpty {
      let name = item.trimmingCharacters(in: .whitespaces)
      if name == "allConstrainedNuisances" {
        for k in names.indices where constrained[k] { fixed[k] = true }
        barlowBeestonFrozen = hasBarlowBeeston
        continue
      }
      for k in try resolve(name) { fixed[k] = true }
    }
  }

  /// Only the POIs in `keep` float; the other POIs are held at their current values
  /// (MultiDimFit `-P` with `--floatOtherPOIs 0`).
  public mutating func fixPOIs(except keep: [Int]) {
    for k in pois where !keep.contains(k) { fixed[k] = true }
  }

  /// `-t -1 [--expectSignal X]`: the Asimov dataset, generated as Combine does (§4.4,
  /// `Combine.cc`): with the signal+background model at `values` if `--expectSignal` or any
  /// `--setParameters` was given, else with the background-only model (every signal process
  /// dropped — for the default model that is r = 0). A POI literally named `r` is set to
  /// `expectSignal` (default 0) unless `r` was given in `--setParameters` and no `--expectSignal`
  /// was passed. Nuisances stay at their current values (gmN at N+1). The POI keeps that value as
  /// the fit's starting point.
  public mutating func makeAsimov(model: CompiledModel, expectSignal: Double?) -> [Double] {
    let signal = applyExpectSignal(model: model, expectSignal)
    if signal { return model.expectedYields(at: values) }
    return model.expectedYields(at: values, signal: false)
  }

  /// Prepares the generating values of Asimov datasets and toys (see `makeAsimov`): sets a POI
  /// named `r`, and returns whether the signal+background model generates (`--expectSignal` or
  /// `--setParameters` given) rather than the background-only one.
  @discardableResult
  public mutating func applyExpectSignal(model: CompiledModel, _ expectSignal: Double?) -> Bool {
    if let r = indexOf["r"], model.pois.contains(r) {
      if let s = expectSignal {
        values[r] = s
      } else if !explicitlySet.contains("r") {
        values[r] = 0
      }
    }
    return expectSignal != nil || !explicitlySet.isEmpty
  }
}

private func parseBound(_ s: String) -> Double? {
  let t = s.trimmingCharacters(in: .whitespaces).lowercased()
  if t == "inf" || t == "+inf" { return .infinity }
  if t == "-inf" { return -.infinity }
  return Double(t)
}

extension CompiledModel {
  /// Fisher information of the expected yields, `I_ij = Σ_b ∂_iν_b ∂_jν_b / ν_b` (bins with
  /// ν_b ≤ 0 skipped), at `x`; the derivatives by central differences with step h = 1e-4:
  /// ∂_iν_b ≈ (ν_b(x + h e_i) − ν_b(x − h e_i)) / 2h.
  public func fisherInformation(at x: [Double], parameters idx: [Int]) -> [[Double]] {
    let h = 1e-4
    let derivatives: [[Double]] = idx.map { i in
      var a = x, b = x
      a[i] += h
      b[i] -= h
      return zip(expectedYields(at: a), expectedYields(at: b)).map { ($0 - $1) / (2 * h) }
    }
    return Likelihood.fisherInformation(derivatives: derivatives, yields: expectedYields(at: x))
  }
}

/// The Fisher information of Poisson counts (bins, or weighted events): `I_ab = Σ_k d_a(k) d_b(k) / w(k)`
/// over the items k with w(k) > 0, where `d_a(k) = ∂w(k)/∂θ_a` (`derivatives[a][k]`) and `w(k)` is
/// the expected count (`yields[k]`). For one parameter this is Σ_k d(k)²/w(k).
public func fisherInformation(derivatives d: [[Double]], yields w: [Double]) -> [[Double]] {
  let n = d.count
  var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
  for a in 0..<n {
    for b in a..<n {
      var s = 0.0
      for k in w.indices where w[k] > 0 { s += d[a][k] * d[b][k] / w[k] }
      out[a][b] = s
      out[b][a] = s
    }
  }
  return out
}

