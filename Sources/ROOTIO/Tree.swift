//===--- Tree.swift -------------------------------------------------------===//
// Flat TTrees: one leaf per branch, fixed-size numbers (D, F, I, L). The writer streams TTree
// version 20, TBranch 13 and TLeafD/F/I/L 1 as ROOT 6 does, with one basket per branch (a TBasket
// key holding the branch's values, big-endian, compressed like every other record); the reader
// reads such trees back from any file whose baskets are keys of their own (ROOT's, uproot's, ours).
//
// TTree record layout (after the key): byte count | version 20 | TNamed | TAttLine | TAttFill |
// TAttMarker | fEntries, fTotBytes, fZipBytes, fSavedBytes, fFlushedBytes (i64) | fWeight (f64) |
// fTimerInterval, fScanField, fUpdate, fDefaultEntryOffsetLen, fNClusterRange (i32) | fMaxEntries,
// fMaxEntryLoop, fMaxVirtualSize, fAutoSave, fAutoFlush, fEstimate (i64) | fClusterRangeEnd,
// fClusterSize ([fNClusterRange] i64, each after a one-byte "array present" marker) | fIOFeatures |
// fBranches (TObjArray of TBranch) | fLeaves (TObjArray of references to the branches' leaves) |
// fAliases | fIndexValues | fIndex | fTreeIndex | fFriends | fUserInfo | fBranchRef.
// An object reference is the offset of the referenced object's byte count in the record buffer
// (key header included) plus 2 (ROOT's kMapOffset).
//===----------------------------------------------------------------------===//

/// The values of one branch.
public enum TreeColumn: Sendable, Equatable {
  case double([Double])
  case float([Float])
  case int([Int32])
  case long([Int64])

  public var count: Int {
    switch self {
    case .double(let v): v.count
    case .float(let v): v.count
    case .int(let v): v.count
    case .long(let v): v.count
    }
  }

  /// ROOT's leaf type letter (`/D`, `/F`, `/I`, `/L`), leaf class and element size.
  var leaf: (letter: String, className: String, size: Int) {
    switch self {
    case .double: ("D", "TLeafD", 8)
    case .float: ("F", "TLeafF", 4)
    case .int: ("I", "TLeafI", 4)
    case .long: ("L", "TLeafL", 8)
    }
  }

  /// The values as Double (for comparisons and tables).
  public var doubles: [Double] {
    switch self {
    case .double(let v): v
    case .float(let v): v.map(Double.init)
    case .int(let v): v.map(Double.init)
    case .long(let v): v.map(Double.init)
    }
  }

  func bigEndianBytes() -> [UInt8] {
    var w = ByteWriter()
    switch self {
    case .double(let v): for x in v { w.f64(x) }
    case .float(let v): for x in v { w.f32(x) }
    case .int(let v): for x in v { w.i32(Int(x)) }
    case .long(let v): for x in v { w.word64(UInt64(bitPattern: x)) }
    }
    return w.bytes
  }
}

/// A flat tree: named branches of equal length, one number per entry each.
public struct FlatTree: Sendable, Equatable {
  public var name: String
  public var title: String
  public var branches: [(name: String, values: TreeColumn)]

  public init(name: String, title: String, branches: [(name: String, values: TreeColumn)]) {
    self.name = name; self.title = title; self.branches = branches
  }

  public static func == (a: FlatTree, b: FlatTree) -> Bool {
    a.name == b.name && a.title == b.title && a.branches.count == b.branches.count
      && zip(a.branches, b.branches).allSatisfy { $0.name == $1.name && $0.values == $1.values }
  }

  public var entries: Int { branches.first?.values.count ?? 0 }

  /// The branch called `name`.
  public func column(_ name: String) -> TreeColumn? { branches.first { $0.name == name }?.values }

  /// Nil when the tree can be written, else what is wrong.
  var problem: String? {
    guard !branches.isEmpty else { return "a tree needs at least one branch" }
    let n = entries
    if let b = branches.first(where: { $0.values.count != n }) {
      return "branch '\(b.name)' has \(b.values.count) entries, the first branch \(n)"
    }
    var seen = Set<String>()
    for b in branches {
      guard !b.name.isEmpty, !b.name.contains("/"), b.name.utf8.count < 255 else { return "invalid branch name '\(b.name)'" }
      guard seen.insert(b.name).inserted else { return "branch '\(b.name)' appears twice" }
    }
    return nil
  }
}

