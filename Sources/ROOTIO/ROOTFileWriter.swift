import CCompression
import Foundation
import Support

/// How the objects of a written ROOT file are compressed.
public enum ROOTCompression: Sendable, Equatable {
  /// Every record stored raw (`fCompress` 0).
  case none
  /// zlib (`ZL` blocks) at `level` 1…9 (`fCompress` 100 + level), for records longer than 256 bytes
  /// that shrink, as ROOT does; others are stored raw.
  case zlib(level: Int)
}

/// Writes TH1D histograms and flat TTrees (`FlatTree`) into a new ROOT file (small, 32-bit layout; ROOT 6.24 class versions), in
/// sub-directories, with the StreamerInfo record that ROOT needs to read them.
///
/// The output is deterministic: timestamps are fixed and the UUIDs are derived from the content, so the
/// same histograms added in the same order give the same bytes (with zlib, for the same zlib version).
///
/// ```swift
/// let writer = ROOTFileWriter(compression: .zlib(level: 4))
/// try writer.add(signal, at: "ch1/ggH")        // key "ggH" in directory "ch1"
/// try writer.add(data, at: "ch1/data_obs")
/// try writer.write(to: "shapes.root")          // temporary file, then rename(2)
/// ```
///
/// Layout: file header; top directory (TFile key, name, title, TDirectory record); for each directory
/// in pre-order its histograms and sub-directories (TDirectory key and record) in the order added;
/// then the keys list of every directory, the StreamerInfo record and the free-segments record.
public final class ROOTFileWriter {
  public let compression: ROOTCompression
  /// Title of the file (of its top directory).
  public let title: String

  /// The ROOT version written in the header (6.24/00, whose class versions the StreamerInfo describes).
  static let rootVersion = 62400
  static let begin = 100
  /// 2025-01-01 00:00:00 as a TDatime: (year − 1995) << 26 | month << 22 | day << 17 | hour << 12 | min << 6 | sec.
  static let datime: UInt32 = UInt32(2025 - 1995) << 26 | 1 << 22 | 1 << 17
  /// TDirectory record size: version, 2 datimes, 5 i32, UUID (version + 16 bytes), 12 bytes reserved.
  static let directoryRecordSize = 60
  /// ROOT's kStartBigFile, the end of the free segment that follows the data.
  static let startBigFile = 2_000_000_000

  private struct Directory {
    var name: String
    var parent: Int?
    var entries: [Entry] = []
    var kinds: [String: Bool] = [:]  // name → isDirectory
  }

  private enum Entry {
    case directory(Int)
    case histogram(name: String, Histogram)
    case tree(FlatTree)
  }

  private var directories: [Directory] = [Directory(name: "", parent: nil)]

  public init(compression: ROOTCompression = .zlib(level: 1), title: String = "") {
    self.compression = compression
    self.title = title
  }

  /// Adds `histogram` under `path` (`"dir/sub/name"`), creating directories as needed. The object is
  /// written as a TH1D named after the last path component (its `name` is not used); its `className`
  /// is ignored, so a TH1F read from a file is written as an equal TH1D.
  /// - Throws: `ROOTIOError` if the path is empty or taken, a component is invalid, or the histogram
  ///   is not 1D or inconsistent (counts of contents, sumw2 and edges; edges finite and increasing).
  public func add(_ histogram: Histogram, at path: String) throws {
    if let problem = HistogramWriter.problem(histogram) { throw ROOTIOError(file: "(writer)", key: path, message: problem) }
    try insert(at: path) { .histogram(name: $0, histogram) }
  }

  /// Adds a flat tree under `path` (`"dir/name"`); the tree's key is named after the last path
  /// component (the tree's `name` is replaced by it). Its branches are written as one basket each.
  /// - Throws: `ROOTIOError` if the path is empty or taken, or the branches differ in length,
  ///   repeat a name or have an invalid one.
  public func add(_ tree: FlatTree, at path: String) throws {
    if let problem = tree.problem { throw ROOTIOError(file: "(writer)", key: path, message: problem) }
    try insert(at: path) { name in
      var t = tree
      t.name = name
      return .tree(t)
    }
  }

