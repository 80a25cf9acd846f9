//===--- FitProblem.swift -------------------------------------------------===//
// A model ready to fit: the card compiled with its physics model, the data (observed, Asimov or
// none for toys), every parameter's start value, range and frozen flag, and the POIs the method
// works on — built once from Combine's options, used by every method, the benchmarks and tests.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Fit
import HistFactory
import Foundation
import Likelihood
import Support

/// Combine's options that set up a fit (`-m`, `-P`, `--setParameters`, `--setParameterRanges`,
/// `--freezeParameters`, `--freezeNuisanceGroups`, `--rMin/--rMax`, `-t`, `--expectSignal`,
/// `--toysFrequentist`, `--toysNoSystematics`, `--floatOtherPOIs`), as plain values.
public struct FitOptions: Sendable {
  public var mass: Double = 120
  /// `-P`: the POIs to fit or scan (empty: every POI).
  public var pois: [String] = []
  public var setParameters: String?
  public var setParameterRanges: String?
  public var freezeParameters: String?
  public var freezeNuisanceGroups: String?
  public var rMin: Double?
  public var rMax: Double?
  /// `-t`: nil or 0 the observed data, −1 the Asimov dataset, N > 0 N toys.
  public var toys: Int?
  public var expectSignal: Double?
  public var toysFrequentist = false
  public var toysNoSystematics = false
  /// `--floatOtherPOIs 1`: POIs not given with `-P` float (else they are held).
  public var floatOtherPOIs = false
  /// Parameter values to start from (a saved fit: `--fromFit FILE`, Combine's `--snapshotName`),
  /// applied after the ranges and before `--setParameters`, so `--freezeParameters` holds the
  /// parameters at these values. Names the model lacks are ignored (and counted in a note).
  public var startValues: [String: Double]? = nil
  /// `--per-bin-scaling`: how per-bin scalings meet morphed templates (`PerBinScaling`).
  public var perBinScaling: PerBinScaling = .nominal
  /// pyhf workspaces: `--patch` files (RFC 6902, applied in order), `--measurement`, `--interpcode`.
  public var patches: [String] = []
  public var measurement: String? = nil
  public var interpolation = HistFactoryInterpolation()
  public init() {}
}

/// A compiled model with its data and parameter settings, as one method sees it.
public struct FitProblem {
  public let model: CompiledModel
  public let nll: NLL
  /// Every parameter's start value, range and frozen flag.
  public var specs: [ParameterSpec]
  /// The POIs the method works on (`-P`, else every floating POI).
  public let targets: [Int]
  /// Whether the data are the Asimov dataset (`-t -1`): `iToy = −1` in the limit tree.
  public let asimov: Bool
  /// POIs not scanned but floating (`--floatOtherPOIs 1`): extra degrees of freedom for p-values.
  public var floatingOtherPOIs = 0
  /// `-t N` (N > 0): the number of toys; the NLL then holds the observed data (or zeros), and
  /// `specs` start at the generating values.
  public var toys: Int? = nil
  /// Whether Asimov data and toys come from the signal+background model (`--expectSignal` or
  /// `--setParameters` given), else from the background-only one (Combine's rule).
  public var toySignal = true
  /// Messages for the user (e.g. which model generates the toys).
  public var notes: [String] = []

  /// Parses `card`, builds its physics model and sets the problem up (see `init(card:physics:options:)`).
  public static func load(
    card path: String, physics choice: PhysicsModelChoice, options: FitOptions, allowToys: Bool = false
  ) throws -> FitProblem {
    if let (model, notes) = try workspaceModel(path, physics: choice, options: options) {
      var p = try FitProblem(configured: try configure(compiled: model, options: options), options: options, allowToys: allowToys)
      p.notes = notes + p.notes
      return p
    }
    let card = try Datacard.parse(contentsOf: path)
    let (physics, notes) = try choice.make(for: card, mass: options.mass)
    var p = try FitProblem(card: card, physics: physics, options: options, allowToys: allowToys)
    p.notes = notes + p.notes
    return p
  }

