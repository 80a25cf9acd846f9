//===--- FitDriver.swift --------------------------------------------------===//
// Glue between Likelihood and Fit for the `fit` and `scan` subcommands.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import EFT
import Fit
import Inference
import Foundation
import ROOTIO
import Likelihood


/// Options shared by `fit` and `scan`: the card, the physics model, parameter settings, data.
struct ModelOptions: ParsableArguments {
  @Argument(help: "The datacard (text, or .txt.gz).")
  var card: String

  @Option(name: [.customShort("m"), .customLong("mass")], help: "Higgs mass (written to the mh column).")
  var mass: Double = 120

  @Option(name: .customLong("physics-model"), help: "default, multiSignalModel, floatingXSHiggs or eft (with --eft FILE).")
  var physicsModel: String?

  @Option(name: .customLong("PO"), parsing: .unconditionalSingleValue, help: "Physics-model option (repeatable).")
  var physicsOptions: [String] = []

  @Option(name: .customShort("P"), help: "POI to fit/scan (repeatable; default: all POIs).")
  var poi: [String] = []

  @Option(name: .customLong("setParameters"), parsing: .unconditional, help: "a=1,b=2")
  var setParameters: String?

  @Option(name: .customLong("setParameterRanges"), parsing: .unconditional, help: "r=-5,5:x=0,1")
  var setParameterRanges: String?

  @Option(name: .customLong("freezeParameters"), help: "a,b or allConstrainedNuisances")
  var freezeParameters: String?

  @Option(name: .customLong("freezeNuisanceGroups"), help: "g1,^g2: freeze the members of g1 and every nuisance not in g2.")
  var freezeNuisanceGroups: String?

  @Option(name: .customLong("rMin"), parsing: .unconditional)
  var rMin: Double?

  @Option(name: .customLong("rMax"), parsing: .unconditional)
  var rMax: Double?

  @Option(name: .customShort("t"), parsing: .unconditional, help: "-1: the Asimov dataset; N > 0: N toys (fit only; see --seed, --toysFrequentist, --toysNoSystematics).")
  var toys: Int?

  @Option(name: .customLong("expectSignal"), parsing: .unconditional)
  var expectSignal: Double?

  @Option(name: [.customShort("s"), .customLong("seed")], parsing: .unconditional, help: "Seed of the toys (-t N; toy i draws from a stream seeded by (seed, i)) and of fit-diagnostics --errors sampling.")
  var seed: UInt64 = 123456

  @Flag(name: .customLong("toysFrequentist"), help: "Toys: generate at the post-fit nuisances of a fit to the data (POIs at their generating values) and draw the global observables.")
  var toysFrequentist = false

  @Flag(name: .customLong("toysNoSystematics"), help: "Toys: do not draw the nuisances.")
  var toysNoSystematics = false

  @Option(name: .customLong("floatOtherPOIs"), help: "1: POIs not given with -P float; 0: they are fixed at their initial values.")
  var floatOtherPOIs: Int = 0

  @Option(name: .customLong("eft"), help: "EFT parametrisation for --physics-model eft: recombine-eft JSON, Combine scaling.json, or an STXStoSMEFT directory.")
  var eft: String?

  @Option(name: .customLong("truncation"), help: "EFT truncation: quadratic (default), linear, expanded, linear-expanded.")
  var truncation: String = "quadratic"

  @Option(name: .customLong("eft-basis"), help: "EFT POIs: 'coefficients' (default) or 'rotated' (eigenvectors of the SM Fisher information).")
  var eftBasis: String = "coefficients"

  @Option(name: .customLong("eigen-threshold"), help: "With --eft-basis rotated: keep eigenvectors whose eigenvalue exceeds this.")
  var eigenThreshold: Double = 0.001
}

