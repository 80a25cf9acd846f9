//===--- InputValidationTests.swift ---------------------------------------===//
// Bad BIT inputs — invalid model JSON, truncated or corrupt .npz archives, bad CSV fields — give
// a BITError naming the file (and member or line), never a crash or a silently wrong number.
//===----------------------------------------------------------------------===//

import Foundation
import Support
import Testing

@testable import InformationTrees

@Suite struct BITInputValidationTests {
  static func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bit-validation-\(getpid())-\(name)").path
  }

  /// The description of the BITError `body` throws ("" if it throws none).
  static func message(_ body: () throws -> Void) -> String {
    do { try body() } catch let e as any RecombineError { return e.description } catch { return "unexpected \(error)" }
    return ""
  }

  // MARK: Model JSON

  /// A small trained single-coefficient model (1 feature, 1 derivative: weightStride 2).
  static func smallModel() throws -> BITModel {
    let ev = ClosureToy.exponential.generate(count: 2000, seed: 9)
    return try trainBIT(ev, config: BITConfig(trees: 2, maxDepth: 3, minSize: 50))
  }

  @Test func modelValidation() throws {
    let model = try Self.smallModel()
    let t = model.trees[0]
    // The premise: a tree with splits, 1 feature, weightStride 2.
    #expect(model.featureNames.count == 1 && model.derivatives == [[0]])
    #expect(t.nodeCount >= 1 && t.leafCount == t.nodeCount + 1 && t.weightStride == 2)
    let L = t.leafCount, m = t.nodeCount
    let path = Self.tempPath("model.json")
    defer { try? FileManager.default.removeItem(atPath: path) }
    func check(_ edit: (inout BITModel) -> Void, _ expected: String) throws {
      var bad = model
      edit(&bad)
      try bad.save(path)
      let msg = Self.message { _ = try BITModel.load(path) }
      #expect(msg == "\(path): invalid BIT model: \(expected)")
    }
    try check({ $0.trees[0].weightStride = 3 }, "tree 0: weightStride is 3, expected 2 (1 + 1 derivatives)")
    try check({ $0.trees[1].leafSums.removeLast() },
              "tree 1: leafSums has \(2 * model.trees[1].leafCount - 1) entries, expected \(2 * model.trees[1].leafCount) (\(model.trees[1].leafCount) leaves × 2)")
    try check({ $0.trees[0].feature[0] = 1 }, "tree 0: node 0 splits on feature 1, expected 0..<1 (1 features)")
    try check({ $0.trees[0].feature[0] = -1 }, "tree 0: node 0 splits on feature -1, expected 0..<1 (1 features)")
    try check({ $0.trees[0].left[0] = 0 }, "tree 0: node 0: left child 0, expected an internal node in 1..<\(m) or a leaf < 0")
    try check({ $0.trees[0].right[0] = -1 - L }, "tree 0: node 0: right child is leaf \(L), expected a leaf below \(L)")
    try check({ $0.trees[0].threshold.removeLast() },
              "tree 0: \(m) features, \(m - 1) thresholds, \(m) left and \(m) right children, expected equal counts")
    try check({ $0.trees[0] = InformationTree(weightStride: 2) }, "tree 0: no leaves, expected at least one")
    try check({ $0.derivatives = [[1]] }, "derivative 0 is [1], expected one or two indices below 1 (the number of coefficients)")
    try check({ $0.basePoints = [[1, 2]] }, "base point 0 has 2 values, expected 1 (one per coefficient)")
    // The unedited model loads and predicts as before.
    try model.save(path)
    let back = try BITModel.load(path)
    let x = [30.0, 100, 400]
    #expect(back.predict(features: x) == model.predict(features: x))
  }

  // MARK: .npz

  /// A stored two-member archive (x, y: 3 float64 each) as written by writeNPZ, and the offsets of
  /// its central directory and of member x's values.
  static func archive() throws -> (bytes: [UInt8], centralDirectory: Int, xValues: Int) {
    let path = tempPath("base-\(UUID().uuidString).npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try writeNPZ(Table(names: ["x", "y"], values: [1, 10, 2, 20, 3, 30]), to: path)
    let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let eocd = b.count - 22
    let cd = Int(b[eocd + 16]) | Int(b[eocd + 17]) << 8 | Int(b[eocd + 18]) << 16 | Int(b[eocd + 19]) << 24
    // Member x: 30-byte local header, "x.npy", the .npy magic and version (8 bytes), the header
    // length (2 bytes) and header, then 3 × 8 bytes.
    let hlen = Int(b[35 + 8]) | Int(b[35 + 9]) << 8
    return (b, cd, 35 + 10 + hlen)
  }

  static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
    for k in 0..<4 { b[o + k] = UInt8((v >> (8 * UInt32(k))) & 0xff) }
  }

  @Test func npzBaselineReads() throws {
    let (b, _, xv) = try Self.archive()
    // The layout the corruptions below rely on: member x's first value, 1.0, at xValues.
    let first = (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[xv + $1]) << (8 * UInt64($1)) }
    #expect(Double(bitPattern: first) == 1)
    let path = Self.tempPath("ok.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(b).write(to: URL(fileURLWithPath: path))
    let t = try readNPZ(path)
    #expect(t.column("x") == [1, 2, 3] && t.column("y") == [10, 20, 30])
  }

  /// Each corruption of the archive is an error naming the file (and the member where there is one).
  @Test(arguments: [
    "truncated", "flipped value", "central directory offset", "member offset", "member size", "name length",
  ])
  func corruptNPZ(_ kind: String) throws {
    var (b, cd, xv) = try Self.archive()
    let expected: String
    switch kind {
    case "truncated":
      b = Array(b.prefix(b.count / 2))
      expected = "not a zip (.npz) archive"
    case "flipped value":
      b[xv + 7] ^= 0x01  // 1.0 → another double: the CRC no longer matches
      expected = "member x.npy: CRC-32"
    case "central directory offset":
      Self.put32(&b, b.count - 22 + 16, 0xFFFF_FF00)
      expected = "truncated or corrupt (central directory entry at byte \(0xFFFF_FF00) of \(b.count))"
    case "member offset":
      Self.put32(&b, cd + 42, UInt32(b.count + 100))
      expected = "member x.npy: truncated or corrupt (local header at byte \(b.count + 100) of \(b.count))"
    case "member size":
      Self.put32(&b, cd + 20, 0x7FFF_FFFF)
      expected = "member x.npy: truncated or corrupt (data at byte 35 of \(b.count))"
    default:
      b[cd + 28] = 0xFF; b[cd + 29] = 0xFF
      expected = "truncated or corrupt (member name at byte \(cd + 46) of \(b.count))"
    }
    let path = Self.tempPath("bad-\(UUID().uuidString).npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(b).write(to: URL(fileURLWithPath: path))
    let m = Self.message { _ = try readNPZ(path) }
    #expect(m.hasPrefix(path + ": ") && m.contains(expected), "\(m)")
    // Through Events.read too (what `bit train` calls).
    #expect(Self.message { _ = try Events.read(path) } == m)
  }

  /// A .npy member: version 1, the given header dictionary, then `payload`.
  static func npy(_ header: String, _ payload: [UInt8]) -> [UInt8] {
    let h = Array(header.utf8)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.count & 0xff), UInt8(h.count >> 8)] + h + payload
  }

  @Test func corruptNPY() throws {
    let three = (0..<3).flatMap { i -> [UInt8] in withUnsafeBytes(of: Double(i).bitPattern.littleEndian, Array.init) }
    let ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
    let (shape, values, _) = try parseNPY(Self.npy(ok, three))
    #expect(shape == [3] && values == [0, 1, 2])
    func check(_ bytes: [UInt8], _ expected: String) {
      #expect(Self.message { _ = try parseNPY(bytes) } == expected)
    }
    check(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (9,), }", three),
          "truncated array: shape [9] of <f8 needs 9 × 8 bytes, 24 present")
    check(Self.npy("{'descr': '<f8', 'shape': (3, x), }", three), "bad shape (3, x): expected non-negative integers")
    check(Self.npy("{'descr': '<f8, 'shape': (3,), }", three), "unsupported dtype <f8,  (<f8, <f4, <i8, <i4, |b1, |u1)")
    check(Self.npy("{'descr': <f8, 'shape': (3,), }", three), "no 'descr' in the .npy header")
    check(Self.npy("{'descr': '<f8', 'shape': 3, }", three), "no 'shape' in the .npy header")
    check(Self.npy("{'descr': '<f8', 'shape': (4611686018427387904, 4), }", three), "shape [4611686018427387904, 4] is too large")
    check(Self.npy("{'descr': '>f8', 'shape': (3,), }", three), "unsupported dtype >f8 (<f8, <f4, <i8, <i4, |b1, |u1)")
    var long = Self.npy(ok, three)
    long[8] = 0xFF; long[9] = 0xFF  // header length 65535
    check(long, ".npy header: truncated or corrupt (header at byte 10 of \(long.count))")
    check([0x93, 0x4E], "not a .npy array")
  }

  @Test func npzRejectsNonFiniteValues() throws {
    let path = Self.tempPath("nan.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try writeNPZ(Table(names: ["x"], values: [1, .nan, 3]), to: path)
    #expect(Self.message { _ = try readNPZ(path) } == "\(path): member x.npy: element 1 is nan, expected finite numbers")
  }

  // MARK: CSV

  @Test func csvErrorsNameFileLineAndColumn() throws {
    func parse(_ text: String) -> String { Self.message { _ = try Table.parseCSV(Array(text.utf8), source: "ev.csv") } }
    #expect(parse("x,y\n1,2\n3,nan\n") == "ev.csv: line 3, column 2 (y): 'nan' is not a finite number")
    #expect(parse("x,y\n1,inf\n") == "ev.csv: line 2, column 2 (y): 'inf' is not a finite number")
    #expect(parse("x,y\n-Infinity,1\n") == "ev.csv: line 2, column 1 (x): '-Infinity' is not a finite number")
    #expect(parse("x,y\n1,1e999\n") == "ev.csv: line 2, column 2 (y): '1e999' is not a finite number")
    #expect(parse("x,y\n1,abc\n") == "ev.csv: line 2, column 2 (y): 'abc' is not a number")
    #expect(parse("x,y\n1,2\n\n3\n") == "ev.csv: line 4: 1 fields, the header has 2")
    #expect(parse("\n1,2\n") == "ev.csv: line 1: empty CSV header, expected column names")
    let a200 = String(repeating: "a", count: 200)
    #expect(parse("x\n\(a200)\n") == "ev.csv: line 2, column 1 (x): '\(String(repeating: "a", count: 40))…' is not a number")
    // readCSV names the file.
    let path = Self.tempPath("bad.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "x\n1\n2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(Self.message { _ = try Table.readCSV(path) } == "\(path): line 3: 2 fields, the header has 1")
    // A missing column: Events.read names the file.
    try "x,w_0\n1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(Self.message { _ = try Events.read(path, columns: EventColumns(weight: "w_x")) } == "\(path): no SM-weight column w_x")
    // A truncated gzip file: an error naming the file.
    let gz = Self.tempPath("bad.csv.gz")
    defer { try? FileManager.default.removeItem(atPath: gz) }
    try Table(names: ["x"], values: (0..<1000).map(Double.init)).writeCSV(gz)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: gz))
    #expect(Self.message { _ = try Table.readCSV(gz) }.hasPrefix("\(gz): corrupt gzip data"))
  }

  /// Fields longer than 127 characters are read in full (they used to be cut at 127).
  @Test func csvLongFields() throws {
    let tiny = "0." + String(repeating: "0", count: 150) + "123"  // 1.23e-151
    let long = "1" + String(repeating: "0", count: 130) + ".5"  // 1e130 + .5
    let t = try Table.parseCSV(Array("x,y\n\(tiny),\(long)\n".utf8))
    #expect(tiny.count > 127 && long.count > 127)
    #expect(t.values == [Double(tiny)!, Double(long)!])
    #expect(t.values[0] == 1.23e-151)
  }

  /// Training on events whose SM weights, or whose derivative weights, are all 0 is an error (it used
  /// to write a model with loss/L0 = NaN and exit 0).
  @Test func nothingToLearn() throws {
    let ev = ClosureToy.exponential.generate(count: 200, seed: 1)
    var zeroW0 = ev
    for i in 0..<ev.count { zeroW0.weights[i * ev.weightStride] = 0 }
    #expect(Self.message { _ = try trainBIT(zeroW0, config: BITConfig(trees: 2)) }.contains("SM weights (w_0) of all 200 events are 0"))
    var zeroD = ev
    for i in 0..<ev.count { for d in 1..<ev.weightStride { zeroD.weights[i * ev.weightStride + d] = 0 } }
    #expect(Self.message { _ = try trainBIT(zeroD, config: BITConfig(trees: 2)) }.contains("derivative weights of all 200 events are 0"))
    #expect(try trainBIT(ev, config: BITConfig(trees: 2)).history.count == 2)
  }

  /// CSV numbers as Python's float() reads them: a NUL inside a field (strtod would stop there and
  /// read 1.0) and hexadecimal (strtod reads 0x10 as 16) are errors.
  @Test func csvNumbersAsPythonReadsThem() {
    func parse(_ bytes: [UInt8]) -> String { Self.message { _ = try Table.parseCSV(bytes, source: "ev.csv") } }
    #expect(parse(Array("x,y\n1,2\n".utf8) + [0x31, 0x2E, 0x00, 0x00, 0x31, 0x31, 0x2C, 0x33, 0x0A]).hasPrefix("ev.csv: line 3, column 1 (x):"))
    #expect(parse(Array("x,y\n0x10,2\n".utf8)) == "ev.csv: line 2, column 1 (x): '0x10' is not a number")
  }

  /// An .npz array header declaring (0, 10¹²) — no data, a trillion columns — is an error, not a
  /// loop over the columns. The member's header is rewritten in place (its padding absorbs the
  /// longer shape) and its CRC-32 recomputed.
  @Test func npzWithAbsurdColumnCount() throws {
    var (b, cd, xv) = try Self.archive()
    let headerStart = 35 + 10, header = String(decoding: b[headerStart..<xv], as: UTF8.self)
    let shape = try #require(header.range(of: "(3,)"))
    var edited = header.replacingCharacters(in: shape, with: "(0, 1000000000000)")
    // Keep the header length: take the extra characters out of the trailing space padding.
    let extra = edited.utf8.count - header.utf8.count
    let pad = try #require(edited.range(of: String(repeating: " ", count: extra), options: .backwards))
    edited.removeSubrange(pad)
    #expect(edited.utf8.count == header.utf8.count)
    b.replaceSubrange(headerStart..<xv, with: Array(edited.utf8))
    // CRC-32 (IEEE) of member x's data, in its local header and its central-directory entry.
    let dataStart = 35, size = Int(b[cd + 20]) | Int(b[cd + 21]) << 8 | Int(b[cd + 22]) << 16 | Int(b[cd + 23]) << 24
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in b[dataStart..<(dataStart + size)] {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc ^= 0xFFFF_FFFF
    Self.put32(&b, 14, crc)
    Self.put32(&b, cd + 16, crc)
    let path = Self.tempPath("columns.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(b).write(to: URL(fileURLWithPath: path))
    let m = Self.message { _ = try readNPZ(path) }
    #expect(m.contains("declares shape (0, 1000000000000): more than 100000 columns"), "\(m)")
  }
}

