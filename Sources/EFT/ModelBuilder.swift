//===--- ModelBuilder.swift -----------------------------------------------===//
// `--physics-model NAME --PO …` or `--physics-model eft --eft FILE [--truncation …]
// [--eft-basis rotated --eigen-threshold X]`: the physics model of a fit, built in one call.
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import Likelihood

/// How the command line chooses a physics model: Combine's name (`default`, `multiSignalModel`,
/// `floatingXSHiggs`, or `module:object`) with `--PO` options, or `eft` with a parametrisation.
public struct PhysicsModelChoice: Sendable {
  /// `--physics-model` (nil: Combine's default model, one `r`).
  public var name: String?
  /// `--PO` options (not for `eft`).
  public var options: [String] = []
  /// `--eft`: a recombine-eft JSON, a Combine `scaling.json`, or an STXStoSMEFT directory.
  public var eftFile: String?
  /// `--truncation`: quadratic, linear, expanded, linear-expanded.
  public var truncation = "quadratic"
  /// `--eft-basis`: `coefficients` (the Wilson coefficients are the POIs) or `rotated`.
  public var basis = "coefficients"
  /// `--eigen-threshold`: with `rotated`, the eigenvectors kept have eigenvalues above this.
  public var eigenThreshold = 0.001

  public init(name: String? = nil, options: [String] = []) {
    self.name = name
    self.options = options
  }

  public var isEFT: Bool { name?.lowercased() == "eft" }

  /// The physics model for `card`, and the notes a user should read (signals the EFT model does
  /// not scale, targets matching nothing, the rotated basis kept).
  ///
  /// With `basis = "rotated"` the POIs are the eigenvectors of the Fisher information of the
  /// expected yields at the SM point, `I_ij = Σ_b ∂_iν_b ∂_jν_b / ν_b`, in the physical
  /// coefficients (exponents not applied), whose eigenvalue exceeds `eigenThreshold`
  /// (`EFTBasis.fisherEigenbasis`).
  public func make(for card: Datacard, mass: Double) throws -> (model: PhysicsModel, notes: [String]) {
    guard isEFT else {
      if eftFile != nil { throw LikelihoodError("--eft needs --physics-model eft") }
      return (try makePhysicsModel(named: name, options: options), [])
    }
    guard let file = eftFile else { throw LikelihoodError("--physics-model eft needs --eft FILE") }
    var notes: [String] = []
    var mapping: [String: STXStoSMEFT.ProcessMapping] = [:]
    for p in card.processes { if let m = STXStoSMEFT.defaultMapping(process: p) { mapping[p] = m } }
    let parametrisation = try EFTParametrisation.read(path: file, stxsProcesses: mapping)
    let eftOptions = try EFTOptions(truncation: truncation)
    let model: EFTModel
    switch basis {
    case "coefficients":
      model = try parametrisation.compile(options: eftOptions)
    case "rotated":
      var physical = eftOptions
      physical.applyExponents = false
      let raw = EFTPhysicsModel(model: try parametrisation.compile(options: physical))
      let compiled = try CompiledModel.compile(card, physics: raw, mass: mass)
      let fisher = compiled.fisherInformation(at: compiled.initialValues, parameters: Array(0..<parametrisation.coefficients.count))
      let rotation = try EFTBasis.fisherEigenbasis(fisher: fisher, threshold: eigenThreshold)
      model = try parametrisation.compile(options: eftOptions, basis: rotation)
      notes.append("eft: rotated basis, \(rotation.parameters.count) of \(parametrisation.coefficients.count) directions above eigenvalue \(eigenThreshold)")
    default:
      throw LikelihoodError("--eft-basis must be 'coefficients' or 'rotated'")
    }
    let physics = EFTPhysicsModel(model: model)
    let unscaled = physics.unscaledSignals(in: card)
    if !unscaled.isEmpty {
      notes.append("warning: the EFT parametrisation does not scale the signal(s) \(unscaled.joined(separator: ", ")); they stay at the SM")
    }
    // A target for a (channel, process) the card does not have is most often a typo.
    let unmatched = physics.unmatchedTargets(in: card)
    if !unmatched.isEmpty {
      let shown = unmatched.prefix(5).map { "\($0.channel)/\($0.process)" }.joined(separator: ", ")
      notes.append("warning: \(unmatched.count) target(s) of \(file) match no (channel, process) of the card: \(shown)\(unmatched.count > 5 ? ", …" : "")")
    }
    return (physics, notes)
  }
}
