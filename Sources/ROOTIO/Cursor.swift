//===--- Cursor.swift -----------------------------------------------------===//
// A bounds-checked big-endian reader over a byte buffer.
//===----------------------------------------------------------------------===//

/// Reads big-endian values from a byte array. Every read checks bounds and throws on overrun,
/// so a truncated or corrupted file can never crash the reader.
struct Cursor {
  let bytes: [UInt8]
  var pos: Int

  init(_ bytes: [UInt8], at pos: Int = 0) {
    self.bytes = bytes
    self.pos = pos
  }

  var remaining: Int { bytes.count - pos }

  mutating func need(_ n: Int) throws {
    guard n >= 0, pos >= 0, pos <= bytes.count, n <= bytes.count - pos else {
      throw FormatError("unexpected end of data at offset \(pos) (needed \(n) bytes, \(max(0, bytes.count - pos)) left)")
    }
  }

  mutating func seek(_ p: Int) throws {
    guard p >= 0, p <= bytes.count else { throw FormatError("offset \(p) is outside the data (\(bytes.count) bytes)") }
    pos = p
  }

  mutating func skip(_ n: Int) throws {
    try need(n)
    pos += n
  }

  mutating func u8() throws -> UInt8 {
    try need(1)
    defer { pos += 1 }
    return bytes[pos]
  }

  mutating func u16() throws -> UInt16 {
    try need(2)
    defer { pos += 2 }
    return UInt16(bytes[pos]) << 8 | UInt16(bytes[pos + 1])
  }

  mutating func u32() throws -> UInt32 {
    try need(4)
    var v: UInt32 = 0
    for i in 0..<4 { v = v << 8 | UInt32(bytes[pos + i]) }
    pos += 4
    return v
  }

  mutating func u64() throws -> UInt64 {
    try need(8)
    var v: UInt64 = 0
    for i in 0..<8 { v = v << 8 | UInt64(bytes[pos + i]) }
    pos += 8
    return v
  }

  mutating func i16() throws -> Int16 { Int16(bitPattern: try u16()) }
  mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }
  mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
  mutating func f32() throws -> Float { Float(bitPattern: try u32()) }
  mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

  /// A TString: one length byte, or 255 followed by a 4-byte length; then the characters.
  mutating func string() throws -> String {
    var n = Int(try u8())
    if n == 255 { n = Int(try u32()) }
    try need(n)
    defer { pos += n }
    return String(decoding: bytes[pos..<(pos + n)], as: UTF8.self)
  }

  /// A count read from the file, checked to be in 0...limit.
  mutating func count(limit: Int, what: String) throws -> Int {
    let n = Int(try i32())
    guard n >= 0, n <= limit else { throw FormatError("implausible \(what) \(n)") }
    return n
  }
}
