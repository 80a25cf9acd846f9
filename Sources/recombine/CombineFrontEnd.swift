//===--- CombineFrontEnd.swift --------------------------------------------===//
// `recombine combine …` (and `combine …` through the link `make install` creates): Combine's
// command line, verbatim. The arguments are translated into one Recombine subcommand per mass,
// run in this process, and each run's limit tree is written as Combine's output file
// `higgsCombine<NAME>.<METHOD>.mH<MASS>[.<SEED>].root` (with the CSV beside it when --csv-too).
// Options are listed in `CombineCommandLine`: passed on, translated, accepted without effect (the
// minimiser settings, each documented), or refused with an error naming them.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Plots
import ROOTIO
import Support

struct CombineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "combine",
    abstract: "Combine's command line: recombine combine -M METHOD CARD [Combine's options] (also runnable as 'combine').",
    discussion: """
      Methods: MultiDimFit (--algo none, singles, grid, impact, fixed), AsymptoticLimits, Significance, FitDiagnostics, \
      GoodnessOfFit (--algo saturated, KS, AD), ChannelCompatibilityCheck, HybridNew (--LHCmode LHC-limits). \
      The card is a text datacard (or .txt.gz) where Combine takes a workspace (-d or positional). \
      -m takes a value, a comma list or lo:hi:step (one run per mass, $MASS in the card path replaced). \
      Writes higgsCombine<NAME>.<METHOD>.mH<MASS>[.<SEED>].root (the limit tree) in the current directory, \
      and fitDiagnostics<NAME>.root for -M FitDiagnostics. \
      See the README's Combine-compatibility table for every option.
      """)

  @Argument(parsing: .captureForPassthrough, help: "Combine's arguments.")
  var arguments: [String] = []

  func run() throws {
    try runReportingErrors {
      let plan = try CombineCommandLine(arguments)
      for note in plan.notes { printError(note) }
      var files: [String] = []
      for mass in plan.masses {
        let argv = plan.subcommandArguments(mass: mass)
        printError(">>> recombine \(argv.map(JobShell.quote).joined(separator: " "))")
        var command = try Recombine.parseAsRoot(argv)
        try command.run()
        if let f = try plan.finish(mass: mass) { files.append(f) }
      }
      if plan.method == "AsymptoticLimits" && files.count > 1 {
        // Several masses: the limits JSON of combineTool's CollectLimits, for 'recombine plot limits'.
        let json = "limits\(plan.name).json"
        let points = try CollectedLimits.points(try files.map(CombineOutput.readTable))
        try writeFileAtomically(String(decoding: try CollectedLimits.json(points), as: UTF8.self) + "\n", to: json)
        printError("wrote \(json) (\(points.count) masses; draw it with 'recombine plot limits \(json) -o limits.png')")
      }
    }
  }
}

