import Foundation
import Testing
import Support
@testable import ROOTIO

/// ROOTFileWriter: what it writes reads back bit for bit, deterministically. Compatibility with uproot
/// (and the StreamerInfo bytes ROOT writes) is checked by Fixtures/check_writer.py on the golden files.
@Suite struct ROOTWriterTests {
  static func histogram(_ name: String, title: String, edges: [Double], contents: [Double], sumw2: [Double] = []) -> Histogram {
    Histogram(name: name, title: title, className: "TH1D", dimension: 1, nbinsX: edges.count - 1, nbinsY: 1,
              xEdges: edges, yEdges: [], contents: contents, sumw2: sumw2)
  }

  /// Uniform edges as the reader computes them (`xmin + i·width`, last edge `xmax`).
  static func uniform(_ n: Int, _ xmin: Double, _ xmax: Double) -> [Double] {
    let width = (xmax - xmin) / Double(n)
    return (0...n).map { $0 == n ? xmax : xmin + Double($0) * width }
  }

  /// Paths (in the order added) and histograms: uniform and variable binning, with and without sumw2,
  /// at the top and in nested directories, a long (> 255 bytes) title, and a 1000-bin histogram.
  static let sample: [(path: String, histogram: Histogram)] = {
    var rng = SplitMix64(seed: 7)
    func values(_ n: Int, scale: Double) -> [Double] { (0..<n).map { _ in scale * rng.uniform() } }
    let m4l = [70.0, 90, 105, 110, 115, 118, 120, 122, 124, 125, 126, 128, 130, 135, 140, 160, 200, 300, 500, 1000]
    let big = values(1002, scale: 1e3)
    return [
      ("data_obs", histogram("data_obs", title: "data", edges: uniform(4, 0, 1), contents: [0, 3, 5, 2, 1, 0])),
      ("ch1/ggH", histogram("ggH", title: "m_{4l} signal", edges: m4l, contents: values(21, scale: 3),
                             sumw2: values(21, scale: 0.1))),
      ("ch1/ZZ", histogram("ZZ", title: "", edges: uniform(7, -1, 1.2), contents: values(9, scale: 50),
                            sumw2: values(9, scale: 2))),
      ("ch1/sub/ttH_2lss", histogram("ttH_2lss", title: String(repeating: "long title ", count: 40),
                                      edges: [-1, -0.3, 0.1, 0.11, 0.5, 1], contents: [-0.5, 1, 2, 0, 4, 1e-300, 7])),
      ("ch1/sub/big", histogram("big", title: "1000 bins", edges: uniform(1000, 0, 0.1), contents: big,
                                 sumw2: big.map { $0 * 0.01 })),
      ("ch2/ggH", histogram("ggH", title: "other channel", edges: [0, 0.5, 2.5], contents: [1, 2, 3, 4],
                             sumw2: [1, 4, 9, 16])),
      ("zz_last", histogram("zz_last", title: "top-level again", edges: uniform(1, 0, 1), contents: [0, 1, 0])),
    ]
  }()

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("rootwriter-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  static func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
  }

  static let compressions: [ROOTCompression] = [.none, .zlib(level: 1), .zlib(level: 9)]

  @Test(arguments: compressions)
  func readsBackBitForBit(_ compression: ROOTCompression) throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("shapes.root").path
    try writeROOTFile(path: path, histograms: Self.sample, compression: compression)

