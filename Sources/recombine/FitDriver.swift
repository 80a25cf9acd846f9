//===--- FitDriver.swift --------------------------------------------------===//
// Glue between Likelihood and Fit for the `fit` and `scan` subcommands.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import Fit
import Foundation
import Likelihood


/// Options shared by `fit` and `scan`: the card, the physics model, parameter settings, data.
struct ModelOptions: ParsableArguments {
  @Argument(help: "The datacard (text, or .txt.gz).")
  var card: String

  @Option(name: [.customShort("m"), .customLong("mass")], help: "Higgs mass (written to the mh column).")
  var mass: Double = 120

  @Option(name: .customLong("physics-model"), help: "default, multiSignalModel or floatingXSHiggs.")
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

  @Option(name: .customShort("t"), parsing: .unconditional, help: "-1: Asimov dataset.")
  var toys: Int?

  @Option(name: .customLong("expectSignal"), parsing: .unconditional)
  var expectSignal: Double?

  @Option(name: .customLong("floatOtherPOIs"), help: "1: POIs not given with -P float; 0: they are fixed at their initial values.")
  var floatOtherPOIs: Int = 0
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

  init(_ o: ModelOptions) throws {
    let card = try Datacard.parse(contentsOf: o.card)
    let physics = try makePhysicsModel(named: o.physicsModel, options: o.physicsOptions)
    var compiled = try CompiledModel.compile(card, physics: physics, mass: o.mass)
    var setup = FitSetup(model: compiled)
    try setup.setFirstPOIRange(min: o.rMin, max: o.rMax)
    if let s = o.setParameterRanges { try setup.setRanges(s) }
    if let s = o.setParameters { try setup.setValues(s) }
    var targets: [Int] = []
    for name in o.poi {
      guard let k = setup.index(of: name) else { throw LikelihoodError("unknown parameter '\(name)'") }
      targets.append(k)
    }
    if targets.isEmpty { targets = compiled.pois }
    if o.floatOtherPOIs == 0 { setup.fixPOIs(except: targets) }
    floatingOtherPOIs = o.floatOtherPOIs == 0 ? 0 : compiled.pois.filter { !targets.contains($0) }.count
    if let s = o.freezeParameters { try setup.freeze(s) }
    if let s = o.freezeNuisanceGroups { try setup.freezeGroups(s) }
    compiled.maskedChannels = setup.maskedChannels
    model = compiled
    var data: [Double]? = nil
    switch o.toys {
    case nil, 0: break
    case -1: data = setup.makeAsimov(model: model, expectSignal: o.expectSignal)
    default: throw LikelihoodError("-t \(o.toys!): only -t -1 (Asimov) is supported yet")
    }
    asimov = data != nil
    nll = try NLL(model: model, data: data)
    self.targets = targets
    let m = model
    specs = m.parameters.indices.map { i in
      ParameterSpec(
        name: setup.names[i], value: setup.values[i], lower: setup.lower[i], upper: setup.upper[i],
        fixed: setup.fixed[i], step: m.parameters[i].step)
    }
  }

  func bestFit() throws -> MinimizationResult {
    let r = Minimizer().minimize(nll, parameters: specs)
    guard r.status.isConverged else { throw LikelihoodError("the best fit did not converge: \(r.status)") }
    return r
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

/// Writes a file atomically with POSIX rename(2): a temporary file in the same directory, then
/// rename over the target (which may exist).
func writeFileAtomically(_ text: String, to path: String) throws {
  let url = URL(fileURLWithPath: path)
  let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
  try text.write(to: tmp, atomically: false, encoding: .utf8)
  guard rename(tmp.path, url.path) == 0 else {
    let err = String(cString: strerror(errno))
    try? FileManager.default.removeItem(at: tmp)
    throw LikelihoodError("cannot write \(path): \(err)")
  }
}

/// Runs `body`, turning errors into a one-line message and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
  do { try body() } catch let e as LikelihoodError {
    printError("error: \(e.message)")
    throw ExitCode(1)
  } catch let e as DatacardError {
    printError("error: \(e.description.split(separator: "\n").first ?? "")")
    throw ExitCode(1)
  } catch let e as ExitCode {
    throw e
  } catch {
    printError("error: \(error)")
    throw ExitCode(1)
  }
}