/// Shell quoting for the echoed command.
enum JobShell {
  static func quote(_ s: String) -> String {
    s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=,:+".contains($0) }) && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// Combine's arguments, parsed and translated.
struct CombineCommandLine {
  var method = ""
  var card = ""
  var name = "Test"
  var masses: [Double] = [120]
  var massGiven = false
  var seed = CombineOutput.defaultSeed
  var toys = 0
  var algo = "none"
  /// Options passed to the subcommand as they are.
  var passed: [String] = []
  var saveNLL = false
  /// `--saveFitResult`: the fit result as `multidimfit<NAME>.json` (fit --json; no RooFitResult).
  var saveFitResult = false
  var runMinos = false
  var saveSpecifiedNuis: [String]? = nil
  /// `--algo impact`: the parameters whose impacts are computed (-P).
  var impactParameters: [String] = []
  var notes: [String] = []
  /// The temporary CSV each run writes (read back for the ROOT file).
  let scratch: String

  /// Options that take a value and mean the same in the subcommands.
  static let passedWithValue: Set<String> = [
    "-t", "--expectSignal", "-P", "--floatOtherPOIs", "--setParameters", "--setParameterRanges", "--freezeParameters",
    "--freezeNuisanceGroups", "--rMin", "--rMax", "--points", "--firstPoint", "--lastPoint", "--alignEdges", "--cl", "--run",
    "--physics-model", "--PO", "--eft", "--truncation", "--preFitValue", "--numToysForShapes", "--fromFit", "--fixedPointPOIs", "--fixedSignalStrength", "--do95",
    "--LHCmode", "--singlePoint", "-T", "--rule", "--testStat", "--rAbsAcc", "--rRelAcc", "--clsAcc", "--grid", "--expectedFromGrid",
    "--saveGrid",
  ]
  static let passedFlags: Set<String> = ["--toysFrequentist", "--toysNoSystematics", "--skipBOnlyFit"]
  /// Minimiser and run-time settings that have no counterpart: accepted, with what they mean here.
  static let acceptedWithValue: [String: String] = [
    "--X-rtd": "Combine run-time defines tune RooFit/Minuit internals; Recombine's minimiser has none",
    "--X-rt": "Combine run-time settings tune RooFit internals; not applicable",
    "--cminDefaultMinimizerStrategy": "Recombine always computes the covariance as strategy 1 does",
    "--cminDefaultMinimizerType": "Recombine has one minimiser (variable metric with analytic gradients)",
    "--cminDefaultMinimizerAlgo": "Recombine has one minimiser",
    "--cminDefaultMinimizerTolerance": "Recombine's convergence criterion is fixed (EDM < 1e-3 as Minuit's default)",
    "--cminFallbackAlgo": "Recombine retries failed fits from other starts by itself",
    "--robustHesse": "HESSE is computed from the analytic gradient",
    "--stepSize": "intervals are found by root finding, not steps",
    "-v": "verbosity", "--verbose": "verbosity",
    "--fork": "toys run on every core (--threads of the subcommand)",
  ]
  static let acceptedFlags: [String: String] = [
    "--cminPreScan": "not needed: fits start from several points when they fail",
    "--saveWorkspace": "there is no workspace: the card is the model",
    "--saveShapes": "FitDiagnostics always saves the shapes (shapes_prefit, shapes_fit_s, shapes_fit_b)",
    "--saveWithUncertainties": "FitDiagnostics always computes the yields' uncertainties (Combine's resampling, --numToysForShapes)",
    "--saveNormalizations": "FitDiagnostics always saves the yields per process",
  ]

  init(_ args: [String]) throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-combine-\(getpid()).csv").path
    var i = 0
    func value(_ option: String) throws -> String {
      guard i + 1 < args.count else { throw UsageError("\(option) needs a value") }
      i += 1
      return args[i]
    }
    var positional: [String] = []
    var redefined: [String]? = nil
    var systematicsOff = false
    var pList: [String] = []
    var saveInactivePOI = false
    var robustFit = false
    while i < args.count {
      var a = args[i]
      var inlineValue: String? = nil
      if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
        inlineValue = String(a[a.index(after: eq)...])
        a = String(a[..<eq])
      }
      func v() throws -> String { try inlineValue ?? value(a) }
      switch a {
      case "-M", "--method": method = try v()
      case "-d", "--datacard": card = try v()
      case "-n", "--name": name = try v()
      case "-m", "--mass":
        masses = try Self.masses(try v())
        massGiven = true
      case "-s", "--seed":
        let s = try v()
        guard let n = Int(s) else { throw UsageError("-s expects an integer seed, found '\(s)'") }
        seed = n == -1 ? Int.random(in: 1...999_999) : n
        if n == -1 { notes.append("note: -s -1: the seed drawn is \(seed)") }
      case "--algo": algo = try v()
      case "--robustFit": robustFit = try v() != "0"
      case "--saveNLL": saveNLL = true
      case "--saveFitResult": saveFitResult = true
      case "--runMinos":
        // Combine takes --runMinos with a value (1/0) or alone.
        var n = inlineValue
        if n == nil, i + 1 < args.count, ["0", "1", "true", "false"].contains(args[i + 1]) { n = try value(a) }
        runMinos = n.map { $0 == "1" || $0 == "true" } ?? true
      case "--saveSpecifiedNuis": saveSpecifiedNuis = try v().split(separator: ",").map(String.init)
      case "--redefineSignalPOIs": redefined = try v().split(separator: ",").map(String.init)
      case "-P", "--parameters": pList.append(try v())
      case "--saveInactivePOI":
        let s = try v()
        saveInactivePOI = s != "0"
      case "-S", "--systematics":
        let s = try v()
        guard s == "0" || s == "1" else { throw UsageError("-S expects 0 or 1, found '\(s)'") }
        systematicsOff = s == "0"
      case _ where Self.passedWithValue.contains(a):
        let val = try v()
        if a == "-t" { toys = Int(val) ?? 0 }
        passed += [a, val]
      case _ where Self.passedFlags.contains(a):
        passed.append(a)
      case _ where Self.acceptedWithValue[a] != nil:
        let val = try v()
        notes.append("note: \(a) \(val) accepted without effect: \(Self.acceptedWithValue[a]!)")
      case _ where Self.acceptedFlags[a] != nil:
        notes.append("note: \(a) accepted without effect: \(Self.acceptedFlags[a]!)")
      default:
        if a.hasPrefix("-") && !(a.count > 1 && a.dropFirst().first!.isNumber) {
          throw UsageError("combine option '\(a)' is not supported by Recombine (README: Combine compatibility)")
        }
        positional.append(a)
      }
      i += 1
    }
    if card.isEmpty, let p = positional.first { card = p; positional.removeFirst() }
    guard positional.isEmpty else { throw UsageError("unexpected argument '\(positional[0])'") }
    guard !card.isEmpty else { throw UsageError("no datacard: give it with -d CARD or as an argument") }
    guard !method.isEmpty else { throw UsageError("no method: give -M MultiDimFit, AsymptoticLimits, Significance or FitDiagnostics") }
    if systematicsOff {
      // -S 0: every constrained nuisance frozen (added to any --freezeParameters list).
      if let k = passed.firstIndex(of: "--freezeParameters"), k + 1 < passed.count {
        passed[k + 1] += ",allConstrainedNuisances"
      } else {
        passed += ["--freezeParameters", "allConstrainedNuisances"]
      }
    }
    if algo == "impact" {
      // combineTool.py's Impacts: -P is the parameter whose impact is computed, the POIs are
      // --redefineSignalPOIs (default: the model's); their values are saved (--saveInactivePOI).
      guard !pList.isEmpty else { throw UsageError("--algo impact needs -P PARAMETER") }
      impactParameters = pList
      for p in redefined ?? [] { passed += ["-P", p] }
    } else {
      if saveInactivePOI { throw UsageError("--saveInactivePOI is supported with --algo impact only") }
      if let r = redefined {
        guard pList.isEmpty else {
          throw UsageError("--redefineSignalPOIs with -P is not supported: give the POIs with -P alone (README: Combine compatibility)")
        }
        // The listed POIs are fitted; the model's other POIs become floating nuisances.
        for p in r { passed += ["-P", p] }
        passed += ["--floatOtherPOIs", "1"]
      } else {
        for p in pList { passed += ["-P", p] }
      }
    }
    if robustFit {
      // The robust fit's crossing threshold changes singles intervals only; elsewhere every fit is
      // already retried from other starts when it fails.
      if method == "MultiDimFit" && algo == "singles" { passed += ["--robustFit", "1"] } else {
        notes.append("note: --robustFit 1 accepted without effect here: Recombine retries failed fits by itself (it sets the crossing threshold of -M MultiDimFit --algo singles)")
      }
    }
    switch method {
    case "MultiDimFit":
      guard ["none", "singles", "grid", "impact", "fixed"].contains(algo) else {
        throw UsageError("-M MultiDimFit --algo \(algo) is not supported (none, singles, grid, impact, fixed are)")
      }
    case "AsymptoticLimits", "Significance", "FitDiagnostics":
      guard algo == "none" else { throw UsageError("--algo belongs to -M MultiDimFit") }
    case "GoodnessOfFit":
      guard ["saturated", "KS", "AD"].contains(algo) else { throw UsageError("-M GoodnessOfFit needs --algo saturated, KS or AD") }
    case "ChannelCompatibilityCheck":
      guard algo == "none" else { throw UsageError("--algo belongs to -M MultiDimFit and -M GoodnessOfFit") }
    case "HybridNew":
      guard algo == "none" else { throw UsageError("--algo belongs to -M MultiDimFit and -M GoodnessOfFit") }
    default:
      throw UsageError("unknown method -M \(method) (MultiDimFit, AsymptoticLimits, Significance, FitDiagnostics, GoodnessOfFit, ChannelCompatibilityCheck, HybridNew)")
    }
    if saveNLL && !(method == "MultiDimFit" && algo == "grid") {
      throw UsageError("--saveNLL is supported with -M MultiDimFit --algo grid only")
    }
    if saveSpecifiedNuis != nil && !(method == "MultiDimFit" && algo == "grid") {
      throw UsageError("--saveSpecifiedNuis is supported with -M MultiDimFit --algo grid only")
    }
  }