    let file = try ROOTFile(path: path)
    #expect(try file.allHistogramPaths() == Self.sample.map(\.path))
    #expect(try file.keys().map(\.name) == ["data_obs", "ch1", "ch2", "zz_last"])
    #expect(try file.keys().map(\.className) == ["TH1D", "TDirectory", "TDirectory", "TH1D"])
    #expect(try file.keys(inDirectory: "ch1").map(\.name) == ["ggH", "ZZ", "sub"])
    for (objectPath, input) in Self.sample {
      let h = try file.histogram(objectPath)
      #expect(h.className == "TH1D", "\(objectPath)")
      #expect(h.name == input.name && h.title == input.title, "\(objectPath)")
      #expect(h.dimension == 1 && h.nbinsX == input.nbinsX && h.nbinsY == 1, "\(objectPath)")
      #expect(Self.sameBits(h.xEdges, input.xEdges), "\(objectPath) edges")
      #expect(Self.sameBits(h.contents, input.contents), "\(objectPath) contents")
      #expect(Self.sameBits(h.sumw2, input.sumw2), "\(objectPath) sumw2")
      #expect(h == input, "\(objectPath)")
    }
    // Edges made by `uniform` are stored as (fNbins, fXmin, fXmax) with an empty fXbins; the
    // hand-written edge lists (none of them evenly spaced) are stored in full.
    let expectedXbins = ["data_obs": 0, "ch1/ggH": 20, "ch1/ZZ": 0, "ch1/sub/ttH_2lss": 6, "ch1/sub/big": 0,
                         "ch2/ggH": 3, "zz_last": 0]
    #expect(expectedXbins.count == Self.sample.count)
    for (objectPath, _) in Self.sample {
      #expect(try Self.writtenXbinsCount(file.objectData(objectPath).bytes) == expectedXbins[objectPath], "\(objectPath)")
    }
  }

  /// The length of the x axis's fXbins as written in a streamed TH1D: TH1D and TH1 headers, TNamed,
  /// TAttLine/Fill/Marker, fNcells, then the TAxis (TNamed, TAttAxis, fNbins, fXmin, fXmax, fXbins).
  static func writtenXbinsCount(_ bytes: [UInt8]) throws -> Int {
    var c = try ByteCursor(bytes)
    _ = try c.classHeader("TH1D")
    _ = try c.classHeader("TH1")
    _ = try c.tNamed()
    for name in ["TAttLine", "TAttFill", "TAttMarker"] { try c.skipObject(name) }
    _ = try c.i32()  // fNcells
    _ = try c.classHeader("TAxis")
    _ = try c.tNamed()
    try c.skipObject("TAttAxis")
    _ = try c.i32()  // fNbins
    _ = try c.f64()  // fXmin
    _ = try c.f64()  // fXmax
    return Int(try c.i32())
  }

  @Test(arguments: compressions)
  func isDeterministic(_ compression: ROOTCompression) throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let paths = ["a.root", "b.root"].map { dir.appendingPathComponent($0).path }
    for path in paths {
      let writer = ROOTFileWriter(compression: compression)
      for (objectPath, h) in Self.sample { try writer.add(h, at: objectPath) }
      try writer.write(to: dir.appendingPathComponent("shapes.root").path)
      try FileManager.default.moveItem(atPath: dir.appendingPathComponent("shapes.root").path, toPath: path)
    }
    let (a, b) = (try Data(contentsOf: URL(fileURLWithPath: paths[0])), try Data(contentsOf: URL(fileURLWithPath: paths[1])))
    #expect(a == b)
    // No temporary files are left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.root", "b.root"])
  }

  @Test func compressionShrinksAndIsUsedOnlyWhenUseful() throws {
    let none = ROOTFileWriter(compression: .none)
    let zlib = ROOTFileWriter(compression: .zlib(level: 6))
    for (objectPath, h) in Self.sample {
      try none.add(h, at: objectPath)
      try zlib.add(h, at: objectPath)
    }
    let raw = try none.fileBytes(fileName: "x.root")
    let packed = try zlib.fileBytes(fileName: "x.root")
    #expect(packed.count < raw.count)
    #expect(raw.count > 20_000 && packed.count < raw.count - 10_000)
    // Same objects either way.
    let (a, b) = (try ROOTFile(bytes: raw, path: "raw"), try ROOTFile(bytes: packed, path: "zlib"))
    for (objectPath, _) in Self.sample {
      #expect(try a.objectData(objectPath).bytes == b.objectData(objectPath).bytes, "\(objectPath)")
    }
    // Records of at most 256 bytes stay raw even when they would compress well.
    let small = try ROOTFileWriter.compressIfUseful([UInt8](repeating: 7, count: 256), level: 9)
    #expect(small == [UInt8](repeating: 7, count: 256))
    // Random bytes do not deflate (stored blocks plus the 9-byte ZL header are longer): kept raw.
    var rng = SplitMix64(seed: 11)
    let incompressible = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    #expect(try ROOTFileWriter.compressIfUseful(incompressible, level: 9) == incompressible)
    let blocks = try ROOTFileWriter.compressIfUseful([UInt8](repeating: 1, count: 5000), level: 1)
    #expect(Array(blocks.prefix(3)) == [UInt8(ascii: "Z"), UInt8(ascii: "L"), 8])
    #expect(try decompress(blocks, expectedSize: 5000) == [UInt8](repeating: 1, count: 5000))
  }

  @Test func fileHeaderAndDirectoriesAreConsistent() throws {
    let writer = ROOTFileWriter(compression: .zlib(level: 1), title: "shapes")
    for (objectPath, h) in Self.sample { try writer.add(h, at: objectPath) }
    let bytes = try writer.fileBytes(fileName: "shapes.root")
    var c = try ByteCursor(bytes)
    #expect(try c.bytes(4).elementsEqual("root".utf8))
    #expect(try c.i32() == 62400)
    #expect(try c.i32() == 100)
    #expect(try c.i32() == bytes.count)  // fEND
    let seekFree = try c.i32(), nbytesFree = try c.i32()
    #expect(try c.i32() == 1)  // nfree
    #expect(seekFree + nbytesFree == bytes.count)
    _ = try c.i32()
    #expect(try c.u8() == 4)
    #expect(try c.i32() == 101)
    let seekInfo = try c.i32(), nbytesInfo = try c.i32()
    #expect(seekInfo + nbytesInfo == seekFree)
    var k = try ByteCursor(bytes, at: seekInfo)
    let infoKey = try KeyHeader(&k)
    #expect(infoKey.className == "TList" && infoKey.name == "StreamerInfo" && infoKey.nbytes == nbytesInfo)
    #expect(infoKey.nbytes - infoKey.keyLen < infoKey.objLen)  // compressed
    // The StreamerInfo TList: byte count covering the record, version 5, 14 classes.
    let record = try decompress(bytes[(seekInfo + infoKey.keyLen)..<(seekInfo + nbytesInfo)], expectedSize: infoKey.objLen)
    var r = try ByteCursor(record)
    let list = try r.classHeader("TList", accept: 5...5)
    #expect(list.end == record.count)
    try r.tObject()
    #expect(try r.tString() == "")
    #expect(try r.i32() == StreamerInfo.th1dClasses.count)
    var names: [String] = []
    for _ in StreamerInfo.th1dClasses {
      let word = try r.u32()
      #expect(word & 0x4000_0000 != 0)
      let end = r.position + Int(word & ~0x4000_0000)
      #expect(try r.u32() == 0xFFFF_FFFF)
      let className = String(decoding: try r.bytes(13), as: UTF8.self)
      #expect(className == "TStreamerInfo")
      #expect(try r.u8() == 0)
      let info = try r.classHeader("TStreamerInfo", accept: 9...9)
      names.append(try r.tNamed().name)
      try r.seek(to: info.end)
      #expect(info.end == end)
      #expect(try r.tString() == "")  // option
    }
    #expect(r.remaining == 0)
    #expect(names == ["TCollection", "TSeqCollection", "TList", "THashList", "TAttAxis", "TAxis", "TAttMarker",
                      "TAttFill", "TAttLine", "TString", "TObject", "TNamed", "TH1", "TH1D"])
  }

  @Test func rejectsWhatItCannotWrite() throws {
    let writer = ROOTFileWriter()
    let good = Self.histogram("h", title: "", edges: [0, 1, 2], contents: [0, 1, 2, 0])
    try writer.add(good, at: "d/h")
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "d/h") }  // taken
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "d/h/x") }  // h is a histogram
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "d") }  // d is a directory
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "") }
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "a//b") }
    #expect(throws: ROOTIOError.self) { try writer.add(good, at: "a;1") }
    var twoD = good
    twoD.dimension = 2
    #expect(throws: ROOTIOError.self) { try writer.add(twoD, at: "x") }
    #expect(throws: ROOTIOError.self) {
      try writer.add(Self.histogram("h", title: "", edges: [0, 2, 1], contents: [0, 1, 2, 0]), at: "x")
    }
    #expect(throws: ROOTIOError.self) {
      try writer.add(Self.histogram("h", title: "", edges: [0, 1, 2], contents: [0, 1, 2]), at: "x")
    }
    #expect(throws: ROOTIOError.self) {
      try writer.add(Self.histogram("h", title: "", edges: [0, 1, 2], contents: [0, 1, 2, 0], sumw2: [1]), at: "x")
    }
    // An unwritable path names the file and leaves nothing behind.
    let e = #expect(throws: FileWriteError.self) {
      try writeROOTFile(path: "/nonexistent-dir/x.root", histograms: [("h", good)])
    }
    #expect(e?.path == "/nonexistent-dir/x.root" && e?.message.contains("No such file or directory") == true)
    // A failed add leaves the writer usable.
    try writer.add(good, at: "x")
    #expect(try ROOTFile(bytes: writer.fileBytes(fileName: "t.root"), path: "t").allHistogramPaths() == ["d/h", "x"])
  }

  @Test func nanAndInfinityBitsSurvive() throws {
    let nan = Double(bitPattern: 0x7FF8_0000_0000_1234)
    let h = Self.histogram("h", title: "", edges: [0, 1, 2], contents: [0, .infinity, -0.0, 1], sumw2: [nan, 1, .nan, 0])
    let writer = ROOTFileWriter(compression: .zlib(level: 1))
    try writer.add(h, at: "d/h")
    let back = try ROOTFile(bytes: writer.fileBytes(fileName: "n.root"), path: "n").histogram("d/h")
    #expect(Self.sameBits(back.contents, h.contents) && Self.sameBits(back.sumw2, h.sumw2))
  }

  @Test func emptyFileIsReadable() throws {
    let file = try ROOTFile(bytes: ROOTFileWriter().fileBytes(fileName: "empty.root"), path: "empty")
    #expect(try file.allHistogramPaths().isEmpty)
    #expect(try file.keys().isEmpty)
  }

  /// What Fixtures/check_writer.py expects uproot to read from the golden files: per path, the title,
  /// and edges, contents (with flow) and sumw2 as 16-hex-digit bit patterns.
  static func expectedJSON() throws -> Data {
    func hex(_ values: [Double]) -> [String] {
      values.map { let s = String($0.bitPattern, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
    }
    var histograms: [String: Any] = [:]
    for (objectPath, h) in sample {
      histograms[objectPath] = ["title": h.title, "edges": hex(h.xEdges), "contents": hex(h.contents), "sumw2": hex(h.sumw2)]
    }
    let object: [String: Any] = ["files": ["writer_none.root", "writer_zlib.root"], "paths": sample.map(\.path),
                                 "histograms": histograms]
    return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  }

  /// The committed golden files (checked against uproot by Fixtures/check_writer.py) are what the writer
  /// writes today. Set ROOTIO_WRITE_GOLDEN=1 to regenerate them.
  @Test func matchesGoldenFiles() throws {
    let json = TestPaths.fixtures.appendingPathComponent("writer_expected.json")
    if ProcessInfo.processInfo.environment["ROOTIO_WRITE_GOLDEN"] == "1" {
      try Self.expectedJSON().write(to: json)
    }
    #expect(try Self.expectedJSON() == Data(contentsOf: json))
    for (name, compression) in [("writer_none.root", ROOTCompression.none), ("writer_zlib.root", .zlib(level: 1))] {
      let url = TestPaths.fixtures.appendingPathComponent(name)
      let writer = ROOTFileWriter(compression: compression)
      for (objectPath, h) in Self.sample { try writer.add(h, at: objectPath) }
      if ProcessInfo.processInfo.environment["ROOTIO_WRITE_GOLDEN"] == "1" {
        try writer.write(to: url.path)
      }
      let bytes = try writer.fileBytes(fileName: name)
      if compression == .none {
        #expect(bytes == [UInt8](try Data(contentsOf: url)), "\(name)")
      } else {
        // zlib output may differ between zlib builds: compare the decompressed objects.
        let (ours, golden) = (try ROOTFile(bytes: bytes, path: name), try ROOTFile(path: url.path))
        #expect(try ours.allHistogramPaths() == golden.allHistogramPaths())
        for (objectPath, _) in Self.sample {
          #expect(try ours.objectData(objectPath).bytes == golden.objectData(objectPath).bytes, "\(objectPath)")
        }
      }
    }
  }
}
