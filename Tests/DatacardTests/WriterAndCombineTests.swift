import Foundation
import Testing
import TestSupport

@testable import Datacard

@Suite struct WriterTests {
  /// Every corpus card that parses re-parses to the same tree after writing.
  @Test(.needsReference) func corpusRoundTrip() throws {
    var failures: [String] = []
    var checked = 0
    for e in try Corpus.entries() {
      let path = Corpus.root.appendingPathComponent(e.path).path
      guard let card = try? Datacard.parse(contentsOf: path) else { continue }
      let text = DatacardWriter.write(card)
      do {
        let again = try Datacard.parse(text: text, path: path)
        if let d = again.firstDifference(from: card) { failures.append(e.path + ": " + d.prefix(300)) }
        checked += 1
      } catch {
        failures.append("\(e.path): \(error)")
      }
    }
    #expect(checked >= 158)
    #expect(failures.isEmpty, Comment(rawValue: failures.prefix(10).joined(separator: "\n")))
  }

  @Test func editsAreAppliedAndFreezeSurvivesWriting() throws {
    let text = """
      imax 1
      jmax 1
      kmax *
      bin a
      observation 10
      bin a a
      process S B
      process 0 1
      rate 2 8
      x lnN 1.1 1.2
      y lnN - 1.05
      z lnN 1.3 -
      nuisance edit add B a x lnN 1.1 addq
      nuisance edit merge * a x y
      nuisance edit rename z w
      nuisance edit freeze w
      """
    let card = try Datacard.parse(text: text)
    let x = try #require(card.systematics.first { $0.name == "x" })
    // addq: exp(hypot(ln 1.2, ln 1.1)), then merge of y (1.05) in quadrature.
    let expected = exp(sqrt(pow(log(1.2), 2) + pow(log(1.1), 2) + pow(log(1.05), 2)))
    guard case .value(let v) = x.effects[1] else { Issue.record("x on B is not a value"); return }
    #expect(abs(v - expected) < 1e-12)
    #expect(card.systematics.contains { $0.name == "w" })
    #expect(!card.systematics.contains { $0.name == "y" })  // all entries merged away → line dropped
    #expect(card.frozen == ["w"])
    let again = try Datacard.parse(text: DatacardWriter.write(card))
    #expect(again == card)
  }
}

@Suite struct CombineCardsTests {
  static let dir = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card")

  /// combine-cards on the three long-exercise cards gives the model of Combine's part3_combined.txt.
  @Test(.needsReference) func longExercisePart3() throws {
    let ours = try combineCards([
      ("signal_region", Self.dir.appendingPathComponent("datacard_part3.txt").path),
      ("ttbar_cr", Self.dir.appendingPathComponent("datacard_part3_ttbar_cr.txt").path),
      ("DY_cr", Self.dir.appendingPathComponent("datacard_part3_DY_cr.txt").path),
    ])
    let theirs = try Datacard.parse(contentsOf: Self.dir.appendingPathComponent("part3_combined.txt").path)
    #expect(ours.bins == theirs.bins)
    #expect(ours.observations == theirs.observations)
    #expect(Set(ours.processes) == Set(theirs.processes))
    #expect(Set(ours.signals) == Set(theirs.signals))
    func columnMap(_ c: Datacard) -> [BinProcess: Double] {
      Dictionary(uniqueKeysWithValues: c.columns.map { (BinProcess($0.bin, $0.process), $0.rate) })
    }
    #expect(columnMap(ours) == columnMap(theirs))
    func systMap(_ c: Datacard) -> [String: [BinProcess: Effect]] {
      var m: [String: [BinProcess: Effect]] = [:]
      for s in c.systematics {
        m[s.name + " " + s.type.rawValue] = Dictionary(uniqueKeysWithValues: zip(c.columns, s.effects).compactMap { col, e in
          e.isNone || e == .value(1) && s.type == .lnN ? nil : (BinProcess(col.bin, col.process), e)
        })
      }
      return m
    }
    // Combine keeps one line that affects nothing (acceptance_DY_cr); the parser drops it again.
    #expect(systMap(ours) == systMap(theirs))
    #expect(ours.autoMCStats == theirs.autoMCStats)
    // Shapes lines: same (process, channel) → (file, objects), files relative to the inputs' directory.
    func shapeMap(_ c: Datacard) -> [String: String] {
      Dictionary(uniqueKeysWithValues: c.shapes.map { ("\($0.process) \($0.channel)", "\(($0.file as NSString).lastPathComponent) \($0.object ?? "") \($0.systematicObject ?? "")") })
    }
    #expect(shapeMap(ours) == shapeMap(theirs))
    // And the written card parses to the same model.
    let text = DatacardWriter.writeCombined(ours, header: "test")
    #expect(try Datacard.parse(text: text) == ours)
  }

