import Foundation
import Testing
import Support
import TestSupport

@testable import Datacard
@testable import Likelihood

/// Mutation families of issue 11, generated here (no reference folder needed): every numeric field
/// of a card holding each kind of systematic is replaced by nan, inf, −inf, a number with a NUL
/// byte and a negative value; line endings become CRLF, everywhere or on one line. None may crash
/// or change a number silently: a mutant is either refused with an error naming its line, or
/// accepted with the same model (CRLF), or accepted with a warning naming its line (negative
/// rates, as Combine accepts them), and an accepted model's NLL and gradient are finite.
@Suite struct MutationFamilyTests {
  static let card = """
    imax 2 jmax 2 kmax *
    bin a b
    observation 12 30
    bin a a a b b b
    process s b1 b2 s b1 b2
    process 0 1 2 0 1 2
    rate 3 9 1.5 4 20 6
    lumi lnN 1.025 1.025 - 1.025 1.025 1.025
    xs_b1 lnN - 0.9/1.12 - - 0.95/1.1 -
    stat_b2 gmN 15 - - 0.1 - - -
    free lnU - - 1.5 - - 1.5
    eff param 0 1
    norm rateParam a b1 1
    """

  /// (line number, token index) of every number in the observation, rate and systematics lines.
  static func numericFields(_ text: String) -> [(line: Int, token: Int)] {
    var out: [(Int, Int)] = []
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let tokens = line.split(separator: " ")
      guard let head = tokens.first, !["imax", "jmax", "kmax", "bin", "process"].contains(String(head)) else { continue }
      for (j, t) in tokens.enumerated() where j > 0 && Double(t.split(separator: "/").first ?? "") != nil {
        out.append((i + 1, j))
      }
    }
    return out
  }

  static func replacing(_ text: String, line: Int, token: Int, with new: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var tokens = lines[line - 1].split(separator: " ").map(String.init)
    tokens[token] = new
    lines[line - 1] = tokens.joined(separator: " ")
    return lines.joined(separator: "\n")
  }

  enum Outcome { case refused(line: Int?), accepted(warnings: [Int], finite: Bool) }

  static func outcome(_ text: String) -> Outcome {
    do {
      let card = try Datacard.parse(text: text, path: "m.txt")
      let model = try CompiledModel.compile(card)
      let nll = try NLL(model: model)
      let (v, g) = nll.valueAndGradient(at: model.initialValues)
      return .accepted(warnings: card.warnings.compactMap { $0.location?.line }, finite: v.isFinite && g.allSatisfy(\.isFinite))
    } catch let e as DatacardError {
      return .refused(line: e.location?.line)
    } catch {
      // A model error names the line in its text ("line N") or names the parameter/field.
      let s = "\(error)"
      let m = s.firstMatch(of: /line (\d+)/).map { Int($0.1)! }
      return .refused(line: m ?? -1)
    }
  }

  @Test func theCardItselfIsFine() throws {
    guard case .accepted(let w, let finite) = Self.outcome(Self.card) else { Issue.record("the base card is refused"); return }
    #expect(w.isEmpty && finite)
    #expect(Self.numericFields(Self.card).count == 22)
  }

  @Test(arguments: ["nan", "NaN", "inf", "-inf", "+inf", "1.\u{0}5", "1e999"])
  func nonFiniteOrCorruptNumbersAreRefusedWithTheirLine(_ bad: String) {
    var problems: [String] = []
    for (line, token) in Self.numericFields(Self.card) {
      let mutant = Self.replacing(Self.card, line: line, token: token, with: bad)
      switch Self.outcome(mutant) {
      case .refused(let l):
        if l != line { problems.append("\(bad) at \(line):\(token): refused naming line \(String(describing: l))") }
      case .accepted(_, let finite):
        problems.append("\(bad) at \(line):\(token): accepted (NLL finite: \(finite))")
      }
    }
    #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
  }

  @Test func negativeNumbersAreRefusedOrWarned() {
    var problems: [String] = []
    for (line, token) in Self.numericFields(Self.card) {
      let tokens = Self.card.split(separator: "\n", omittingEmptySubsequences: false)[line - 1].split(separator: " ")
      let original = String(tokens[token])
      let mutant = Self.replacing(Self.card, line: line, token: token, with: original.hasPrefix("-") ? String(original.dropFirst()) : "-" + original)
      switch Self.outcome(mutant) {
      case .refused(let l):
        if l != line { problems.append("-\(original) at \(line):\(token): refused naming line \(String(describing: l))") }
      case .accepted(let warnings, let finite):
        // Accepted only where a negative value means something: a rate (warned, as Combine
        // accepts it), a param's mean, a rateParam's initial value.
        let kind = String(tokens[0])
        let meaningful = kind == "rate" || (kind == "eff" && token == 2) || kind == "norm"
        if !meaningful { problems.append("-\(original) at \(line):\(token) (\(kind)): accepted") }
        if kind == "rate" && !warnings.contains(line) { problems.append("negative rate on line \(line) accepted without a warning") }
        _ = finite
      }
    }
    #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
  }

  @Test func crlfChangesNothing() throws {
    let lf = try Datacard.parse(text: Self.card, path: "m.txt")
    let all = try Datacard.parse(text: Self.card.replacingOccurrences(of: "\n", with: "\r\n"), path: "m.txt")
    #expect(all.firstDifference(from: lf) == nil)
    let lines = Self.card.split(separator: "\n", omittingEmptySubsequences: false)
    for k in lines.indices {
      var l = lines.map(String.init)
      l[k] += "\r"
      let one = try Datacard.parse(text: l.joined(separator: "\n"), path: "m.txt")
      #expect(one.firstDifference(from: lf) == nil, "CRLF on line \(k + 1)")
      // A comment line ending in CRLF must not swallow the next line.
      var c = lines.map(String.init)
      c.insert("# comment\r", at: min(k + 1, c.count))
      let commented = try Datacard.parse(text: c.joined(separator: "\n"), path: "m.txt")
      #expect(try CompiledModel.compile(commented).parameters.count == CompiledModel.compile(lf).parameters.count, "comment after line \(k + 1)")
    }
  }

  /// A gzip bomb as a card: 300 MiB of blanks in a .txt.gz of a few hundred kB stops at the cap
  /// (256 MiB) with an error naming the file, instead of filling the memory.
  @Test func gzipBombCardStopsAtTheCap() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-bomb-\(getpid()).txt.gz").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let gz = try Gzip.compress([UInt8](repeating: 0x20, count: 300 << 20), level: 1)
    #expect(gz.count < 2 << 20)
    try Data(gz).write(to: URL(fileURLWithPath: path))
    do {
      _ = try Datacard.parse(contentsOf: path)
      Issue.record("a 300 MiB card was read")
    } catch {
      #expect("\(error)".contains(path), "\(error)")
    }
  }
}
