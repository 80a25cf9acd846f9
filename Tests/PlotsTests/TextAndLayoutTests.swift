import Foundation
import Support
import Testing

@testable import Plots

/// The figures' one markup (TLatex and Unicode), the physicist's parameter names, the fonts'
/// glyph coverage, and the layout arithmetic of the impact and contour figures.
@Suite struct TextMarkupTests {
  @Test func tlatexAndUnicodeGiveTheSameRuns() {
    let a = TextMarkup.parse("#mu_{t#bar{t}#gamma}")
    let b = TextMarkup.parse("μ_{tt̄γ}")
    #expect(a == b)
    #expect(a.map(\.text) == ["μ", "tt̄γ"])
    #expect(a.map(\.level) == [0, -1])
    #expect(TextMarkup.parse("#hat{#theta}").map(\.text) == ["θ̂"])
    #expect(TextMarkup.plain("#sigma #times #it{B} (pb)") == "σ × B (pb)")
  }

  @Test func scriptsAndStacks() {
    let r = TextMarkup.parse("138 fb^{-1} (13 TeV)")
    #expect(r.map(\.text) == ["138 fb", "−1", " (13 TeV)"])
    #expect(r.map(\.level) == [0, 1, 0])
    let s = TextMarkup.parse("1.22^{+0.64}_{−0.42}")
    #expect(s.count == 3 && s[1].stack != nil && s[1].stack == s[2].stack && s[1].level == 1 && s[2].level == -1)
    #expect(TextMarkup.parse("x^{a^{2}}").map(\.level) == [0, 1, 2])
    #expect(TextMarkup.plain("c_{HG} #times 10^{3}") == "c_HG × 10³")
  }

  @Test func literalTextStaysLiteral() {
    // Nuisance names: underscores without braces, unknown commands, unbalanced braces.
    #expect(TextMarkup.parse("CMS_scale_j_13TeV").map(\.text) == ["CMS_scale_j_13TeV"])
    #expect(TextMarkup.plain("#foo bar") == "#foo bar")
    #expect(TextMarkup.plain("a_{b") == "a_{b")
    #expect(TextMarkup.plain("#bf{CMS} #it{Preliminary}") == "CMS Preliminary")
    let styled = TextMarkup.parse("#bf{CMS} #it{Preliminary}")
    #expect(styled.first?.bold == true && styled.last?.italic == true)
  }

  @Test func sameWidthForTLatexAndUnicode() throws {
    try withMeasuringCanvas { c in
      let f = FontStyle(size: 15)
      #expect(abs(c.textWidth("#mu_{ggH} #pm 0.1", font: f) - c.textWidth("μ_{ggH} ± 0.1", font: f)) < 1e-9)
      // Scripts are smaller than the text they follow.
      #expect(c.textWidth("10^{333}", font: f) < c.textWidth("10333", font: f))
    }
  }
}

@Suite struct ParameterLabelTests {
  @Test(arguments: [
    ("chgXE3", "c_{HG} #times 10^{3}"), ("chwXE2", "c_{HW} #times 10^{2}"), ("chwb", "c_{HWB}"), ("chbox", "c_{H#Box}"),
    ("chdd", "c_{HD}"), ("chl3", "c_{Hl}^{(3)}"), ("chq1", "c_{Hq}^{(1)}"), ("cuh", "c_{uH}"), ("chgtil", "c_{H#tilde{G}}"),
    ("ctg", "c_{tG}"), ("chwbtil", "c_{HW#tilde{B}}"), ("cll1XEm1", "c_{ll}^{(1)} #times 10^{-1}"),
  ])
  func warsawNames(_ poi: String, _ label: String) {
    #expect(ParameterLabels.automatic(poi) == label)
  }

  @Test func otherNamesAreNotTranslated() {
    for n in ["r", "r_ggH", "cV", "CMS_scale_j", "lumi_13TeV", "c", "cxyz"] { #expect(ParameterLabels.automatic(n) == nil, "\(n)") }
    #expect(ParameterLabels.label("r") == "r")
    #expect(ParameterLabels.label("chgXE3", translations: ["chgXE3": "C_{G}"]) == "C_{G}")
    #expect(TextMarkup.plain(ParameterLabels.label("chbox")) == "c_H□")
  }

  @Test func translationFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-translate-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("t.json"), bad = dir.appendingPathComponent("bad.json")
    try ##"{"r_ggH": "#mu_{ggH}"}"##.write(to: good, atomically: true, encoding: .utf8)
    try #"{"r_ggH": 3}"#.write(to: bad, atomically: true, encoding: .utf8)
    #expect(try ParameterLabels.readTranslations(good.path) == ["r_ggH": "#mu_{ggH}"])
    #expect(throws: FileReadError.self) { try ParameterLabels.readTranslations(bad.path) }
  }
}