  private func insert(at path: String, _ entry: (String) -> Entry) throws {
    func fail(_ message: String) -> ROOTIOError { ROOTIOError(file: "(writer)", key: path, message: message) }
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard let name = parts.last, !name.isEmpty else { throw fail("empty object name") }
    for part in parts {
      guard !part.isEmpty, !part.contains(";"), part.utf8.count < 255 else {
        throw fail("invalid path component '\(part)' (empty, containing ';', or 255 bytes or longer)")
      }
    }
    var current = 0
    for part in parts.dropLast() {
      switch directories[current].kinds[part] {
      case false?:
        throw fail("'\(part)' is an object, not a directory")
      case true?:
        current = directories[current].entries.lazy.compactMap { entry -> Int? in
          if case .directory(let index) = entry, self.directories[index].name == part { return index }
          return nil
        }.first!
      case nil:
        directories.append(Directory(name: part, parent: current))
        let index = directories.count - 1
        directories[current].entries.append(.directory(index))
        directories[current].kinds[part] = true
        current = index
      }
    }
    guard directories[current].kinds[name] == nil else { throw fail("an object named '\(name)' already exists there") }
    directories[current].entries.append(entry(name))
    directories[current].kinds[name] = false
  }

  /// The complete file; `fileName` is stored as the name of the top directory (ROOT stores the file name).
  public func fileBytes(fileName: String) throws -> [UInt8] {
    try Layout(writer: self, fileName: fileName).bytes()
  }

  /// Writes the file atomically: into a temporary file in the same directory, then `rename(2)`.
  /// - Throws: `ROOTIOError` if the file cannot be written.
  public func write(to path: String) throws {
    let name = URL(fileURLWithPath: path).lastPathComponent
    try writeFileAtomically(try fileBytes(fileName: name), to: path)
  }

  // MARK: - Layout

  /// A key header as written in the file and in its directory's keys list.
  struct Key {
    var className: String, name: String, title: String
    var objLen = 0, storedLen = 0, seekKey = 0, seekPdir = 0, cycle = 1
    /// Bytes after the title that belong to the key (a TBasket's header).
    var extra: [UInt8] = []

    var keyLen: Int { 26 + tStringSize(className) + tStringSize(name) + tStringSize(title) + extra.count }
    var nbytes: Int { keyLen + storedLen }

    func write(_ w: inout ByteWriter) {
      w.i32(nbytes)
      w.i16(4)  // key version: 32-bit seeks
      w.i32(objLen)
      w.u32(ROOTFileWriter.datime)
      w.i16(keyLen)
      w.i16(cycle)
      w.i32(seekKey)
      w.i32(seekPdir)
      w.tString(className)
      w.tString(name)
      w.tString(title)
      w.append(extra)
    }
  }

  /// Positions and contents of every record, computed in one pass before anything is written.
  private struct Layout {
    struct DirectoryPlacement {
      var key: Key?  // nil for the top directory
      var seekDir = 0, seekParent = 0
      var keysList: Key
      var entryKeys: [Key] = []
      var uuid: [UInt8] = []
    }
    struct Record {
      var key: Key
      var payload: [UInt8]  // as stored (compressed or not)
    }

    let fileName: String
    let title: String
    let compress: Int
    var records: [Record] = []  // histogram records, in file order
    var placements: [DirectoryPlacement]
    var order: [Int] = []  // directories in pre-order
    var topKey: Key
    var streamerKey: Key
    var streamerPayload: [UInt8]
    var freeKey: Key
    var end = 0
    var fileUUID: [UInt8]
    var hasTrees = false
    /// The entries of each directory, in the order added.
    let entries: [[Entry]]