  @Test func signalBackgroundConflictIsAnError() throws {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cc-\(getpid())")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let a = "imax 1\njmax 1\nkmax 0\nbin a\nobservation 1\nbin a a\nprocess S B\nprocess 0 1\nrate 1 1\n"
    let b = "imax 1\njmax 1\nkmax 0\nbin a\nobservation 1\nbin a a\nprocess S B\nprocess 1 0\nrate 1 1\n"
    try a.write(to: tmp.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
    try b.write(to: tmp.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
    #expect(throws: DatacardError.self) {
      _ = try combineCards([(nil, tmp.appendingPathComponent("a.txt").path), (nil, tmp.appendingPathComponent("b.txt").path)])
    }
    let ok = try combineCards([(nil, tmp.appendingPathComponent("a.txt").path), ("x", tmp.appendingPathComponent("a.txt").path)])
    #expect(ok.bins == ["ch1", "x"])
    #expect(ok.columns.map(\.id) == [0, 1, 0, 1])
  }
}

extension CombineCardsTests {
  /// combineCards.py turns lnN + shape into shape? in either card order; for shape2, shapeN2, shapeU
  /// and shape* it would make a type that does not exist, so both orders are errors at the second
  /// card's line.
  @Test func shapeAndLogNormalMergeIndependentlyOfOrder() throws {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cc-types-\(getpid())")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    func write(_ name: String, _ line: String) throws -> String {
      let path = tmp.appendingPathComponent(name).path
      try "imax 1\njmax 1\nkmax *\nshapes * * f.root $PROCESS $PROCESS_$SYSTEMATIC\nbin a\nobservation 1\nbin a a\nprocess S B\nprocess 0 1\nrate 1 1\n\(line)\n"
        .write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let lnN = try write("lnN.txt", "u lnN 1.1 -")
    for (shape, merged) in [("shape", SystematicType.shapeQ), ("shapeN", .shapeNQ), ("shape?", .shapeQ)] {
      let s = try write("s.txt", "u \(shape) 1 -")
      for order in [[(nil, s), ("x", lnN)], [(nil, lnN), ("x", s)]] as [[(String?, String)]] {
        let out = try combineCards(order)
        let u = try #require(out.systematics.first { $0.name == "u" })
        #expect(u.type == merged, "\(shape)")
        // The lnN card's κ stays a κ on its column, the shape card's scale on its own.
        let lnNColumn = order[0].1 == lnN ? 0 : 2
        #expect(u.effects[lnNColumn] == .value(1.1) && u.effects[2 - lnNColumn] == .value(1), "\(u.effects)")
      }
    }
    for shape in ["shape2", "shapeN2", "shapeU", "shape*"] {
      let s = try write("s.txt", "u \(shape) 1 -")
      for (order, second) in [([(nil, s), ("x", lnN)], lnN), ([(nil, lnN), ("x", s)], s)] as [([(String?, String)], String)] {
        let e = try #require(throws: DatacardError.self) { try combineCards(order) }
        #expect(e.location?.file == second && e.location?.line == 11, "\(e)")
        #expect(e.message.contains("'\(shape)?'") && e.message.contains("not a systematic type"), "\(e)")
      }
    }
  }
}

/// A gzipped card (stored deflate block, CRC-32 computed here) parses to the same card as its text.
@Suite struct GzipCardTests {
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      c ^= UInt32(b)
      for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
  }