  /// `-m` as Combine takes it: one value, a comma list, or lo:hi:step.
  static func masses(_ s: String) throws -> [Double] {
    if s.contains(":") {
      let p = s.split(separator: ":").map { Double($0) }
      guard p.count == 3, let lo = p[0], let hi = p[1], let step = p[2], step > 0, lo <= hi else {
        throw UsageError("-m \(s): expected lo:hi:step with step > 0")
      }
      var out: [Double] = []
      var k = 0.0
      while lo + k * step <= hi + 1e-9 * step { out.append(lo + k * step); k += 1 }
      return out
    }
    let values = s.split(separator: ",").map { Double($0) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw UsageError("-m \(s): expected a mass, a list a,b,c or lo:hi:step") }
    return values.map { $0! }
  }

  /// The method's file-name part and the subcommand doing it here.
  var subcommand: String {
    switch method {
    case "AsymptoticLimits": "limit"
    case "Significance": "significance"
    case "FitDiagnostics": "fit-diagnostics"
    case "GoodnessOfFit": "gof"
    case "ChannelCompatibilityCheck": "channel-compat"
    case "HybridNew": "hybrid"
    default: algo == "grid" ? "scan" : algo == "impact" ? "impacts" : "fit"
    }
  }

  func cardPath(mass: Double) -> String { card.replacingOccurrences(of: "$MASS", with: String(format: "%g", mass)) }