/// The physics model named on the command line (`eft` builds the EFT model of `--eft`).
func physicsModel(_ o: ModelOptions, card: Datacard) throws -> PhysicsModel {
  guard o.physicsModel?.lowercased() == "eft" else {
    if o.eft != nil { throw LikelihoodError("--eft needs --physics-model eft") }
    return try makePhysicsModel(named: o.physicsModel, options: o.physicsOptions)
  }
  guard let file = o.eft else { throw LikelihoodError("--physics-model eft needs --eft FILE") }
  do {
    var mapping: [String: STXStoSMEFT.ProcessMapping] = [:]
    for p in card.processes { if let m = STXStoSMEFT.defaultMapping(process: p) { mapping[p] = m } }
    let parametrisation = try EFTParametrisation.read(path: file, stxsProcesses: mapping)
    let options = try EFTOptions(truncation: o.truncation)
    var model = try parametrisation.compile(options: options)
    switch o.eftBasis {
    case "coefficients": break
    case "rotated":
      // Fisher information of the expected yields at the SM point, in the physical coefficients.
      var physical = options
      physical.applyExponents = false
      let raw = EFTPhysicsModel(model: try parametrisation.compile(options: physical))
      let compiled = try CompiledModel.compile(card, physics: raw, mass: o.mass)
      let fisher = fisherInformation(compiled, parameters: Array(0..<parametrisation.coefficients.count))
      let basis = try EFTBasis.fisherEigenbasis(fisher: fisher, threshold: o.eigenThreshold)
      model = try parametrisation.compile(options: options, basis: basis)
      printError("eft: rotated basis, \(basis.parameters.count) of \(parametrisation.coefficients.count) directions above eigenvalue \(o.eigenThreshold)")
    default:
      throw LikelihoodError("--eft-basis must be 'coefficients' or 'rotated'")
    }
    let physics = EFTPhysicsModel(model: model)
    let unscaled = physics.unscaledSignals(in: card)
    if !unscaled.isEmpty {
      printError("warning: the EFT parametrisation does not scale the signal(s) \(unscaled.joined(separator: ", ")); they stay at the SM")
    }
    // A target for a (channel, process) the card does not have is most often a typo.
    let unmatched = physics.unmatchedTargets(in: card)
    if !unmatched.isEmpty {
      let shown = unmatched.prefix(5).map { "\($0.channel)/\($0.process)" }.joined(separator: ", ")
      printError("warning: \(unmatched.count) target(s) of \(file) match no (channel, process) of the card: \(shown)\(unmatched.count > 5 ? ", …" : "")")
    }
    return physics
  } catch let e as EFTError {
    // Errors of the file name it already; option errors (--truncation, basis) need no path.
    throw LikelihoodError(e.description)
  }
}

/// Fisher information I_ij = Σ_b ∂_iν_b ∂_jν_b / ν_b of the expected yields at the initial point,
/// derivatives by central differences (step 1e-4).
func fisherInformation(_ model: CompiledModel, parameters idx: [Int]) -> [[Double]] {
  let x0 = model.initialValues
  let nu0 = model.expectedYields(at: x0)
  let h = 1e-4
  let d: [[Double]] = idx.map { i in
    var a = x0, b = x0
    a[i] += h
    b[i] -= h
    return zip(model.expectedYields(at: a), model.expectedYields(at: b)).map { ($0 - $1) / (2 * h) }
  }
  return idx.indices.map { i in idx.indices.map { j in zip(zip(d[i], d[j]), nu0).reduce(0) { $0 + ($1.1 > 0 ? $1.0.0 * $1.0.1 / $1.1 : 0) } } }
}

/// Parses and compiles the card with its physics model, then applies the parameter settings every
/// method shares (`--rMin/--rMax`, `--setParameterRanges`, `--setParameters`); the targets are the
/// `-P` parameters, or all POIs.
func configureModel(_ o: ModelOptions) throws -> (model: CompiledModel, setup: FitSetup, targets: [Int]) {
  let card = try Datacard.parse(contentsOf: o.card)
  let physics = try physicsModel(o, card: card)
  let compiled = try CompiledModel.compile(card, physics: physics, mass: o.mass)
  var setup = FitSetup(model: compiled)
  try setup.setFirstPOIRange(min: o.rMin, max: o.rMax)
  if let s = o.setParameterRanges { try setup.setRanges(s) }
  if let s = o.setParameters { try setup.setValues(s) }
  var targets: [Int] = []
  for name in o.poi {
    guard let k = setup.index(of: name) else { throw LikelihoodError("unknown parameter '\(name)'") }
    guard !targets.contains(k) else { throw LikelihoodError("-P \(name) is given twice") }
    targets.append(k)
  }
  return (compiled, setup, targets.isEmpty ? compiled.pois : targets)
}

