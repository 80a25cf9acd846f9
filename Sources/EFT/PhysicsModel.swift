//===--- PhysicsModel.swift -----------------------------------------------===//
// EFT parametrisations as a physics model of the likelihood (`--physics-model eft`).
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import Likelihood

/// The EFT physics model: the POIs are the (rescaled or rotated) Wilson coefficients θ, and every
/// (channel, process) with a target in the parametrisation is scaled by μ(θ) — its normalisation
/// for process-level targets, each template bin for per-bin targets. Processes without a target
/// are not scaled. A datacard process that appears in no target is reported by
/// ``unscaledSignals(in:)`` so that a typo does not silently leave a signal at the SM.
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
}

/// Every scaling of an `EFTModel`, evaluated in the likelihood's parameter vector (whose first
/// entries are the EFT POIs, in order). Immutable, so one instance serves every thread.
final class EFTScalingFunctions: YieldScalingFunctions, @unchecked Sendable {
  let scalings: [CompiledScaling]
  let dimension: Int

  init(model: EFTModel) {
    scalings = model.flatScalings
    dimension = model.parameters.count
  }

  var count: Int { scalings.count }

  func evaluate(_ x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) {
    let theta = UnsafeBufferPointer(rebasing: x[0..<dimension])
    for k in 0..<scalings.count { values[k] = scalings[k].evaluate(theta, gradient: nil, weight: 0) }
  }

  func accumulateGradient(_ x: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
                          into gradient: UnsafeMutableBufferPointer<Double>) {
    let theta = UnsafeBufferPointer(rebasing: x[0..<dimension])
    for k in 0..<scalings.count where weights[k] != 0 {
      _ = scalings[k].evaluate(theta, gradient: gradient.baseAddress, weight: weights[k])
    }
  }
}

extension EFTParametrisation {
  /// Reads a parametrisation in any supported format: a directory with STXStoSMEFT's
  /// `prod.json`/`decay.json`/`pois.yaml`, Recombine's native JSON (`"format": "recombine-eft"`),
  /// or Combine's interference `scaling.json` (a JSON list); `.gz` files too.
  public static func read(path: String, stxsProcesses: [String: STXStoSMEFT.ProcessMapping] = [:]) throws -> EFTParametrisation {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw EFTError("\(path): no such file or directory") }
    if isDir.boolValue { return try STXStoSMEFT.read(directory: path, processes: stxsProcesses).parametrisation }
    let data = try readMaybeGzipped(path)
    let head = String(decoding: data.prefix(4096), as: UTF8.self)
    if head.contains("\"recombine-eft\"") { return try NativeFormat.read(path: path) }
    if head.drop(while: { $0.isWhitespace }).first == "[" { return try CombineInterferenceFormat.parse(data: data) }
    throw EFTError("\(path): not a recombine-eft file, a Combine scaling.json list, or an STXStoSMEFT directory (convert EFT2Obs and AAC inputs first)")
  }
}
