import Foundation
import Support
import Testing

@testable import Plots

/// Where the tests leave their figures (kept, so they can be looked at).
let figureDir: String = {
  let d = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-plots-tests").path
  try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
  return d
}()

func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
  (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
}

@Suite struct MarchingSquaresTests {
  @Test func circleRadiusAndArea() {
    let g = Grid2D(x: linspace(-2, 2, 81), y: linspace(-2, 2, 81)) { x, y in x * x + y * y }
    let lines = g.contourLines(level: 1)
    #expect(lines.count == 1)
    let l = lines[0]
    #expect(l.isClosed)
    for p in l.points { #expect(abs((p.x * p.x + p.y * p.y).squareRoot() - 1) < 0.01) }
    // Counter-clockwise around the region below the level: positive area, π within 1%.
    #expect(abs(l.signedArea - Double.pi) / Double.pi < 0.01)
    // The union of the fill polygons has the same area.
    let fill = g.regionBelow(level: 1).map(shoelaceArea).reduce(0, +)
    #expect(abs(fill - Double.pi) / Double.pi < 0.01)
  }

  @Test func ellipseOfCorrelatedGaussian() {
    // 2ΔNLL = (x, y) C⁻¹ (x, y)ᵀ with σx = 1.5, σy = 0.8, ρ = 0.6: the 2.30 contour is an
    // ellipse of area π · 2.30 · √det C.
    let sx = 1.5, sy = 0.8, rho = 0.6
    let det = sx * sx * sy * sy * (1 - rho * rho)
    let (a, b, c) = (sy * sy / det, -rho * sx * sy / det, sx * sx / det)  // C⁻¹
    let g = Grid2D(x: linspace(-5, 5, 61), y: linspace(-3, 3, 41)) { x, y in a * x * x + 2 * b * x * y + c * y * y }
    let lines = g.contourLines(level: Level2D.cl68)
    #expect(lines.count == 1 && lines[0].isClosed)
    let expected = Double.pi * Level2D.cl68 * det.squareRoot()
    #expect(abs(lines[0].signedArea - expected) / expected < 0.01)
    // Smoothing a coarse version (11 × 9) by bicubic upsampling still gives the area within 1%.
    let coarse = Grid2D(x: linspace(-5, 5, 11), y: linspace(-3, 3, 9)) { x, y in a * x * x + 2 * b * x * y + c * y * y }
    let fine = coarse.upsampled(by: 6).contourLines(level: Level2D.cl68)
    #expect(fine.count == 1)
    #expect(abs(fine[0].signedArea - expected) / expected < 0.01)
  }

  @Test func openContourAtBoundaryAndTwoMinima() {
    // Two wells, the right one cut by the grid edge.
    let g = Grid2D(x: linspace(-3, 2, 51), y: linspace(-2, 2, 41)) { x, y in
      min((x + 1.5) * (x + 1.5) + y * y, (x - 2) * (x - 2) + y * y)
    }
    let lines = g.contourLines(level: 1)
    #expect(lines.filter { $0.isClosed }.count == 1)
    #expect(lines.filter { !$0.isClosed }.count == 1)
    let closed = lines.first { $0.isClosed }!
    #expect(abs(closed.signedArea - .pi) / .pi < 0.01)
  }

  @Test func saddleUsesCellCentre() {
    // Corners (0,0) and (1,1) below 1, the other two above. Centre average 1.25 → outside: two
    // separate triangles; with the centre below, one connected band.
    let sep = Grid2D(x: [0, 1], y: [0, 1], z: [[0, 2], [2, 1]])  // z[i][j]
    #expect(sep.contourLines(level: 1.1).count == 2)
    #expect(sep.regionBelow(level: 1.1).count == 2)
    let con = Grid2D(x: [0, 1], y: [0, 1], z: [[0, 1.2], [1.2, 0]])  // centre 0.6 < 1
    #expect(con.regionBelow(level: 1).count == 1)
    #expect(con.contourLines(level: 1).count == 2)
  }

  @Test func missingPointsAreSkipped() {
    var g = Grid2D(x: linspace(-2, 2, 41), y: linspace(-2, 2, 41)) { x, y in x * x + y * y }
    g.z[0][0] = .nan
    #expect(g.contourLines(level: 1).count == 1)
    g.z[30][20] = .nan  // on the circle (x = 1, y = 0)
    #expect(g.contourLines(level: 1).allSatisfy { !$0.isClosed })
  }
}

@Suite struct Scan1DTests {
  @Test func parabolaCrossingsExact() throws {
    // 2ΔNLL = ((x − 1.3)/0.4)²: crossings at 1.3 ± 0.4·√level.
    let xs = linspace(0, 3, 31)
    for kind in [SplineKind.notAKnot, .natural, .monotone] {
      let s = try Scan1D(x: xs, y: xs.map { pow(($0 - 1.3) / 0.4, 2) }, kind: kind)
      let tol = kind == .notAKnot ? 1e-9 : 2e-3
      #expect(abs(s.bestFit - 1.3) < tol, "\(kind)")
      for lv in [1.0, Level1D.cl95, 4.0] {
        let c = s.crossings(lv)
        #expect(c.count == 2, "\(kind) \(lv)")
        #expect(abs(c[0] - (1.3 - 0.4 * lv.squareRoot())) < tol, "\(kind) \(lv)")
        #expect(abs(c[1] - (1.3 + 0.4 * lv.squareRoot())) < tol, "\(kind) \(lv)")
      }
      let r = s.result()
      #expect(abs(r.up! - 0.4) < tol && abs(r.down! - 0.4) < tol)
      #expect(r.pieces.count == 1 && !r.pieces[0].lowerIsRangeEdge && !r.pieces[0].upperIsRangeEdge)
    }
  }