/// Streams TTree records (see the file comment).
enum TreeWriter {
  static let basketSize = 32000
  static let maxBaskets = 10
  static let treeBits: UInt32 = TObjectBits.isOnHeap | TObjectBits.notDeleted | TObjectBits.mustCleanup
  static let branchBits: UInt32 = TObjectBits.isOnHeap | TObjectBits.notDeleted | 0x40_0000
  static let plainBits: UInt32 = TObjectBits.isOnHeap | TObjectBits.notDeleted

  /// The 19 bytes a TBasket key carries after its title: fVersion 3, fBufferSize, fNevBufSize,
  /// fNevBuf, fLast (key length + data length), and a zero flag.
  static func basketHeader(entries: Int, elementSize: Int, keyLen: Int, objLen: Int) -> [UInt8] {
    var w = ByteWriter()
    w.i16(3)
    w.i32(max(basketSize, keyLen + objLen))
    w.i32(elementSize)
    w.i32(entries)
    w.i32(keyLen + objLen)
    w.u8(0)
    return w.bytes
  }

  /// ROOT::TIOFeatures as a member: byte count, version 0 with the class checksum, fIOBits 0.
  static func ioFeatures(_ w: inout ByteWriter) {
    w.u32(0x4000_0007)
    w.i16(0)
    w.u32(0x1AA1_2F10)
    w.u8(0)
  }

  /// An inline TObjArray (version 3) whose elements `body` writes.
  static func objArray(_ w: inout ByteWriter, count: Int, _ body: (inout ByteWriter) -> Void = { _ in }) {
    w.versioned(3) { w in
      w.tObject(bits: plainBits)
      w.tString("")
      w.i32(count)
      w.i32(0)  // fLowerBound
      body(&w)
    }
  }

  /// One stored basket: its key's seek, the key's total bytes and its key + uncompressed length.
  struct Basket { var seek: Int; var nbytes: Int; var totBytes: Int }