  /// Compiles the card with its physics model and applies the parameter settings every method
  /// shares, in Combine's order: `--rMin/--rMax`, `--setParameterRanges`, `--setParameters`;
  /// with `--floatOtherPOIs 0` the POIs not given with `-P` are held; then `--freezeParameters`
  /// and `--freezeNuisanceGroups`. lnN- and shape-type nuisances are unbounded (Combine's OPTIMIZE_BOUNDS).
  ///
  /// - Parameter allowToys: whether the method supports `-t N` with N > 0.
  public init(card: Datacard, physics: PhysicsModel, options o: FitOptions, allowToys: Bool = false) throws {
    try self.init(configured: try Self.configure(card: card, physics: physics, options: o), options: o, allowToys: allowToys)
  }

  /// The set-up of `init(card:physics:options:allowToys:)` from a configured model.
  init(configured: (CompiledModel, FitSetup, [Int]), options o: FitOptions, allowToys: Bool) throws {
    var (compiled, setup, requested) = configured
    var targets = requested
    if !o.floatOtherPOIs { setup.fixPOIs(except: targets) }
    floatingOtherPOIs = o.floatOtherPOIs ? compiled.pois.filter { !targets.contains($0) }.count : 0
    if let s = o.freezeParameters { try setup.freeze(s) }
    if let s = o.freezeNuisanceGroups { try setup.freezeGroups(s) }
    compiled.maskedChannels = setup.maskedChannels
    model = compiled
    notes += compiled.warnings
    // Without -P the targets are the POIs that float; a frozen -P parameter is an error.
    if o.pois.isEmpty { targets = targets.filter { !setup.fixed[$0] } }
    guard !targets.isEmpty else { throw LikelihoodError("every POI is frozen: nothing to fit") }
    for k in targets where setup.fixed[k] {
      throw LikelihoodError("'\(setup.names[k])' is frozen (--freezeParameters): it cannot be fitted or scanned")
    }
    // POIs that change no expected yield: an error when asked for with -P; without -P they are
    // held at their values and named once (fitting the others).
    let idle = Self.withoutEffect(targets, model: compiled, at: setup.values)
    if !idle.isEmpty {
      let names = idle.map { setup.names[$0] }
      if !o.pois.isEmpty || idle.count == targets.count {
        throw LikelihoodError("'\(names[0])' changes no expected yield of this card (no process it scales): nothing to fit"
                              + (idle.count > 1 ? " (neither do \(names.dropFirst().joined(separator: ", ")))" : ""))
      }
      for k in idle { setup.fixed[k] = true }
      targets = targets.filter { !idle.contains($0) }
      notes.append("warning: \(idle.count) POI(s) change no expected yield of this card and are held at their values: \(names.joined(separator: ", "))")
    }
    var data: [Double]? = nil
    var generatesSignal = true
    switch o.toys {
    case nil, 0: break
    case -1:
      generatesSignal = setup.applyExpectSignal(model: model, o.expectSignal)
      data = setup.makeAsimov(model: model, expectSignal: o.expectSignal)
    case let n? where n > 0 && allowToys:
      generatesSignal = setup.applyExpectSignal(model: model, o.expectSignal)
      toys = n
    case let n? where n > 0:
      throw LikelihoodError("-t \(n): this command supports only -t -1 (the Asimov dataset); toys (-t N) are supported by 'fit'")
    default: throw LikelihoodError("-t \(o.toys!): use -1 (the Asimov dataset)\(allowToys ? " or a positive number of toys" : "")")
    }
    toySignal = generatesSignal
    if o.toysFrequentist && o.toysNoSystematics { throw LikelihoodError("--toysFrequentist and --toysNoSystematics exclude each other") }
    if (o.toysFrequentist || o.toysNoSystematics) && toys == nil {
      throw LikelihoodError(o.toys == -1 && o.toysFrequentist
        ? "-t -1 --toysFrequentist (the a-posteriori Asimov dataset) is not supported yet; 'limit' builds its own a-posteriori Asimov"
        : "--toysFrequentist/--toysNoSystematics apply to toys: 'fit -t N' with N > 0")
    }
    if o.toys != nil && o.toys != 0 && !generatesSignal && !compiled.pois.contains(where: { compiled.parameters[$0].name == "r" }) {
      notes.append("warning: neither --expectSignal nor --setParameters: the background-only model (every signal process dropped) generates the \(o.toys == -1 ? "Asimov dataset" : "toys"), as in Combine")
    }
    asimov = data != nil
    // Toys need no observed data except for --toysFrequentist (which fits it first).
    if toys != nil && model.observed == nil {
      guard !o.toysFrequentist else { throw LikelihoodError("--toysFrequentist fits the observed data first: the card has no observation line") }
      data = [Double](repeating: 0, count: model.binCount)
    }
    nll = try NLL(model: model, data: data)
    Self.holdBarlowBeeston(nll, setup: setup, fromSnapshot: o.startValues != nil)
    self.targets = targets
    specs = setup.parameterSpecs(model: model)
  }

