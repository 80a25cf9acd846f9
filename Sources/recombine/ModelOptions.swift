//===--- ModelOptions.swift -----------------------------------------------===//
// The options every fitting command shares (the card, the physics model, parameter settings,
// data), how they become a `FitProblem`, and how errors are reported.
//===----------------------------------------------------------------------===//

import ArgumentParser
import EFT
import Foundation
import Inference
import Likelihood
import Support
import ROOTIO


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

  @Option(name: .customShort("t"), parsing: .unconditional, help: "-1: the Asimov dataset; N > 0: N toys (fit, limit, significance, gof; see --seed, --toysFrequentist, --toysNoSystematics).")
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

  @Option(name: .customLong("fromFit"), help: "Start every parameter at its value in this saved fit (fit --json), Combine's --snapshotName; --freezeParameters then holds them there.")
  var fromFit: String?

  @Option(name: .customLong("per-bin-scaling"), help: "Per-bin scalings (scaling.json) on morphed templates: nominal (Combine's CMSHistSum: μ·T⁰ + ΣΔ, default) or template (μ·(T⁰ + ΣΔ)).")
  var perBinScaling: String = "nominal"

  @Option(name: .customLong("patch"), help: "pyhf workspaces: a JSON Patch (RFC 6902, e.g. HEPData's patch.X.json) applied to the workspace; repeatable, in order.")
  var patches: [String] = []

  @Option(name: .customLong("measurement"), help: "pyhf workspaces: the measurement (default: the first).")
  var measurement: String?

  @Option(name: .customLong("interpcode"), help: "pyhf workspaces: interpolation codes, e.g. normsys=code1,histosys=code0 (default normsys=code4, histosys=code4p as pyhf 0.7).")
  var interpcode: String?
}

extension ModelOptions {
  /// The parameter settings as the library takes them.
  var fitOptions: FitOptions {
    get throws {
    var o = FitOptions()
    o.mass = mass
    o.pois = poi
    o.setParameters = setParameters
    o.setParameterRanges = setParameterRanges
    o.freezeParameters = freezeParameters
    o.freezeNuisanceGroups = freezeNuisanceGroups
    o.rMin = rMin
    o.rMax = rMax
    o.toys = toys
    o.expectSignal = expectSignal
    o.toysFrequentist = toysFrequentist
    o.toysNoSystematics = toysNoSystematics
    o.floatOtherPOIs = floatOtherPOIs != 0
    o.perBinScaling = PerBinScaling(rawValue: perBinScaling) ?? .nominal
    if let fromFit { o.startValues = try FitSnapshot.read(fromFit) }
    o.patches = patches
    o.measurement = measurement
    if let interpcode { o.interpolation = try HistFactoryInterpolation(parsing: interpcode) }
    return o
    }
  }

  /// The physics model as named on the command line.
  var physicsChoice: PhysicsModelChoice {
    var c = PhysicsModelChoice(name: physicsModel, options: physicsOptions)
    c.eftFile = eft
    c.truncation = truncation
    c.basis = eftBasis
    c.eigenThreshold = eigenThreshold
    return c
  }

  /// The fit problem of `fit`, `scan`, `impacts`, `fit-diagnostics` (its notes printed).
  func problem(allowToys: Bool = false) throws -> FitProblem {
    guard PerBinScaling(rawValue: perBinScaling) != nil else { throw UsageError("--per-bin-scaling must be nominal or template") }
    let p = try FitProblem.load(card: card, physics: physicsChoice, options: try fitOptions, allowToys: allowToys)
    for n in p.notes { printError(n) }
    return p
  }

  /// The problem as `limit` and `significance` see it (declared ranges, one POI).
  func boundedProblem(allowToys: Bool = false) throws -> FitProblem {
    guard PerBinScaling(rawValue: perBinScaling) != nil else { throw UsageError("--per-bin-scaling must be nominal or template") }
    let p = try FitProblem.loadBounded(card: card, physics: physicsChoice, options: try fitOptions, allowToys: allowToys)
    for n in p.notes { printError(n) }
    return p
  }
}

/// Formats a value like C's `%+8.3f`.
func signed(_ v: Double, _ width: Int = 0, _ digits: Int = 3) -> String {
  String(format: "%+\(width).\(digits)f", v)
}

/// A command-line usage error (an option missing, or given a value it does not take).
struct UsageError: RecombineError {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Checks, before any work, that `path` can be an output file: not empty, not a directory, in a
/// directory that exists.
func checkOutputPath(_ path: String, option: String) throws {
  guard !path.isEmpty else { throw UsageError("\(option) needs a file name") }
  var isDir: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
    throw UsageError("\(option) \(path) is a directory: give a file name")
  }
  let parent = (path as NSString).deletingLastPathComponent
  if !parent.isEmpty, !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDir) && isDir.boolValue) {
    throw UsageError("\(option) \(path): the directory \(parent) does not exist")
  }
}

/// Writes a JSON document (sorted keys, indented) atomically.
func writeJSON(_ document: [String: Any], to path: String) throws {
  let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
  try writeFileAtomically(String(decoding: data, as: UTF8.self) + "\n", to: path)
}


/// Runs `body`, turning errors into a one-line message and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
  do { try body() } catch let e as any RecombineError {
    printError(e.summary)
    throw ExitCode(1)
  } catch let e as ExitCode {
    throw e
  } catch {
    printError("error: \(error)")
    throw ExitCode(1)
  }
}

/// Writes a limit tree as CSV (`csv`) and as Combine's ROOT output file (`root`), each when given.
func writeLimitTree(_ table: LimitTreeTable, csv: String?, root: String?, json: String? = nil, model: ModelOptions) throws {
  if let csv { try table.write(to: csv) }
  if let json { try writeFileAtomically(table.json, to: json) }
  if let root {
    try CombineOutput.write(table, mass: model.mass, seed: Int(truncatingIfNeeded: model.seed), to: root)
    printError("wrote \(root)")
  }
}
