/// The StreamerInfo record of a written file: a `TList` of `TStreamerInfo`, one per class that a TH1D
/// (TH1D v3, TH1 v8, TAxis v10, as ROOT 6.24 defines them) needs, so that ROOT can read the objects.
///
/// Each `TStreamerInfo` is `TNamed` (the class name), `fCheckSum`, `fClassVersion`, and a `TObjArray`
/// of `TStreamerElement` subclasses. Class names, versions, checksums, member types and comments are
/// ROOT's own (the checksums are what ROOT computes for these class versions, so ROOT accepts them).
/// Every object in the list carries a full new-class tag (no back-references), as uproot writes it.
enum StreamerInfo {
  /// ROOT's `TStreamerInfo::EReadWrite` codes used here.
  enum TypeCode {
    static let base = 0, short = 2, int = 3, float = 5, counter = 6, double = 8
    static let ushort = 12, uint = 13, bits = 15, bool = 18
    static let pointerToBasic = 40, object = 61, any = 62, objectPointer = 63, anyPointer = 64
    static let tString = 65, tObject = 66, tNamed = 67
  }

  /// One member (or base class) of a class.
  struct Element {
    enum Kind {
      /// A base class: its version and checksum.
      case base(version: Int, checksum: UInt32)
      case basic, string, object, objectAny, objectPointer
      /// A variable-length array of basic type, sized by another member (`[fCount]`).
      case basicPointer(countVersion: Int, countName: String, countClass: String)
    }
    var kind: Kind
    var name: String
    var title: String
    var type: Int
    var size: Int
    var typeName: String
  }

  struct Class {
    var name: String
    var version: Int
    var checksum: UInt32
    var elements: [Element]
  }

  // Element constructors.
  static func base(_ name: String, _ title: String, version: Int, checksum: UInt32, type: Int = TypeCode.base) -> Element {
    Element(kind: .base(version: version, checksum: checksum), name: name, title: title, type: type, size: 0, typeName: "BASE")
  }
  static func basic(_ name: String, _ title: String, _ type: Int, _ size: Int, _ typeName: String) -> Element {
    Element(kind: .basic, name: name, title: title, type: type, size: size, typeName: typeName)
  }
  static func string(_ name: String, _ title: String) -> Element {
    Element(kind: .string, name: name, title: title, type: TypeCode.tString, size: 24, typeName: "TString")
  }
  static func arrayD(_ name: String, _ title: String) -> Element {
    Element(kind: .objectAny, name: name, title: title, type: TypeCode.any, size: 24, typeName: "TArrayD")
  }
  static func axis(_ name: String, _ title: String) -> Element {
    Element(kind: .object, name: name, title: title, type: TypeCode.object, size: 216, typeName: "TAxis")
  }
  static func pointer(_ name: String, _ title: String, _ type: Int, _ typeName: String) -> Element {
    Element(kind: .objectPointer, name: name, title: title, type: type, size: 8, typeName: typeName)
  }

  static let tObjectChecksum: UInt32 = 0x901B_C02D
  static let tNamedChecksum: UInt32 = 0xDFB7_4A3C
  static let tCollectionChecksum: UInt32 = 0x57E3_CB9C
  static let tSeqCollectionChecksum: UInt32 = 0xFC6C_3BC6
  static let tListChecksum: UInt32 = 0x69C5_C3BB
  static let tAttAxisChecksum: UInt32 = 0x5C6F_FF3E
  static let tAttLineChecksum: UInt32 = 0x9407_4549
  static let tAttFillChecksum: UInt32 = 0xFFD9_2A92
  static let tAttMarkerChecksum: UInt32 = 0x291D_8BEC
  static let th1Checksum: UInt32 = 0x1C37_40C4
  static let tArrayDChecksum: UInt32 = 0x7139_EF34

  static let tObjectBase = base("TObject", "Basic ROOT object", version: 1, checksum: tObjectChecksum, type: TypeCode.tObject)
  static let tNamedBase = base("TNamed", "The basis for a named object (name, title)", version: 1,
                               checksum: tNamedChecksum, type: TypeCode.tNamed)