  /// Frozen autoMCStats parameters (`allConstrainedNuisances`, group `autoMCStats`) are held, as
  /// Combine holds its `prop_bin*` parameters: at their values in the saved fit (`--fromFit`: the
  /// analytic x̂_j at the saved parameters, which is where the fit left them), else at their
  /// nominal values (the global observables, 0).
  static func holdBarlowBeeston(_ nll: NLL, setup: FitSetup, fromSnapshot: Bool) {
    guard setup.barlowBeestonFrozen else { return }
    if fromSnapshot {
      _ = nll.value(at: setup.values)
      nll.freezeBarlowBeeston(nll.barlowBeestonValues)
    } else {
      nll.freezeBarlowBeeston(nll.barlowBeestonGlobalObservables)
    }
  }

  /// The problem as AsymptoticLimits, Significance and GoodnessOfFit see it: one POI (the first
  /// target), data observed or `-t -1`, and every parameter at its **declared** range (lnN-type
  /// nuisances bounded at [−7, 7], `shape` at [−4, 4]: no OPTIMIZE_BOUNDS). The POI's start value
  /// is not changed by `-t -1`'s signal (Combine restores the clean snapshot).
  public static func bounded(card: Datacard, physics: PhysicsModel, options o: FitOptions, allowToys: Bool = false) throws -> FitProblem {
    try bounded(configured: try configure(card: card, physics: physics, options: o), options: o, allowToys: allowToys)
  }

  static func bounded(configured: (CompiledModel, FitSetup, [Int]), options o: FitOptions, allowToys: Bool) throws -> FitProblem {
    var (compiled, setup, targets) = configured
    guard let poi = targets.first else { throw LikelihoodError("the model has no POI") }
    if !o.floatOtherPOIs { setup.fixPOIs(except: [poi]) }
    if let s = o.freezeParameters { try setup.freeze(s) }
    if let s = o.freezeNuisanceGroups { try setup.freezeGroups(s) }
    compiled.maskedChannels = setup.maskedChannels
    let data: [Double]
    var toys: Int? = nil, toySignal = true
    switch o.toys {
    case nil, 0:
      guard let d = compiled.observed else {
        throw LikelihoodError("the card has no observation line; use an Asimov dataset (-t -1)")
      }
      data = d
    case -1:
      data = setup.makeAsimov(model: compiled, expectSignal: o.expectSignal)
    case let n? where n > 0 && allowToys:
      // Toys: generated at the --expectSignal values (background only without it, as Combine).
      toySignal = setup.applyExpectSignal(model: compiled, o.expectSignal)
      toys = n
      data = compiled.observed ?? [Double](repeating: 0, count: compiled.binCount)
    default:
      throw LikelihoodError("-t \(o.toys!): only -t -1 (Asimov) is supported")
    }
    let nll = try NLL(model: compiled, data: data)
    holdBarlowBeeston(nll, setup: setup, fromSnapshot: o.startValues != nil)
    var p = try FitProblem(
      model: compiled, nll: nll, specs: setup.boundedParameterSpecs(model: compiled), targets: [poi], asimov: o.toys == -1)
    p.toys = toys
    p.toySignal = toySignal
    if toys != nil && !toySignal {
      p.notes.append("warning: neither --expectSignal nor --setParameters: the background-only model (every signal process dropped) generates the toys, as in Combine")
    }
    return p
  }

  /// `bounded(card:physics:options:)` from a card file.
  public static func loadBounded(card path: String, physics choice: PhysicsModelChoice, options: FitOptions,
                                 allowToys: Bool = false) throws -> FitProblem {
    if let (model, notes) = try workspaceModel(path, physics: choice, options: options) {
      var p = try bounded(configured: try configure(compiled: model, options: options), options: options, allowToys: allowToys)
      p.notes = notes + p.notes
      return p
    }
    let card = try Datacard.parse(contentsOf: path)
    let (physics, notes) = try choice.make(for: card, mass: options.mass)
    var p = try bounded(card: card, physics: physics, options: options, allowToys: allowToys)
    p.notes = notes + p.notes
    return p
  }

