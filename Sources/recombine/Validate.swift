//===--- Validate.swift ---------------------------------------------------===//
// `recombine validate`: ValidateDatacards.py.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import Foundation
import ROOTIO
import Support

struct Validate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Parse a datacard, read its shapes and check it as Combine's ValidateDatacards.py does.",
    discussion: """
      Prints a summary (channels, processes, signals, nuisances by type) and the warnings and errors \
      found. Exit status 1 if the card has errors. With --json the same report is printed as JSON \
      with the keys nbins, nproc, nsig, syst_types, warnings and errors (and more).
      """)

  @Argument(help: "The datacard (.txt, or .txt.gz).") var card: String
  @Option(name: [.customShort("m"), .long], help: "Mass substituted for $MASS in shapes lines.") var mass: Double = 120
  @Flag(help: "Print the report as JSON.") var json = false
  @Flag(name: .customLong("parse-only"), help: "Do not read the shape files (for cards whose inputs are absent).") var parseOnly = false
  @Option(help: "Report normalisation effects above this fraction.") var checkUncertOver: Double = 0.1
  @Option(help: "Report shape effects below this fraction.") var reportSigUnder: Double = 0.001

  func run() throws {
    let parsed: Datacard
    do {
      parsed = try Datacard.parse(contentsOf: card)
    } catch let e as DatacardError {
      if json {
        let obj: [String: Any] = ["card": card, "errors": [["check": "parser", "message": e.description, "line": e.location?.line ?? 0]], "warnings": []]
        print(String(data: try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]), encoding: .utf8)!)
      } else {
        printError(e.description)
      }
      throw ExitCode(1)
    }
    var options = ValidationOptions()
    options.mass = mass
    options.parseOnly = parseOnly
    options.largeNormEffect = checkUncertOver
    options.smallShapeEffect = reportSigUnder
    let report = Validator.validate(parsed, options: options)
    if json {
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(data: try enc.encode(report), encoding: .utf8)!)
    } else {
      print(Self.summary(report, parsed))
    }
    if !report.errors.isEmpty { throw ExitCode(1) }
  }

  static func summary(_ r: ValidationReport, _ card: Datacard) -> String {
    var s = "Datacard \(r.card)\n"
    s += "  kind:       \(card.hasShapes ? (card.shapes.allSatisfy(\.isFake) ? "counting (FAKE shapes)" : "shapes") : "counting")\n"
    s += "  channels:   \(r.nbins)  (\(r.channels.prefix(8).joined(separator: ", "))\(r.nbins > 8 ? ", ..." : ""))\n"
    s += "  processes:  \(r.nproc)  signals: \(r.nsig) (\(r.signals.prefix(8).joined(separator: ", "))\(r.nsig > 8 ? ", ..." : ""))\n"
    let types = r.syst_types.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    s += "  nuisances:  \(card.systematics.count) lines\(types.isEmpty ? "" : " (\(types))")"
    s += r.rateParams > 0 ? ", \(r.rateParams) rateParams\n" : "\n"
    if !card.autoMCStats.isEmpty { s += "  autoMCStats: \(card.autoMCStats.map(\.channelPattern).joined(separator: ", "))\n" }
    if !card.groups.isEmpty { s += "  groups:     \(card.groups.map(\.name).joined(separator: ", "))\n" }
    if r.shapesRead { s += "  histograms read: \(r.histogramsRead)\n" }
    s += "  warnings:   \(r.warnings.count)\n"
    var byCheck: [String: [ValidationIssue]] = [:]
    for w in r.warnings { byCheck[w.check, default: []].append(w) }
    for (check, list) in byCheck.sorted(by: { $0.key < $1.key }) {
      s += "    \(check): \(list.count)\n"
      for w in list.prefix(5) { s += "      \(w.line.map { "line \($0): " } ?? "")\(w.message)\n" }
      if list.count > 5 { s += "      ... \(list.count - 5) more\n" }
    }
    s += "  errors:     \(r.errors.count)\n"
    for e in r.errors { s += "    \(e)\n" }
    return s
  }
}
