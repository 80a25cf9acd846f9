//===--- InputValidationTests.swift ---------------------------------------===//
// Bad or unusual EFT inputs: large native files, errors that name the file (and line), duplicate
// and unmatched targets.
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import Testing
import Support

@testable import EFT

@Suite struct EFTInputValidationTests {
  static func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("eft-validation-\(getpid())-\(name)").path
  }

  /// Occurrences of `needle` in `text`.
  static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

  /// The error an expression throws, as its description ("" if it does not throw an EFTError).
  static func message(_ body: () throws -> Void) -> String {
    do { try body() } catch let e as any RecombineError { return e.description } catch { return "unexpected \(error)" }
    return ""
  }

  /// 60 coefficients c00 … c59; one form 1 + Σ_i (i+1)·c_i; one process target.
  static func sixtyCoefficients() -> EFTParametrisation {
    let n = 60
    let names = (0..<n).map { String(format: "c%02d", $0) }
    var linear: [Int: Double] = [:]
    for i in 0..<n { linear[i] = Double(i + 1) }
    return EFTParametrisation(
      coefficients: names.map { WilsonCoefficient(name: $0, minimum: -2, maximum: 3) },
      forms: ["f": QuadraticForm(constant: 1, linear: linear)],
      targets: [EFTTarget(channel: "ch1", process: "sig", scaling: .process(ScalingFactors(numerators: ["f"])))])
  }

  /// A native file whose sorted keys put `"format"` after the coefficient list, beyond the first
  /// 4096 bytes, is read (plain and gzipped) and gives the parametrisation back.
  @Test func nativeFileWithSixtyCoefficients() throws {
    let p = Self.sixtyCoefficients()
    let path = Self.tempPath("sixty.json")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try NativeFormat.write(p, to: path)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    // The premise: the format key is not in the first 4096 bytes.
    let text = String(decoding: bytes, as: UTF8.self)
    let formatOffset = try #require(text.range(of: "\"format\"")).lowerBound.utf16Offset(in: text)
    #expect(formatOffset > 4096, "format key at byte \(formatOffset)")
    let back = try EFTParametrisation.read(path: path)
    #expect(back == p)
    // μ at θ = e_59 is 1 + 60 (the coefficient of c59).
    var theta = [Double](repeating: 0, count: 60)
    theta[59] = 1
    #expect(try back.compile().scaling(channel: "ch1", process: "sig")!.value(at: theta) == 61)
    let gz = Self.tempPath("sixty.json.gz")
    defer { try? FileManager.default.removeItem(atPath: gz) }
    try Data(try Gzip.compress([UInt8](bytes))).write(to: URL(fileURLWithPath: gz))
    #expect(try EFTParametrisation.read(path: gz) == p)
  }

  /// Errors reading a file name it exactly once and say what was expected.
  @Test func nativeErrorsNameThePathOnce() throws {
    let path = Self.tempPath("bad.json")
    defer { try? FileManager.default.removeItem(atPath: path) }
    func check(_ json: String, _ expected: String) throws {
      try json.write(toFile: path, atomically: true, encoding: .utf8)
      let m = Self.message { _ = try EFTParametrisation.read(path: path) }
      #expect(m.hasPrefix(path + ": "), "\(m)")
      #expect(Self.count(path, in: m) == 1, "\(m)")
      #expect(m.contains(expected), "\(m) should contain \(expected)")
    }
    let head = #""format": "recombine-eft", "version": 1"#
    try check(#"{"coefficients": [], "forms": {}, "targets": []}"#, "not a recombine-eft file")
    try check(#"{"format": "eft2obs", "coefficients": []}"#, "not a recombine-eft file")
    try check(#"{"format": "recombine-eft", "version": 2, "coefficients": [], "forms": {}, "targets": []}"#,
              "unsupported recombine-eft version 2 (expected 1)")
    try check(#"{\#(head), "coefficients": [{"name": "a"}, {"name": "b", "min": "abc"}], "forms": {}, "targets": []}"#,
              "at coefficients[1].min: expected a number")
    try check(#"{\#(head), "coefficients": [], "forms": {}}"#, "missing key 'targets'")
    try check(#"{\#(head), "coefficients": [], "forms": {"f": {"linear": {"x": 1}}}, "targets": []}"#,
              "form 'f': unknown coefficient 'x'")
    try check(#"{\#(head), "coefficients": [], "forms": {}, "targets": [{"process": "p", "numerators": ["g"]}]}"#,
              "target */p refers to unknown form 'g'")
    try check("[1, 2]", "record 0: needs channel, process, parameters and scaling")
    try check("# not JSON", "not a recombine-eft file")
    // NativeFormat.read names the path once too.
    try #"{"coefficients": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
    let m = Self.message { _ = try NativeFormat.read(path: path) }
    #expect(m.hasPrefix(path + ": ") && Self.count(path, in: m) == 1 && m.contains("not a recombine-eft file"), "\(m)")
  }

  // MARK: pois.yaml

  /// Writes an STXStoSMEFT directory with one production bin and the given pois.yaml.
  static func stxsDirectory(_ pois: String) throws -> String {
    let dir = tempPath("stxs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try #"{"GG2H": {"A_chg": 2.0, "B_chg_2": 0.5}}"#.write(toFile: dir + "/prod.json", atomically: true, encoding: .utf8)
    try #"{"ZZ": {}, "tot": {}}"#.write(toFile: dir + "/decay.json", atomically: true, encoding: .utf8)
    try pois.write(toFile: dir + "/pois.yaml", atomically: true, encoding: .utf8)
    return dir
  }

  @Test func poisYAMLValuesAndDefaults() throws {
    let dir = try Self.stxsDirectory("---\nchg:\n    exponent: 2\n    val: 0.5\n    max: 4.\n    min: '-3'\nchw:\n    max: 7\n")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let c = try STXStoSMEFT.read(directory: dir).parametrisation.coefficients
    #expect(c == [WilsonCoefficient(name: "chg", value: 0.5, minimum: -3, maximum: 4, exponent: 2),
                  WilsonCoefficient(name: "chw", value: 0, minimum: -10, maximum: 7, exponent: 0)])
  }

  /// Each bad pois.yaml is an error naming the file, the line and what was expected.
  @Test(arguments: [
    ("chg:\n  val: 0\nchw:\n  val: 1\nchg:\n  val: 2\n", "line 5: duplicate entry 'chg' (first at line 1)"),
    ("chg:\n  val: 0\n  min: minus5\n", "line 3: min of 'chg' is 'minus5', expected a finite number"),
    ("chg:\n  max: inf\n", "line 2: max of 'chg' is 'inf', expected a finite number"),
    ("chg:\n  exponent: 1.5\n", "line 2: exponent of 'chg' is '1.5', expected an integer"),
    ("chg:\n  val: 0\n  val: 1\n", "line 3: duplicate field 'val' in 'chg' (first at line 2)"),
    ("chg:\n  eigenvalue: big\n", "line 2: eigenvalue of 'chg' is 'big', expected a finite number"),
    ("  val: 0\n", "line 1: field outside an entry"),
    ("chg\n", "line 1: expected 'key: value'"),
  ])
  func poisYAMLErrors(_ pois: String, _ expected: String) throws {
    let dir = try Self.stxsDirectory(pois)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let m = Self.message { _ = try STXStoSMEFT.read(directory: dir) }
    #expect(m == "\(dir)/pois.yaml \(expected)")
  }

  // MARK: Targets

  static let form = ["f": QuadraticForm(constant: 1, linear: [0: 1])]
  static func target(_ channel: String, _ process: String) -> EFTTarget {
    EFTTarget(channel: channel, process: process, scaling: .process(ScalingFactors(numerators: ["f"])))
  }

  @Test func duplicateTargetsAreRejected() throws {
    let p = EFTParametrisation(
      coefficients: [WilsonCoefficient(name: "c")], forms: Self.form,
      targets: [Self.target("ch1", "sig"), Self.target("*", "sig"), Self.target("ch1", "sig")])
    #expect(Self.message { try p.validate() } == "duplicate target ch1/sig: each (channel, process) may have one target")
    #expect(Self.message { _ = try p.compile() }.hasPrefix("duplicate target ch1/sig"))
    // The same in a native file.
    let json = #"{"format": "recombine-eft", "version": 1, "coefficients": [{"name": "c"}], "forms": {"f": {"constant": 1}}, "targets": [{"process": "p", "numerators": ["f"]}, {"channel": "*", "process": "p", "numerators": ["f"]}]}"#
    #expect(Self.message { _ = try NativeFormat.decode(Data(json.utf8), source: "x.json") }
      == "x.json: duplicate target */p: each (channel, process) may have one target")
    // One target per (channel, process) is fine: "*" and a channel are different channels.
    var ok = p
    ok.targets.removeLast()
    try ok.validate()
  }

  /// Targets that scale no column of the card: a misspelt channel, an unknown process, and a "*"
  /// target every column of whose process has its own channel target.
  @Test func unmatchedTargets() throws {
    let card = try Datacard.parse(text: """
      imax 2
      jmax 1
      kmax 0
      bin ch1 ch2
      observation 10 10
      bin ch1 ch1 ch2 ch2
      process sig bkg sig bkg
      process 0 1 0 1
      rate 5 5 5 5
      """)
    let p = EFTParametrisation(
      coefficients: [WilsonCoefficient(name: "c")], forms: Self.form,
      targets: [Self.target("ch1", "sig"), Self.target("chX", "sig"), Self.target("*", "sig"),
                Self.target("*", "bkg2"), Self.target("ch2", "bkg"), Self.target("ch1", "bkg"),
                Self.target("*", "bkg")])
    let physics = EFTPhysicsModel(model: try p.compile())
    let unmatched = physics.unmatchedTargets(in: card)
    // ch1/sig, ch2/sig (via *), ch2/bkg, ch1/bkg are scaled; */bkg is shadowed in both channels.
    #expect(unmatched.map { "\($0.channel)/\($0.process)" } == ["chX/sig", "*/bkg2", "*/bkg"])
    #expect(physics.unscaledSignals(in: card).isEmpty)
  }

  /// A coefficient whose range is empty, or whose start is outside it, is an error naming the file
  /// and the coefficient (it used to reach a precondition of the minimiser): native JSON with
  /// `"min": 1e308`, and Combine's `chg[0,5,-5]`.
  @Test func emptyCoefficientRanges() throws {
    let native = Self.tempPath("range.json")
    let scaling = Self.tempPath("range-scaling.json")
    defer { for p in [native, scaling] { try? FileManager.default.removeItem(atPath: p) } }
    var p = Self.sixtyCoefficients()
    p.coefficients[3].minimum = 1e308
    try NativeFormat.write(p, to: native)
    let m1 = Self.message { _ = try EFTParametrisation.read(path: native) }
    #expect(m1.hasPrefix(native) && m1.contains("coefficient 'c03'") && m1.contains("not below maximum"), "\(m1)")
    try #"[{"channel":"c","process":"p","parameters":["cSM[1]","chg[0,5,-5]"],"scaling":[[1,0,0]]}]"#
      .write(toFile: scaling, atomically: true, encoding: .utf8)
    let m2 = Self.message { _ = try EFTParametrisation.read(path: scaling) }
    #expect(m2.hasPrefix(scaling) && m2.contains("coefficient 'chg'"), "\(m2)")
  }

  /// JSON nested deeper than 512 levels is an error, not a stack overflow of the recursive parser.
  @Test func deeplyNestedJSON() throws {
    let path = Self.tempPath("deep.json")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try (String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).write(toFile: path, atomically: true, encoding: .utf8)
    let m = Self.message { _ = try EFTParametrisation.read(path: path) }
    #expect(m.contains("nested deeper than 512 levels"), "\(m)")
    // 500 levels are fine.
    #expect(try ExactJSONParser.parse(Data((String(repeating: "[", count: 500) + String(repeating: "]", count: 500)).utf8)) is [Any])
  }
}

