import Foundation
import Plots
import Testing

/// A 3-process, 4-bin example whose sums are exact in binary floating point.
private func threeProcesses() -> StackPlotInput {
  let a = StackComponent(label: "A", values: [1, 2, 3, 4])
  let b = StackComponent(label: "B", values: [0.5, 0, 1.5, 2], color: Color(name: "red"))
  let c = StackComponent(label: "S", values: [2, 2, 2, 2], isSignal: true)
  return StackPlotInput(edges: [0, 1, 2, 3, 4], components: [a, b, c], total: [3.5, 4, 6.5, 8],
                        totalError: [0.5, 0.5, 1, 1], data: [4, 9, 6, 1])
}

/// H→4ℓ-like m4ℓ distribution: 35 bins of 1 GeV, three backgrounds, a peak at 125 GeV.
func stackSample1() -> StackPlotInput {
  let n = 35
  let centres = (0..<n).map { 105.5 + Double($0) }
  let zz = centres.map { 1.6 + 0.035 * ($0 - 105) }
  let ggzz = centres.map { 0.18 + 0.004 * ($0 - 105) }
  let zx = centres.map { 1.1 * exp(-($0 - 105) / 40) }
  let sig = centres.map { 9.5 * exp(-0.5 * pow(($0 - 125) / 1.3, 2)) + 0.25 * exp(-0.5 * pow(($0 - 122) / 5, 2)) }
  let total = (0..<n).map { zz[$0] + ggzz[$0] + zx[$0] + sig[$0] }
  // Fixed pseudo-data: the expectation rounded, shifted by a deterministic ±1, ±2 pattern.
  let shifts: [Double] = [1, -1, 0, 2, -1, 0, 1, -2, 0, 1]
  let data = (0..<n).map { max(0, (total[$0] + shifts[$0 % shifts.count] * total[$0].squareRoot() * 0.6).rounded()) }
  var input = StackPlotInput(
    edges: (0...n).map { 105 + Double($0) },
    components: [
      StackComponent(label: "Z+X", values: zx, color: Color(hex: 0x2ca02c)),
      StackComponent(label: "gg→ZZ", values: ggzz, color: Color(hex: 0x5790fc)),
      StackComponent(label: "qq̄→ZZ", values: zz, color: Color(hex: 0x9ac8fd)),
      StackComponent(label: "H(125)", values: sig, color: Color(hex: 0xf89c20), isSignal: true),
    ],
    total: total, totalError: total.map { 0.07 * $0 + 0.1 }, data: data)
  input.xTitle = "m_{4ℓ} (GeV)"
  input.yTitle = "Events / 1 GeV"
  input.text = "hzz4l_Untagged_4mu, post-fit (s+b)"
  input.style.rightLabel = "138 fb^{−1} (13 TeV)"
  return input
}

/// A counting-style channel of 8 bins spanning four decades, log y, asymmetric data errors.
func stackSample2() -> StackPlotInput {
  let ttbar: [Double] = [1800, 950, 420, 160, 55, 18, 5.5, 1.4]
  let wjets: [Double] = [900, 410, 150, 48, 14, 3.9, 1.0, 0.25]
  let other: [Double] = [240, 120, 55, 22, 8, 2.6, 0.8, 0.2]
  let sig: [Double] = [4, 6, 9, 11, 9.5, 6, 3.2, 1.5]
  let total = (0..<8).map { ttbar[$0] + wjets[$0] + other[$0] + sig[$0] }
  let data: [Double] = [2890, 1520, 611, 251, 92, 26, 12, 1]
  var input = StackPlotInput(
    edges: [200, 300, 400, 500, 600, 700, 800, 1000, 1500],
    components: [
      StackComponent(label: "Other", values: other),
      StackComponent(label: "W+jets", values: wjets),
      StackComponent(label: "tt̄", values: ttbar),
      StackComponent(label: "Signal", values: sig, color: Color(hex: 0xe42536), isSignal: true),
    ],
    total: total, totalError: total.enumerated().map { (0.05 + 0.04 * Double($0.offset)) * $0.element }, data: data)
  // Approximate Poisson 68% intervals: √(n + 1/4) ∓ 1/2.
  input.dataErrorLow = data.map { $0 > 0 ? ($0 + 0.25).squareRoot() - 0.5 : 0 }
  input.dataErrorHigh = data.map { ($0 + 0.25).squareRoot() + 0.5 }
  input.logY = true
  input.signalAsLine = true
  input.xTitle = "p_{T}^{miss} (GeV)"
  input.yTitle = "Events / bin"
  input.text = "SR_highMET, pre-fit"
  input.style.rightLabel = "138 fb^{−1} (13 TeV)"
  return input
}