  /// The subcommand's arguments for one mass.
  func subcommandArguments(mass: Double) -> [String] {
    var a = [subcommand, cardPath(mass: mass), "-m", String(format: "%g", mass), "-s", String(seed)] + passed
    switch subcommand {
    case "fit":
      a += ["--algo", algo, "--csv", scratch]
      if saveFitResult { a += ["--json", "multidimfit\(name).json"] }
    case "scan":
      a += ["--csv", scratch]
      if saveNLL { a.append("--saveNLL") }
      if saveSpecifiedNuis != nil { a.append("--save-nuisances") }
    case "limit", "significance": a += ["--csv", scratch]
    case "gof": a += ["--algo", algo, "--csv", scratch]
    case "hybrid": a += ["--csv", scratch]
    case "channel-compat":
      a += ["--csv", scratch]
      if runMinos { a.append("--runMinos") }
    case "impacts":
      a += ["-o", scratch + ".json", "--root", CombineOutput.fileName(name: name, method: method, mass: mass, seed: seed, toys: toys)]
      for p in impactParameters { a += ["--parameter", p] }
    default: a += ["--root", "fitDiagnostics\(name).root"]
    }
    return a
  }

  /// After a run: the limit tree as Combine's output file (FitDiagnostics writes its
  /// fitDiagnostics<NAME>.root itself; its limit tree is the first POI's best fit and interval).
  @discardableResult
  func finish(mass: Double) throws -> String? {
    guard subcommand != "fit-diagnostics" else { return nil }
    if subcommand == "impacts" {
      try? FileManager.default.removeItem(atPath: scratch + ".json")
      return CombineOutput.fileName(name: name, method: method, mass: mass, seed: seed, toys: toys)
    }
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    var table = try LimitTreeTable.read(scratch)
    if subcommand == "gof" && toys > 0, let k = table.header.firstIndex(of: "iToy") {
      // As Combine: a toy run's file holds the toys only (the data's statistic is another run).
      table.rows = table.rows.filter { $0[k] != "0" }
    }
    if let keep = saveSpecifiedNuis, keep != ["all"] {
      // Keep the standard columns, the scanned POIs (-P, else the first POI column) and the
      // listed nuisances.
      let unknown = keep.filter { !table.header.contains($0) }
      if !unknown.isEmpty { printError("warning: --saveSpecifiedNuis: no floating parameter \(unknown.joined(separator: ", "))") }
      let argv = subcommandArguments(mass: mass)
      var scanned = Set(argv.indices.dropLast().filter { argv[$0] == "-P" }.map { argv[$0 + 1] })
      if scanned.isEmpty, let first = table.poiNames.first { scanned = [first] }
      let pois = Set(table.poiNames), saved = Set(keep)
      let columns = table.header.indices.filter { i in
        let n = table.header[i]
        return !pois.contains(n) || saved.contains(n) || scanned.contains(n)
      }
      table = LimitTreeTable(header: columns.map { table.header[$0] }, rows: table.rows.map { r in columns.map { r[$0] } })
    }
    let file = CombineOutput.fileName(name: name, method: method, mass: mass, seed: seed, toys: toys)
    try CombineOutput.write(table, mass: mass, seed: seed, to: file)
    printError("wrote \(file)")
    return file
  }
}