  /// The TTree record of `tree` whose baskets are `baskets` (one per branch, in order); `keyLen` is
  /// the length of the tree's own key, the base of in-record object references; `compress` is
  /// the branches' fCompress (0, or 100 + zlib level).
  static func record(_ tree: FlatTree, baskets: [Basket], keyLen: Int, compress: Int) -> [UInt8] {
    let n = tree.entries
    let totBytes = baskets.reduce(0) { $0 + $1.totBytes }, zipBytes = baskets.reduce(0) { $0 + $1.nbytes }
    var w = ByteWriter()
    var leafOffsets: [Int] = []
    w.versioned(20) { w in
      w.tNamed(tree.name, tree.title, bits: treeBits)
      w.versioned(2) { w in w.i16(602); w.i16(1); w.i16(1) }  // TAttLine
      w.versioned(2) { w in w.i16(0); w.i16(1001) }  // TAttFill
      w.versioned(2) { w in w.i16(1); w.i16(1); w.f32(1) }  // TAttMarker
      for v in [n, totBytes, zipBytes, 0, 0] { w.i64(v) }
      w.f64(1)  // fWeight
      for v in [0, 25, 0, 1000, 0] { w.i32(v) }  // fTimerInterval … fNClusterRange
      for v in [1_000_000_000_000, 1_000_000_000_000, 0, -300_000_000, -30_000_000, 1_000_000] { w.i64(v) }
      w.u8(0); w.u8(0)  // fClusterRangeEnd, fClusterSize: empty
      ioFeatures(&w)
      objArray(&w, count: tree.branches.count) { w in
        for (k, branch) in tree.branches.enumerated() {
          let leaf = branch.values.leaf
          let b = baskets[k]
          w.taggedObject("TBranch") { w in
            w.versioned(13) { w in
              w.tNamed(branch.name, "\(branch.name)/\(leaf.letter)", bits: branchBits)
              w.versioned(2) { w in w.i16(0); w.i16(1001) }  // TAttFill
              w.i32(compress)
              w.i32(basketSize)
              w.i32(0)  // fEntryOffsetLen: fixed-size entries
              w.i32(1)  // fWriteBasket
              w.i64(n)  // fEntryNumber
              ioFeatures(&w)
              w.i32(0)  // fOffset
              w.i32(maxBaskets)
              w.i32(0)  // fSplitLevel
              w.i64(n)  // fEntries
              w.i64(0)  // fFirstEntry
              w.i64(b.totBytes)
              w.i64(b.nbytes)
              objArray(&w, count: 0)  // fBranches
              objArray(&w, count: 1) { w in
                leafOffsets.append(w.count)
                w.taggedObject(leaf.className) { w in
                  w.versioned(1) { w in
                    w.versioned(2) { w in
                      w.tNamed(branch.name, branch.name, bits: plainBits)
                      w.i32(1)  // fLen
                      w.i32(leaf.size)  // fLenType
                      w.i32(0)  // fOffset
                      w.u8(0); w.u8(0)  // fIsRange, fIsUnsigned
                      w.u32(0)  // fLeafCount: none
                    }
                    // fMinimum, fMaximum (0: no range), in the leaf's type.
                    switch branch.values {
                    case .double: w.f64(0); w.f64(0)
                    case .float: w.f32(0); w.f32(0)
                    case .int: w.i32(0); w.i32(0)
                    case .long: w.i64(0); w.i64(0)
                    }
                  }
                }
              }
              objArray(&w, count: 0)  // fBaskets: all on file
              w.u8(1)
              for i in 0..<maxBaskets { w.i32(i == 0 ? b.nbytes : 0) }
              w.u8(1)
              for i in 0..<maxBaskets { w.i64(i == 1 ? n : 0) }
              w.u8(1)
              for i in 0..<maxBaskets { w.i64(i == 0 ? b.seek : 0) }
              w.tString("")  // fFileName
            }
          }
        }
      }
      objArray(&w, count: leafOffsets.count) { w in
        for offset in leafOffsets { w.u32(UInt32(keyLen + offset + 2)) }
      }
      w.u32(0)  // fAliases
      w.i32(0)  // fIndexValues (TArrayD, empty)
      w.i32(0)  // fIndex (TArrayI, empty)
      for _ in 0..<4 { w.u32(0) }  // fTreeIndex, fFriends, fUserInfo, fBranchRef
    }
    return w.bytes
  }
}

// MARK: - Reading

extension ROOTFile {
  /// The flat tree at `objectPath` (`"limit"`, `"dir/tree"`): every branch with one fixed-size leaf
  /// (D, F, I, L, and S, B, O read as numbers), read from its baskets on file.
  /// - Throws: `ROOTIOError` naming the file and tree if the object is not a TTree, a branch has
  ///   sub-branches, several or variable-length leaves, baskets kept inside the tree record, or a
  ///   basket lies outside the file.
  public func tree(_ objectPath: String) throws -> FlatTree {
    let (className, bytes, keyLen) = try objectDataAndKeyLength(objectPath)
    return try withTreeContext(objectPath) {
      guard className == "TTree" else { throw FormatError("object is a \(className), expected a TTree") }
      return try TreeReader.read(bytes, keyLen: keyLen, file: self)
    }
  }

  func withTreeContext<T>(_ key: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as FormatError { throw ROOTIOError(file: path, key: key, message: e.message) }
  }
}

enum TreeReader {
  /// Skips a versioned member (byte count with the 0x40000000 flag) and returns its version.
  static func skipVersioned(_ c: inout ByteCursor) throws -> Int {
    let start = c.position
    let count = Int(try c.u32() & ~0x4000_0000)
    let version = try c.i16()
    try c.seek(to: start + 4 + count)
    return version
  }

  /// Reads a byte count and version, returning the version and the end of the member.
  static func header(_ c: inout ByteCursor) throws -> (version: Int, end: Int) {
    let start = c.position
    let raw = try c.u32()
    guard raw & 0x4000_0000 != 0 else { throw FormatError("expected a byte count at offset \(start)") }
    let version = try c.i16()
    return (version, start + 4 + Int(raw & ~0x4000_0000))
  }

