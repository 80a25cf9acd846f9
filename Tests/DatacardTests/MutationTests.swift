import Foundation
import Testing
import TestSupport

@testable import Datacard


@Suite struct MutationTests {
  /// 10,000+ mutated corpus cards: tokens deleted, duplicated, swapped, lines truncated, bytes
  /// flipped. The parser must never crash or hang, and every failure must be a DatacardError that
  /// names a line.
  @Test(.needsReference) func mutatedCorpusCardsFailCleanly() throws {
    var rng = SplitMix64(state: 20261129)
    let cards: [String] = try Corpus.entries().compactMap { e in
      guard e.bytes < 20_000 else { return nil }
      return try? readTextFile(Corpus.root.appendingPathComponent(e.path).path)
    }
    #expect(cards.count > 150)
    var mutations = 0, accepted = 0, rejected = 0
    var problems: [String] = []
    while mutations < 10_500 {
      let original = cards[Int(rng.next() % UInt64(cards.count))]
      var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      let nMut = 1 + Int(rng.next() % 3)
      for _ in 0..<nMut where !lines.isEmpty {
        let li = Int(rng.next() % UInt64(lines.count))
        var tokens = lines[li].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch rng.next() % 6 {
        case 0 where !tokens.isEmpty: tokens.remove(at: Int(rng.next() % UInt64(tokens.count)))
          lines[li] = tokens.joined(separator: " ")
        case 1 where !tokens.isEmpty: let t = Int(rng.next() % UInt64(tokens.count)); tokens.insert(tokens[t], at: t)
          lines[li] = tokens.joined(separator: " ")
        case 2 where tokens.count > 1:
          let a = Int(rng.next() % UInt64(tokens.count)), b = Int(rng.next() % UInt64(tokens.count))
          tokens.swapAt(a, b)
          lines[li] = tokens.joined(separator: " ")
        case 3: lines[li] = String(lines[li].prefix(Int(rng.next() % UInt64(lines[li].count + 1))))
        case 4:
          var bytes = Array(lines[li].utf8)
          if !bytes.isEmpty {
            let k = Int(rng.next() % UInt64(bytes.count))
            bytes[k] ^= UInt8(1 << (rng.next() % 7))
            lines[li] = String(decoding: bytes, as: UTF8.self)
          }
        default:
          // Swap or drop whole lines.
          if rng.next() % 2 == 0 { lines.remove(at: li) } else {
            let other = Int(rng.next() % UInt64(lines.count))
            lines.swapAt(li, other)
          }
        }
      }
      mutations += 1
      do {
        let card = try Datacard.parse(text: lines.joined(separator: "\n"), path: "mutant.txt")
        accepted += 1
        // Whatever is accepted must be writable and re-parse to the same model.
        let again = try Datacard.parse(text: DatacardWriter.write(card), path: "mutant.txt")
        if let d = again.firstDifference(from: card) { problems.append("round trip differs: \(d.prefix(300))") }
      } catch let e as DatacardError {
        rejected += 1
        if e.location == nil || e.location!.line < 1 { problems.append("error without a line: \(e)") }
      } catch {
        problems.append("unexpected error type: \(error)")
      }
    }
    #expect(mutations >= 10_000)
    #expect(accepted > 100 && rejected > 1000)
    #expect(problems.isEmpty, Comment(rawValue: problems.prefix(5).joined(separator: "\n")))
  }
}
