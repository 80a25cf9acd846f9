//===--- CombineCardsCommand.swift ----------------------------------------===//
// `recombine combine-cards`: combineCards.py.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import EFT
import Batch
import Foundation
import Inference
import Support

struct CombineCardsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "combine-cards",
    abstract: "Combine datacards as combineCards.py does (label=card.txt ...); with pyhf workspaces among the inputs, write a combination file every command reads.",
    discussion: """
      With a pyhf/HistFactory JSON workspace among the inputs (label=ws.json, recognised by content) the \
      output (-o, required) is a recombine-combination/1 JSON file naming the inputs; fit, scan, limit, \
      impacts, … take it as their card. Parameters of the same name are one parameter; rename with \
      --rename label:old=new (repeatable) or --rename map.json ({"label": {"old": "new"}}); a \
      workspace's POI becomes the datacards' first POI unless renamed. --patch label:patch.json and \
      --measurement label:NAME apply to that workspace.
      """)

  @Argument(help: "Cards as label=card.txt or card.txt (label ch<i>); '.=card.txt' keeps bin names.") var cards: [String]
  @Option(name: [.short, .long], help: "Write the combined card here (atomically) instead of standard output.") var output: String?
  @Flag(name: [.customShort("S"), .customLong("force-shape")], help: "Treat counting cards as shape cards (shapes * <bin> FAKE).") var forceShape = false
  @Flag(name: [.customShort("s"), .customLong("stat")], help: "Drop all systematics.") var stat = false
  @Option(name: [.customLong("xc"), .customLong("exclude-channel")], help: "Exclude channels matching this regular expression.") var excludeChannel: [String] = []
  @Option(name: [.customLong("ic"), .customLong("include-channel")], help: "Include only channels matching this regular expression.") var includeChannel: [String] = []
  @Option(name: .customLong("rename"), help: "With workspaces: label:old=new (repeatable), or a JSON file {\"label\": {\"old\": \"new\"}}.") var rename: [String] = []
  @Option(name: .customLong("patch"), help: "With workspaces: label:patch.json, a JSON Patch for that workspace (repeatable, in order).") var patch: [String] = []
  @Option(name: .customLong("measurement"), help: "With workspaces: label:NAME, the measurement of that workspace.") var measurement: [String] = []

  func run() throws {
    var opts = CombineCardsOptions()
    opts.forceShape = forceShape
    opts.statOnly = stat
    opts.excludeChannels = excludeChannel
    opts.includeChannels = includeChannel
    let inputs: [(label: String?, path: String)] = cards.map { arg in
      if let eq = arg.firstIndex(of: "=") { return (String(arg[..<eq]), String(arg[arg.index(after: eq)...])) }
      return (nil, arg)
    }
    // Options checked before reading: channel patterns must compile, labels must differ.
    for p in excludeChannel + includeChannel where (try? NSRegularExpression(pattern: p)) == nil {
      printError("error: combine-cards: '\(p)' is not a valid regular expression")
      throw ExitCode(1)
    }
    let labels = inputs.compactMap(\.label)
    if let dup = labels.first(where: { l in labels.filter { $0 == l }.count > 1 }) {
      printError("error: combine-cards: the label '\(dup)' is given twice (channels would collide)")
      throw ExitCode(1)
    }
    if inputs.contains(where: { Combination.isWorkspace($0.path) }) {
      try runReportingErrors { try writeCombination(inputs) }
      return
    }
    do {
      let combined = try combineCards(inputs, options: opts)
      let text = DatacardWriter.writeCombined(combined, header: "Combination of " + cards.joined(separator: "  "))
      if let output { try writeFileAtomically(text, to: output) } else { print(text, terminator: "") }
    } catch let e as DatacardError {
      printError(e.description)
      throw ExitCode(1)
    }
  }

  /// Datacards and workspaces: the combination file (checked by building its model once).
  func writeCombination(_ inputs: [(label: String?, path: String)]) throws {
    guard let output else { throw UsageError("combine-cards: with a pyhf workspace among the inputs, give -o FILE.json (the combination file)") }
    guard !stat, !forceShape, excludeChannel.isEmpty, includeChannel.isEmpty else {
      throw UsageError("combine-cards: -S, -s, --xc and --ic apply to datacards alone, not to combinations with workspaces")
    }
    var c = Combination(inputs: inputs.enumerated().map { k, i in
      Combination.Input(label: i.label ?? "ch\(k + 1)", path: absolutePath(i.path), isWorkspace: Combination.isWorkspace(i.path))
    })
    func split(_ s: String, _ option: String) throws -> (String, String) {
      guard let colon = s.firstIndex(of: ":"), colon != s.startIndex else { throw UsageError("\(option) \(s): expected label:value") }
      let label = String(s[..<colon])
      guard c.inputs.contains(where: { $0.label == label }) else {
        throw UsageError("\(option) \(s): no input is labelled '\(label)' (\(c.inputs.map(\.label).joined(separator: ", ")))")
      }
      return (label, String(s[s.index(after: colon)...]))
    }
    for r in rename {
      if r.hasSuffix(".json") && !r.contains("=") {
        guard let doc = try readJSONObject(r) as? [String: Any] else { throw UsageError("--rename \(r): expected {\"label\": {\"old\": \"new\"}}") }
        for (label, m) in doc {
          guard let map = m as? [String: String] else { throw UsageError("--rename \(r): /\(label) must map names to names") }
          c.rename[label, default: [:]].merge(map) { $1 }
        }
        continue
      }
      let (label, rest) = try split(r, "--rename")
      let kv = rest.split(separator: "=", maxSplits: 1).map(String.init)
      guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else { throw UsageError("--rename \(r): expected label:old=new") }
      c.rename[label, default: [:]][kv[0]] = kv[1]
    }
    for p in patch {
      let (label, file) = try split(p, "--patch")
      let k = c.inputs.firstIndex { $0.label == label }!
      guard c.inputs[k].isWorkspace else { throw UsageError("--patch \(p): '\(label)' is a datacard") }
      c.inputs[k].patches.append(absolutePath(file))
    }
    for m in measurement {
      let (label, name) = try split(m, "--measurement")
      let k = c.inputs.firstIndex { $0.label == label }!
      c.inputs[k].measurement = name
    }
    let (model, notes) = try c.model(physics: PhysicsModelChoice(name: nil), options: FitOptions())
    for n in notes { printError(n) }
    try writeFileAtomically(try c.json(), to: output)
    print("wrote \(output): \(c.inputs.count) inputs, \(model.channels.count) channels, \(model.parameters.count) parameters, POIs \(model.pois.map { model.parameters[$0].name }.joined(separator: ", "))")
  }
}