/// A model ready to fit: NLL with data, the parameter specs, and the POIs being fitted.
struct PreparedFit {
  let model: CompiledModel
  let nll: NLL
  var specs: [ParameterSpec]
  let targets: [Int]
  let asimov: Bool
  /// POIs not scanned but floating (`--floatOtherPOIs 1`): extra degrees of freedom for p-values.
  var floatingOtherPOIs = 0
  /// `-t N` (N > 0): the number of toys; the NLL then holds the observed data, and `specs` start at
  /// the generating values.
  var toys: Int? = nil
  /// Whether Asimov data and toys come from the signal+background model (`--expectSignal` or
  /// `--setParameters` given), else from the background-only one (Combine's rule).
  var toySignal = true

  /// - Parameter allowToys: whether the command supports `-t N` with N > 0 (only `fit` does yet).
  init(_ o: ModelOptions, allowToys: Bool = false) throws {
    var (compiled, setup, targets) = try configureModel(o)
    if o.floatOtherPOIs == 0 { setup.fixPOIs(except: targets) }
    floatingOtherPOIs = o.floatOtherPOIs == 0 ? 0 : compiled.pois.filter { !targets.contains($0) }.count
    if let s = o.freezeParameters { try setup.freeze(s) }
    if let s = o.freezeNuisanceGroups { try setup.freezeGroups(s) }
    compiled.maskedChannels = setup.maskedChannels
    model = compiled
    // Without -P the targets are the POIs that float; a frozen -P parameter is an error.
    if o.poi.isEmpty { targets = targets.filter { !setup.fixed[$0] } }
    guard !targets.isEmpty else { throw LikelihoodError("every POI is frozen: nothing to fit") }
    for k in targets where setup.fixed[k] {
      throw LikelihoodError("'\(setup.names[k])' is frozen (--freezeParameters): it cannot be fitted or scanned")
    }
    try Self.requireEffect(of: targets, model: compiled, at: setup.values)
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
      printError("warning: neither --expectSignal nor --setParameters: the background-only model (every signal process dropped) generates the \(o.toys == -1 ? "Asimov dataset" : "toys"), as in Combine")
    }
    asimov = data != nil
    // Toys need no observed data except for --toysFrequentist (which fits it first).
    if toys != nil && model.observed == nil {
      guard !o.toysFrequentist else { throw LikelihoodError("--toysFrequentist fits the observed data first: the card has no observation line") }
      data = [Double](repeating: 0, count: model.binCount)
    }
    nll = try NLL(model: model, data: data)
    self.targets = targets
    let m = model
    specs = m.parameters.indices.map { i in
      ParameterSpec(
        name: setup.names[i], value: setup.values[i], lower: setup.lower[i], upper: setup.upper[i],
        fixed: setup.fixed[i], step: m.parameters[i].step)
    }
  }

  /// Every fitted or scanned POI must change some expected yield (else its fit says nothing, as for
  /// a card without signal): ν at the POI's value and at two other values is compared.
  static func requireEffect(of targets: [Int], model: CompiledModel, at x: [Double]) throws {
    let nu0 = model.expectedYields(at: x)
    for k in targets {
      let p = model.parameters[k]
      let step = max(abs(p.step), 1e-3 * max(1, abs(x[k])))
      let changes = [x[k] + step, x[k] - step].contains { v in
        var y = x
        y[k] = v
        return zip(model.expectedYields(at: y), nu0).contains { abs($0 - $1) > 1e-12 * max(1, abs($1)) }
      }
      guard changes else {
        throw LikelihoodError("'\(p.name)' changes no expected yield of this card (no process it scales): nothing to fit")
      }
    }
  }

  func bestFit() throws -> MinimizationResult {
    let r = Minimizer().minimize(nll, parameters: specs)
    guard r.status.isConverged else { throw LikelihoodError("the best fit did not converge: \(r.status)") }
    return r
  }
}