@Suite struct FontTests {
  /// Every character the figures draw: the non-ASCII characters of the drawing code and the
  /// command-line tool's figure options, every TLatex symbol and accent, and printable ASCII.
  static func figureCharacters() throws -> String {
    var chars = Set<Character>((32...126).map { Character(UnicodeScalar($0)!) })
    for v in TextMarkup.symbols.values { chars.formUnion(v) }
    for (_, mark) in TextMarkup.accents { chars.insert(Character("θ\(mark)")) }
    let root = TestPaths.packageRoot
    let folders = ["Sources/Plots", "Sources/recombine"]
    for folder in folders {
      for f in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path) where f.hasSuffix(".swift") {
        let text = try String(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(f), encoding: .utf8)
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
          // String literals only.
          for m in line.matches(of: /"([^"\\]|\\.)*"/) { chars.formUnion(m.output.0.filter { !$0.isASCII }) }
        }
      }
    }
    return String(chars.sorted())
  }

  @Test func everyGlyphTheFiguresUseIsInTheirFonts() throws {
    let paths = try FigureFonts.paths()
    #expect(paths.count == 4 && paths.allSatisfy { $0.hasSuffix(".ttf") })
    let text = try Self.figureCharacters()
    #expect(text.contains("θ̂") && text.contains("ℓ") && text.contains("−") && text.contains("□"))
    for (bold, italic) in [(false, false), (true, false), (false, true), (true, true)] {
      let missing = try FigureFonts.missingGlyphs(in: text, bold: bold, italic: italic)
      #expect(missing.isEmpty, "missing in bold=\(bold) italic=\(italic): \(missing)")
    }
  }

  @Test func theCheckFindsAGlyphTheFontLacks() throws {
    // A CJK ideograph (U+6F22) is not in DejaVu Sans: the check must say so.
    #expect(try FigureFonts.missingGlyphs(in: "A\u{6F22}") == ["\u{6F22}"])
  }
}

@Suite struct ColourTests {
  @Test func rootColourNumbers() {
    #expect(Color(root: 1) == Color(0, 0, 0))
    #expect(Color(root: 2) == Color(1, 0, 0))
    #expect(Color(root: 632) == Color(1, 0, 0))          // kRed
    #expect(Color(root: 633) == Color(hex: 0xcc0000))     // kRed+1
    #expect(Color(root: 600 - 9) == Color(hex: 0x9999ff)) // kBlue-9
    #expect(Color(root: 416 + 2) == Color(hex: 0x009900)) // kGreen+2
    #expect(Color(root: 12345) == nil)
  }
}

@Suite struct ImpactLayoutTests {
  static func entries(_ names: [String], failed: Set<Int> = []) -> [ImpactPlotEntry] {
    names.enumerated().map { k, n in
      ImpactPlotEntry(name: n, fit: [-1, 0.1 * Double(k), 1], prefit: [-1, 0, 1], unconstrained: k == 2,
                      impactUp: 0.3 / Double(k + 1), impactDown: -0.25 / Double(k + 1), failed: failed.contains(k))
    }
  }