    init(writer: ROOTFileWriter, fileName: String) throws {
      guard fileName.utf8.count < 255 else {
        throw ROOTIOError(file: fileName, message: "file name must be shorter than 255 bytes")
      }
      self.fileName = fileName
      title = writer.title
      let level = if case .zlib(let level) = writer.compression { max(0, min(level, 9)) } else { 0 }
      compress = level
      let dirs = writer.directories
      entries = dirs.map(\.entries)

      topKey = Key(className: "TFile", name: fileName, title: title)
      topKey.seekKey = ROOTFileWriter.begin
      topKey.objLen = tStringSize(fileName) + tStringSize(title) + ROOTFileWriter.directoryRecordSize
      topKey.storedLen = topKey.objLen
      var position = ROOTFileWriter.begin + topKey.nbytes

      var placements = dirs.enumerated().map { index, dir in
        let isTop = index == 0
        return DirectoryPlacement(key: isTop ? nil : Key(className: "TDirectory", name: dir.name, title: dir.name),
                                  keysList: Key(className: isTop ? "TFile" : "TDirectory",
                                                name: isTop ? fileName : dir.name, title: isTop ? writer.title : dir.name))
      }
      placements[0].seekDir = ROOTFileWriter.begin
      var contentHash = FNV1a()

      // Objects and sub-directories, pre-order.
      var records: [Record] = []
      var order: [Int] = []
      /// Places `object` (compressed if useful) under `key`, listed in directory `index`.
      func listed(_ key: Key, _ object: [UInt8], in index: Int) throws {
        var key = key
        contentHash.add(object)
        let stored = try ROOTFileWriter.compressIfUseful(object, level: level)
        key.objLen = object.count
        key.storedLen = stored.count
        key.seekKey = position
        key.seekPdir = placements[index].seekDir
        placements[index].entryKeys.append(key)
        records.append(Record(key: key, payload: stored))
        position += key.nbytes
      }
      func place(_ index: Int) throws {
        order.append(index)
        for entry in dirs[index].entries {
          switch entry {
          case .directory(let child):
            var key = placements[child].key!
            key.objLen = ROOTFileWriter.directoryRecordSize
            key.storedLen = key.objLen
            key.seekKey = position
            key.seekPdir = placements[index].seekDir
            placements[child].key = key
            placements[child].seekDir = position
            placements[child].seekParent = placements[index].seekDir
            placements[index].entryKeys.append(key)
            position += key.nbytes
            try place(child)
          case .histogram(let name, let histogram):
            try listed(Key(className: "TH1D", name: name, title: histogram.title), HistogramWriter.th1d(histogram, name: name), in: index)
          case .tree(let tree):
            // One basket key per branch (not listed in the directory), then the tree's key.
            var baskets: [TreeWriter.Basket] = []
            for branch in tree.branches {
              let data = branch.values.bigEndianBytes()
              contentHash.add(data)
              let stored = try ROOTFileWriter.compressIfUseful(data, level: level)
              var key = Key(className: "TBasket", name: branch.name, title: tree.name)
              key.cycle = 0
              key.extra = [UInt8](repeating: 0, count: 19)  // the header's length, for keyLen below
              key.objLen = data.count
              key.storedLen = stored.count
              key.extra = TreeWriter.basketHeader(entries: tree.entries, elementSize: branch.values.leaf.size,
                                                  keyLen: key.keyLen, objLen: data.count)
              key.seekKey = position
              key.seekPdir = placements[index].seekDir
              records.append(Record(key: key, payload: stored))
              baskets.append(TreeWriter.Basket(seek: position, nbytes: key.nbytes, totBytes: key.keyLen + data.count))
              position += key.nbytes
            }
            let key = Key(className: "TTree", name: tree.name, title: tree.title)
            try listed(key, TreeWriter.record(tree, baskets: baskets, keyLen: key.keyLen, compress: level == 0 ? 0 : 100 + level), in: index)
          }
        }
      }
      try place(0)
      hasTrees = dirs.contains { $0.entries.contains { if case .tree = $0 { true } else { false } } }
      self.records = records
      self.order = order

      // Keys lists.
      for index in order {
        var list = placements[index].keysList
        list.objLen = 4 + placements[index].entryKeys.reduce(0) { $0 + $1.keyLen }
        list.storedLen = list.objLen
        list.seekKey = position
        list.seekPdir = placements[index].seekDir
        placements[index].keysList = list
        position += list.nbytes
      }

      // StreamerInfo.
      let info = StreamerInfo.record(StreamerInfo.th1dClasses + (hasTrees ? StreamerInfo.treeClasses : []))
      streamerPayload = try ROOTFileWriter.compressIfUseful(info, level: level)
      streamerKey = Key(className: "TList", name: "StreamerInfo", title: "Doubly linked list")
      streamerKey.objLen = info.count
      streamerKey.storedLen = streamerPayload.count
      streamerKey.seekKey = position
      streamerKey.seekPdir = ROOTFileWriter.begin
      position += streamerKey.nbytes

      // Free segments: one TFree (version i16, first i32, last i32) from the end of the file.
      freeKey = Key(className: "TFile", name: fileName, title: title)
      freeKey.objLen = 10
      freeKey.storedLen = 10
      freeKey.seekKey = position
      freeKey.seekPdir = ROOTFileWriter.begin
      position += freeKey.nbytes
      end = position
      guard end < ROOTFileWriter.startBigFile else {
        throw ROOTIOError(file: fileName, message: "file would be \(end) bytes; only files below 2 GB (32-bit layout) can be written")
      }

      contentHash.add(Array(fileName.utf8))
      fileUUID = contentHash.uuid(salt: 0)
      for index in placements.indices { placements[index].uuid = contentHash.uuid(salt: UInt64(index + 1)) }
      self.placements = placements
    }

