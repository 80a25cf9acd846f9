//===--- PlotCommand.swift ------------------------------------------------===//
// `recombine plot scan|contour`: figures from the limit-tree CSV that `recombine scan --csv`
// writes (header `…,quantileExpected,<POIs>,deltaNLL`; columns found by name).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Plots
import Support

struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot",
    abstract: "Figures of likelihood scans (PNG, PDF or SVG by the output's extension).",
    subcommands: [PlotScanCommand.self, PlotContourCommand.self, PlotBITCommand.self, PlotLimitsCommand.self])
}

/// Options shared by both figures.
struct PlotStyleOptions: ParsableArguments {
  @Option(name: [.customShort("o"), .customLong("output")], help: "Output file: .png, .pdf or .svg.")
  var output: String

  @Option(name: [.customLong("others"), .customLong("other")],
          help: "Overlay another scan: FILE[:LABEL[:COLOR]] (repeatable; COLOR a ROOT colour number, a name or #rrggbb), as plot1DScan.py's --others.")
  var others: [String] = []

  @Option(name: .customLong("main-label"), help: "Legend label of the main scan (default: 'Observed' when overlaid).")
  var mainLabel: String?

  @OptionGroup var labels: FigureLabelOptions

  var style: PlotStyle { labels.style() }

  /// Parses FILE[:LABEL[:COLOR]].
  func parseOthers() throws -> [(file: String, label: String, color: Color?)] {
    try others.map { spec in
      let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      let file = parts[0]
      let label = parts.count > 1 && !parts[1].isEmpty ? parts[1] : (file as NSString).lastPathComponent
      var color: Color?
      if parts.count > 2 {
        guard let c = Color(name: parts[2]) ?? Int(parts[2]).flatMap(Color.init(root:)) else {
          throw PlotError("--others \(spec): unknown colour '\(parts[2])' (a ROOT colour number such as 2 or 632, a name such as red, or #rrggbb)")
        }
        color = c
      }
      return (file, label, color)
    }
  }
}

