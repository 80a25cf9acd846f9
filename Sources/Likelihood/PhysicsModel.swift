//===--- PhysicsModel.swift -----------------------------------------------===//
// Physics models: which POIs exist and how each (bin, process) yield is scaled (Combine §7).
//===----------------------------------------------------------------------===//

import Datacard
import Foundation

/// What a physics model returns for one (bin, process): Combine's `getYieldScale` contract.
public enum YieldScale: Sendable, Equatable {
  /// Drop the process from the model.
  case zero
  /// No scaling.
  case one
  /// Multiply by this parameter (a POI created by the model).
  case parameter(String)
  /// Multiply the normalisation by the external scaling function k (`YieldScalingFunctions`).
  case function(Int)
  /// Multiply template bin i by the external scaling function `first + i` (per-bin scaling, e.g.
  /// EFT parametrisations per shape bin); `count` must equal the channel's number of bins.
  case perBinFunctions(first: Int, count: Int)
}

/// External yield scalings μ_k(x) — EFT polynomials, say — that a physics model adds to the
/// likelihood. They are evaluated once per NLL evaluation, in the model's parameter vector x (the
/// POIs come first in x, in the physics model's order). Implementations must be safe to call from
/// several threads at once (scans run one NLL per thread).
public protocol YieldScalingFunctions: AnyObject, Sendable {
  /// Number of functions.
  var count: Int { get }
  /// μ_k(x) for every k, written into `values`.
  func evaluate(_ x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>)
  /// Adds Σ_k w_k·∂μ_k/∂x into `gradient`.
  func accumulateGradient(_ x: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
                          into gradient: UnsafeMutableBufferPointer<Double>)
}

/// A parameter of interest created by a physics model: `name[initial, lower, upper]`.
public struct POIDefinition: Sendable, Equatable {
  public var name: String
  public var initial: Double
  public var lower: Double
  public var upper: Double
  public init(name: String, initial: Double, lower: Double, upper: Double) {
    self.name = name
    self.initial = initial
    self.lower = lower
    self.upper = upper
  }
}

/// Combine's physics-model contract (`python/PhysicsModel.py`): the POIs, and a yield scale per
/// (bin, process) with non-zero rate.
public protocol PhysicsModel: Sendable {
  /// The POIs, in order (the first one is what `--rMin/--rMax` act on).
  func parametersOfInterest(for card: Datacard) throws -> [POIDefinition]
  /// The scale of one (bin, process).
  func yieldScale(bin: String, process: String, isSignal: Bool) throws -> YieldScale
  /// The external scaling functions that `.function` / `.perBinFunctions` scales refer to.
  var scalingFunctions: YieldScalingFunctions? { get }
}

extension PhysicsModel {
  public var scalingFunctions: YieldScalingFunctions? { nil }
}

/// `defaultModel`: POI `r[1,0,20]`; signals (id ≤ 0) are scaled by `r`, backgrounds by 1.
public struct DefaultPhysicsModel: PhysicsModel {
  public init() {}
  public func parametersOfInterest(for card: Datacard) throws -> [POIDefinition] {
    [POIDefinition(name: "r", initial: 1, lower: 0, upper: 20)]
  }
  public func yieldScale(bin: String, process: String, isSignal: Bool) throws -> YieldScale {
    isSignal ? .parameter("r") : .one
  }
}

/// `multiSignalModel` (`python/PhysicsModel.py:MultiSignalModel`), options
/// `map=<regex>[,<regex>…]:<target>` and `turnoff=p1,p2`.
///
/// Each regex is matched with Python's `re.match` semantics (anchored at the start only) against
/// `"<bin>/<process>"`, for signals and backgrounds alike; the **last** matching map wins; unmatched
/// pairs are scaled by 1. Targets: `1`, `0`, `name[init,min,max]` (creates the POI on first use),
/// or `name` (a POI created by an earlier map). `name=<factory>` expressions and `super` are not
/// supported yet.
public struct MultiSignalModel: PhysicsModel {
  public struct Map: Sendable {
    public var patterns: [String]
    public var target: YieldScale
  }
  public var maps: [Map] = []
  public var pois: [POIDefinition] = []
  private let regexes: [[NSRegularExpressionBox]]