private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

private func pngSize(_ b: [UInt8]) -> (Int, Int) {
  (b[16..<20].reduce(0) { $0 << 8 | Int($1) }, b[20..<24].reduce(0) { $0 << 8 | Int($1) })
}

@Suite struct StackPlotLayoutTests {
  @Test func boundariesAreRunningSums() {
    let x = threeProcesses()
    let b = stackBoundaries(x.components.map(\.values), bins: 4)
    #expect(b.count == 4)
    #expect(b[0] == [0, 0, 0, 0])
    #expect(b[1] == [1, 2, 3, 4])
    #expect(b[2] == [1.5, 2, 4.5, 6])
    #expect(b[3] == [3.5, 4, 6.5, 8])
  }

  @Test func orderAndColours() {
    var x = threeProcesses()
    x.components = [x.components[2], x.components[0], x.components[1]]  // signal first
    #expect(stackOrder(x) == [0, 1, 2])
    x.signalAsLine = true
    #expect(stackOrder(x) == [1, 2, 0])
    // Explicit colours kept; the others take the palette in order, skipping the colours chosen
    // explicitly (red is the palette's third colour).
    let p = StackComponent.palette
    #expect(p.count == 16 && p[2] == Color(hex: 0xe42536))
    #expect(stackColors(threeProcesses().components) == [p[0], p[2], p[1]])
    var y = threeProcesses()
    y.components[1].color = p[0]
    #expect(stackColors(y.components) == [p[1], p[0], p[2]])
    let many = (0..<18).map { StackComponent(label: "p\($0)", values: [1]) }
    #expect(stackColors(many)[15] == p[15] && stackColors(many)[17] == p[1])
  }

  @Test func dataErrorsDefaultToRootN() {
    var x = threeProcesses()
    let e = stackDataErrors(x)!
    #expect(e.low == [2, 3, 6.0.squareRoot(), 1] && e.high == e.low)
    x.dataErrorHigh = [2.5, 3.5, 3, 2.3]
    #expect(stackDataErrors(x)!.high == [2.5, 3.5, 3, 2.3])
    #expect(stackDataErrors(x)!.low == [2, 3, 6.0.squareRoot(), 1])
    x.data = nil
    #expect(stackDataErrors(x) == nil)
  }

  /// A zero count is drawn as its Garwood upper limit (1.84), not as a bar from the axis; a
  /// one-bin channel is one labelled bin and renders.
  @Test func zeroCountsAndOneBinChannels() throws {
    var x = threeProcesses()
    x.data = [0, 9, 6, 1]
    let g0 = 1.8410216450092636  // Garwood 68% upper limit of 0: ½ χ²₂ quantile at 0.8413
    x.dataErrorLow = [0, 3, 2, 1]
    x.dataErrorHigh = [g0, 3.5, 3, 2.3]
    let marks = try #require(stackDataMarks(x))
    #expect(marks[0] == .upperLimit(g0))
    #expect(marks[1] == .point(value: 9, low: 6, high: 12.5))
    var one = StackPlotInput(edges: [0, 1], components: [StackComponent(label: "b", values: [3.2])], total: [3.2],
                             totalError: [0.4], data: [0])
    one.binLabels = ["cr_counting"]
    one.xTitle = ""
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-onebin-\(getpid()).png").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try plotStack(one, to: path)
    #expect(FileManager.default.fileExists(atPath: path))
  }

