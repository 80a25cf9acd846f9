/// A growable big-endian byte buffer for streaming ROOT objects (the writing counterpart of `ByteCursor`).
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  var count: Int { bytes.count }

  mutating func u8(_ value: UInt8) { bytes.append(value) }
  mutating func i16(_ value: Int) { word(UInt64(UInt16(truncatingIfNeeded: value)), size: 2) }
  mutating func u16(_ value: UInt16) { word(UInt64(value), size: 2) }
  mutating func i32(_ value: Int) { word(UInt64(UInt32(truncatingIfNeeded: value)), size: 4) }
  mutating func u32(_ value: UInt32) { word(UInt64(value), size: 4) }
  mutating func i64(_ value: Int) { word(UInt64(bitPattern: Int64(value)), size: 8) }
  mutating func word64(_ value: UInt64) { word(value, size: 8) }
  mutating func f32(_ value: Float) { word(UInt64(value.bitPattern), size: 4) }
  mutating func f64(_ value: Double) { word(value.bitPattern, size: 8) }
  mutating func append<S: Sequence>(_ data: S) where S.Element == UInt8 { bytes.append(contentsOf: data) }

  private mutating func word(_ value: UInt64, size: Int) {
    for shift in stride(from: 8 * (size - 1), through: 0, by: -8) {
      bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
    }
  }

  /// Overwrites 4 bytes at `offset` with a big-endian `value`.
  mutating func patchU32(at offset: Int, _ value: UInt32) {
    for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * (3 - k))) }
  }

  /// A ROOT `TString`: a 1-byte length below 255, else 255 and an i32 length; then the UTF-8 bytes.
  mutating func tString(_ string: String) {
    let utf8 = Array(string.utf8)
    if utf8.count < 255 {
      u8(UInt8(utf8.count))
    } else {
      u8(255)
      i32(utf8.count)
    }
    append(utf8)
  }

  /// A C string: the UTF-8 bytes and a NUL terminator (class names in class tags).
  mutating func cString(_ string: String) {
    append(string.utf8)
    u8(0)
  }

  /// i32 count and `values` as f64 (a `TArrayD` streamed without a class header).
  mutating func arrayD(_ values: [Double]) {
    i32(values.count)
    for value in values { f64(value) }
  }

  /// A versioned class: a 4-byte byte count with flag 0x40000000 (covering everything after it),
  /// the i16 `version`, then what `body` writes.
  mutating func versioned(_ version: Int, _ body: (inout ByteWriter) -> Void) {
    let start = count
    u32(0)
    i16(version)
    body(&self)
    patchU32(at: start, UInt32(count - start - 4) | 0x4000_0000)
  }

  /// An object written through a pointer with a new-class tag: a byte count (flag 0x40000000),
  /// 0xFFFFFFFF and the NUL-terminated class name, then the object that `body` writes.
  mutating func taggedObject(_ className: String, _ body: (inout ByteWriter) -> Void) {
    let start = count
    u32(0)
    u32(0xFFFF_FFFF)
    cString(className)
    body(&self)
    patchU32(at: start, UInt32(count - start - 4) | 0x4000_0000)
  }

  /// TObject: version 1, `fUniqueID` 0, then `bits`.
  mutating func tObject(bits: UInt32) {
    i16(1)
    u32(0)
    u32(bits)
  }

  /// TNamed (version 1): TObject with `bits`, then the name and title TStrings.
  mutating func tNamed(_ name: String, _ title: String, bits: UInt32) {
    versioned(1) { w in
      w.tObject(bits: bits)
      w.tString(name)
      w.tString(title)
    }
  }
}

/// TObject status bits as ROOT writes them.
enum TObjectBits {
  static let isOnHeap: UInt32 = 0x0100_0000
  static let notDeleted: UInt32 = 0x0200_0000
  static let mustCleanup: UInt32 = 0x8
}
