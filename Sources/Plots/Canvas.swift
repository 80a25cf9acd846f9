//===--- Canvas.swift -----------------------------------------------------===//
// A small drawing surface over cairo: PNG (rendered at 2×), PDF (vector, fonts embedded and
// subset) or SVG, chosen by the file extension. Text is in the figures' markup (TextMarkup.swift)
// with the fonts of Fonts.swift. Coordinates are points, origin top-left.
// Output is written to a temporary file beside the target and renamed over it.
//===----------------------------------------------------------------------===//

import CCairo
import Support
import Foundation

public enum ImageFormat: String, Sendable {
  case png, pdf, svg
  /// From a path's extension (case-insensitive).
  public init(path: String) throws {
    let ext = (path as NSString).pathExtension.lowercased()
    guard let f = ImageFormat(rawValue: ext) else {
      throw PlotError("cannot tell the image format of '\(path)': use .png, .pdf or .svg")
    }
    self = f
  }
}

/// An RGBA colour, components in [0, 1].
public struct Color: Sendable, Equatable {
  public var r, g, b, a: Double
  public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }
  /// From 0xRRGGBB.
  public init(hex: UInt32, alpha: Double = 1) {
    self.init(Double((hex >> 16) & 0xff) / 255, Double((hex >> 8) & 0xff) / 255, Double(hex & 0xff) / 255, alpha)
  }
  public func withAlpha(_ a: Double) -> Color { Color(r, g, b, a) }
  public static let black = Color(0, 0, 0), white = Color(1, 1, 1), gray = Color(hex: 0x808080)
  /// CMS's recommended colour sequence (colour-blind safe, 6 colours).
  public static let cmsPalette: [Color] = [0x5790fc, 0xf89c20, 0xe42536, 0x964a8b, 0x9c9ca1, 0x7a21dd].map { Color(hex: $0) }
  /// From a ROOT colour number, as plot1DScan.py's `--others FILE:LABEL:COLOR` takes it: the basic
  /// colours 0–9 (white, black, red, green, blue, yellow, magenta, cyan, 8, 9) and the colour
  /// wheel's circles kMagenta (616), kRed (632), kYellow (400), kGreen (416), kCyan (432),
  /// kBlue (600) with offsets −10…+4 (kRed+1 = 633 is (204, 0, 0)), and the grey kGray (920)
  /// +0…+3. Nil for other numbers (give #rrggbb instead).
  public init?(root n: Int) {
    let basic: [UInt32] = [0xffffff, 0x000000, 0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff, 0x59d454, 0x5954d9]
    if (0..<basic.count).contains(n) { self.init(hex: basic[n]); return }
    if (920...923).contains(n) {
      let g: [UInt32] = [0xcccccc, 0x999999, 0x666666, 0x333333]
      self.init(hex: g[n - 920]); return
    }
    // ROOT's circle tables: (on, off) channel values for offsets −10…+4.
    let levels: [(Double, Double)] = [(255, 204), (255, 153), (204, 153), (255, 102), (204, 102), (153, 102), (255, 51),
                                      (204, 51), (153, 51), (102, 51), (255, 0), (204, 0), (153, 0), (102, 0), (51, 0)]
    let circles: [(base: Int, on: (Bool, Bool, Bool))] = [
      (616, (true, false, true)), (632, (true, false, false)), (400, (true, true, false)),
      (416, (false, true, false)), (432, (false, true, true)), (600, (false, false, true)),
    ]
    for c in circles where (c.base - 10...c.base + 4).contains(n) {
      let (on, off) = levels[n - c.base + 10]
      self.init((c.on.0 ? on : off) / 255, (c.on.1 ? on : off) / 255, (c.on.2 ? on : off) / 255)
      return
    }
    return nil
  }

  /// From a name ("red", "blue", …) or "#rrggbb".
  public init?(name: String) {
    let n = name.lowercased()
    if n.hasPrefix("#"), n.count == 7, let v = UInt32(n.dropFirst(), radix: 16) { self.init(hex: v); return }
    let table: [String: UInt32] = [
      "black": 0x000000, "red": 0xe42536, "blue": 0x5790fc, "orange": 0xf89c20, "purple": 0x964a8b,
      "gray": 0x9c9ca1, "grey": 0x9c9ca1, "violet": 0x7a21dd, "green": 0x2ca02c, "darkblue": 0x1f3c88,
    ]
    guard let v = table[n] else { return nil }
    self.init(hex: v)
  }
}

public enum HAlign: Sendable { case left, center, right }
public enum VAlign: Sendable { case baseline, top, middle, bottom }

public enum MarkerShape: Sendable { case circle, cross, plus, diamond, star, square }

/// Font and text options. The face is one of `FigureFonts`' four files, chosen by `bold` and
/// `italic`.
public struct FontStyle: Sendable {
  public var size: Double
  public var bold: Bool
  public var italic: Bool
  public init(size: Double, bold: Bool = false, italic: Bool = false) {
    self.size = size; self.bold = bold; self.italic = italic
  }
}

