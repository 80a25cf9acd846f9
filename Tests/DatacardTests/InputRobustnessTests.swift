import Foundation
import ROOTIO
import Testing
import TestSupport

@testable import Datacard

/// Text as Python reads it, and values Combine would reject or that cannot be meant: each an error
/// (or warning) with the line, never a silent change of the card.
@Suite struct InputRobustnessTests {
  static let card = """
    imax 1 jmax 1 kmax 2
    ---
    bin a
    observation 12
    ---
    bin a a
    process s b
    process 0 1
    rate 3 9
    ---
    # a comment line
    lumi lnN 1.02 1.02
    sigma lnN 1.1 -
    """

  func message(_ text: String) -> String {
    do { _ = try Datacard.parse(text: text, path: "c.txt"); return "parsed" } catch let e as DatacardError { return e.description } catch { return "\(error)" }
  }

  /// CRLF (and a lone CR) end lines as in Python's universal newlines: the card parses to the same
  /// tree; a CRLF after a comment no longer hides the next line (the `sigma` nuisance).
  @Test func crlfCardsParseAsLF() throws {
    let lf = try Datacard.parse(text: Self.card, path: "c.txt")
    let crlf = try Datacard.parse(text: Self.card.replacingOccurrences(of: "\n", with: "\r\n"), path: "c.txt")
    let cr = try Datacard.parse(text: Self.card.replacingOccurrences(of: "\n", with: "\r"), path: "c.txt")
    #expect(lf.systematics.map(\.name) == ["lumi", "sigma"])
    #expect(crlf == lf && cr == lf)
  }

  /// Numbers as Python's float() reads them: a NUL inside a number and hexadecimal are errors.
  @Test func numbersAsPythonReadsThem() {
    let nul = message(Self.card.replacingOccurrences(of: "rate 3 9", with: "rate 3 9.\u{0}\u{0}1"))
    #expect(nul.hasPrefix("c.txt:9:") && nul.contains("expected a finite number in the rate line"), "\(nul)")
    let hex = message(Self.card.replacingOccurrences(of: "observation 12", with: "observation 0x10"))
    #expect(hex.hasPrefix("c.txt:4:") && hex.contains("0x10"), "\(hex)")
    #expect(parseDouble("1_000") == 1000 && parseDouble("+.5") == 0.5 && parseDouble("inf") == .infinity)
  }

  /// A systematics line holding only a name is an error; values past the last column are ignored
  /// (as Combine does) with a warning at their line and column.
  @Test func systematicsLineShapes() throws {
    let bare = message(Self.card + "\nthetaOnly\n")
    #expect(bare.hasPrefix("c.txt:14:") && bare.contains("only a name"), "\(bare)")
    let extra = try Datacard.parse(text: Self.card.replacingOccurrences(of: "lumi lnN 1.02 1.02", with: "lumi lnN 1.02 1.02 prose here"), path: "c.txt")
    #expect(extra.systematics.first?.effects.count == 2)
    let w = try #require(extra.warnings.first { $0.message.contains("past the last column") })
    #expect(w.location?.line == 12 && w.message.contains("2 value(s)"))
  }

  /// Negative observations are errors, negative rates warnings; an autoMCStats threshold must be finite.
  @Test func valuesThatCannotBeMeant() throws {
    let obs = message(Self.card.replacingOccurrences(of: "observation 12", with: "observation -5"))
    #expect(obs.hasPrefix("c.txt:4:") && obs.contains("cannot be negative"), "\(obs)")
    let neg = try Datacard.parse(text: Self.card.replacingOccurrences(of: "rate 3 9", with: "rate 3 -2"), path: "c.txt")
    #expect(neg.warnings.contains { $0.location?.line == 9 && $0.message.contains("negative rate -2 for b") })
    for bad in ["nan", "inf", "-inf"] {
      let m = message(Self.card + "\na autoMCStats \(bad)\n")
      #expect(m.hasPrefix("c.txt:14:") && m.contains("finite numeric threshold"), "\(bad): \(m)")
    }
  }

  /// A NaN bin in a template is an error naming the file, the histogram and the bin, for
  /// `validate` and `fit` alike; an all-zero nominal template is a warning naming process and
  /// channel (the process contributes nothing, as a rate-0 process in Combine).
  @Test func nonFiniteAndEmptyTemplates() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-nan-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func h(_ v: [Double]) -> Histogram {
      Histogram(name: "h", title: "", className: "TH1D", dimension: 1, nbinsX: v.count, nbinsY: 1,
                xEdges: (0...v.count).map(Double.init), yEdges: [], contents: [0] + v + [0], sumw2: [0] + v + [0])
    }
    try writeROOTFile(path: dir.appendingPathComponent("in.root").path, histograms: [
      ("s", h([1, 2, 3])), ("b", h([4, .nan, 5])), ("e", h([0, 0, 0])), ("data_obs", h([5, 7, 8])),
    ])
    func card(_ bkg: String) -> String {
      "imax 1 jmax 1 kmax 0\nshapes * * in.root $PROCESS\nbin a\nobservation -1\nbin a a\nprocess s \(bkg)\nprocess 0 1\nrate -1 -1\n"
    }
    let path = dir.appendingPathComponent("card.txt").path
    try card("b").write(toFile: path, atomically: true, encoding: .utf8)
    let parsed = try Datacard.parse(contentsOf: path)
    #expect(throws: DatacardError.self) { _ = try ShapeLoader(card: parsed, mass: 120).load() }
    do { _ = try ShapeLoader(card: parsed, mass: 120).load() } catch let e as DatacardError {
      #expect(e.description.contains("bin 2 of 'b'") && e.description.contains("in.root") && e.description.contains("nan"), "\(e)")
    }
    let report = Validator.validate(parsed, options: ValidationOptions())
    #expect(report.errors.contains { $0.message.contains("bin 2 of 'b'") })

    try card("e").write(toFile: path, atomically: true, encoding: .utf8)
    let empty = try Datacard.parse(contentsOf: path)
    let inputs = try ShapeLoader(card: empty, mass: 120).load()
    #expect(inputs.warnings.count == 1 && inputs.warnings[0].message.contains("nominal template of e in channel a"))
    #expect(Validator.validate(empty, options: ValidationOptions()).warnings.contains { $0.check == "emptyProcessShape" })
  }

  /// A histogram missing, or a rate disagreeing, through a shapes line that uses $MASS: the error
  /// asks whether -m is right (the long exercise read at the default mass 120 instead of 200).
  @Test(.needsReference) func massHintOnShapeErrors() throws {
    let path = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt").path
    let card = try Datacard.parse(contentsOf: path)
    do {
      _ = try ShapeLoader(card: card, mass: 120).load()
      Issue.record("expected an error at mass 120")
    } catch let e as DatacardError {
      #expect(e.message.contains("object not found") && e.message.contains("uses $MASS, here 120: is -m right?"), "\(e)")
    }
    _ = try ShapeLoader(card: card, mass: 200).load()
  }

  /// A JSON document (e.g. a pyhf workspace) is named as what it is, at line 1, not refused line by line.
  @Test func jsonIsNotADatacard() {
    let ws = #"{"channels": [{"name": "SR", "samples": []}], "observations": [], "measurements": [], "version": "1.0.0"}"#
    #expect(message(ws).contains("pyhf/HistFactory JSON workspace"))
    #expect(message("  {\"a\": 1}").contains("a JSON document, not a datacard"))
  }
}
