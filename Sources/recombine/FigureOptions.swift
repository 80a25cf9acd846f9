//===--- FigureOptions.swift ----------------------------------------------===//
// The labels every figure takes, spelled as plot1DScan.py spells them: --logo, --logo-sub,
// --translate, and the luminosity/energy label (--lumi, alias --right-label).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Plots
import Support

struct FigureLabelOptions: ParsableArguments {
  @Option(name: .customLong("logo"), help: "Bold label above the frame's top-left corner: CMS, Recombine (default), or 'none'.")
  var logo: String = "Recombine"

  @Option(name: .customLong("logo-sub"), help: "Italic text after the logo: Preliminary, Supplementary, Internal, … (default none).")
  var logoSub: String?

  @Flag(name: .customLong("cms"), help: "Shorthand for --logo CMS.")
  var cms = false

  @Option(name: [.customLong("lumi"), .customLong("right-label")],
          help: "Luminosity/energy label above the frame's top-right corner, e.g. '138 fb^{-1} (13 TeV)' (TLatex or Unicode; default none).")
  var lumi: String?

  @Option(name: .customLong("translate"),
          help: "JSON file mapping parameter names to labels (TLatex or Unicode), as plot1DScan.py's --translate.")
  var translate: String?

  /// The style with these labels.
  func style(_ base: PlotStyle = PlotStyle()) -> PlotStyle {
    var s = base
    s.logo = cms ? "CMS" : (logo.lowercased() == "none" || logo.isEmpty ? nil : logo)
    s.logoSub = logoSub.flatMap { $0.lowercased() == "none" || $0.isEmpty ? nil : $0 }
    s.rightLabel = lumi
    return s
  }

  /// Parameter name → label: the translation file's, else the automatic name of a Wilson
  /// coefficient (`chgXE3` → c_{HG} × 10^{3}), else the name.
  func labeler() throws -> (String) -> String {
    let t = try translate.map(ParameterLabels.readTranslations) ?? [:]
    return { ParameterLabels.label($0, translations: t) }
  }
}