  @Test func headerTextsAndEdgeTickLabelsNeverOverlap() throws {
    let long = "CMS_htt_boosted_ggH_signal_region_jet_energy_scale_FlavorQCD_uncorrelated_2018_bin_17"
    var o = ImpactPlotOptions()
    o.poi = "c_{HG} #times 10^{3}"
    o.poiFit = [-12.3456, 1.3101, 14.9876]
    o.style.logo = "CMS"; o.style.logoSub = "Supplementary"; o.style.rightLabel = "138 fb^{-1} (13 TeV) + 19.7 fb^{-1} (8 TeV)"
    let L = try withMeasuringCanvas { impactPlotLayout(Self.entries([long, "lumi", "CMS_eff_m", long + "_2"], failed: [1]), options: o, on: $0) }
    #expect(L.boxes.count >= 9)
    for i in L.boxes.indices { for j in L.boxes.indices where j > i {
      #expect(!L.boxes[i].overlaps(L.boxes[j]), "'\(L.boxes[i].text)' overlaps '\(L.boxes[j].text)'")
    } }
    // Everything stays on the canvas; long names are shortened to their column, failed ones marked.
    for b in L.boxes { #expect(b.x0 >= 0 && b.x1 <= L.width, "\(b)") }
    try withMeasuringCanvas { c in
      for n in L.names { #expect(c.textWidth(n, font: FontStyle(size: 12), markup: false) <= L.left - 8) }
    }
    #expect(L.names.contains { $0.contains("…") })
    #expect(L.names.filter { $0.hasSuffix(" †") }.count == 1 && L.anyFailed)
  }
}

@Suite struct ContourLayoutTests {
  /// 2ΔNLL of a Gaussian with unit widths centred at (cx, cy), on [−3, 3]².
  static func grid(cx: Double = 0, cy: Double = 0, range: Double = 3, n: Int = 31, missing: (Double, Double) -> Bool = { _, _ in false }) -> Grid2D {
    let ax = (0..<n).map { -range + 2 * range * Double($0) / Double(n - 1) }
    return Grid2D(x: ax, y: ax) { x, y in missing(x, y) ? .nan : (x - cx) * (x - cx) + (y - cy) * (y - cy) }
  }

  @Test func theFrameIsTheScannedRegionWhenTheContoursClose() {
    let L = contourLayout([ContourSet(Self.grid())], levels: [Level2D.cl68, Level2D.cl95], smooth: 1, style: PlotStyle(), legendWidth: 150)
    #expect(L.xRange == (-3, 3) && L.yRange == (-3, 3))
    #expect(L.drawScannedRegion == [false])
    #expect(L.legendLeft > L.frame.right && L.width >= L.legendLeft + 150)
  }

  @Test func aContourLeavingTheScanShowsTheScannedRegion() {
    // Centred at x = 2.5: the 95% region (radius 2.45) crosses x = 3.
    let g = Self.grid(cx: 2.5)
    let cs = g.contours(levels: [Level2D.cl95])
    #expect(cs[0].lines.count == 1 && !cs[0].lines[0].isClosed && cs[0].lines[0].openEnds == [.scanBoundary, .scanBoundary])
    let L = contourLayout([ContourSet(g)], levels: [Level2D.cl68, Level2D.cl95], smooth: 1, style: PlotStyle(), legendWidth: 150)
    #expect(L.drawScannedRegion == [true])
    #expect(L.xRange.0 < -3 && L.xRange.1 > 3)  // padded so the scanned region's edge shows
  }

  @Test func pointsNotEvaluatedCutTheContourExplicitly() {
    // Points with y < −1 were not evaluated (e.g. negative yields): the regions stop there.
    let g = Self.grid(missing: { _, y in y < -1 })
    let cs = g.contours(levels: [Level2D.cl68])
    #expect(cs[0].excludedPoints == 31 * 10)
    let line = cs[0].lines[0]
    #expect(!line.isClosed && line.openEnds == [.excludedRegion, .excludedRegion])
    #expect(g.missingPoints.count == 310)
    let json = try? contoursJSON(cs)
    #expect(json?.contains("\"excludedRegion\"") == true && json?.contains("\"excludedPoints\" : 310") == true)
  }
}

@Suite struct ExcludedPointTests {
  /// Points a scan could not evaluate split the curve: intervals are computed on the stretches
  /// between them and end open next to them, never interpolated across.
  @Test func intervalsStopAtPointsNotEvaluated() throws {
    let x = (0...30).map { -3 + 0.2 * Double($0) }
    let y = x.map { v in (v > -2.5 && v < -1.5) ? Double.nan : v * v }
    let s = try Scan1D(x: x, y: y)
    #expect(s.excluded.count == 5)
    #expect(s.segments.count == 2 && abs(s.segments[1].0 + 1.4) < 1e-12)
    let one = s.interval(1)
    #expect(one.count == 1 && abs(one[0].lower + 1) < 1e-6 && abs(one[0].upper - 1) < 1e-6 && !one[0].lowerIsRangeEdge)
    let two = s.interval(4)
    #expect(two.count == 1 && abs(two[0].lower + 1.4) < 1e-9 && two[0].lowerIsRangeEdge && !two[0].upperIsRangeEdge)
    #expect(s.result(4).piecesText(digits: 1) == "[<−1.4, 2.0]")
    // Combine's error markers count as not evaluated too.
    let t = LimitTreeTable(header: ["mh", "iToy", "quantileExpected", "r", "deltaNLL"],
                           values: zip(x, y).map { a, b in [125, 0, 0.5, a, b.isNaN ? 9999 : b / 2] })
    #expect(try t.scan1D(poi: "r").excluded.count == 5)
    // Points left out of a regular grid (failed fits are not written) are found as holes.
    let holes = LimitTreeTable(header: ["mh", "iToy", "quantileExpected", "r", "deltaNLL"],
                               values: [[125, 0, -1, 0.05, 0]] + zip(x, y).filter { !$0.1.isNaN }.map { a, b in [125, 0, 0.5, a, b / 2] })
    let h = try holes.scan1D(poi: "r")
    #expect(h.excluded.count == 5 && abs(h.excluded[0] + 2.4) < 1e-9, "\(h.excluded)")
    #expect(try LimitTreeTable(header: t.header, values: [[125, 0, 0.5, 0, 0], [125, 0, 0.5, 0.5, 0.1], [125, 0, 0.5, 1.3, 0.7]])
      .scan1D(poi: "r").excluded.isEmpty)
  }
}