    func bytes() -> [UInt8] {
      var w = ByteWriter()
      // File header (small layout), padded to fBEGIN.
      w.append("root".utf8)
      w.i32(ROOTFileWriter.rootVersion)
      w.i32(ROOTFileWriter.begin)
      w.i32(end)
      w.i32(freeKey.seekKey)  // fSeekFree
      w.i32(freeKey.nbytes)  // fNbytesFree
      w.i32(1)  // nfree
      w.i32(topKey.keyLen + tStringSize(fileName) + tStringSize(title))  // fNbytesName
      w.u8(4)  // fUnits
      w.i32(compress == 0 ? 0 : 100 + compress)  // fCompress: ZLIB (1) × 100 + level
      w.i32(streamerKey.seekKey)  // fSeekInfo
      w.i32(streamerKey.nbytes)  // fNbytesInfo
      w.u16(1)
      w.append(fileUUID)
      w.append(repeatElement(0, count: ROOTFileWriter.begin - w.count))

      // Top directory.
      topKey.write(&w)
      w.tString(fileName)
      w.tString(title)
      directoryRecord(0, &w)

      // Objects and sub-directories, in the order placed.
      var next = 0
      func emit(_ index: Int) {
        for child in entries[index] {
          switch child {
          case .directory(let d):
            precondition(w.count == placements[d].key!.seekKey)
            placements[d].key!.write(&w)
            directoryRecord(d, &w)
            emit(d)
          case .histogram:
            let record = records[next]
            next += 1
            precondition(w.count == record.key.seekKey)
            record.key.write(&w)
            w.append(record.payload)
          case .tree(let tree):
            for _ in 0...tree.branches.count {
              let record = records[next]
              next += 1
              precondition(w.count == record.key.seekKey)
              record.key.write(&w)
              w.append(record.payload)
            }
          }
        }
      }
      emit(0)

      for index in order {
        let placement = placements[index]
        precondition(w.count == placement.keysList.seekKey)
        placement.keysList.write(&w)
        w.i32(placement.entryKeys.count)
        for key in placement.entryKeys { key.write(&w) }
      }

      precondition(w.count == streamerKey.seekKey)
      streamerKey.write(&w)
      w.append(streamerPayload)

      precondition(w.count == freeKey.seekKey)
      freeKey.write(&w)
      w.i16(1)
      w.i32(end)
      w.i32(ROOTFileWriter.startBigFile)
      precondition(w.count == end)
      return w.bytes
    }