struct PlotScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "2ΔNLL against a parameter, with 68%/95% lines and the best fit ± errors (Combine's plot1DScan.py).")

  @Argument(help: "The scan's CSV (recombine scan --csv).")
  var input: String

  @Option(name: [.customShort("P"), .customLong("poi")], help: "The parameter (default: the first POI column).")
  var poi: String?

  @OptionGroup var common: PlotStyleOptions

  @Option(name: .customLong("x-title"), help: "x-axis title (default: the parameter's name).")
  var xTitle: String?

  @Option(name: .customLong("y-max"), help: "Upper end of the 2ΔNLL axis.")
  var yMax: Double?

  @Option(name: .customLong("y-cut"), help: "Drop points with 2ΔNLL above this before interpolating.")
  var yCut: Double?

  @Option(name: .customLong("interpolation"), help: "spline (not-a-knot, as TSpline3), natural, monotone or linear.")
  var interpolation: String = "spline"

  @Flag(name: .customLong("no-points"), help: "Draw only the interpolated curves, not the scan points.")
  var noPoints = false

  func run() throws {
    try runReportingErrors {
      guard let kind = SplineKind(rawValue: interpolation) else {
        throw PlotError("--interpolation must be one of \(SplineKind.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let others = try common.parseOthers().map { (table: try LimitTreeTable.read($0.file), file: $0.file, label: $0.label, color: $0.color) }
      var opt = ScanPlotOptions()
      opt.style = common.style
      opt.yMax = yMax
      try Self.draw(try LimitTreeTable.read(input), poi: poi, others: others, mainLabel: common.mainLabel,
                    xTitle: xTitle, label: try common.labels.labeler(), kind: kind, yCut: yCut, showPoints: !noPoints, options: opt, to: common.output)
    }
  }

  /// Draws the 1D scan of `poi` (default: the first POI column) with the overlays, and prints each
  /// curve's best fit, 68% and 95% intervals and 2σ pieces.
  static func draw(
    _ table: LimitTreeTable, poi: String?, others: [(table: LimitTreeTable, file: String, label: String, color: Color?)] = [],
    mainLabel: String? = nil, xTitle: String? = nil, label: (String) -> String = { ParameterLabels.label($0) },
    kind: SplineKind = .notAKnot, yCut: Double? = nil, showPoints: Bool = true,
    options: ScanPlotOptions = ScanPlotOptions(), to output: String
  ) throws {
    let name = try table.pois(poi.map { [$0] } ?? [], count: 1)[0]
    var curves = [ScanCurve(try table.scan1D(poi: name, kind: kind, yCut: yCut),
                            label: mainLabel ?? (others.isEmpty ? nil : "Observed"))]
    for (k, o) in others.enumerated() {
      guard o.table.header.contains(name) else { throw PlotError("\(o.file): no column '\(name)'") }
      curves.append(ScanCurve(try o.table.scan1D(poi: name, kind: kind, yCut: yCut), label: o.label,
                              color: o.color ?? Color.cmsPalette[k % Color.cmsPalette.count],
                              dash: k % 2 == 0 ? [7, 4] : [2, 3]))
    }
    if !showPoints { for k in curves.indices { curves[k].showPoints = false } }
    var opt = options
    opt.parameter = xTitle ?? label(name)
    try plotScan1D(curves, options: opt, to: output)
    for c in curves {
      let r1 = c.scan.result(Level1D.sigma1), r95 = c.scan.result(Level1D.cl95), r2 = c.scan.result(Level1D.sigma2)
      let d = r1.suggestedDigits + 1
      var line = "\(c.label.map { TextMarkup.plain($0) + ": " } ?? "")\(name) = \(formatNumber(r1.bestFit, digits: d))"
      if let up = r1.up, let dn = r1.down {
        line += " -\(r1.downIsRangeEdge ? ">" : "")\(formatNumber(dn, digits: d, minus: false))"
        line += "/+\(r1.upIsRangeEdge ? ">" : "")\(formatNumber(up, digits: d, minus: false))"
      }
      line += "   68%: \(r1.piecesText(digits: d))   95%: \(r95.piecesText(digits: d))   2σ: \(r2.piecesText(digits: d))"
      if !c.scan.excluded.isEmpty {
        line += "   (\(c.scan.excluded.count) points not evaluated, from \(String(format: "%g", c.scan.excluded.first!)) to \(String(format: "%g", c.scan.excluded.last!)): intervals stop there)"
      }
      print(line.replacingOccurrences(of: "−", with: "-"))
    }
    print("wrote \(output)")
  }
}

struct PlotContourCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "contour",
    abstract: "68%/95% confidence regions (2ΔNLL = 2.30, 5.99) of a 2D grid scan, best fit and SM point.")

  @Argument(help: "The 2D scan's CSV (recombine scan --csv with two -P).")
  var input: String

  @Option(name: [.customShort("P"), .customLong("poi")], help: "x then y parameter (default: the first two POI columns).")
  var poi: [String] = []

  @OptionGroup var common: PlotStyleOptions

  @Option(name: .customLong("sm"), parsing: .unconditional, help: "The SM point as x,y (default 0,0).")
  var sm: String = "0,0"

  @Flag(name: .customLong("no-sm"), help: "Do not draw the SM point.")
  var noSM = false

  @Option(name: .customLong("sm-label"), help: "Legend text of the SM point.")
  var smLabel: String = "SM"

  @Option(name: .customLong("smooth"), help: "Bicubic subdivisions per grid cell before contouring (1: none).")
  var smooth: Int = 4

  @Option(name: .customLong("x-title"), help: "x-axis title (default: the parameter's name).")
  var xTitle: String?

  @Option(name: .customLong("y-title"), help: "y-axis title (default: the parameter's name).")
  var yTitle: String?

  @Option(name: .customLong("contours"), help: "Also write the main scan's 68%/95% contour polygons (.csv or .json).")
  var contoursOut: String?

  func run() throws {
    try runReportingErrors {
      guard (1...20).contains(smooth) else { throw PlotError("--smooth must be in 1…20") }
      var opt = ContourPlotOptions()
      opt.style = common.style
      opt.smooth = smooth; opt.smLabel = smLabel
      if noSM { opt.sm = nil } else {
        let v = sm.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 2 else { throw PlotError("--sm expects x,y (got '\(sm)')") }
        opt.sm = Point2D(v[0], v[1])
      }
      let others = try common.parseOthers().map { (table: try LimitTreeTable.read($0.file), label: $0.label, color: $0.color) }
      try Self.draw(try LimitTreeTable.read(input), pois: poi, others: others, mainLabel: common.mainLabel,
                    xTitle: xTitle, yTitle: yTitle, label: try common.labels.labeler(), options: opt, contoursOutput: contoursOut, to: common.output)
    }
  }

  /// Draws the 68%/95% regions of the 2D scan of `pois` (default: the first two POI columns) with
  /// the overlays, prints the best fit and each contour's lines and area, and writes the polygons.
  static func draw(
    _ table: LimitTreeTable, pois: [String], others: [(table: LimitTreeTable, label: String, color: Color?)] = [],
    mainLabel: String? = nil, xTitle: String? = nil, yTitle: String? = nil,
    label: (String) -> String = { ParameterLabels.label($0) }, options: ContourPlotOptions = ContourPlotOptions(),
    contoursOutput: String? = nil, to output: String
  ) throws {
    let names = try table.pois(pois, count: 2)
    var opt = options
    opt.xTitle = xTitle ?? label(names[0]); opt.yTitle = yTitle ?? label(names[1])
    func set(_ t: LimitTreeTable, label: String?, color: Color) throws -> ContourSet {
      let b = t.bestFit(names).flatMap { $0.allSatisfy(\.isFinite) ? Point2D($0[0], $0[1]) : nil }
      return ContourSet(try t.grid2D(x: names[0], y: names[1]), bestFit: b, label: label, color: color)
    }
    var sets = [try set(table, label: mainLabel ?? (others.isEmpty ? nil : "Observed"), color: Color(hex: 0x1f3c88))]
    for (k, o) in others.enumerated() {
      sets.append(try set(o.table, label: o.label, color: o.color ?? Color.cmsPalette[(k + 1) % Color.cmsPalette.count]))
    }
    try plotContours(sets, options: opt, to: output)
    let fine = sets[0].grid.upsampled(by: opt.smooth, clampAbove: 50)
    let cs = fine.contours(levels: [Level2D.cl68, Level2D.cl95])
    let best = sets[0].bestFit ?? fine.minimum?.at
    if let best { print("best fit: \(names[0]) = \(String(format: "%.4g", best.x)), \(names[1]) = \(String(format: "%.4g", best.y))") }
    let missing = sets[0].grid.missingPoints.count
    if missing > 0 { print("\(missing) grid points not evaluated (drawn grey): the regions stop there") }
    for c in cs {
      let closed = c.lines.filter(\.isClosed)
      let area = closed.map(\.signedArea).reduce(0, +)
      let ends = c.lines.flatMap(\.openEnds)
      var note = ""
      if !ends.isEmpty {
        let b = ends.filter { $0 == .scanBoundary }.count, e = ends.filter { $0 == .excludedRegion }.count
        note = " (open ends: \(b) at the scan boundary, \(e) at points not evaluated)"
      }
      print(String(format: "2ΔNLL = %.2f: %d line(s), %d closed, enclosed area %.4g", c.level, c.lines.count, closed.count, area) + note)
    }
    if let out = contoursOutput {
      let text = out.lowercased().hasSuffix(".json") ? try contoursJSON(cs) : contoursCSV(cs)
      try writeFileAtomically(text, to: out)
      print("wrote \(out)")
    }
    print("wrote \(output)")
  }
}

/// Draws a scan held in memory: one POI as `plot scan`, two as `plot contour`, with their defaults.
func drawScan(_ table: LimitTreeTable, pois: [String], to path: String) throws {
  switch pois.count {
  case 1: try PlotScanCommand.draw(table, poi: pois[0], to: path)
  case 2: try PlotContourCommand.draw(table, pois: pois, to: path)
  default: throw UsageError("--plot draws 1D and 2D scans only")
  }
}
