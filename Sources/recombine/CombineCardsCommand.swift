//===--- CombineCardsCommand.swift ----------------------------------------===//
// `recombine combine-cards`: combineCards.py.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import Foundation
import Support

struct CombineCardsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "combine-cards",
    abstract: "Combine datacards as combineCards.py does (label=card.txt ...).")

  @Argument(help: "Cards as label=card.txt or card.txt (label ch<i>); '.=card.txt' keeps bin names.") var cards: [String]
  @Option(name: [.short, .long], help: "Write the combined card here (atomically) instead of standard output.") var output: String?
  @Flag(name: [.customShort("S"), .customLong("force-shape")], help: "Treat counting cards as shape cards (shapes * <bin> FAKE).") var forceShape = false
  @Flag(name: [.customShort("s"), .customLong("stat")], help: "Drop all systematics.") var stat = false
  @Option(name: [.customLong("xc"), .customLong("exclude-channel")], help: "Exclude channels matching this regular expression.") var excludeChannel: [String] = []
  @Option(name: [.customLong("ic"), .customLong("include-channel")], help: "Include only channels matching this regular expression.") var includeChannel: [String] = []

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
    do {
      let combined = try combineCards(inputs, options: opts)
      let text = DatacardWriter.writeCombined(combined, header: "Combination of " + cards.joined(separator: "  "))
      if let output { try writeFileAtomically(text, to: output) } else { print(text, terminator: "") }
    } catch let e as DatacardError {
      printError(e.description)
      throw ExitCode(1)
    }
  }
}
