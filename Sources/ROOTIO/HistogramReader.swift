/// Streams TH1x/TH2x objects as ROOT 6 writes them (engineering spec, section 4):
/// `[TH1x or TH2x header][TH1, or TH2 = TH1 + 4 f64][TArrayX: i32 n, n values]`.
enum HistogramReader {
  /// The element type of the bin array, from the last letter of the class name.
  enum Element: Character {
    case double = "D", float = "F", int = "I", short = "S", char = "C"
    var size: Int {
      switch self {
      case .double: 8
      case .float, .int: 4
      case .short: 2
      case .char: 1
      }
    }
    /// The value of a big-endian element from its `size`-byte bit pattern.
    func convert(_ bits: UInt64) -> Double {
      switch self {
      case .double: Double(bitPattern: bits)
      case .float: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
      case .int: Double(Int32(truncatingIfNeeded: bits))
      case .short: Double(Int16(truncatingIfNeeded: bits))
      case .char: Double(Int8(truncatingIfNeeded: bits))
      }
    }
  }

  /// Class names this reader decodes.
  static let supportedClasses: Set<String> = Set(["TH1", "TH2"].flatMap { base in
    ["D", "F", "I", "S", "C"].map { base + $0 }
  })
  static let supportedList = "TH1D/TH1F/TH1I/TH1S/TH1C/TH2D/TH2F/TH2I/TH2S/TH2C"

  /// Accepted class versions, outside which the layout is not known to match.
  static let th1Versions = 6...8, th2Versions = 3...5, axisVersions = 9...10
  static let leaf1DVersions = 1...3, leaf2DVersions = 3...4, attributeVersions = 1...2

  static func read(_ bytes: [UInt8], className: String) throws -> Histogram {
    guard supportedClasses.contains(className), let element = className.last.flatMap(Element.init) else {
      throw FormatError("class \(className) is not a supported histogram (\(supportedList))")
    }
    let dimension = className.hasPrefix("TH2") ? 2 : 1
    var c = try ByteCursor(bytes)
    let leaf = try c.classHeader(className, accept: dimension == 1 ? leaf1DVersions : leaf2DVersions)
    let base: TH1Fields
    if dimension == 2 {
      let th2 = try c.classHeader("TH2", accept: th2Versions)
      base = try readTH1(&c)
      try c.skip(4 * 8)  // fScalefactor, fTsumwy, fTsumwy2, fTsumwxy
      try c.finish(th2)
    } else {
      base = try readTH1(&c)
    }
    let n = try c.count(of: "bin array", elementSize: element.size)
    guard n == base.ncells else { throw FormatError("bin array has \(n) values, fNcells is \(base.ncells)") }
    let contents = try c.values(n, size: element.size, element.convert)
    try c.finish(leaf)

    let (x, y) = (base.axes[0], base.axes[1])
    let expectedCells = dimension == 1 ? x.nbins + 2 : (x.nbins + 2) * (y.nbins + 2)
    guard base.ncells == expectedCells else {
      throw FormatError("fNcells \(base.ncells) does not match the axes (expected \(expectedCells))")
    }
    guard base.sumw2.isEmpty || base.sumw2.count == base.ncells else {
      throw FormatError("fSumw2 has \(base.sumw2.count) values, expected 0 or fNcells = \(base.ncells)")
    }
    return Histogram(name: base.name, title: base.title, className: className, dimension: dimension,
                     nbinsX: x.nbins, nbinsY: dimension == 1 ? 1 : y.nbins,
                     xEdges: x.edges, yEdges: dimension == 1 ? [] : y.edges,
                     contents: contents, sumw2: base.sumw2)
  }

  struct TH1Fields {
    var name: String, title: String, ncells: Int, axes: [Axis], sumw2: [Double]
  }

  struct Axis {
    var nbins: Int, edges: [Double]
  }

  /// TH1: TNamed, TAttLine, TAttFill, TAttMarker, `fNcells`, 3 × TAxis, `fBarOffset`/`fBarWidth` (i16),
  /// 8 f64 (`fEntries` … `fNormFactor`), `fContour`, `fSumw2`, then members skipped by the byte count.
  static func readTH1(_ c: inout ByteCursor) throws -> TH1Fields {
    let th1 = try c.classHeader("TH1", accept: th1Versions)
    let (name, title) = try c.tNamed()
    try c.skipObject("TAttLine", accept: attributeVersions)
    try c.skipObject("TAttFill", accept: attributeVersions)
    try c.skipObject("TAttMarker")
    let ncells = try c.i32()
    // Each cell takes at least one byte of the bin array that follows.
    guard ncells >= 3, ncells <= c.remaining else { throw FormatError("invalid fNcells \(ncells)") }
    let axes = try (0..<3).map { _ in try readAxis(&c, maxBins: ncells - 2) }
    try c.skip(2 * 2 + 8 * 8)
    let contour = try c.count(of: "fContour", elementSize: 8)
    try c.skip(contour * 8)
    let nsumw2 = try c.count(of: "fSumw2", elementSize: 8)
    let sumw2 = try c.doubles(nsumw2)
    try c.finish(th1)
    return TH1Fields(name: name, title: title, ncells: ncells, axes: axes, sumw2: sumw2)
  }

