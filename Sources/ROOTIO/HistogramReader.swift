//===--- HistogramReader.swift --------------------------------------------===//
// Streaming layout of TH1x / TH2x objects as ROOT 6 writes them.
//===----------------------------------------------------------------------===//

/// Decodes the streamed bytes of TH1/TH2 objects.
///
/// Layout: `[TH1x header][TH1 | TH2 = TH1 + 4 f64][TArray: i32 n, n values]`. A versioned class
/// starts with a 4-byte byte count carrying the flag 0x40000000 (the count excludes its own 4
/// bytes), then a 2-byte version, so unneeded parts (TAttLine, TAttFill, TAttMarker, TAttAxis,
/// the tail of TH1 and TAxis) are skipped by their byte counts. Accepted versions: TH1 6–8,
/// TAxis 9–10, TH1x/TH2x 1–4, TH2 3–5; anything else is a clear error.
enum HistogramReader {
  /// Size in bytes of the array element of a class suffix (D, F, I, S, C, L).
  static func elementSize(_ suffix: Character) -> Int? {
    switch suffix {
    case "D", "L": return 8
    case "F", "I": return 4
    case "S": return 2
    case "C": return 1
    default: return nil
    }
  }

  static func readElement(_ c: inout Cursor, _ suffix: Character) throws -> Double {
    switch suffix {
    case "D": return try c.f64()
    case "F": return Double(try c.f32())
    case "I": return Double(try c.i32())
    case "S": return Double(try c.i16())
    case "C": return Double(Int8(bitPattern: try c.u8()))
    default: return Double(try c.i64())
    }
  }

  static func supports(_ className: String) -> Bool {
    guard className.count == 4, className.hasPrefix("TH1") || className.hasPrefix("TH2") else { return false }
    return elementSize(className.last!) != nil
  }

  /// A versioned header: returns (version, end offset) where end is nil without a byte count.
  static func versionHeader(_ c: inout Cursor) throws -> (version: Int, end: Int?) {
    let start = c.pos
    let word = try c.u32()
    if word & 0x4000_0000 != 0 {
      let count = Int(word & ~UInt32(0x4000_0000))
      let end = start + 4 + count
      guard end <= c.bytes.count else { throw FormatError("byte count \(count) overruns the object") }
      return (Int(try c.u16()), end)
    }
    try c.seek(start)
    return (Int(try c.u16()), nil)
  }

  /// Skips a versioned sub-object by its byte count.
  static func skipVersioned(_ c: inout Cursor, what: String) throws {
    let (_, end) = try versionHeader(&c)
    guard let end else { throw FormatError("\(what) has no byte count; cannot skip it") }
    try c.seek(end)
  }

  static func check(_ v: Int, _ range: ClosedRange<Int>, _ what: String) throws {
    guard range.contains(v) else { throw FormatError("unsupported \(what) class version \(v) (supported: \(range.lowerBound)–\(range.upperBound))") }
  }

  static func readTObject(_ c: inout Cursor) throws {
    let version = try c.u16()
    if version & 0x4000 != 0 { try c.skip(4) }
    _ = try c.u32()  // fUniqueID
    let bits = try c.u32()
    if bits & (1 << 4) != 0 { try c.skip(2) }  // kIsReferenced: pidf
  }

  static func readTNamed(_ c: inout Cursor) throws -> (name: String, title: String) {
    let (_, end) = try versionHeader(&c)
    try readTObject(&c)
    let name = try c.string()
    let title = try c.string()
    if let end { try c.seek(end) }
    return (name, title)
  }

  static func readDoubleArray(_ c: inout Cursor, what: String) throws -> [Double] {
    let n = try c.count(limit: c.remaining / 8, what: "\(what) length")
    var a = [Double](repeating: 0, count: n)
    for i in 0..<n { a[i] = try c.f64() }
    return a
  }

  /// TAxis: TNamed, TAttAxis, fNbins, fXmin, fXmax, fXbins; rest skipped.
  static func readAxis(_ c: inout Cursor) throws -> (nbins: Int, edges: [Double]) {
    let (version, end) = try versionHeader(&c)
    try check(version, 6...10, "TAxis")
    _ = try readTNamed(&c)
    try skipVersioned(&c, what: "TAttAxis")
    let nbins = Int(try c.i32())
    guard nbins >= 0, nbins <= 100_000_000 else { throw FormatError("implausible number of bins \(nbins)") }
    let xmin = try c.f64(), xmax = try c.f64()
    var edges = try readDoubleArray(&c, what: "fXbins")
    if edges.isEmpty {
      let width = (xmax - xmin) / Double(max(nbins, 1))
      edges = (0...nbins).map { $0 == nbins ? xmax : xmin + Double($0) * width }
    } else if edges.count != nbins + 1 {
      throw FormatError("axis has \(nbins) bins but \(edges.count) edges")
    }
    if let end { try c.seek(end) }
    return (nbins, edges)
  }

  static func read(_ bytes: [UInt8], className: String) throws -> Histogram {
    var c = Cursor(bytes)
    let is2D = className.hasPrefix("TH2")
    let suffix = className.last ?? "?"
    guard let size = elementSize(suffix) else { throw FormatError("unsupported class \(className)") }
    let (outerVersion, _) = try versionHeader(&c)
    try check(outerVersion, 1...4, className)
    var th2End: Int?
    if is2D {
      let (v, end) = try versionHeader(&c)
      try check(v, 3...5, "TH2")
      th2End = end
    }
    // TH1
    let (th1Version, th1End) = try versionHeader(&c)
    try check(th1Version, 6...8, "TH1")
    let (name, title) = try readTNamed(&c)
    for what in ["TAttLine", "TAttFill", "TAttMarker"] { try skipVersioned(&c, what: what) }
    let ncells = Int(try c.i32())
    let x = try readAxis(&c)
    let y = try readAxis(&c)
    _ = try readAxis(&c)
    _ = try c.i16(); _ = try c.i16()  // fBarOffset, fBarWidth
    for _ in 0..<8 { _ = try c.f64() }  // fEntries ... fNormFactor
    _ = try readDoubleArray(&c, what: "fContour")
    let sumw2 = try readDoubleArray(&c, what: "fSumw2")
    guard let th1End else { throw FormatError("TH1 has no byte count") }
    try c.seek(th1End)
    if is2D {
      for _ in 0..<4 { _ = try c.f64() }  // fScalefactor, fTsumwy, fTsumwy2, fTsumwxy
      if let th2End { try c.seek(th2End) }
    }
    // The TArray of the concrete class.
    let n = try c.count(limit: c.remaining / size, what: "contents length")
    var contents = [Double](repeating: 0, count: n)
    for i in 0..<n { contents[i] = try readElement(&c, suffix) }
    let nbinsY = is2D ? y.nbins : 1
    let expected = is2D ? (x.nbins + 2) * (y.nbins + 2) : x.nbins + 2
    guard n == expected, ncells == expected else {
      throw FormatError("\(n) stored cells and fNcells \(ncells), expected \(expected) for \(x.nbins)\(is2D ? "×\(y.nbins)" : "") bins")
    }
    guard sumw2.isEmpty || sumw2.count == n else { throw FormatError("fSumw2 has \(sumw2.count) entries, expected \(n)") }
    return Histogram(name: name, title: title, className: className, dimension: is2D ? 2 : 1, nbinsX: x.nbins, nbinsY: nbinsY,
                     xEdges: x.edges, yEdges: is2D ? y.edges : [], contents: contents, sumw2: sumw2)
  }
}
