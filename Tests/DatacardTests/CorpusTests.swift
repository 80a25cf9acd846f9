import Foundation
import Testing
import TestSupport

@testable import Datacard

/// One entry of ../shared/reference/corpus/manifest.json: what Combine's own parser makes of a card.
struct CorpusEntry: Decodable {
  var path: String
  var bytes: Int
  var combine_accepts: Bool
  var combine_error: String?
  var nbins: Int?
  var nproc: Int?
  var nsig: Int?
  var syst_types: [String: Int]?
}

enum Corpus {
  static let root = TestPaths.reference.appendingPathComponent("corpus")
  /// The manifest's entries (an error, not a crash, where the corpus is missing).
  static func entries() throws -> [CorpusEntry] {
    let data = try Data(contentsOf: root.appendingPathComponent("manifest.json"))
    return try JSONDecoder().decode([CorpusEntry].self, from: data)
  }
}

@Suite struct CorpusTests {
  /// Every card Combine accepts parses to the same numbers of bins, processes, signals and the
  /// same systematic types; every card Combine rejects (bins starting with a digit) is accepted
  /// with a warning, and rejected with a line-numbered error in strict mode.
  @Test(.needsReference) func wholeCorpusMatchesCombine() throws {
    let entries = try Corpus.entries()
    #expect(entries.count == 234)
    var failures: [String] = []
    for e in entries {
      let path = Corpus.root.appendingPathComponent(e.path).path
      do {
        let card: Datacard
        do {
          card = try Datacard.parse(contentsOf: path)
        } catch let err as DatacardError where !e.combine_accepts {
          // Rejected by Combine and by us for another reason too: the error must point at a line.
          if err.location == nil || err.location!.line < 1 { failures.append("\(e.path): error without a line: \(err)") }
          continue
        }
        if e.combine_accepts {
          let types = card.systematicTypeCounts
          if card.bins.count != e.nbins || card.processes.count != e.nproc || card.signals.count != e.nsig
            || types != (e.syst_types ?? [:])
          {
            failures.append("\(e.path): bins \(card.bins.count)/\(e.nbins ?? -1) proc \(card.processes.count)/\(e.nproc ?? -1) sig \(card.signals.count)/\(e.nsig ?? -1) types \(types) vs \(e.syst_types ?? [:])")
          }
        } else {
          if !card.warnings.contains(where: { $0.message.contains("starts with a digit") }) {
            failures.append("\(e.path): Combine rejects it (\(e.combine_error ?? "")) but no warning was given")
          }
          var strict = ParseOptions()
          strict.strictBinNames = true
          do {
            _ = try Datacard.parse(contentsOf: path, options: strict)
            failures.append("\(e.path): strict mode accepted a card Combine rejects")
          } catch let err as DatacardError {
            if err.location == nil || err.location!.line < 1 || !err.message.contains("starts with a digit") {
              failures.append("\(e.path): strict error without location: \(err)")
            }
          }
        }
      } catch {
        failures.append("\(e.path): \(error)")
      }
    }
    #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) corpus cards differ:\n" + failures.prefix(30).joined(separator: "\n")))
  }
}