    /// TDirectory record (version 5): ctime, mtime, `fNbytesKeys`, `fNbytesName`, `fSeekDir`,
    /// `fSeekParent`, `fSeekKeys`, the UUID (version 1 + 16 bytes), and 12 reserved zero bytes.
    private func directoryRecord(_ index: Int, _ w: inout ByteWriter) {
      let p = placements[index]
      w.i16(5)
      w.u32(ROOTFileWriter.datime)
      w.u32(ROOTFileWriter.datime)
      w.i32(p.keysList.nbytes)
      w.i32(index == 0 ? topKey.keyLen + tStringSize(fileName) + tStringSize(title) : p.key!.keyLen)
      w.i32(p.seekDir)
      w.i32(p.seekParent)
      w.i32(p.keysList.seekKey)
      w.u16(1)
      w.append(p.uuid)
      w.append(repeatElement(0, count: 12))
    }
  }

  // MARK: - Compression and output

  /// `object` as ZL blocks (at most 0xFFFFFF bytes of input each) if `level` > 0, the object is longer
  /// than 256 bytes and the blocks are shorter than it; otherwise `object` itself.
  static func compressIfUseful(_ object: [UInt8], level: Int) throws -> [UInt8] {
    guard level > 0, object.count > 256 else { return object }
    let maxBlock = 0xFF_FFFF
    var output: [UInt8] = []
    var start = 0
    while start < object.count {
      let count = min(maxBlock, object.count - start)
      var length = compressBound(uLong(count))
      var block = [UInt8](repeating: 0, count: Int(length))
      let status = object.withUnsafeBufferPointer { src in
        block.withUnsafeMutableBufferPointer { dst in
          compress2(dst.baseAddress, &length, src.baseAddress! + start, uLong(count), Int32(level))
        }
      }
      guard status == Z_OK else { throw ROOTIOError(file: "(writer)", message: "zlib compression failed with status \(status)") }
      guard Int(length) <= maxBlock else { return object }
      output.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "L"), 8])  // method: Z_DEFLATED
      for size in [Int(length), count] {
        output.append(contentsOf: [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF)])
      }
      output.append(contentsOf: block[0..<Int(length)])
      start += count
    }
    return output.count < object.count ? output : object
  }
}

/// Bytes of a TString holding `string`.
func tStringSize(_ string: String) -> Int {
  let n = string.utf8.count
  return (n < 255 ? 1 : 5) + n
}

/// FNV-1a (64-bit) over written objects, for content-derived UUIDs.
struct FNV1a {
  private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325

  mutating func add(_ bytes: [UInt8]) {
    for byte in bytes {
      state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
  }

  /// A version-4-style UUID (16 bytes) from the hash and `salt`.
  func uuid(salt: UInt64) -> [UInt8] {
    var a = self
    a.add((0..<8).map { UInt8(truncatingIfNeeded: salt >> (8 * $0)) })
    var b = a
    b.add([0x5A])
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: a.state >> (56 - 8 * $0)) }
      + (0..<8).map { UInt8(truncatingIfNeeded: b.state >> (56 - 8 * $0)) }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    return bytes
  }
}


/// Writes `histograms` (each under its `"dir/sub/name"` path, in this order) into a new ROOT file at `path`,
/// atomically. See `ROOTFileWriter`.
public func writeROOTFile(path: String, histograms: [(path: String, histogram: Histogram)],
                          compression: ROOTCompression = .zlib(level: 1), title: String = "") throws {
  let writer = ROOTFileWriter(compression: compression, title: title)
  for (objectPath, histogram) in histograms { try writer.add(histogram, at: objectPath) }
  try writer.write(to: path)
}
