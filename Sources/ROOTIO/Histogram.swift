/// A one- or two-dimensional ROOT histogram (`TH1D`, `TH1F`, `TH1I`, `TH1S`, `TH1C`, `TH2D`, `TH2F`, `TH2I`,
/// `TH2S`, `TH2C`), with bin contents converted to `Double`.
///
/// Bins use ROOT's global numbering, which includes under- and overflow: for 1D, bin 0 is the underflow,
/// bins 1…`nbinsX` are in range and `nbinsX + 1` is the overflow; for 2D, the global bin of `(ix, iy)`
/// is `ix + (nbinsX + 2)·iy`, with `ix` in 0…`nbinsX + 1` and `iy` in 0…`nbinsY + 1`.
public struct Histogram: Sendable, Equatable {
  /// Object name.
  public var name: String
  /// Object title.
  public var title: String
  /// ROOT class name, e.g. `"TH1D"`.
  public var className: String
  /// 1 or 2.
  public var dimension: Int
  /// Number of in-range bins along x.
  public var nbinsX: Int
  /// Number of in-range bins along y; 1 for a 1D histogram (ROOT's convention, so that
  /// `contents.count == (nbinsX + 2)·(nbinsY + 2)` holds only for 2D).
  public var nbinsY: Int
  /// The `nbinsX + 1` bin edges along x. For uniform binning they are `xmin + i·width` with
  /// `width = (xmax − xmin)/nbinsX`, and the last edge is exactly `xmax` (as uproot and numpy's `linspace`).
  public var xEdges: [Double]
  /// The `nbinsY + 1` bin edges along y; empty for 1D.
  public var yEdges: [Double]
  /// All `fNcells` bin contents including under- and overflow, in global bin order.
  public var contents: [Double]
  /// The sum of squared weights per bin (`fSumw2`), `fNcells` values, or empty when not stored;
  /// may contain NaN (seen in real files).
  public var sumw2: [Double]

  public init(name: String, title: String, className: String, dimension: Int, nbinsX: Int, nbinsY: Int,
              xEdges: [Double], yEdges: [Double], contents: [Double], sumw2: [Double]) {
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

  /// Content of global bin `i` (for 1D: 0 = underflow, 1…`nbinsX` in range, `nbinsX + 1` = overflow).
  /// - Precondition: `0 <= i < contents.count`.
  public func binContent(_ i: Int) -> Double { contents[i] }

  /// Content of bin `(ix, iy)` of a 2D histogram, with 0 and `nbins + 1` the under- and overflow.
  public func binContent(_ ix: Int, _ iy: Int) -> Double { contents[globalBin(ix, iy)] }

  /// Error of global bin `i`: `√sumw2[i]`, or `√|content|` when `sumw2` is empty (ROOT then takes the
  /// variance to equal the content, as `TH1::GetBinError` does).
  public func binError(_ i: Int) -> Double {
    sumw2.isEmpty ? abs(contents[i]).squareRoot() : sumw2[i].squareRoot()
  }

  /// The global bin index of `(ix, iy)`: `ix + (nbinsX + 2)·iy`.
  public func globalBin(_ ix: Int, _ iy: Int) -> Int { ix + (nbinsX + 2) * iy }

  /// Global indices of the in-range bins, x fastest.
  public var inRangeBins: [Int] {
    if dimension == 1 { return Array(1...nbinsX) }
    return (1...nbinsY).flatMap { iy in (1...nbinsX).map { ix in globalBin(ix, iy) } }
  }

  /// Sum of the in-range bin contents, as `TH1::Integral()` (no under- or overflow), summed in bin order.
  public func integral() -> Double { values.reduce(0, +) }

  /// In-range contents: bins 1…`nbinsX` for 1D; for 2D all in-range bins, x fastest.
  public var values: [Double] {
    dimension == 1 ? Array(contents[1...nbinsX]) : inRangeBins.map { contents[$0] }
  }

  /// In-range errors (see `binError(_:)`), in the order of `values`.
  public var errors: [Double] { inRangeBins.map(binError) }
}