  @Test func linearRangeHoldsDataAndBandUnderTheHeadroom() {
    var x = threeProcesses()
    // Data + √n: 4+2, 9+3, 6+√6, 1+1 → 12; total + error: 4, 4.5, 7.5, 9 → 12 wins.
    var e = stackContentExtent(x)
    #expect(e.maxContent == 12)
    #expect(e.minPositive == 1)
    let (lo, hi) = stackYRange(maxContent: e.maxContent, minPositive: e.minPositive, logY: false, headroom: 0.25)
    #expect(lo == 0 && hi == 16)
    #expect((12 - lo) / (hi - lo) == 0.75)  // the content tops out at 1 − headroom
    // Without data the band decides: max(total + error) = 9.
    x.data = nil
    e = stackContentExtent(x)
    #expect(e.maxContent == 9 && e.minPositive == 3.5)
    let r = stackYRange(maxContent: e.maxContent, minPositive: e.minPositive, logY: false, headroom: 0.4)
    #expect(abs(r.1 - 15) < 1e-12)
    #expect(stackYRange(maxContent: 0, minPositive: nil, logY: false, headroom: 0.3) == (0, 1))
    // A stack above total + error (the total includes a negative Barlow-Beeston term) decides.
    x.components[0].values[3] = 6  // stack top in bin 3: 6 + 2 + 2 = 10 > 9
    #expect(stackContentExtent(x).maxContent == 10)
  }

  @Test func logRange() {
    var x = threeProcesses()
    x.total = [0, 0.3, 50, 8]
    x.totalError = [0, 0.1, 5, 1]
    x.data = [0, 1, 40, 7]
    let e = stackContentExtent(x)
    #expect(e.minPositive == 0.3)  // the zero total and zero count are ignored
    #expect(e.maxContent == 55)  // 50 + 5 > 40 + √40
    let (lo, hi) = stackYRange(maxContent: e.maxContent, minPositive: e.minPositive, logY: true, headroom: 0.3)
    #expect(lo == 0.1)  // 10^⌊log₁₀ 0.15⌋
    #expect(abs(log10(hi) - (-1 + (log10(55) + 1) / 0.7)) < 1e-12)
    #expect(hi > 55 && lo < 0.3)
    // 0.3 of the decades are left above the content.
    #expect(abs((log10(hi) - log10(55)) / (log10(hi) - log10(lo)) - 0.3) < 1e-12)
    #expect(stackYRange(maxContent: 5, minPositive: 3, logY: true, headroom: 0).0 == 1)  // 10^⌊log₁₀ 1.5⌋
    #expect(stackYRange(maxContent: 0, minPositive: nil, logY: true, headroom: 0.3) == (0.1, 10))
  }

  @Test func ratioValuesAndSkippedBins() {
    var x = StackPlotInput(edges: [0, 1, 2, 3, 4, 5], components: [], total: [10, 0, 4, -1, 8],
                           totalError: [1, 0, 2, 0, 0.4], data: [12, 3, 2, 1, 8])
    x.dataErrorLow = [3, 1, 1, 1, 2]
    x.dataErrorHigh = [4, 2, 2, 2, 3]
    let r = stackRatio(x)
    #expect(r.map(\.bin) == [0, 2, 4])  // total ≤ 0 in bins 1 and 3
    let value: [Double] = [12.0 / 10, 2.0 / 4, 8.0 / 8]
    let low: [Double] = [3.0 / 10, 1.0 / 4, 2.0 / 8]
    let high: [Double] = [4.0 / 10, 2.0 / 4, 3.0 / 8]
    let band: [Double] = [1.0 / 10, 2.0 / 4, 0.4 / 8]
    #expect(r.map(\.value) == value)
    #expect(r.map(\.errorLow) == low)
    #expect(r.map(\.errorHigh) == high)
    #expect(r.map(\.band) == band)
    // A bin predicted below 10⁻³ of the largest is left out too (empty tails).
    var y = x
    y.total[2] = 0.009
    #expect(stackRatio(y).map(\.bin) == [0, 4])
    // Per unit width the cut compares counts: a wide bin with a small density is kept.
    var z = y
    z.edges = [0, 1, 2, 2000, 2001, 2002]
    z.dividedByBinWidth = true
    #expect(stackRatio(z).map(\.bin) == [0, 2, 4])  // bin 2: 0.009 per unit × 1998 wide ≫ 10⁻³·10
    x.data = nil
    #expect(stackRatio(x).isEmpty)
  }

