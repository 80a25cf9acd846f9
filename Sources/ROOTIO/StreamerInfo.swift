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