  /// The classes a TH1D needs, in the order uproot lists them.
  static let th1dClasses: [Class] = {
    let T = TypeCode.self
    return [
      Class(name: "TCollection", version: 3, checksum: tCollectionChecksum, elements: [
        tObjectBase,
        string("fName", "name of the collection"),
        basic("fSize", "number of elements in collection", T.int, 4, "int"),
      ]),
      Class(name: "TSeqCollection", version: 0, checksum: tSeqCollectionChecksum, elements: [
        base("TCollection", "Collection abstract base class", version: 3, checksum: tCollectionChecksum),
      ]),
      Class(name: "TList", version: 5, checksum: tListChecksum, elements: [
        base("TSeqCollection", "Sequenceable collection ABC", version: 0, checksum: tSeqCollectionChecksum),
      ]),
      Class(name: "THashList", version: 0, checksum: 0xCC7E_49C1, elements: [
        base("TList", "Doubly linked list", version: 5, checksum: tListChecksum),
      ]),
      Class(name: "TAttAxis", version: 4, checksum: tAttAxisChecksum, elements: [
        basic("fNdivisions", "Number of divisions(10000*n3 + 100*n2 + n1)", T.int, 4, "int"),
        basic("fAxisColor", "Color of the line axis", T.short, 2, "short"),
        basic("fLabelColor", "Color of labels", T.short, 2, "short"),
        basic("fLabelFont", "Font for labels", T.short, 2, "short"),
        basic("fLabelOffset", "Offset of labels", T.float, 4, "float"),
        basic("fLabelSize", "Size of labels", T.float, 4, "float"),
        basic("fTickLength", "Length of tick marks", T.float, 4, "float"),
        basic("fTitleOffset", "Offset of axis title", T.float, 4, "float"),
        basic("fTitleSize", "Size of axis title", T.float, 4, "float"),
        basic("fTitleColor", "Color of axis title", T.short, 2, "short"),
        basic("fTitleFont", "Font for axis title", T.short, 2, "short"),
      ]),
      Class(name: "TAxis", version: 10, checksum: 0x5A49_6E70, elements: [
        tNamedBase,
        base("TAttAxis", "Axis attributes", version: 4, checksum: tAttAxisChecksum),
        basic("fNbins", "Number of bins", T.int, 4, "int"),
        basic("fXmin", "low edge of first bin", T.double, 8, "double"),
        basic("fXmax", "upper edge of last bin", T.double, 8, "double"),
        arrayD("fXbins", "Bin edges array in X"),
        basic("fFirst", "first bin to display", T.int, 4, "int"),
        basic("fLast", "last bin to display", T.int, 4, "int"),
        basic("fBits2", "second bit status word", T.ushort, 2, "unsigned short"),
        basic("fTimeDisplay", "on/off displaying time values instead of numerics", T.bool, 1, "bool"),
        string("fTimeFormat", "Date&time format, ex: 09/12/99 12:34:00"),
        pointer("fLabels", "List of labels", T.anyPointer, "THashList*"),
        pointer("fModLabs", "List of modified labels", T.anyPointer, "TList*"),
      ]),
      Class(name: "TAttMarker", version: 2, checksum: tAttMarkerChecksum, elements: [
        basic("fMarkerColor", "Marker color", T.short, 2, "short"),
        basic("fMarkerStyle", "Marker style", T.short, 2, "short"),
        basic("fMarkerSize", "Marker size", T.float, 4, "float"),
      ]),
      Class(name: "TAttFill", version: 2, checksum: tAttFillChecksum, elements: [
        basic("fFillColor", "Fill area color", T.short, 2, "short"),
        basic("fFillStyle", "Fill area style", T.short, 2, "short"),
      ]),
      Class(name: "TAttLine", version: 2, checksum: tAttLineChecksum, elements: [
        basic("fLineColor", "Line color", T.short, 2, "short"),
        basic("fLineStyle", "Line style", T.short, 2, "short"),
        basic("fLineWidth", "Line width", T.short, 2, "short"),
      ]),
      Class(name: "TString", version: 2, checksum: 0x0001_7419, elements: []),
      Class(name: "TObject", version: 1, checksum: tObjectChecksum, elements: [
        basic("fUniqueID", "object unique identifier", T.uint, 4, "unsigned int"),
        basic("fBits", "bit field status word", T.bits, 4, "unsigned int"),
      ]),
      Class(name: "TNamed", version: 1, checksum: tNamedChecksum, elements: [
        tObjectBase,
        string("fName", "object identifier"),
        string("fTitle", "object title"),
      ]),
      Class(name: "TH1", version: 8, checksum: th1Checksum, elements: [
        tNamedBase,
        base("TAttLine", "Line attributes", version: 2, checksum: tAttLineChecksum),
        base("TAttFill", "Fill area attributes", version: 2, checksum: tAttFillChecksum),
        base("TAttMarker", "Marker attributes", version: 2, checksum: tAttMarkerChecksum),
        basic("fNcells", "number of bins(1D), cells (2D) +U/Overflows", T.int, 4, "int"),
        axis("fXaxis", "X axis descriptor"),
        axis("fYaxis", "Y axis descriptor"),
        axis("fZaxis", "Z axis descriptor"),
        basic("fBarOffset", "(1000*offset) for bar charts or legos", T.short, 2, "short"),
        basic("fBarWidth", "(1000*width) for bar charts or legos", T.short, 2, "short"),
        basic("fEntries", "Number of entries", T.double, 8, "double"),
        basic("fTsumw", "Total Sum of weights", T.double, 8, "double"),
        basic("fTsumw2", "Total Sum of squares of weights", T.double, 8, "double"),
        basic("fTsumwx", "Total Sum of weight*X", T.double, 8, "double"),
        basic("fTsumwx2", "Total Sum of weight*X*X", T.double, 8, "double"),
        basic("fMaximum", "Maximum value for plotting", T.double, 8, "double"),
        basic("fMinimum", "Minimum value for plotting", T.double, 8, "double"),
        basic("fNormFactor", "Normalization factor", T.double, 8, "double"),
        arrayD("fContour", "Array to display contour levels"),
        arrayD("fSumw2", "Array of sum of squares of weights"),
        string("fOption", "histogram options"),
        pointer("fFunctions", "->Pointer to list of functions (fits and user)", T.objectPointer, "TList*"),
        basic("fBufferSize", "fBuffer size", T.counter, 4, "int"),
        Element(kind: .basicPointer(countVersion: 8, countName: "fBufferSize", countClass: "TH1"),
                name: "fBuffer", title: "[fBufferSize] entry buffer", type: T.pointerToBasic + T.double, size: 8,
                typeName: "double*"),
        basic("fBinStatErrOpt", "option for bin statistical errors", T.int, 4, "TH1::EBinErrorOpt"),
        basic("fStatOverflows", "per object flag to use under/overflows in statistics", T.int, 4, "TH1::EStatOverflows"),
      ]),
      Class(name: "TH1D", version: 3, checksum: 0xF9B1_569F, elements: [
        base("TH1", "1-Dim histogram base class", version: 8, checksum: th1Checksum),
        base("TArrayD", "Array of doubles", version: 1, checksum: tArrayDChecksum),
      ]),
    ]
  }()

