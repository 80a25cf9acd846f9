/// Streams a 1D histogram as a ROOT 6 `TH1D` (v3: TH1 v8 + TArrayD), with the member values that ROOT
/// and uproot give a new histogram: `[TH1D header][TH1][TArrayD: i32 n, n f64]`, where TH1 is TNamed,
/// TAttLine, TAttFill, TAttMarker, `fNcells`, 3 × TAxis (v10), `fBarOffset`, `fBarWidth`, 8 f64
/// statistics, `fContour`, `fSumw2`, `fOption`, `fFunctions` (an empty TList streamed inline),
/// `fBufferSize`, the `fBuffer` flag byte, `fBinStatErrOpt`, `fStatOverflows`.
enum HistogramWriter {
  /// Checks that `histogram` can be written as a TH1D; returns a message if not.
  static func problem(_ h: Histogram) -> String? {
    guard h.dimension == 1 else { return "only 1D histograms can be written (this one is \(h.dimension)D)" }
    guard h.nbinsX >= 1 else { return "nbinsX is \(h.nbinsX); at least one bin is needed" }
    guard h.contents.count == h.nbinsX + 2 else {
      return "contents has \(h.contents.count) values, expected nbinsX + 2 = \(h.nbinsX + 2) (with under- and overflow)"
    }
    guard h.sumw2.isEmpty || h.sumw2.count == h.nbinsX + 2 else {
      return "sumw2 has \(h.sumw2.count) values, expected 0 or nbinsX + 2 = \(h.nbinsX + 2)"
    }
    guard h.xEdges.count == h.nbinsX + 1 else {
      return "xEdges has \(h.xEdges.count) values, expected nbinsX + 1 = \(h.nbinsX + 1)"
    }
    guard h.xEdges.allSatisfy(\.isFinite), zip(h.xEdges, h.xEdges.dropFirst()).allSatisfy({ $0 < $1 }) else {
      return "xEdges must be finite and strictly increasing"
    }
    return nil
  }

  /// Whether `edges` are exactly what a reader computes from (first, last, count) for uniform binning
  /// (`xmin + i·(xmax − xmin)/n`, last edge `xmax`), so that they can be stored without `fXbins`.
  static func isUniform(_ edges: [Double]) -> Bool {
    let n = edges.count - 1
    let (xmin, xmax) = (edges[0], edges[n])
    let width = (xmax - xmin) / Double(n)
    return (0...n).allSatisfy { i in
      (i == n ? xmax : xmin + Double(i) * width).bitPattern == edges[i].bitPattern
    }
  }

  /// The streamed TH1D; the object's name is `name` (the key name).
  static func th1d(_ h: Histogram, name: String) -> [UInt8] {
    let n = h.nbinsX
    let edges = h.xEdges
    let variances = h.sumw2.isEmpty ? h.contents : h.sumw2
    var sumw = 0.0, sumw2 = 0.0, sumwx = 0.0, sumwx2 = 0.0
    for i in 1...n {
      let x = 0.5 * (edges[i - 1] + edges[i])
      sumw += h.contents[i]
      sumw2 += variances[i]
      sumwx += h.contents[i] * x
      sumwx2 += h.contents[i] * x * x
    }
    // Entries as if filled with unit weights, including under- and overflow (as uproot sets it).
    let entries = h.contents.reduce(0, +)

    var w = ByteWriter()
    w.versioned(3) { w in  // TH1D
      w.versioned(8) { w in  // TH1
        w.tNamed(name, h.title, bits: TObjectBits.isOnHeap | TObjectBits.notDeleted | TObjectBits.mustCleanup)
        w.versioned(2) { w in  // TAttLine: kBlue+2 (602), solid, width 1
          w.i16(602); w.i16(1); w.i16(1)
        }
        w.versioned(2) { w in  // TAttFill: color 0, style 1001
          w.i16(0); w.i16(1001)
        }
        w.versioned(2) { w in  // TAttMarker: color 1, style 1, size 1
          w.i16(1); w.i16(1); w.f32(1)
        }
        w.i32(n + 2)  // fNcells
        axis(&w, name: "xaxis", edges: edges)
        axis(&w, name: "yaxis", edges: [0, 1])
        axis(&w, name: "zaxis", edges: [0, 1])
        w.i16(0)  // fBarOffset
        w.i16(1000)  // fBarWidth
        for value in [entries, sumw, sumw2, sumwx, sumwx2, -1111, -1111, 0] { w.f64(value) }
        w.arrayD([])  // fContour
        w.arrayD(h.sumw2)
        w.tString("")  // fOption
        w.versioned(5) { w in  // fFunctions: an empty TList
          w.tObject(bits: TObjectBits.isOnHeap | TObjectBits.notDeleted | 0x1_0000)
          w.tString("")
          w.i32(0)
        }
        w.i32(0)  // fBufferSize
        w.u8(0)  // fBuffer: the array-present flag of an empty basic pointer
        w.i32(0)  // fBinStatErrOpt: kNormal
        w.i32(2)  // fStatOverflows: kNeutral
      }
      w.arrayD(h.contents)  // TArrayD
    }
    return w.bytes
  }

  /// TAxis (v10): TNamed, TAttAxis (v4, ROOT's defaults), `fNbins`, `fXmin`, `fXmax`, `fXbins` (empty when
  /// uniform), `fFirst`, `fLast`, `fBits2`, `fTimeDisplay`, `fTimeFormat`, null `fLabels` and `fModLabs`.
  private static func axis(_ w: inout ByteWriter, name: String, edges: [Double]) {
    w.versioned(10) { w in
      w.tNamed(name, "", bits: TObjectBits.isOnHeap | TObjectBits.notDeleted)
      w.versioned(4) { w in
        w.i32(510)  // fNdivisions
        w.i16(1); w.i16(1); w.i16(42)  // fAxisColor, fLabelColor, fLabelFont
        for value: Float in [0.005, 0.035, 0.03, 1, 0.035] { w.f32(value) }  // label offset/size, tick, title offset/size
        w.i16(1); w.i16(42)  // fTitleColor, fTitleFont
      }
      w.i32(edges.count - 1)
      w.f64(edges[0])
      w.f64(edges[edges.count - 1])
      w.arrayD(isUniform(edges) ? [] : edges)
      w.i32(0); w.i32(0)  // fFirst, fLast
      w.u16(0)  // fBits2
      w.u8(0)  // fTimeDisplay
      w.tString("")  // fTimeFormat
      w.u32(0); w.u32(0)  // fLabels, fModLabs: null pointers
    }
  }
}