  /// TAxis: TNamed, TAttAxis, `fNbins`, `fXmin`, `fXmax`, `fXbins` (i32 n + n f64; n = 0 for uniform
  /// binning), then members skipped by the byte count.
  /// `maxBins` bounds `fNbins` (by `fNcells − 2`) before uniform edges are computed.
  static func readAxis(_ c: inout ByteCursor, maxBins: Int) throws -> Axis {
    let axis = try c.classHeader("TAxis", accept: axisVersions)
    _ = try c.tNamed()
    try c.skipObject("TAttAxis")
    let nbins = try c.i32()
    let (xmin, xmax) = (try c.f64(), try c.f64())
    let nedges = try c.count(of: "fXbins", elementSize: 8)
    guard nbins >= 1, nbins <= maxBins else {
      throw FormatError("axis has invalid fNbins \(nbins) (fNcells allows at most \(maxBins))")
    }
    let edges: [Double]
    if nedges == 0 {
      let width = (xmax - xmin) / Double(nbins)
      edges = (0...nbins).map { $0 == nbins ? xmax : xmin + Double($0) * width }
    } else if nedges == nbins + 1 {
      edges = try c.doubles(nedges)
    } else {
      throw FormatError("axis has \(nedges) edges for \(nbins) bins (expected 0 or \(nbins + 1))")
    }
    try c.finish(axis)
    return Axis(nbins: nbins, edges: edges)
  }
}

/// The header of a versioned class: where it ends and its version.
struct ClassHeader {
  var name: String
  var version: Int
  var end: Int
}

extension ByteCursor {
  /// A versioned class header: a 4-byte byte count with flag `0x40000000` (the count excludes these
  /// 4 bytes), then an i16 version. Throws if the count is missing or runs past the buffer, or the
  /// version is outside `accept`.
  mutating func classHeader(_ name: String, accept: ClosedRange<Int>? = nil) throws -> ClassHeader {
    let start = position
    let word = try u32()
    guard word & 0x4000_0000 != 0 else {
      throw FormatError("\(name) at offset \(start) has no byte count (word 0x\(String(word, radix: 16)))")
    }
    let end = start + 4 + Int(word & ~0x4000_0000)
    guard end <= limit else {
      throw FormatError("\(name) at offset \(start) claims to end at \(end), beyond the \(limit)-byte object")
    }
    let version = try i16()
    if let accept, !accept.contains(version) {
      throw FormatError("\(name) version \(version) is not supported (expected \(accept.lowerBound)–\(accept.upperBound))")
    }
    guard position <= end else { throw FormatError("\(name) at offset \(start) has a byte count too small for its header") }
    return ClassHeader(name: name, version: version, end: end)
  }

  /// Moves to the end of `header`'s object, checking that reading did not go past it.
  mutating func finish(_ header: ClassHeader) throws {
    guard position <= header.end else {
      throw FormatError("\(header.name) v\(header.version) read past its end (\(position) > \(header.end))")
    }
    try seek(to: header.end)
  }

  /// Skips a versioned sub-object by its byte count.
  mutating func skipObject(_ name: String, accept: ClosedRange<Int>? = nil) throws {
    try finish(try classHeader(name, accept: accept))
  }

  /// TObject: an i16 version (4 more bytes if it has bit 0x4000), `fUniqueID`, `fBits`, and 2 bytes
  /// more if `fBits` has `kIsReferenced` (bit 4).
  mutating func tObject() throws {
    let version = try i16()
    if version & 0x4000 != 0 { try skip(4) }
    _ = try u32()
    let bits = try u32()
    if bits & 0x10 != 0 { try skip(2) }
  }

  /// TNamed: a class header, TObject, then the name and title TStrings.
  mutating func tNamed() throws -> (name: String, title: String) {
    let header = try classHeader("TNamed")
    try tObject()
    let name = try tString()
    let title = try tString()
    try finish(header)
    return (name, title)
  }
}