  public init(options: [String]) throws {
    var maps: [Map] = []
    var pois: [POIDefinition] = []
    for option in options {
      if option == "verbose" || option.hasPrefix("higgsMassRange=") { continue }
      if option.hasPrefix("turnoff=") {
        let procs = option.dropFirst("turnoff=".count).split(separator: ",").map(String.init)
        maps.append(Map(patterns: [".*/(" + procs.joined(separator: "|") + ")"], target: .zero))
        continue
      }
      guard option.hasPrefix("map=") else {
        throw LikelihoodError("multiSignalModel: unknown physics option '\(option)'")
      }
      let body = option.dropFirst(4)
      guard let colon = body.lastIndex(of: ":") else {
        throw LikelihoodError("multiSignalModel: map option '\(option)' needs '<regex>:<target>'")
      }
      // The target is after the last ':' unless that ':' sits inside brackets.
      let patternsText = String(body[..<colon])
      let targetText = String(body[body.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
      let target: YieldScale
      if targetText == "1" || targetText == "1.0" {
        target = .one
      } else if targetText == "0" || targetText == "0.0" {
        target = .zero
      } else if targetText == "super" || targetText.contains("=") {
        throw LikelihoodError("multiSignalModel: target '\(targetText)' is not supported yet")
      } else if let open = targetText.firstIndex(of: "["), targetText.hasSuffix("]") {
        let name = String(targetText[..<open])
        let nums = targetText[targetText.index(after: open)..<targetText.index(before: targetText.endIndex)]
          .split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !name.isEmpty, nums.count == 3, let i = nums[0], let lo = nums[1], let hi = nums[2] else {
          throw LikelihoodError("multiSignalModel: cannot parse POI '\(targetText)' (expected name[init,min,max])")
        }
        if !pois.contains(where: { $0.name == name }) {
          pois.append(POIDefinition(name: name, initial: i, lower: lo, upper: hi))
        }
        target = .parameter(name)
      } else {
        target = .parameter(targetText)
      }
      maps.append(Map(patterns: patternsText.split(separator: ",").map(String.init), target: target))
    }
    for m in maps {
      if case .parameter(let n) = m.target, !pois.contains(where: { $0.name == n }) {
        throw LikelihoodError("multiSignalModel: map target '\(n)' is not a POI created by a map (use \(n)[init,min,max])")
      }
    }
    self.maps = maps
    self.pois = pois
    self.regexes = try maps.map { m in
      try m.patterns.map { p in
        do { return NSRegularExpressionBox(try NSRegularExpression(pattern: p)) } catch {
          throw LikelihoodError("multiSignalModel: invalid regular expression '\(p)'")
        }
      }
    }
  }

  public func parametersOfInterest(for card: Datacard) throws -> [POIDefinition] { pois }

  public func yieldScale(bin: String, process: String, isSignal: Bool) throws -> YieldScale {
    let key = bin + "/" + process
    let range = NSRange(key.startIndex..., in: key)
    var result = YieldScale.one
    for (m, rs) in zip(maps, regexes) {
      for r in rs where r.regex.firstMatch(in: key, options: [.anchored], range: range) != nil {
        result = m.target
        break
      }
    }
    return result
  }
}

/// `floatingXSHiggs` (`--PO modes=ggH,qqH,…`, `--PO <mode>Range=a:b`): POIs `r_<mode>[1,lo,hi]`
/// (defaults ggH [0,4], qqH [0,10], others [0,20]); a process `<prod>` or `<prod>_<decay>` is scaled
/// by the POI of its production mode (bbH → ggH; tHq, tHW → ttH; WH, ZH, ggZH → VH) if that mode
/// was requested, else by 1; non-Higgs (background) processes by 1.
public struct FloatingXSHiggs: PhysicsModel {
  public var pois: [POIDefinition]
  static let defaults: [String: (Double, Double)] = ["ggH": (0, 4), "qqH": (0, 10)]
  static let productionAlias: [String: String] = [
    "bbH": "ggH", "tHq": "ttH", "tHW": "ttH", "WH": "VH", "ZH": "VH", "ggZH": "VH",
    "WPlusH": "VH", "WMinusH": "VH",
  ]

  public init(options: [String]) throws {
    var modes: [String] = []
    var ranges: [String: (Double, Double)] = [:]
    for o in options {
      if o.hasPrefix("modes=") {
        modes = o.dropFirst(6).split(separator: ",").map(String.init)
      } else if let eq = o.firstIndex(of: "="), o[..<eq].hasSuffix("Range") {
        let mode = String(o[..<eq].dropLast(5))
        let parts = o[o.index(after: eq)...].split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2 else { throw LikelihoodError("floatingXSHiggs: bad option '\(o)'") }
        ranges[mode] = (parts[0], parts[1])
      } else {
        throw LikelihoodError("floatingXSHiggs: unknown physics option '\(o)'")
      }
    }
    if modes.isEmpty { modes = ["ggH", "qqH", "VH", "ttH"] }
    pois = modes.map { m in
      let r = ranges[m] ?? Self.defaults[m] ?? (0, 20)
      return POIDefinition(name: "r_" + m, initial: 1, lower: r.0, upper: r.1)
    }
  }

  public func parametersOfInterest(for card: Datacard) throws -> [POIDefinition] { pois }

  public func yieldScale(bin: String, process: String, isSignal: Bool) throws -> YieldScale {
    guard isSignal else { return .one }
    var prod = String(process.split(separator: "_").first ?? Substring(process))
    prod = Self.productionAlias[prod] ?? prod
    if pois.contains(where: { $0.name == "r_" + prod }) { return .parameter("r_" + prod) }
    return .one
  }
}

/// Builds a physics model from its Combine name (`-P module:object`, or the short names
/// `default`, `multiSignalModel`, `floatingXSHiggs`) and `--PO` options.
public func makePhysicsModel(named name: String?, options: [String]) throws -> PhysicsModel {
  let short = name.map { String($0.split(separator: ":").last ?? Substring($0)) }
  switch short {
  case nil, "default", "defaultModel", "PhysicsModel":
    if !options.isEmpty { throw LikelihoodError("the default physics model takes no --PO options") }
    return DefaultPhysicsModel()
  case "multiSignalModel", "MultiSignalModel":
    return try MultiSignalModel(options: options)
  case "floatingXSHiggs", "FloatingXSHiggs":
    return try FloatingXSHiggs(options: options)
  default:
    throw LikelihoodError("physics model '\(name!)' is not supported yet (available: default, multiSignalModel, floatingXSHiggs)")
  }
}

/// NSRegularExpression is immutable and thread-safe; this box lets a Sendable model hold one.
struct NSRegularExpressionBox: @unchecked Sendable {
  let regex: NSRegularExpression
  init(_ r: NSRegularExpression) { regex = r }
}