  /// The classes a flat TTree needs (TTree v20, TBranch v13, the leaves, TObjArray, TIOFeatures),
  /// with ROOT 6's checksums.
  static let treeClasses: [Class] = {
    let T = TypeCode.self
    func any(_ name: String, _ title: String, _ size: Int, _ typeName: String) -> Element {
      Element(kind: .objectAny, name: name, title: title, type: T.any, size: size, typeName: typeName)
    }
    func objArray(_ name: String, _ title: String) -> Element {
      Element(kind: .object, name: name, title: title, type: T.object, size: 64, typeName: "TObjArray")
    }
    func array(_ name: String, _ title: String, _ type: Int, _ size: Int, _ typeName: String, count: String, cls: String, version: Int) -> Element {
      Element(kind: .basicPointer(countVersion: version, countName: count, countClass: cls), name: name, title: title,
              type: T.pointerToBasic + type, size: size, typeName: typeName)
    }
    let long = 16
    let tLeafChecksum: UInt32 = 0x6D1E_8152
    func leaf(_ cls: String, _ checksum: UInt32, _ type: Int, _ size: Int, _ typeName: String) -> Class {
      Class(name: cls, version: 1, checksum: checksum, elements: [
        base("TLeaf", "Leaf: description of a Branch data type", version: 2, checksum: tLeafChecksum),
        basic("fMinimum", "Minimum value if leaf range is specified", type, size, typeName),
        basic("fMaximum", "Maximum value if leaf range is specified", type, size, typeName),
      ])
    }
    return [
      Class(name: "TObjArray", version: 3, checksum: 0xA99E_6552, elements: [
        base("TSeqCollection", "Sequenceable collection ABC", version: 0, checksum: tSeqCollectionChecksum),
        basic("fLowerBound", "Lower bound of the array", T.int, 4, "int"),
        basic("fLast", "Last element in array containing an object", T.int, 4, "int"),
      ]),
      Class(name: "ROOT::TIOFeatures", version: 1, checksum: 0x1AA1_2F10, elements: [
        basic("fIOBits", "", 11, 1, "unsigned char"),
      ]),
      Class(name: "TLeaf", version: 2, checksum: tLeafChecksum, elements: [
        tNamedBase,
        basic("fLen", "Number of fixed length elements in the leaf's data.", T.int, 4, "int"),
        basic("fLenType", "Number of bytes for this data type", T.int, 4, "int"),
        basic("fOffset", "Offset in ClonesArray object (if one)", T.int, 4, "int"),
        basic("fIsRange", "(=kTRUE if leaf has a range, kFALSE otherwise).  This is equivalent to being a 'leafcount'.  For a TLeafElement the range information is actually store in the TBranchElement.", T.bool, 1, "bool"),
        basic("fIsUnsigned", "(=kTRUE if unsigned, kFALSE otherwise)", T.bool, 1, "bool"),
        pointer("fLeafCount", "Pointer to Leaf count if variable length (we do not own the counter)", T.anyPointer, "TLeaf*"),
      ]),
      leaf("TLeafI", 0x7E6A_AE19, T.int, 4, "int"),
      leaf("TLeafL", 0xDE32_0862, long, 8, "long long"),
      leaf("TLeafF", 0x3ADD_9D72, T.float, 4, "float"),
      leaf("TLeafD", 0x118E_8776, T.double, 8, "double"),
      Class(name: "TBranch", version: 13, checksum: 0x1097_8AAC, elements: [
        tNamedBase,
        base("TAttFill", "Fill area attributes", version: 2, checksum: tAttFillChecksum),
        basic("fCompress", "Compression level and algorithm", T.int, 4, "int"),
        basic("fBasketSize", "Initial Size of  Basket Buffer", T.int, 4, "int"),
        basic("fEntryOffsetLen", "Initial Length of fEntryOffset table in the basket buffers", T.int, 4, "int"),
        basic("fWriteBasket", "Last basket number written", T.int, 4, "int"),
        basic("fEntryNumber", "Current entry number (last one filled in this branch)", long, 8, "long long"),
        any("fIOFeatures", "IO features for newly-created baskets.", 1, "ROOT::TIOFeatures"),
        basic("fOffset", "Offset of this branch", T.int, 4, "int"),
        basic("fMaxBaskets", "Maximum number of Baskets so far", T.counter, 4, "int"),
        basic("fSplitLevel", "Branch split level", T.int, 4, "int"),
        basic("fEntries", "Number of entries", long, 8, "long long"),
        basic("fFirstEntry", "Number of the first entry in this branch", long, 8, "long long"),
        basic("fTotBytes", "Total number of bytes in all leaves before compression", long, 8, "long long"),
        basic("fZipBytes", "Total number of bytes in all leaves after compression", long, 8, "long long"),
        objArray("fBranches", "-> List of Branches of this branch"),
        objArray("fLeaves", "-> List of leaves of this branch"),
        objArray("fBaskets", "-> List of baskets of this branch"),
        array("fBasketBytes", "[fMaxBaskets] Length of baskets on file", T.int, 4, "int*", count: "fMaxBaskets", cls: "TBranch", version: 13),
        array("fBasketEntry", "[fMaxBaskets] Table of first entry in each basket", long, 8, "long long*", count: "fMaxBaskets", cls: "TBranch", version: 13),
        array("fBasketSeek", "[fMaxBaskets] Addresses of baskets on file", long, 8, "long long*", count: "fMaxBaskets", cls: "TBranch", version: 13),
        string("fFileName", "Name of file where buffers are stored (\"\" if in same file as Tree header)"),
      ]),
      Class(name: "TTree", version: 20, checksum: 0x7264_E07F, elements: [
        tNamedBase,
        base("TAttLine", "Line attributes", version: 2, checksum: tAttLineChecksum),
        base("TAttFill", "Fill area attributes", version: 2, checksum: tAttFillChecksum),
        base("TAttMarker", "Marker attributes", version: 2, checksum: tAttMarkerChecksum),
        basic("fEntries", "Number of entries", long, 8, "long long"),
        basic("fTotBytes", "Total number of bytes in all branches before compression", long, 8, "long long"),
        basic("fZipBytes", "Total number of bytes in all branches after compression", long, 8, "long long"),
        basic("fSavedBytes", "Number of autosaved bytes", long, 8, "long long"),
        basic("fFlushedBytes", "Number of auto-flushed bytes", long, 8, "long long"),
        basic("fWeight", "Tree weight (see TTree::SetWeight)", T.double, 8, "double"),
        basic("fTimerInterval", "Timer interval in milliseconds", T.int, 4, "int"),
        basic("fScanField", "Number of runs before prompting in Scan", T.int, 4, "int"),
        basic("fUpdate", "Update frequency for EntryLoop", T.int, 4, "int"),
        basic("fDefaultEntryOffsetLen", "Initial Length of fEntryOffset table in the basket buffers", T.int, 4, "int"),
        basic("fNClusterRange", "Number of Cluster range in addition to the one defined by 'AutoFlush'", T.counter, 4, "int"),
        basic("fMaxEntries", "Maximum number of entries in case of circular buffers", long, 8, "long long"),
        basic("fMaxEntryLoop", "Maximum number of entries to process", long, 8, "long long"),
        basic("fMaxVirtualSize", "Maximum total size of buffers kept in memory", long, 8, "long long"),
        basic("fAutoSave", "Autosave tree when fAutoSave entries written or -fAutoSave (compressed) bytes produced", long, 8, "long long"),
        basic("fAutoFlush", "Auto-flush tree when fAutoFlush entries written or -fAutoFlush (compressed) bytes produced", long, 8, "long long"),
        basic("fEstimate", "Number of entries to estimate histogram limits", long, 8, "long long"),
        array("fClusterRangeEnd", "[fNClusterRange] Last entry of a cluster range.", long, 8, "long long*", count: "fNClusterRange", cls: "TTree", version: 20),
        array("fClusterSize", "[fNClusterRange] Number of entries in each cluster for a given range.", long, 8, "long long*", count: "fNClusterRange", cls: "TTree", version: 20),
        any("fIOFeatures", "IO features to define for newly-written baskets and branches.", 1, "ROOT::TIOFeatures"),
        objArray("fBranches", "List of Branches"),
        objArray("fLeaves", "Direct pointers to individual branch leaves"),
        pointer("fAliases", "List of aliases for expressions based on the tree branches.", T.anyPointer, "TList*"),
        any("fIndexValues", "Sorted index values", 24, "TArrayD"),
        any("fIndex", "Index of sorted values", 24, "TArrayI"),
        pointer("fTreeIndex", "Pointer to the tree Index (if any)", T.anyPointer, "TVirtualIndex*"),
        pointer("fFriends", "pointer to list of friend elements", T.anyPointer, "TList*"),
        pointer("fUserInfo", "pointer to a list of user objects associated to this Tree", T.anyPointer, "TList*"),
        pointer("fBranchRef", "Branch supporting the TRefTable (if any)", T.anyPointer, "TBranchRef*"),
      ]),
    ]
  }()