  /// TNamed: returns (name, title).
  static func named(_ c: inout ByteCursor) throws -> (String, String) {
    let h = try header(&c)
    _ = try c.i16()  // TObject version
    _ = try c.u32()  // fUniqueID
    let bits = try c.u32()
    if bits & 0x10 != 0 { _ = try c.i16() }  // kIsReferenced: process id
    let name = try c.tString(), title = try c.tString()
    try c.seek(to: h.end)
    return (name, title)
  }

  /// A TObjArray header; returns the element count and the end of the array.
  static func objArray(_ c: inout ByteCursor) throws -> (count: Int, end: Int) {
    let h = try header(&c)
    _ = try c.i16(); _ = try c.u32()
    let bits = try c.u32()
    if bits & 0x10 != 0 { _ = try c.i16() }
    _ = try c.tString()
    let n = try c.i32()
    _ = try c.i32()  // fLowerBound
    guard n >= 0, n < 1_000_000 else { throw FormatError("invalid TObjArray size \(n)") }
    return (n, h.end)
  }

  /// An object written through a pointer: returns its class name (from a new-class tag, or an
  /// earlier tag in `classes`) and the end of the object, with the cursor at the object.
  static func pointer(_ c: inout ByteCursor, classes: inout [Int: String], keyLen: Int) throws -> (className: String, end: Int)? {
    let start = c.position
    let raw = try c.u32()
    guard raw & 0x4000_0000 != 0 else {
      if raw == 0 { return nil }
      throw FormatError("unexpected object reference at offset \(start)")
    }
    let end = start + 4 + Int(raw & ~0x4000_0000)
    let tagPosition = c.position
    let tag = try c.u32()
    let name: String
    if tag == 0xFFFF_FFFF {
      var s: [UInt8] = []
      while true { let b = try c.u8(); if b == 0 { break }; s.append(b) }
      name = String(decoding: s, as: UTF8.self)
      classes[tagPosition] = name
    } else {
      // A class seen before: the offset of its new-class tag in the record buffer (key
      // included) plus kMapOffset 2.
      let ref = Int(tag & ~0x8000_0000)
      guard let n = classes[ref - 2 - keyLen] else {
        throw FormatError("unknown class reference \(ref) at offset \(tagPosition)")
      }
      name = n
    }
    return (name, end)
  }

  static func read(_ bytes: [UInt8], keyLen: Int, file: ROOTFile) throws -> FlatTree {
    var c = try ByteCursor(bytes)
    var classes: [Int: String] = [:]
    let tree = try header(&c)
    guard (16...20).contains(tree.version) else { throw FormatError("TTree version \(tree.version) is not supported (16–20 are)") }
    let (name, title) = try named(&c)
    for _ in 0..<3 { _ = try skipVersioned(&c) }  // TAttLine, TAttFill, TAttMarker
    let entries = try c.i64()
    try c.skip(8 * 4 + 8)  // fTotBytes, fZipBytes, fSavedBytes, fFlushedBytes, fWeight
    try c.skip(4 * 4)  // fTimerInterval, fScanField, fUpdate, fDefaultEntryOffsetLen
    let nCluster = tree.version >= 19 ? try c.i32() : 0
    try c.skip(8 * 6)  // fMaxEntries … fEstimate
    if tree.version >= 19 {
      for _ in 0..<2 { if try c.u8() != 0 { try c.skip(8 * nCluster) } }
    }
    if tree.version >= 20 { _ = try skipVersioned(&c) }  // fIOFeatures
    let branches = try objArray(&c)
    var columns: [(name: String, values: TreeColumn)] = []
    for _ in 0..<branches.count {
      guard let (cls, end) = try pointer(&c, classes: &classes, keyLen: keyLen) else { continue }
      guard cls == "TBranch" else { throw FormatError("branch of class \(cls): only flat trees (TBranch) are read") }
      columns.append(try branch(&c, end: end, entries: entries, file: file, classes: &classes, keyLen: keyLen))
      try c.seek(to: end)
    }
    return FlatTree(name: name, title: title, branches: columns)
  }

