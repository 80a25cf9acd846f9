//===--- LimitPlot.swift --------------------------------------------------===//
// The "Brazil" figure of limits against a parameter (usually the mass): the expected median
// (dashed), its ±1σ (green) and ±2σ (yellow) bands, the observed limit (solid, with markers), and
// the line at 1 (red).
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// The limits at one value of the x parameter: observed, and the expected quantiles
/// (2.5%, 16%, 50%, 84%, 97.5%), each optional.
public struct LimitPoint: Sendable, Equatable {
  public var x: Double
  public var observed: Double?
  public var expected: [Double?]  // −2σ, −1σ, median, +1σ, +2σ
  public init(x: Double, observed: Double?, expected: [Double?]) { self.x = x; self.observed = observed; self.expected = expected }
}

public struct LimitPlotOptions: Sendable {
  public var style = PlotStyle()
  public var xTitle = "m_{H} (GeV)"
  public var yTitle = "95% CL limit on #sigma/#sigma_{SM}"
  public init() {}
}

/// Draws the limits against x, sorted by x, to `path`.
public func plotLimits(_ input: [LimitPoint], options o: LimitPlotOptions = LimitPlotOptions(), to path: String) throws {
  let pts = input.sorted { $0.x < $1.x }
  guard pts.count >= 1 else { throw PlotError("no limits to draw") }
  let values = pts.flatMap { [$0.observed] + $0.expected }.compactMap { $0 }.filter(\.isFinite)
  guard let top = values.max(), top > 0 else { throw PlotError("the limits hold no positive finite value") }
  var xr = (pts.first!.x, pts.last!.x)
  if xr.0 == xr.1 { xr = (xr.0 - 1, xr.1 + 1) }
  let y = (0.0, max(top, 1) * 1.7)  // headroom for the legend
  func ty(_ v: Double) -> Double { v }
  try Canvas.render(to: path, width: o.style.width, height: o.style.height) { c in
    let ax = Axes(canvasWidth: c.width, canvasHeight: c.height, x: xr, y: y)
    ax.clip(c)
    func band(_ lo: Int, _ hi: Int, _ col: Color) {
      let sel = pts.filter { $0.expected.count == 5 && $0.expected[lo] != nil && $0.expected[hi] != nil }
      guard sel.count >= 2 else { return }
      let upper = sel.map { (ax.px($0.x), ax.py(ty($0.expected[hi]!))) }
      let lower = sel.reversed().map { (ax.px($0.x), ax.py(ty($0.expected[lo]!))) }
      c.save(); c.setColor(col); c.addPolyline(upper + lower, closed: true); c.fill(); c.restore()
    }
    let yellow = Color(hex: 0xffcc00), green = Color(hex: 0x00cc00)
    band(0, 4, yellow)
    band(1, 3, green)
    let med = pts.compactMap { p in p.expected.count == 5 ? p.expected[2].map { (ax.px(p.x), ax.py(ty($0))) } : nil }
    c.save(); c.setColor(.black); c.setLineWidth(2); c.setDash([7, 4]); c.addPolyline(med); c.stroke(); c.restore()
    let obs = pts.compactMap { p in p.observed.map { (ax.px(p.x), ax.py(ty($0))) } }
    c.save(); c.setColor(.black); c.setLineWidth(2); c.addPolyline(obs); c.stroke(); c.restore()
    for (px, py) in obs { c.marker(.circle, at: px, py, size: 6, color: .black) }
    c.line(ax.left, ax.py(ty(1)), ax.right, ax.py(ty(1)), color: Color(hex: 0xe42536), width: 1.5)
    c.restore()
    var entries: [LegendEntry] = []
    if !obs.isEmpty { entries.append(LegendEntry(.line(.black, width: 2, dash: []), "Observed")) }
    entries.append(LegendEntry(.line(.black, width: 2, dash: [7, 4]), "Median expected"))
    entries.append(LegendEntry(.fill(green, border: nil), "68% expected"))
    entries.append(LegendEntry(.fill(yellow, border: nil), "95% expected"))
    drawLegend(entries, on: c, axes: ax, corner: .topRight, fontSize: 15 * o.style.fontScale, background: true)
    ax.draw(on: c, xTitle: o.xTitle, yTitle: o.yTitle, style: o.style)
  }
}

/// combineTool.py's CollectLimits layout: `{ "<mass>": {"obs", "exp-2", "exp-1", "exp0", "exp+1",
/// "exp+2"} }`, the mass written as Python writes a float ("125.0").
public enum CollectedLimits {
  public static let keys = ["exp-2", "exp-1", "exp0", "exp+1", "exp+2"]
  /// quantileExpected of each expected key, as AsymptoticLimits writes them.
  public static let quantiles: [Float] = [0.025, 0.16, 0.5, 0.84, 0.975]

  /// The points of limit-tree tables (each: its mh column, quantileExpected −1 = observed).
  public static func points(_ tables: [LimitTreeTable]) throws -> [LimitPoint] {
    var byMass: [Double: LimitPoint] = [:]
    for t in tables {
      guard let mh = t.column("mh"), let q = t.column("quantileExpected"), let l = t.column("limit") else {
        throw PlotError("a limit table needs the columns mh, quantileExpected and limit")
      }
      for k in mh.indices {
        var p = byMass[mh[k]] ?? LimitPoint(x: mh[k], observed: nil, expected: [nil, nil, nil, nil, nil])
        if q[k] == -1 { p.observed = l[k] } else if let i = quantiles.firstIndex(where: { abs($0 - Float(q[k])) < 1e-4 }) { p.expected[i] = l[k] }
        byMass[mh[k]] = p
      }
    }
    return byMass.values.sorted { $0.x < $1.x }
  }

  /// The JSON document (keys sorted).
  public static func json(_ points: [LimitPoint]) throws -> Data {
    var doc: [String: Any] = [:]
    for p in points {
      var d: [String: Any] = [:]
      if let o = p.observed { d["obs"] = o }
      for (k, v) in zip(keys, p.expected) { if let v { d[k] = v } }
      doc[p.x == p.x.rounded() ? String(format: "%.1f", p.x) : "\(p.x)"] = d
    }
    return try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
  }

  /// Reads the JSON document back.
  public static func read(_ path: String) throws -> [LimitPoint] {
    guard let doc = try readJSONObject(path) as? [String: Any] else { throw PlotError("\(path): expected a JSON object mass → limits") }
    return try doc.map { k, v in
      guard let x = Double(k), let d = v as? [String: Any] else { throw PlotError("\(path): '\(k)' is not a mass with its limits") }
      return LimitPoint(x: x, observed: jsonNumber(d["obs"]), expected: keys.map { jsonNumber(d[$0]) })
    }.sorted { $0.x < $1.x }
  }
}