  @Test func doubleWellGivesTwoPieces() throws {
    // 2ΔNLL = 3 (x² − 1)²: minima at ±1, barrier 3 at 0.
    let xs = linspace(-2, 2, 81)
    let s = try Scan1D(x: xs, y: xs.map { 3 * pow($0 * $0 - 1, 2) })
    let p = s.interval(1)
    #expect(p.count == 2)
    let inner = (1 - 1 / 3.0.squareRoot()).squareRoot(), outer = (1 + 1 / 3.0.squareRoot()).squareRoot()
    #expect(abs(p[0].lower + outer) < 1e-4 && abs(p[0].upper + inner) < 1e-4)
    #expect(abs(p[1].lower - inner) < 1e-4 && abs(p[1].upper - outer) < 1e-4)
    #expect(abs(abs(s.bestFit) - 1) < 1e-4)
    // Above the barrier the 95% interval is one piece.
    let q = s.interval(Level1D.cl95)
    let end = (1 + (Level1D.cl95 / 3).squareRoot()).squareRoot()
    #expect(q.count == 1 && abs(q[0].lower + end) < 1e-4 && abs(q[0].upper - end) < 1e-4)
    #expect(s.result().piecesText(digits: 3).contains("∪"))
  }

  @Test func intervalOpenAtRangeEdge() throws {
    let xs = linspace(0, 2, 21)
    let s = try Scan1D(x: xs, y: xs.map { $0 * $0 })
    let p = s.interval(1)
    #expect(p.count == 1 && p[0].lowerIsRangeEdge && !p[0].upperIsRangeEdge)
    #expect(abs(p[0].upper - 1) < 1e-9)
  }

  @Test func rezeroWhenAPointIsBelowTheBestFit() throws {
    let xs = linspace(-1, 3, 41)
    let s = try Scan1D(x: xs, y: xs.map { ($0 - 1) * ($0 - 1) - 0.2 })
    #expect(abs(s.offset + 0.2) < 1e-9)
    let c = s.crossings(1)
    #expect(abs(c[0]) < 1e-9 && abs(c[1] - 2) < 1e-9)
  }

  @Test func formatting() throws {
    let xs = linspace(0, 3, 31)
    let s = try Scan1D(x: xs, y: xs.map { $0 < 1.2 ? pow(($0 - 1.2) / 0.42, 2) : pow(($0 - 1.2) / 0.64, 2) }, kind: .monotone)
    let m = s.result().markup(digits: 2)
    #expect(m == "1.20^{+0.64}_{−0.42}")
    #expect(formatNumber(-0.0001, digits: 2) == "0.00")
    #expect(formatNumber(-1.5, digits: 1) == "−1.5")
  }
}

@Suite struct TicksAndTableTests {
  @Test func niceTicks() {
    let t = Ticks(lo: 0, hi: 2.5, target: 6)
    #expect(t.step == 0.5 && t.major.first == 0 && t.major.last == 2.5)
    #expect(t.label(1) == "1.0")
    let u = Ticks(lo: -3.1, hi: 2.7, target: 6)
    #expect(u.step == 1 && u.major == [-3, -2, -1, 0, 1, 2])
    #expect(u.label(-2) == "−2")
    // Steps 2.5 × 10ᵏ: one decimal more than the exponent needs only below 10.
    let v = Ticks(lo: -100, hi: 50, target: 6)
    #expect(v.step == 25 && v.label(-75) == "−75")
    let w = Ticks(lo: 0, hi: 15, target: 6)
    #expect(w.step == 2.5 && w.label(7.5) == "7.5")
    let z = Ticks(lo: 0, hi: 1.5, target: 6)
    #expect(z.step == 0.25 && z.label(0.75) == "0.75")
  }

