//===--- Fonts.swift ------------------------------------------------------===//
// The figures' fonts are loaded from files, never looked up by family name, so a figure is the
// same on every machine (a family lookup once picked Nimbus Sans, which lacks the combining
// circumflex, and the hat of θ̂ vanished). The faces are DejaVu Sans (Debian: fonts-dejavu-core,
// installed by `make deps`): full Greek, the mathematical operators and the combining accents.
//===----------------------------------------------------------------------===//

import CCairo
import Foundation

/// The four faces every figure uses, loaded once per process.
public enum FigureFonts {
  /// The font files, by (bold, italic).
  public static let fileNames = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"]

  /// Where the files are looked for, in order: `$RECOMBINE_FONT_DIR`, then the usual system folders
  /// (Debian/Ubuntu, Fedora, Arch, Homebrew).
  public static var searchDirectories: [String] {
    var dirs: [String] = []
    if let d = ProcessInfo.processInfo.environment["RECOMBINE_FONT_DIR"], !d.isEmpty { dirs.append(d) }
    dirs += ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu-sans-fonts", "/usr/share/fonts/TTF",
             "/usr/share/fonts/dejavu", "/usr/local/share/fonts", "/opt/homebrew/share/fonts", "/Library/Fonts"]
    return dirs
  }

  /// The loaded faces, or the error saying which file is missing and how to install it.
  static let loaded: Result<LoadedFaces, PlotError> = LoadedFaces.load()

  /// Throws unless all four faces are loaded.
  public static func check() throws { _ = try loaded.get() }

  /// The path of each face's file.
  public static func paths() throws -> [String] { try loaded.get().paths }

  /// The characters of `text` (after markup) that the face (bold, italic) has no glyph for.
  public static func missingGlyphs(in text: String, bold: Bool = false, italic: Bool = false) throws -> [Character] {
    let faces = try loaded.get()
    let face = faces.ft[LoadedFaces.index(bold: bold, italic: italic)]
    var missing: [Character] = []
    for ch in text where !missing.contains(ch) {
      for u in ch.unicodeScalars where FT_Get_Char_Index(face, FT_ULong(u.value)) == 0 {
        missing.append(ch); break
      }
    }
    return missing
  }
}

/// FreeType faces and the cairo font faces made from them; they live as long as the process.
final class LoadedFaces: @unchecked Sendable {
  let paths: [String]
  let ft: [FT_Face]
  let cairo: [OpaquePointer]

  init(paths: [String], ft: [FT_Face], cairo: [OpaquePointer]) { self.paths = paths; self.ft = ft; self.cairo = cairo }

  static func index(bold: Bool, italic: Bool) -> Int { (bold ? 1 : 0) + (italic ? 2 : 0) }

  static func load() -> Result<LoadedFaces, PlotError> {
    var library: FT_Library?
    guard FT_Init_FreeType(&library) == 0, let library else { return .failure(PlotError("cannot initialise FreeType")) }
    var paths: [String] = [], ft: [FT_Face] = [], cairo: [OpaquePointer] = []
    let dirs = FigureFonts.searchDirectories
    for name in FigureFonts.fileNames {
      guard let path = dirs.map({ ($0 as NSString).appendingPathComponent(name) })
        .first(where: { FileManager.default.isReadableFile(atPath: $0) })
      else {
        return .failure(PlotError(
          "the figures' font file \(name) was not found in \(dirs.joined(separator: ", ")): install the DejaVu fonts "
            + "(Debian/Ubuntu: apt-get install fonts-dejavu-core; `make deps` does it) or set RECOMBINE_FONT_DIR to the folder holding them"))
      }
      var face: FT_Face?
      guard FT_New_Face(library, path, 0, &face) == 0, let face else {
        return .failure(PlotError("cannot read the font file \(path) (FreeType refused it)"))
      }
      guard let cf = cairo_ft_font_face_create_for_ft_face(face, 0),
            cairo_font_face_status(cf) == CAIRO_STATUS_SUCCESS
      else { return .failure(PlotError("cairo cannot use the font file \(path)")) }
      paths.append(path); ft.append(face); cairo.append(cf)
    }
    return .success(LoadedFaces(paths: paths, ft: ft, cairo: cairo))
  }
}
