//===--- Histogram.swift --------------------------------------------------===//
// TH1/TH2 contents as read from a ROOT file.
//===----------------------------------------------------------------------===//

/// A one- or two-dimensional ROOT histogram (TH1D, TH1F, TH1I, TH2D, TH2F, ...).
///
/// Contents are stored in ROOT's global-bin order including under- and overflow:
/// `index = ix + (nbinsX + 2)·iy`, with `ix` in 0...nbinsX+1 (0 = underflow).
public struct Histogram: Sendable, Equatable {
  public var name: String
  public var title: String
  /// The ROOT class, e.g. `TH1D`.
  public var className: String
  /// 1 or 2.
  public var dimension: Int
  public var nbinsX: Int
  /// 1 for one-dimensional histograms.
  public var nbinsY: Int
  /// nbinsX + 1 edges. Uniform axes: `xmin + i·(xmax − xmin)/nbins`, the last edge exactly `xmax`.
  public var xEdges: [Double]
  /// nbinsY + 1 edges for 2D, empty for 1D.
  public var yEdges: [Double]
  /// All fNcells contents, under- and overflow included.
  public var contents: [Double]
  /// Sum of squared weights per cell, or empty when the histogram has none (then variance = content).
  public var sumw2: [Double]

  public init(name: String, title: String = "", className: String, dimension: Int, nbinsX: Int, nbinsY: Int = 1,
              xEdges: [Double], yEdges: [Double] = [], contents: [Double], sumw2: [Double] = []) {
    self.name = name
    self.title = title
    self.className = className
    self.dimension = dimension
    self.nbinsX = nbinsX
    self.nbinsY = nbinsY
    self.xEdges = xEdges
    self.yEdges = yEdges
    self.contents = contents
    self.sumw2 = sumw2
  }

  /// Content of global bin `i` (1D: 0 = underflow, 1...nbinsX, nbinsX+1 = overflow).
  public func binContent(_ i: Int) -> Double { contents.indices.contains(i) ? contents[i] : 0 }

  /// Error of global bin `i`: √sumw2, or √|content| when no sumw2 is stored (ROOT's convention).
  public func binError(_ i: Int) -> Double {
    guard contents.indices.contains(i) else { return 0 }
    return sumw2.isEmpty ? abs(contents[i]).squareRoot() : sumw2[i].squareRoot()
  }

  /// In-range global bin indices (no under/overflow), in order.
  var inRange: [Int] {
    if dimension == 1 { return Array(1...max(nbinsX, 1)).filter { $0 <= nbinsX } }
    var r: [Int] = []
    for iy in 1...nbinsY { for ix in 1...nbinsX { r.append(ix + (nbinsX + 2) * iy) } }
    return r
  }

  /// `TH1::Integral()`: the sum of in-range contents, without under- and overflow.
  public func integral() -> Double { inRange.reduce(0) { $0 + contents[$1] } }

  /// In-range contents (1D: bins 1...nbinsX).
  public var values: [Double] { inRange.map { contents[$0] } }

  /// In-range errors.
  public var errors: [Double] { inRange.map { binError($0) } }
}