/// One fit with its HESSE covariance: parameters on a bound are held for HESSE (in Minuit's
/// internal, sine-transformed coordinates their cross derivatives vanish there, so Combine's errors
/// of the others are those of the conditional fit); the covariance is scaled to the error level of
/// `--algo singles` (`hesseErrorScale`), and the reported errors are Minuit's external errors
/// (`minuitExternalError`: the transformation near a bound), as Combine prints them.
struct FitOutcome {
  let best: MinimizationResult
  let specs: [ParameterSpec]
  let covariance: [Double]
  /// Per parameter, the reported HESSE error (0 for fixed ones).
  let errors: [Double]
  let floating: [Int]
  let n: Int

  init(prep: PreparedFit, specs: [ParameterSpec], best: MinimizationResult) {
    self.best = best
    self.specs = specs
    n = best.x.count
    var hs = specs
    for i in best.atBound { hs[i].fixed = true }
    let m = prep.model
    let scale = m.hesseErrorScale
    let cov = Minimizer().hesse(prep.nll, at: best.x, parameters: hs).covariance.map { $0 * scale * scale }
    covariance = cov
    floating = hs.indices.filter { !hs[$0].fixed }
    let (_, gradient) = prep.nll.valueAndGradient(at: best.x)
    let n = self.n
    errors = (0..<n).map { i in
      specs[i].fixed ? 0 : minuitExternalError(
        value: best.x[i], lower: specs[i].lower, upper: specs[i].upper,
        linearError: max(0, cov[i * n + i]).squareRoot(), gradient: gradient[i], errorLevel: m.singlesDelta)
    }
  }

  func error(_ i: Int) -> Double { errors[i] }

  /// Correlation from the HESSE covariance (1 on the diagonal of a parameter without variance).
  func correlation(_ i: Int, _ j: Int) -> Double {
    let d = (max(0, covariance[i * n + i]) * max(0, covariance[j * n + j])).squareRoot()
    return d > 0 ? covariance[i * n + j] / d : (i == j ? 1 : 0)
  }

  var distribution: YieldParameterDistribution { .postfit(covariance: covariance, floating: floating) }

  /// `nll`, `status` and every floating parameter's value and error (and the interval of `interval`).
  func json(_ m: CompiledModel, intervals: [Int: ProfileInterval]) -> [String: Any] {
    var params: [[String: Any]] = []
    for i in 0..<n where !specs[i].fixed {
      var d: [String: Any] = ["name": m.parameters[i].name, "value": best.x[i], "init": specs[i].value, "error": error(i)]
      if let iv = intervals[i] {
        d["errorLo"] = iv.lower - best.x[i]
        d["errorHi"] = iv.upper - best.x[i]
      }
      params.append(d)
    }
    return ["nll": best.fval, "status": "\(best.status)", "parameters": params]
  }
}

/// Formats a value like C's `%+8.3f`.
func signed(_ v: Double, _ width: Int = 0, _ digits: Int = 3) -> String {
  String(format: "%+\(width).\(digits)f", v)
}

/// Writes CSV rows (header first) atomically.
func writeCSV(_ header: [String], _ rows: [[Double]], to path: String) throws {
  var s = header.joined(separator: ",") + "\n"
  for r in rows { s += r.map { String(format: "%.9g", $0) }.joined(separator: ",") + "\n" }
  try writeFileAtomically(s, to: path)
}


/// Runs `body`, turning errors into a one-line message and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
  do { try body() } catch let e as LikelihoodError {
    printError("error: \(e.message)")
    throw ExitCode(1)
  } catch let e as DatacardError {
    printError(String(e.description.split(separator: "\n").first ?? ""))
    throw ExitCode(1)
  } catch let e as ExitCode {
    throw e
  } catch {
    printError("error: \(error)")
    throw ExitCode(1)
  }
}