  /// A problem from its parts (tests, benchmarks, methods that change the data).
  public init(model: CompiledModel, nll: NLL, specs: [ParameterSpec], targets: [Int], asimov: Bool = false) throws {
    self.model = model
    self.nll = nll
    self.specs = specs
    self.targets = targets
    self.asimov = asimov
  }

  /// The model compiled from `card` with `--rMin/--rMax`, `--setParameterRanges` and
  /// `--setParameters` applied; the targets are the `-P` parameters, or all POIs.
  static func configure(card: Datacard, physics: PhysicsModel, options o: FitOptions) throws -> (CompiledModel, FitSetup, [Int]) {
    var compiled = try CompiledModel.compile(card, physics: physics, mass: o.mass)
    compiled.perBinScaling = o.perBinScaling
    return try configure(compiled: compiled, options: o)
  }

  /// A pyhf/HistFactory workspace's model if `path` holds one (recognised by content: a JSON
  /// object with "channels", plain or gzipped), with `--patch`, `--measurement` and `--interpcode`;
  /// nil for a datacard. A physics model other than the default is refused (the workspace's
  /// measurement names its POI).
  public static func workspaceModel(_ path: String, physics choice: PhysicsModelChoice, options o: FitOptions) throws
    -> (model: CompiledModel, notes: [String])?
  {
    if Combination.isCombination(path) { return try Combination.read(path).model(physics: choice, options: o) }
    let head: String
    do { head = String(decoding: try readFileMaybeGzipped(path).prefix(4096), as: UTF8.self) } catch { return nil }
    guard Workspace.looksLikeWorkspace(head) else {
      if !o.patches.isEmpty || o.measurement != nil { throw LikelihoodError("\(path): --patch and --measurement apply to pyhf JSON workspaces, and this is not one") }
      return nil
    }
    let ws = try Workspace.read(path, patches: o.patches)
    let (physics, notes) = try Combination.physics(choice, for: ws, measurement: o.measurement, mass: o.mass)
    return (try CompiledModel.compile(workspace: ws, measurement: o.measurement, interpolation: o.interpolation, physics: physics), notes)
  }

  /// `--rMin/--rMax` (on the first POI), `--setParameterRanges`, `--setParameters` and `-P` on a
  /// compiled model.
  static func configure(compiled: CompiledModel, options o: FitOptions) throws -> (CompiledModel, FitSetup, [Int]) {
    var setup = FitSetup(model: compiled)
    try setup.setFirstPOIRange(min: o.rMin, max: o.rMax)
    if let s = o.setParameterRanges { try setup.setRanges(s) }
    if let start = o.startValues { try setup.start(from: start) }
    if let s = o.setParameters { try setup.setValues(s) }
    var targets: [Int] = []
    for name in o.pois {
      guard let k = setup.index(of: name) else { throw LikelihoodError("unknown parameter '\(name)'\(didYouMean(name, in: setup.names))") }
      guard !targets.contains(k) else { throw LikelihoodError("-P \(name) is given twice") }
      targets.append(k)
    }
    return (compiled, setup, targets.isEmpty ? compiled.pois : targets)
  }

  /// The targets that change no expected yield (their fit would say nothing, as for a card without
  /// signal): ν at the POI's value and at two other values is compared.
  static func withoutEffect(_ targets: [Int], model: CompiledModel, at x: [Double]) -> [Int] {
    let nu0 = model.expectedYields(at: x)
    return targets.filter { k in
      let p = model.parameters[k]
      let step = max(abs(p.step), 1e-3 * max(1, abs(x[k])))
      return ![x[k] + step, x[k] - step].contains { v in
        var y = x
        y[k] = v
        return zip(model.expectedYields(at: y), nu0).contains { abs($0 - $1) > 1e-12 * max(1, abs($1)) }
      }
    }
  }

  /// The unconditional best fit from `specs`.
  public func bestFit() throws -> MinimizationResult {
    let r = Minimizer().minimize(nll, parameters: specs)
    guard r.status.isConverged else { throw LikelihoodError("the best fit did not converge: \(r.status)") }
    return r
  }

  /// `iToy` of the limit tree: −1 for the Asimov dataset, else 0.
  public var iToy: Double { asimov ? -1 : 0 }
}