  @Test func csvColumnsByName() throws {
    let csv = """
      mh,iToy,quantileExpected,r,deltaNLL
      125,0,-1,1.2,0
      125,0,0.5,0.5,1.0
      125,0,0.5,1.0,0.1
      125,0,0.5,1.5,0.2
      125,0,0.5,2.0,1.5
      """
    let t = try LimitTreeTable(csv: csv)
    #expect(t.poiNames == ["r"])
    #expect(t.bestFitRow == 0)
    let s = try t.scan1D(poi: "r")
    #expect(s.x.count == 5)
    #expect(throws: PlotError.self) { try t.pois(["kappa"], count: 1) }
  }

  @Test func csvGrid2D() throws {
    var csv = "quantileExpected,a,b,deltaNLL\n-1,0.1,-0.2,0\n"
    for x in linspace(-2, 2, 9) { for y in linspace(-2, 2, 7) { csv += "0.5,\(x),\(y),\(0.5 * (x * x + y * y))\n" } }
    let t = try LimitTreeTable(csv: csv)
    let g = try t.grid2D(x: "a", y: "b")
    #expect(g.x.count == 9 && g.y.count == 7)
    #expect(abs(g.z[8][6] - 8) < 1e-12)
    #expect(t.bestFit(["a", "b"]) == [0.1, -0.2])
  }
}

func fileBytes(_ p: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: p) ?? Data()) }

@Suite struct RenderTests {
  func scans() throws -> [ScanCurve] {
    let xs = linspace(0, 2.5, 26)
    let obs = try Scan1D(x: xs, y: xs.map { $0 < 1.22 ? pow(($0 - 1.22) / 0.42, 2) : pow(($0 - 1.22) / 0.64, 2) })
    let exp = try Scan1D(x: xs, y: xs.map { pow(($0 - 1) / 0.55, 2) })
    return [ScanCurve(obs, label: "Observed"), ScanCurve(exp, label: "Expected", color: Color.cmsPalette[0], dash: [7, 4])]
  }

  func gaussianGrid(_ mx: Double, _ my: Double, _ sx: Double, _ sy: Double, _ rho: Double) -> Grid2D {
    let det = sx * sx * sy * sy * (1 - rho * rho)
    return Grid2D(x: (0..<20).map { -1 + 4.0 * (Double($0) + 0.5) / 20 }, y: (0..<20).map { -3 + 6.0 * (Double($0) + 0.5) / 20 }) { x, y in
      let dx = x - mx, dy = y - my
      return (sy * sy * dx * dx - 2 * rho * sx * sy * dx * dy + sx * sx * dy * dy) / det + 0.15 * dx * dx * dx
    }
  }

  @Test func scanPNGAndPDF() throws {
    let curves = try scans()
    var o = ScanPlotOptions(); o.parameter = "r"
    for ext in ["png", "pdf"] {
      let p = "\(figureDir)/scan1d-overlay.\(ext)"
      try plotScan1D(curves, options: o, to: p)
      try checkImage(p)
    }
    try plotScan1D([ScanCurve(curves[0].scan)], options: o, to: "\(figureDir)/scan1d.png")
    try checkImage("\(figureDir)/scan1d.png")
    // Double well.
    let xs = linspace(-2, 2, 41)
    var o2 = ScanPlotOptions(); o2.parameter = "cHW"; o2.style.logo = "CMS"; o2.style.rightLabel = "138 fb^{−1} (13 TeV)"
    try plotScan1D([ScanCurve(try Scan1D(x: xs, y: xs.map { 3 * pow($0 * $0 - 1, 2) }))], options: o2, to: "\(figureDir)/scan1d-doublewell.png")
    try checkImage("\(figureDir)/scan1d-doublewell.png")
  }