  /// The uncompressed StreamerInfo object: TList (version 5) of every class in `classes`,
  /// each followed by its (empty) option string.
  static func record(_ classes: [Class]) -> [UInt8] {
    var w = ByteWriter()
    w.versioned(5) { w in
      w.tObject(bits: TObjectBits.notDeleted)
      w.tString("")
      w.i32(classes.count)
      for cls in classes {
        w.taggedObject("TStreamerInfo") { w in streamerInfo(cls, into: &w) }
        w.tString("")  // the TList entry's option
      }
    }
    return w.bytes
  }

  /// TStreamerInfo (version 9): TNamed, `fCheckSum`, `fClassVersion`, the `TObjArray` of elements.
  static func streamerInfo(_ cls: Class, into w: inout ByteWriter) {
    w.versioned(9) { w in
      // kIsOnHeap | kNotDeleted | TStreamerInfo::kIsCompiled (bit 16), as ROOT writes it.
      w.tNamed(cls.name, "", bits: TObjectBits.isOnHeap | TObjectBits.notDeleted | 0x1_0000)
      w.u32(cls.checksum)
      w.i32(cls.version)
      w.taggedObject("TObjArray") { w in
        w.versioned(3) { w in
          w.tObject(bits: TObjectBits.notDeleted)
          w.tString("")
          w.i32(cls.elements.count)
          w.i32(0)  // fLowerBound
          for element in cls.elements { self.element(element, into: &w) }
        }
      }
    }
  }