  @Test func gzippedCardParses() throws {
    #expect(Self.crc32(Array("123456789".utf8)) == 0xCBF4_3926)  // the CRC-32 check value
    let text = "imax 1\njmax 1\nkmax 1\nbin a\nobservation 7\nbin a a\nprocess S B\nprocess 0 1\nrate 1.5 4\nx lnN 1.1 0.9/1.2\n"
    let data = Array(text.utf8)
    let n = UInt16(data.count)
    var gz: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]  // gzip header, deflate, no flags
    gz += [1, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + data  // final stored block
    let crc = Self.crc32(data), size = UInt32(data.count)
    gz += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-gz-\(getpid()).txt.gz").path
    try Data(gz).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let card = try Datacard.parse(contentsOf: path)
    #expect(card.observations == [7] && card.columns.map(\.rate) == [1.5, 4])
    #expect(card.systematics.first?.effects == [.value(1.1), .asymmetric(down: 0.9, up: 1.2)])
    #expect(card == (try Datacard.parse(text: text)))
  }
}

@Suite struct ValidationTests {
  /// Every reference case validates with its ROOT files: every histogram read, rates equal to the
  /// template integrals (rate −1 or the card's numbers, checked to Combine's 1%), observations
  /// equal to data_obs (0.5%), no errors.
  @Test(.needsReference) func referenceCardsValidate() throws {
    let root = TestPaths.reference.appendingPathComponent("combine")
    let cases = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
    var checked = 0
    // Each case is a folder with a card/ folder (the reference folder also holds notes such as TIMINGS.md).
    for c in cases where FileManager.default.fileExists(atPath: root.appendingPathComponent(c + "/card").path) {
      let cardDir = root.appendingPathComponent(c + "/card")
      for f in try FileManager.default.contentsOfDirectory(atPath: cardDir.path) where f.hasSuffix(".txt") {
        let card = try Datacard.parse(contentsOf: cardDir.appendingPathComponent(f).path)
        var o = ValidationOptions()
        o.mass = c.hasPrefix("longexercise") || c.hasPrefix("ci_template") ? 200 : 120
        let report = Validator.validate(card, options: o)
        #expect(report.errors.isEmpty, "\(c)/\(f): \(report.errors)")
        if card.hasShapes { #expect(report.histogramsRead > 0, "\(c)/\(f)") }
        checked += 1
      }
    }
    #expect(checked == 10)
  }

  /// A wrong rate (2% off the template integral) and an observation that disagrees with data_obs
  /// are errors, as in text2workspace.
  @Test(.needsReference) func inconsistentRatesAreErrors() throws {
    let dir = TestPaths.reference.appendingPathComponent("combine/shapes_simple_TH1/card")
    var text = try String(contentsOf: dir.appendingPathComponent("simple-shapes-TH1.txt"), encoding: .utf8)
    text = text.replacingOccurrences(of: "rate            10         100", with: "rate            10.2       100")
    text = text.replacingOccurrences(of: "observation 85", with: "observation 90")
    let card = try Datacard.parse(text: text, path: dir.appendingPathComponent("mutated.txt").path)
    let report = Validator.validate(card)
    #expect(report.errors.contains { $0.check == "rateMismatch" && $0.message.contains("signal") })
    #expect(report.errors.contains { $0.check == "observationMismatch" })
  }

  /// A missing histogram names the file, the card line and the object.
  @Test(.needsReference) func missingHistogramIsLocated() throws {
    let dir = TestPaths.reference.appendingPathComponent("combine/shapes_simple_TH1/card")
    var text = try String(contentsOf: dir.appendingPathComponent("simple-shapes-TH1.txt"), encoding: .utf8)
    text = text.replacingOccurrences(of: "sigma  shape", with: "sigmaX shape")
    let card = try Datacard.parse(text: text, path: dir.appendingPathComponent("mutated.txt").path)
    let report = Validator.validate(card)
    let e = try #require(report.errors.first)
    #expect(e.line == 5)  // the shapes line
    #expect(e.message.contains("simple-shapes-TH1_input.root") && e.message.contains("sigmaXUp"))
  }
}