  static func branch(_ c: inout ByteCursor, end: Int, entries: Int, file: ROOTFile, classes: inout [Int: String], keyLen: Int) throws
    -> (name: String, values: TreeColumn)
  {
    let h = try header(&c)
    guard (10...13).contains(h.version) else { throw FormatError("TBranch version \(h.version) is not supported (10–13 are)") }
    let (name, _) = try named(&c)
    _ = try skipVersioned(&c)  // TAttFill
    try c.skip(4 * 3)  // fCompress, fBasketSize, fEntryOffsetLen
    let writeBasket = try c.i32()
    _ = try c.i64()  // fEntryNumber
    if h.version >= 13 { _ = try skipVersioned(&c) }  // fIOFeatures
    try c.skip(4)  // fOffset
    let maxBaskets = try c.i32()
    try c.skip(4)  // fSplitLevel
    let branchEntries = try c.i64()
    try c.skip(8 * 3)  // fFirstEntry, fTotBytes, fZipBytes
    let sub = try objArray(&c)
    guard sub.count == 0 else { throw FormatError("branch '\(name)' has sub-branches: only flat trees are read") }
    try c.seek(to: sub.end)
    let leaves = try objArray(&c)
    guard leaves.count == 1, let (leafClass, leafEnd) = try pointer(&c, classes: &classes, keyLen: keyLen) else {
      throw FormatError("branch '\(name)' has \(leaves.count) leaves: only one leaf per branch is read")
    }
    // TLeafX: version, then TLeaf: TNamed, fLen, fLenType, …, fLeafCount.
    _ = try header(&c)
    _ = try header(&c)
    _ = try named(&c)
    let len = try c.i32(), lenType = try c.i32()
    try c.skip(4 + 2)  // fOffset, fIsRange, fIsUnsigned
    let leafCount = try c.u32()
    guard len == 1, leafCount == 0 else { throw FormatError("branch '\(name)': arrays and variable-length leaves are not read") }
    try c.seek(to: leafEnd)
    try c.seek(to: leaves.end)
    let baskets = try objArray(&c)
    guard baskets.count == 0 || entries == 0 || writeBasket > 0 else {
      throw FormatError("branch '\(name)' keeps its baskets inside the tree record, which is not read")
    }
    try c.seek(to: baskets.end)
    func array(_ size: Int) throws -> [Int] {
      guard try c.u8() != 0 else { return [] }
      return try (0..<maxBaskets).map { _ in size == 4 ? try c.i32() : try c.i64() }
    }
    let basketBytes = try array(4), basketEntry = try array(8), basketSeek = try array(8)
    _ = basketBytes
    guard writeBasket <= basketSeek.count, writeBasket <= basketEntry.count else { throw FormatError("branch '\(name)': invalid basket tables") }
    var raw: [UInt8] = []
    for k in 0..<writeBasket {
      let data = try file.basketData(at: basketSeek[k], branch: name)
      let n = (k + 1 < writeBasket ? basketEntry[k + 1] : branchEntries) - basketEntry[k]
      guard n >= 0, n * lenType <= data.count else { throw FormatError("branch '\(name)': basket \(k) is shorter than its \(n) entries") }
      raw += data[0..<(n * lenType)]
    }
    var r = try ByteCursor(raw)
    let n = raw.count / max(lenType, 1)
    let values: TreeColumn
    switch (leafClass, lenType) {
    case ("TLeafD", 8): values = .double(try (0..<n).map { _ in try r.f64() })
    case ("TLeafF", 4): values = .float(try (0..<n).map { _ in try r.f32() })
    case ("TLeafI", 4): values = .int(try (0..<n).map { _ in Int32(try r.i32()) })
    case ("TLeafL", 8): values = .long(try (0..<n).map { _ in Int64(try r.i64()) })
    case ("TLeafS", 2): values = .int(try (0..<n).map { _ in Int32(try r.i16()) })
    case ("TLeafB", 1), ("TLeafO", 1): values = .int(try (0..<n).map { _ in Int32(Int8(bitPattern: try r.u8())) })
    default: throw FormatError("branch '\(name)': leaf \(leafClass) of \(lenType) bytes is not read")
    }
    _ = end
    return (name, values)
  }
}