  /// One TStreamerElement subclass, through a tagged pointer: the subclass header, then
  /// TStreamerElement (version 4): TNamed, `fType`, `fSize`, `fArrayLength`, `fArrayDim`,
  /// `fMaxIndex[5]` (a base class stores its checksum in `fMaxIndex[1]`), `fTypeName`.
  static func element(_ e: Element, into w: inout ByteWriter) {
    let (className, version): (String, Int) = switch e.kind {
    case .base: ("TStreamerBase", 3)
    case .basic: ("TStreamerBasicType", 2)
    case .string: ("TStreamerString", 2)
    case .object: ("TStreamerObject", 2)
    case .objectAny: ("TStreamerObjectAny", 2)
    case .objectPointer: ("TStreamerObjectPointer", 2)
    case .basicPointer: ("TStreamerBasicPointer", 2)
    }
    w.taggedObject(className) { w in
      w.versioned(version) { w in
        w.versioned(4) { w in
          w.tNamed(e.name, e.title, bits: TObjectBits.isOnHeap | TObjectBits.notDeleted)
          w.i32(e.type)
          w.i32(e.size)
          w.i32(0)  // fArrayLength
          w.i32(0)  // fArrayDim
          var maxIndex: [UInt32] = [0, 0, 0, 0, 0]
          if case .base(_, let checksum) = e.kind { maxIndex[1] = checksum }
          for m in maxIndex { w.u32(m) }
          w.tString(e.typeName)
        }
        switch e.kind {
        case .base(let baseVersion, _):
          w.i32(baseVersion)
        case .basicPointer(let countVersion, let countName, let countClass):
          w.i32(countVersion)
          w.tString(countName)
          w.tString(countClass)
        default:
          break
        }
      }
    }
  }
}