  @Test func ratioRange() {
    func bin(_ v: Double, _ band: Double = 0.1) -> StackRatioBin { StackRatioBin(bin: 0, value: v, errorLow: 5, errorHigh: 5, band: band) }
    #expect(stackRatioRange([bin(1.2), bin(0.7)]) == (0.5, 1.5))  // 1.1 · 0.3 ≤ 0.5; error bars do not count
    #expect(stackRatioRange([bin(1.45)]) == (0.5, 1.5))  // 1.1 · 0.45 = 0.495 ≤ 0.5
    #expect(stackRatioRange([bin(1.46)]) == (0, 2))  // 1.1 · 0.46 = 0.506 > 0.5
    #expect(stackRatioRange([bin(0.54)]) == (0, 2))  // below 1 alike
    #expect(stackRatioRange([bin(1, 0.46)]) == (0, 2))  // the band alone: 0.506 > 0.5
    #expect(stackRatioRange([bin(1.8)]) == (0, 2))
    #expect(stackRatioRange([bin(2.5)]) == (0, 3))
    #expect(stackRatioRange([bin(9)]) == (0, 3))  // capped; drawn as an arrow
    #expect(stackRatioRange([]) == (0.5, 1.5))
  }
}

@Suite struct StackPlotValidationTests {
  @Test func validInputPasses() throws {
    try threeProcesses().validate()
  }

  @Test func invalidInputsThrow() {
    var x = threeProcesses()
    x.edges = [0, 1, 1, 3, 4]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.edges = [0, 1, 2, 3]  // 3 bins, 4 values
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.edges = [0]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.edges[4] = .infinity
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.components[1].values = [1, 2, 3]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.components[2].values[1] = .nan
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.total[0] = .nan
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.totalError = [0.5, 0.5, 1]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.totalError[2] = -1
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.data = [1, 2, 3, -4]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.dataErrorHigh = [1, 1]
    #expect(throws: PlotError.self) { try x.validate() }
    x = threeProcesses(); x.dataErrorLow = [1, 1, .nan, 1]
    #expect(throws: PlotError.self) { try x.validate() }
  }

  @Test func messageNamesTheProblem() {
    var x = threeProcesses()
    x.components[1].values = [1, 2, 3]
    do { try x.validate(); Issue.record("no error") } catch {
      #expect("\(error)" == "stack plot: component 'B' has 3 values but there are 4 bins (5 edges)")
    }
  }
}

@Suite struct StackPlotRenderTests {
  /// The shared figure directory of the Plots tests (figures are kept there to be looked at).
  let dir = figureDir

  func bytes(_ p: String) -> [UInt8] { fileBytes(p) }

  @Test func pngPdfSvg() throws {
    var x = threeProcesses()
    x.text = "ch1, post-fit (s+b)"
    try plotStack(x, to: "\(dir)/stack.png")
    let png = bytes("\(dir)/stack.png")
    #expect(png.starts(with: pngSignature))
    // 2× pixels; the ratio panel adds 30% of the height: 600 × (520 + 156).
    #expect(pngSize(png) == (1200, 1352))
    x.data = nil
    try plotStack(x, to: "\(dir)/stack-nodata.png")
    #expect(pngSize(bytes("\(dir)/stack-nodata.png")) == (1200, 1040))
    x = threeProcesses(); x.logY = true; x.signalAsLine = true
    try plotStack(x, to: "\(dir)/stack.pdf")
    #expect(bytes("\(dir)/stack.pdf").starts(with: Array("%PDF".utf8)))
    try plotStack(x, to: "\(dir)/stack.svg")
    #expect(String(decoding: bytes("\(dir)/stack.svg").prefix(5), as: UTF8.self) == "<?xml")
  }

  @Test func invalidInputWritesNothing() {
    var x = threeProcesses()
    x.total[2] = .nan
    let p = "\(dir)/bad.png"
    #expect(throws: PlotError.self) { try plotStack(x, to: p) }
    #expect(!FileManager.default.fileExists(atPath: p))
  }

  @Test func samples() throws {
    for (k, x) in [stackSample1(), stackSample2()].enumerated() {
      let p = "\(dir)/stack-sample\(k + 1).png"
      try x.validate()
      try plotStack(x, to: p)
      #expect(bytes(p).starts(with: pngSignature))
    }
  }
}