  @Test func contourPNGAndPDF() throws {
    let main = ContourSet(gaussianGrid(1.2, -0.2, 0.5, 0.9, 0.3), bestFit: Point2D(1.2, -0.2), label: "Observed")
    let other = ContourSet(gaussianGrid(1, 0, 0.6, 1.0, 0.1), label: "Expected", color: Color.cmsPalette[1])
    var o = ContourPlotOptions(); o.xTitle = "r_ggH"; o.yTitle = "r_qqH"; o.sm = Point2D(1, 1)
    for ext in ["png", "pdf"] {
      let p = "\(figureDir)/contour-overlay.\(ext)"
      try plotContours([main, other], options: o, to: p)
      try checkImage(p)
    }
    try plotContours([ContourSet(main.grid)], options: o, to: "\(figureDir)/contour.png")
    try checkImage("\(figureDir)/contour.png")
  }

  func checkImage(_ p: String) throws {
    let b = fileBytes(p)
    if p.hasSuffix(".png") {
      #expect(b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
      // IHDR: width and height (big-endian) at bytes 16…23; rendered at 2×.
      let w = b[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = b[20..<24].reduce(0) { $0 << 8 | Int($1) }
      // 600 × 520 points at 2× (the contour figure adds its legend column on the right).
      #expect(w >= 1200 && h == 1040)
      #expect(b.count > 20_000)
    } else {
      #expect(b.starts(with: Array("%PDF".utf8)))
      #expect(b.count > 5_000)
      if FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftoppm") {
        let out = p + "-check"
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
        proc.arguments = ["-png", "-r", "50", "-singlefile", p, out]
        try proc.run(); proc.waitUntilExit()
        #expect(proc.terminationStatus == 0)
        #expect(fileBytes(out + ".png").starts(with: [0x89, 0x50, 0x4E, 0x47]))
      }
    }
  }

  @Test func unknownExtensionIsAnError() {
    #expect(throws: PlotError.self) { try Canvas.render(to: "\(figureDir)/x.gif") { _ in } }
  }

  @Test func contourExport() throws {
    let g = Grid2D(x: linspace(-2, 2, 21), y: linspace(-2, 2, 21)) { x, y in x * x + y * y }
    let cs = g.contours(levels: [Level2D.cl68, Level2D.cl95])
    let csv = contoursCSV(cs)
    #expect(csv.hasPrefix("level,line,closed,ends,x,y\n"))
    let json = try contoursJSON(cs)
    let back = try JSONDecoder().decode([Contour].self, from: Data(json.utf8))
    #expect(back.count == 2 && back[0].lines[0].points.count == cs[0].lines[0].points.count)
  }
}

@Suite struct PipelineTests {
  @Test func threePointsGiveTheParabola() throws {
    let s = try Scan1D(x: [0, 1, 3], y: [4, 1, 1])  // (x − 2)² : 4, 1, 1
    let c = s.crossings(1)
    #expect(c.count == 2 && abs(c[0] - 1) < 1e-12 && abs(c[1] - 3) < 1e-12)
    #expect(abs(s.bestFit - 2) < 1e-12)
  }

  @Test func csvToFigures() throws {
    // A 1D CSV as `recombine scan --csv` writes it, through to a PDF and an SVG.
    var csv = "mh,iToy,quantileExpected,r,deltaNLL\n120,0,-1,1.1,0\n"
    for x in linspace(0, 3, 30) { csv += "120,0,0.5,\(x),\(0.5 * pow((x - 1.1) / 0.5, 2))\n" }
    let t = try LimitTreeTable(csv: csv)
    let s = try t.scan1D(poi: t.pois([], count: 1)[0])
    let r = s.result()
    #expect(abs(r.bestFit - 1.1) < 1e-9 && abs(r.up! - 0.5) < 1e-9 && abs(r.down! - 0.5) < 1e-9)
    var o = ScanPlotOptions(); o.parameter = "r"
    for ext in ["pdf", "svg"] {
      let p = "\(figureDir)/pipeline.\(ext)"
      try plotScan1D([ScanCurve(s)], options: o, to: p)
      #expect(fileBytes(p).count > 3000)
    }
    #expect(String(decoding: fileBytes("\(figureDir)/pipeline.svg").prefix(200), as: UTF8.self).contains("<svg"))
  }

  @Test func upsamplingKeepsMissingRegionsMissing() {
    var g = Grid2D(x: linspace(-2, 2, 9), y: linspace(-2, 2, 9)) { x, y in x * x + y * y }
    g.z[0][0] = .nan
    let f = g.upsampled(by: 4)
    #expect(f.x.count == 33 && f.y.count == 33)
    #expect(f.z[0][0].isNaN && f.z[1][1].isNaN)
    #expect(abs(f.z[16][16]) < 1e-12)  // the centre stays at the grid value
    #expect(f.z[32][32] == 8)
  }
}
