//===--- FitDiagnosticsCommand.swift --------------------------------------===//
// `recombine fit-diagnostics`: Combine's FitDiagnostics — background-only and signal+background
// fits, nuisance pulls (diffNuisances.py) and pre-/post-fit yields with uncertainties
// (--saveShapes --saveWithUncertainties, mlfitNormsToText.py).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference


struct FitDiagnosticsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit-diagnostics",
    abstract: "Background-only and s+b fits, nuisance pulls, and pre-/post-fit yields (Combine's FitDiagnostics).",
    discussion: """
      The s+b fit floats the POIs (as 'fit', starting from --preFitValue); the b-only fit holds \
      the first POI at 0. The first \
      POI's 68% interval is the profile-likelihood crossing (Combine's Minos). Pulls: each \
      constrained nuisance's fitted value and HESSE error in both fits, and its correlation with \
      the first POI in the s+b fit. Yields per channel and process, pre-fit (parameters at their \
      initial values and the first POI at --preFitValue, uncertainties from the constraint pdfs) and after each fit (uncertainties \
      from the fit's HESSE covariance), by Combine's resampling (default: --numToysForShapes parameter \
      vectors, post-fit draws clipped into the parameter ranges as Combine's) or by linear propagation \
      (--errors linear).
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("errors"), help: "Yield uncertainties: sampling (Combine's resampling) or linear (propagation).")
  var errors: String = "sampling"

  @Flag(name: .customLong("clip-to-ranges"), inversion: .prefixedNo,
        help: "Clip the resampled post-fit parameter vectors into the parameters' ranges, as Combine does.")
  var clipToRanges = true

  @Option(name: .customLong("numToysForShapes"), help: "Toys for --errors sampling.")
  var toysForShapes: Int = 200

  @Flag(name: .customLong("skipBOnlyFit"), help: "Skip the background-only fit.")
  var skipBOnlyFit = false

  @Option(name: .customLong("json"), help: "Write the fits, pulls and yields (per bin) here.")
  var json: String?

  @Option(name: .customLong("root"), help: "Write Combine's fitDiagnostics ROOT file here (tree_fit_sb, tree_fit_b, tree_prefit, shapes_* histograms).")
  var root: String?

  @Option(name: .customLong("plots"), help: "Write the pre-fit, post-fit (s+b) and post-fit (b-only, unless --skipBOnlyFit) distributions of each channel into this directory (PNG).")
  var plots: String?

  @OptionGroup var labels: FigureLabelOptions

  @Option(name: .customLong("x-title"), help: "x-axis title of the plots (markup allowed, e.g. 'm_{4ℓ} (GeV)').")
  var xTitle: String = "Observable"

  @Option(name: .customLong("y-title"), help: "y-axis title of the plots (default: 'Events', or 'Events / bin width' when divided).")
  var yTitle: String?

  @Option(name: .customLong("per-bin-width"), help: "Divide the plotted yields by the bin width: auto (when the bins are not all equal), yes, no.")
  var perBinWidth: String = "auto"

  @Flag(name: .customLong("logy"), help: "Logarithmic y axis in the plots.")
  var logY = false

  @Option(name: .customLong("preFitValue"), parsing: .unconditional, help: "Value of the first POI for the pre-fit yields and the start of the s+b fit (Combine's --preFitValue).")
  var preFitValue: Double = 1

  func run() throws {
    try runReportingErrors {
      // Every option is checked before the fits run.
      var options = FitDiagnosticsOptions()
      switch errors {
      case "linear": options.errors = .linear
      case "sampling":
        guard toysForShapes >= 2 else { throw UsageError("--numToysForShapes must be at least 2") }
        options.errors = .sampling(toys: toysForShapes, seed: model.seed)
        options.clipToRanges = clipToRanges
      default: throw UsageError("--errors must be 'linear' or 'sampling'")
      }
      guard ["auto", "yes", "no"].contains(perBinWidth) else { throw UsageError("--per-bin-width must be auto, yes or no") }
      if let plots {
        do { try FileManager.default.createDirectory(atPath: plots, withIntermediateDirectories: true) } catch {
          throw UsageError("cannot create the plot directory \(plots): \(error.localizedDescription)")
        }
      }
      options.skipBOnlyFit = skipBOnlyFit
      options.preFitValue = preFitValue
      let problem = try model.problem()
      let r = try FitDiagnostics.run(problem, options: options)
      let sb = r.signalPlusBackground.best, poi = r.poi

      print("\n --- FitDiagnostics ---")
      print("Best fit \(r.poiName): \(fmt(sb.x[poi]))  \(fmt(r.interval.lower - sb.x[poi]))/\(fmt(r.interval.upper - sb.x[poi], plus: true))  (68% CL)")
      print("s+b fit: \(sb.status), NLL = \(String(format: "%.6f", sb.fval))" + (r.backgroundOnly.map { "; b-only fit: \($0.best.status), NLL = \(String(format: "%.6f", $0.best.fval))" } ?? ""))
      if !r.pulls.isEmpty {
        let w = max(4, r.pulls.map(\.name.count).max()!)
        print("\n" + "name".padding(toLength: w, withPad: " ", startingAt: 0) + "   b-only fit           s+b fit              rho(\(r.poiName))")
        for p in r.pulls {
          let name = p.name.padding(toLength: w, withPad: " ", startingAt: 0)
          let b = p.bValue.map { "\(fmt($0, plus: true)) ± \(fmt(p.bError!))" } ?? "-"
          let s = "\(fmt(p.sbValue, plus: true)) ± \(fmt(p.sbError))"
          print("\(name)   \(b.padding(toLength: 20, withPad: " ", startingAt: 0)) \(s.padding(toLength: 20, withPad: " ", startingAt: 0)) \(fmt(p.correlationWithPOI, plus: true))")
        }
      }
      printNormalizations(prefit: r.prefit, fitS: r.fitS, fitB: r.fitB)

      if let root {
        try r.writeROOT(problem, to: root)
        print("wrote \(root)")
      }
      if let json {
        var doc = try r.json(problem.model)
        doc["errors"] = errors
        if errors == "sampling" { doc["numToysForShapes"] = toysForShapes; doc["seed"] = model.seed }
        try writeJSON(doc, to: json)
      }
      if let plots {
        var figures = [("prefit", "pre-fit", r.prefit), ("postfit_s", "post-fit (s+b)", r.fitS)]
        if let b = r.fitB { figures.append(("postfit_b", "post-fit (b-only)", b)) }
        for (label, title, table) in figures {
          for ch in table {
            let path = (plots as NSString).appendingPathComponent("\(ch.channel)_\(label).png")
            try plotChannel(ch, fit: title, to: path)
            print("wrote \(path)")
          }
        }
      }
    }
  }

  /// Prints the normalisations per channel and process (mlfitNormsToText.py -u).
  func printNormalizations(prefit: [ChannelYields], fitS: [ChannelYields], fitB: [ChannelYields]?) {
    let cw = max(7, prefit.map(\.channel.count).max() ?? 7)
    let pw = max(7, prefit.flatMap(\.processes).map(\.count).max() ?? 7, "total background".count)
    func cell(_ h: YieldHistogram) -> String {
      "\(String(format: "%.3f", h.total)) ± \(String(format: "%.3f", h.totalError))".padding(toLength: 22, withPad: " ", startingAt: 0)
    }
    print("\n" + "Channel".padding(toLength: cw, withPad: " ", startingAt: 0) + "  " + "Process".padding(toLength: pw, withPad: " ", startingAt: 0)
          + "  " + "Pre-fit".padding(toLength: 22, withPad: " ", startingAt: 0) + "S+B fit".padding(toLength: 22, withPad: " ", startingAt: 0)
          + (fitB == nil ? "" : "B-only fit"))
    for (c, ch) in prefit.enumerated() {
      var rows: [(String, YieldHistogram, YieldHistogram, YieldHistogram?)] = ch.processes.indices.map {
        (ch.processes[$0], ch.process[$0], fitS[c].process[$0], fitB?[c].process[$0])
      }
      rows.append(("total background", ch.totalBackground, fitS[c].totalBackground, fitB?[c].totalBackground))
      rows.append(("total signal", ch.totalSignal, fitS[c].totalSignal, fitB?[c].totalSignal))
      rows.append(("total", ch.total, fitS[c].total, fitB?[c].total))
      for (name, a, s, b) in rows {
        print(ch.channel.padding(toLength: cw, withPad: " ", startingAt: 0) + "  " + name.padding(toLength: pw, withPad: " ", startingAt: 0)
              + "  " + cell(a) + cell(s) + (b.map { cell($0) } ?? ""))
      }
      print(ch.channel.padding(toLength: cw, withPad: " ", startingAt: 0) + "  " + "data".padding(toLength: pw, withPad: " ", startingAt: 0)
            + "  " + String(format: "%.0f", ch.data.reduce(0, +)))
    }
  }
}

private func fmt(_ v: Double, plus: Bool = false) -> String {
  String(format: plus ? "%+.4f" : "%.4f", v)
}
