/// A bounds-checked big-endian reader over a byte array. Every read throws `FormatError`
/// instead of trapping when it would go past `limit`.
struct ByteCursor {
  let bytes: [UInt8]
  /// Current read offset into `bytes`.
  private(set) var position: Int
  /// Reads never go at or past this offset.
  let limit: Int

  /// A cursor over `bytes[position..<limit]` (`limit` defaults to the end); throws if the range is invalid.
  init(_ bytes: [UInt8], at position: Int = 0, limit: Int? = nil) throws {
    let limit = limit ?? bytes.count
    guard limit >= 0, limit <= bytes.count, position >= 0, position <= limit else {
      throw FormatError("offset \(position) (limit \(limit)) is outside the \(bytes.count)-byte buffer")
    }
    self.bytes = bytes
    self.position = position
    self.limit = limit
  }

  var remaining: Int { limit - position }

  mutating func seek(to offset: Int) throws {
    guard offset >= 0, offset <= limit else {
      throw FormatError("offset \(offset) is outside the buffer (limit \(limit))")
    }
    position = offset
  }

  mutating func skip(_ count: Int) throws {
    guard count >= 0, count <= remaining else {
      throw FormatError("cannot skip \(count) bytes at offset \(position): only \(remaining) remain")
    }
    position += count
  }

  /// Checks that `count` bytes are available, advances past them, and returns where they start.
  private mutating func take(_ count: Int) throws -> Int {
    let start = position
    try skip(count)
    return start
  }

  /// The next `size` bytes as a big-endian unsigned integer (`size` ≤ 8).
  private mutating func word(_ size: Int) throws -> UInt64 {
    var i = try take(size)
    let end = i + size
    var value: UInt64 = 0
    while i < end {
      value = value << 8 | UInt64(bytes[i])
      i += 1
    }
    return value
  }

  mutating func u8() throws -> UInt8 { UInt8(try word(1)) }
  mutating func i16() throws -> Int { Int(Int16(truncatingIfNeeded: try word(2))) }
  mutating func u32() throws -> UInt32 { UInt32(try word(4)) }
  mutating func i32() throws -> Int { Int(Int32(truncatingIfNeeded: try word(4))) }
  mutating func i64() throws -> Int { Int(Int64(bitPattern: try word(8))) }
  /// A signed offset field that is 8 bytes wide when `wide`, else 4.
  mutating func offset(wide: Bool) throws -> Int { wide ? try i64() : try i32() }
  mutating func f32() throws -> Float { Float(bitPattern: UInt32(try word(4))) }
  mutating func f64() throws -> Double { Double(bitPattern: try word(8)) }

  /// `count` big-endian values of `size` bytes each, converted by `convert` from their bit patterns.
  /// - Precondition: `size` is 1, 2, 4 or 8.
  mutating func values(_ count: Int, size: Int, _ convert: (UInt64) -> Double) throws -> [Double] {
    guard count >= 0, count <= remaining / size else {
      throw FormatError("array of \(count) values does not fit in the \(remaining) remaining bytes")
    }
    let start = try take(count * size)
    return bytes.withUnsafeBytes { raw in
      [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
        var offset = start
        for k in 0..<count {
          let bits: UInt64 = switch size {
          case 8: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
          case 4: UInt64(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
          case 2: UInt64(UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
          default: UInt64(raw[offset])
          }
          (buffer.baseAddress! + k).initialize(to: convert(bits))
          offset += size
        }
        initialized = count
      }
    }
  }

  /// `count` big-endian f64 values.
  mutating func doubles(_ count: Int) throws -> [Double] {
    try values(count, size: 8) { Double(bitPattern: $0) }
  }

  /// A slice of the next `count` bytes.
  mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
    let start = try take(count)
    return bytes[start..<(start + count)]
  }

  /// A ROOT `TString`: a 1-byte length, or 255 followed by an i32 length; then that many bytes.
  mutating func tString() throws -> String {
    var count = Int(try u8())
    if count == 255 { count = try i32() }
    guard count >= 0 else { throw FormatError("negative string length \(count) at offset \(position)") }
    return String(decoding: try bytes(count), as: UTF8.self)
  }

  /// An i32 element count followed by that many elements of `elementSize` bytes; throws unless
  /// the count is non-negative and the elements fit in the remaining bytes.
  mutating func count(of what: String, elementSize: Int) throws -> Int {
    let n = try i32()
    guard n >= 0, n <= remaining / elementSize else {
      throw FormatError("\(what) has invalid length \(n) at offset \(position) (\(remaining) bytes remain)")
    }
    return n
  }
}