/// A drawing surface. Create with `Canvas.render(to:…)`.
public final class Canvas {
  let cr: OpaquePointer
  public let width: Double
  public let height: Double

  init(cr: OpaquePointer, width: Double, height: Double) {
    self.cr = cr; self.width = width; self.height = height
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
  }

  /// Draws a figure of `width` × `height` points and writes it to `path` (format from the
  /// extension; PNG at `pngScale`× pixels), atomically.
  public static func render(to path: String, width: Double = 600, height: Double = 500, pngScale: Double = 2,
                            _ draw: (Canvas) throws -> Void) throws {
    let format = try ImageFormat(path: path)
    try FigureFonts.check()
    let url = URL(fileURLWithPath: path)
    let tmp = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    defer { unlink(tmp) }
    let surface: OpaquePointer?
    switch format {
    case .png:
      surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32((width * pngScale).rounded()), Int32((height * pngScale).rounded()))
    case .pdf:
      surface = cairo_pdf_surface_create(tmp, width, height)
    case .svg:
      surface = cairo_svg_surface_create(tmp, width, height)
    }
    guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
      throw PlotError("cannot create a \(format.rawValue) surface for '\(path)'")
    }
    if format == .pdf {
      cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Recombine")
    }
    guard let cr = cairo_create(surface) else { cairo_surface_destroy(surface); throw PlotError("cairo_create failed") }
    if format == .png { cairo_scale(cr, pngScale, pngScale) }
    // White background (PNG and the PDF page alike).
    cairo_set_source_rgb(cr, 1, 1, 1)
    cairo_paint(cr)
    let canvas = Canvas(cr: cr, width: width, height: height)
    var drawError: Error?
    do { try draw(canvas) } catch { drawError = error }
    cairo_destroy(cr)
    var status = CAIRO_STATUS_SUCCESS
    if drawError == nil && format == .png {
      status = cairo_surface_write_to_png(surface, tmp)
    }
    cairo_surface_finish(surface)
    if status == CAIRO_STATUS_SUCCESS { status = cairo_surface_status(surface) }
    cairo_surface_destroy(surface)
    if let drawError { throw drawError }
    guard status == CAIRO_STATUS_SUCCESS else {
      throw PlotError("cannot write '\(path)': \(String(cString: cairo_status_to_string(status)))")
    }
    guard rename(tmp, path) == 0 else {
      throw PlotError("cannot write '\(path)': \(String(cString: strerror(errno)))")
    }
  }

  // MARK: State

  public func save() { cairo_save(cr) }
  public func restore() { cairo_restore(cr) }
  public func clip(x: Double, y: Double, width w: Double, height h: Double) {
    cairo_rectangle(cr, x, y, w, h); cairo_clip(cr)
  }
  public func resetClip() { cairo_reset_clip(cr) }

  public func setColor(_ c: Color) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }
  public func setLineWidth(_ w: Double) { cairo_set_line_width(cr, w) }
  /// Dash pattern in points; empty for solid.
  public func setDash(_ d: [Double]) { d.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32(d.count), 0) } }

  // MARK: Paths

  public func moveTo(_ x: Double, _ y: Double) { cairo_move_to(cr, x, y) }
  public func lineTo(_ x: Double, _ y: Double) { cairo_line_to(cr, x, y) }
  public func closePath() { cairo_close_path(cr) }
  public func newPath() { cairo_new_path(cr) }
  public func rectangle(_ x: Double, _ y: Double, _ w: Double, _ h: Double) { cairo_rectangle(cr, x, y, w, h) }
  public func arc(_ x: Double, _ y: Double, radius: Double) {
    cairo_new_sub_path(cr); cairo_arc(cr, x, y, radius, 0, 2 * .pi)
  }
  public func stroke() { cairo_stroke(cr) }
  public func fill(preserve: Bool = false) { if preserve { cairo_fill_preserve(cr) } else { cairo_fill(cr) } }

  /// Adds a polyline (device coordinates) to the path.
  public func addPolyline(_ p: [(Double, Double)], closed: Bool = false) {
    guard let f = p.first else { return }
    cairo_move_to(cr, f.0, f.1)
    for q in p.dropFirst() { cairo_line_to(cr, q.0, q.1) }
    if closed { cairo_close_path(cr) }
  }

  public func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: Color = .black, width: Double = 1, dash: [Double] = []) {
    save(); setColor(color); setLineWidth(width); setDash(dash)
    moveTo(x0, y0); lineTo(x1, y1); stroke(); restore()
  }

  /// Draws a marker centred at (x, y), `size` points across.
  public func marker(_ shape: MarkerShape, at x: Double, _ y: Double, size: Double, color: Color,
                     outline: Color? = nil, lineWidth: Double = 1.5) {
    save(); setColor(color); setDash([])
    let r = size / 2
    switch shape {
    case .circle: arc(x, y, radius: r)
    case .square: rectangle(x - r, y - r, size, size)
    case .diamond: addPolyline([(x, y - r * 1.3), (x + r, y), (x, y + r * 1.3), (x - r, y)], closed: true)
    case .star:
      var p: [(Double, Double)] = []
      for k in 0..<10 {
        let rr = k % 2 == 0 ? r * 1.25 : r * 0.5
        let a = -Double.pi / 2 + Double(k) * .pi / 5
        p.append((x + rr * cos(a), y + rr * sin(a)))
      }
      addPolyline(p, closed: true)
    case .plus, .cross:
      let d = shape == .plus ? [(r, 0.0), (0.0, r)] : [(r * 0.75, r * 0.75), (r * 0.75, -r * 0.75)]
      setLineWidth(max(lineWidth, size / 5)); cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
      for (dx, dy) in d { moveTo(x - dx, y - dy); lineTo(x + dx, y + dy) }
      stroke(); restore(); return
    }
    if let outline {
      fill(preserve: true); setColor(outline); setLineWidth(lineWidth); stroke()
    } else { fill() }
    restore()
  }

  // MARK: Text

  func select(_ f: FontStyle) {
    // `render` has checked that the faces are loaded.
    let faces = try! FigureFonts.loaded.get()
    cairo_set_font_face(cr, faces.cairo[LoadedFaces.index(bold: f.bold, italic: f.italic)])
    cairo_set_font_size(cr, f.size)
  }

  func advance(_ s: String, _ f: FontStyle) -> Double {
    select(f)
    var e = cairo_text_extents_t()
    cairo_text_extents(cr, s, &e)
    return e.x_advance
  }

  /// A laid-out run: text, offset from the start, baseline shift (up positive), font.
  struct Run { var text: String; var dx: Double; var rise: Double; var font: FontStyle }

  /// Lays out `s` in the figures' markup (`TextMarkup`: TLatex and Unicode). A script is 0.7 of
  /// its parent's size, raised 0.42 em (superscript) or lowered 0.25 em (subscript) of the parent;
  /// a stacked superscript–subscript pair starts at one x and takes the wider one's width.
  func layout(_ s: String, _ font: FontStyle, markup: Bool) -> (runs: [Run], width: Double) {
    guard markup else { return ([Run(text: s, dx: 0, rise: 0, font: font)], advance(s, font)) }
    var runs: [Run] = []
    var x = 0.0
    var stackStart = 0.0, stackWidth = 0.0, stackID: Int? = nil
    func metrics(_ level: Int) -> (size: Double, rise: Double) {
      var size = font.size, rise = 0.0
      for _ in 0..<abs(level) { rise += level > 0 ? size * 0.42 : -size * 0.25; size *= 0.7 }
      return (size, rise)
    }
    for r in TextMarkup.parse(s) {
      var f = font
      let m = metrics(r.level)
      f.size = m.size
      f.bold = font.bold || r.bold
      f.italic = font.italic || r.italic
      let w = advance(r.text, f)
      if let id = r.stack {
        if stackID != id { stackID = id; stackStart = x; stackWidth = 0 }
        runs.append(Run(text: r.text, dx: stackStart, rise: m.rise, font: f))
        stackWidth = max(stackWidth, w)
        x = stackStart + stackWidth + font.size * 0.05
      } else {
        stackID = nil
        runs.append(Run(text: r.text, dx: x, rise: m.rise, font: f))
        x += w + (r.level != 0 ? font.size * 0.05 : 0)
      }
    }
    return (runs, x)
  }

  /// Width of `s` in points.
  public func textWidth(_ s: String, font: FontStyle, markup: Bool = true) -> Double {
    layout(s, font, markup: markup).width
  }

  /// Draws text anchored at (x, y); `angle` in degrees, counter-clockwise.
  public func text(_ s: String, x: Double, y: Double, font: FontStyle, color: Color = .black,
                   align: HAlign = .left, valign: VAlign = .baseline, angle: Double = 0, markup: Bool = true) {
    let (runs, w) = layout(s, font, markup: markup)
    save()
    cairo_translate(cr, x, y)
    if angle != 0 { cairo_rotate(cr, -angle * .pi / 180) }
    let x0: Double = align == .left ? 0 : align == .center ? -w / 2 : -w
    // Cap height ≈ 0.72 em for Helvetica-like faces.
    let y0: Double = switch valign {
    case .baseline: 0
    case .top: font.size * 0.75
    case .middle: font.size * 0.36
    case .bottom: -font.size * 0.22
    }
    setColor(color)
    for r in runs {
      select(r.font)
      cairo_move_to(cr, x0 + r.dx, y0 - r.rise)
      cairo_show_text(cr, r.text)
    }
    restore()
  }
}
