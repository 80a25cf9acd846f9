//===--- PhysicsModel.swift -----------------------------------------------===//
// EFT parametrisations as a physics model of the likelihood (`--physics-model eft`).
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import Likelihood
import Support

/// The EFT physics model: the POIs are the (rescaled or rotated) Wilson coefficients θ, and every
/// (channel, process) with a target in the parametrisation is scaled by μ(θ) — its normalisation
/// for process-level targets, each template bin for per-bin targets. Processes without a target
/// are not scaled. A datacard process that appears in no target is reported by
/// ``unscaledSignals(in:)`` and a target that scales nothing by ``unmatchedTargets(in:)``, so that a
/// typo does not silently leave a signal at the SM.
public struct EFTPhysicsModel: PhysicsModel {
  public let model: EFTModel
  private let functions: EFTScalingFunctions
  private let offsets: [Int]

  public init(model: EFTModel) {
    self.model = model
    functions = EFTScalingFunctions(model: model)
    offsets = model.flatOffsets
  }

  public func parametersOfInterest(for card: Datacard) throws -> [POIDefinition] {
    model.parameters.map { POIDefinition(name: $0.name, initial: $0.value, lower: $0.minimum, upper: $0.maximum) }
  }

  public func yieldScale(bin: String, process: String, isSignal: Bool) throws -> YieldScale {
    guard let k = targetIndex(channel: bin, process: process) else { return .one }
    let t = model.targets[k]
    return t.perBin ? .perBinFunctions(first: offsets[k], count: t.scalings.count) : .function(offsets[k])
  }

  public var scalingFunctions: YieldScalingFunctions? { functions }

  func targetIndex(channel: String, process: String) -> Int? {
    if let k = model.targets.firstIndex(where: { $0.channel == channel && $0.process == process }) { return k }
    return model.targets.firstIndex { $0.channel == "*" && $0.process == process }
  }

  /// Signal processes of the card that no target scales.
  public func unscaledSignals(in card: Datacard) -> [String] {
    card.signals.filter { p in !card.bins.contains { targetIndex(channel: $0, process: p) != nil } }
  }

  /// Targets that scale no (bin, process) column of the card, in target order: a misspelt channel
  /// or process, or a `"*"` target that every matching column takes from a channel-specific target.
  /// The likelihood ignores them, so a caller should warn.
  public func unmatchedTargets(in card: Datacard) -> [(channel: String, process: String)] {
    var used = Set<Int>()
    for c in card.columns { if let k = targetIndex(channel: c.bin, process: c.process) { used.insert(k) } }
    return model.targets.indices.filter { !used.contains($0) }.map { (model.targets[$0].channel, model.targets[$0].process) }
  }
}

/// Every scaling of an `EFTModel` (function k is `flatScalings[k]`), evaluated in the likelihood's
/// parameter vector (whose first entries are the EFT POIs, in order). Each distinct scaling is
/// evaluated once per call (`EFTModel.uniqueScalings`). Immutable, so one instance serves every
/// thread.
final class EFTScalingFunctions: YieldScalingFunctions, @unchecked Sendable {
  let model: EFTModel
  let dimension: Int

  init(model: EFTModel) {
    self.model = model
    dimension = model.parameters.count
  }

  var count: Int { model.flatToUnique.count }

  func evaluate(_ x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) {
    model.evaluateAll(UnsafeBufferPointer(rebasing: x[0..<dimension]), into: values)
  }

  func accumulateGradient(_ x: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
                          into gradient: UnsafeMutableBufferPointer<Double>) {
    model.accumulateGradient(UnsafeBufferPointer(rebasing: x[0..<dimension]), weights: weights, into: gradient.baseAddress)
  }
}

extension EFTParametrisation {
  /// Reads a parametrisation in any supported format: a directory with STXStoSMEFT's
  /// `prod.json`/`decay.json`/`pois.yaml`, Recombine's native JSON (a JSON object whose top-level
  /// `"format"` is `"recombine-eft"`), or Combine's interference `scaling.json` (a JSON list); `.gz`
  /// files too. A file is read and parsed once; errors name `path` once.
  public static func read(path: String, stxsProcesses: [String: STXStoSMEFT.ProcessMapping] = [:]) throws -> EFTParametrisation {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw EFTError("\(path): no such file or directory") }
    if isDir.boolValue { return try checkedRanges(STXStoSMEFT.read(directory: path, processes: stxsProcesses).parametrisation, path) }
    return try checkedRanges(readFile(path: path), path)
  }

  /// Every coefficient's range must be a range: finite-or-infinite bounds with minimum < maximum
  /// and the start value inside (a file with `"min": 1e308`, or `chg[0,5,-5]`, is an error here,
  /// naming the file and the coefficient, not a failure deep in the minimiser).
  static func checkedRanges(_ p: EFTParametrisation, _ path: String) throws -> EFTParametrisation {
    for c in p.coefficients {
      guard !c.minimum.isNaN, !c.maximum.isNaN, c.minimum < c.maximum else {
        throw EFTError("\(path): coefficient '\(c.name)': minimum \(c.minimum) is not below maximum \(c.maximum)")
      }
      guard c.value.isFinite, c.value >= c.minimum, c.value <= c.maximum else {
        throw EFTError("\(path): coefficient '\(c.name)': value \(c.value) is outside its range [\(c.minimum), \(c.maximum)]")
      }
    }
    return p
  }

  static func readFile(path: String) throws -> EFTParametrisation {
    let data = Data(try readFileMaybeGzipped(path))
    let unknown = EFTError(
      "\(path): not a recombine-eft file (a JSON object with \"format\": \"\(NativeFormat.formatName)\"), a Combine "
        + "scaling.json list, or an STXStoSMEFT directory (convert EFT2Obs and AAC inputs first)")
    // The first byte after whitespace (and a UTF-8 byte-order mark) tells a JSON object from a list.
    let first = data.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }.first
    switch first {
    case UInt8(ascii: "{"):
      guard let p = try NativeFormat.decodeIfNative(data, source: path) else { throw unknown }
      return p
    case UInt8(ascii: "["):
      do { return try CombineInterferenceFormat.parse(data: data) } catch let e as EFTError {
        throw EFTError("\(path): \(e.description)")
      }
    default:
      throw unknown
    }
  }
}
