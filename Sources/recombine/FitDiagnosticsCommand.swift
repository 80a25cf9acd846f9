//===--- FitDiagnosticsCommand.swift --------------------------------------===//
// `recombine fit-diagnostics`: Combine's FitDiagnostics — background-only and signal+background
// fits, nuisance pulls (diffNuisances.py) and pre-/post-fit yields with uncertainties
// (--saveShapes --saveWithUncertainties, mlfitNormsToText.py).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Fit
import Foundation
import ROOTIO
import Inference
import Likelihood


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
      from the fit's HESSE covariance), by linear propagation (default) or by Combine's resampling \
      (--errors sampling, --numToysForShapes toys).
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("errors"), help: "Yield uncertainties: linear (propagation) or sampling (Combine's resampling).")
  var errors: String = "linear"

  @Option(name: .customLong("numToysForShapes"), help: "Toys for --errors sampling.")
  var toysForShapes: Int = 200

  @Flag(name: .customLong("skipBOnlyFit"), help: "Skip the background-only fit.")
  var skipBOnlyFit = false

  @Option(name: .customLong("json"), help: "Write the fits, pulls and yields (per bin) here.")
  var json: String?

  @Option(name: .customLong("plots"), help: "Write a pre-fit and a post-fit (s+b) distribution per channel into this directory (PNG).")
  var plots: String?

  @Option(name: .customLong("right-label"), help: "Text above the plots' top-right corner.")
  var rightLabel: String = "13 TeV"

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
      let method: YieldErrorMethod
      switch errors {
      case "linear": method = .linear
      case "sampling":
        guard toysForShapes >= 2 else { throw LikelihoodError("--numToysForShapes must be at least 2") }
        method = .sampling(toys: toysForShapes, seed: model.seed)
      default: throw LikelihoodError("--errors must be 'linear' or 'sampling'")
      }
      guard ["auto", "yes", "no"].contains(perBinWidth) else { throw LikelihoodError("--per-bin-width must be auto, yes or no") }
      if let plots {
        do { try FileManager.default.createDirectory(atPath: plots, withIntermediateDirectories: true) } catch {
          throw LikelihoodError("cannot create the plot directory \(plots): \(error.localizedDescription)")
        }
      }
      var prep = try PreparedFit(model)
      let m = prep.model
      guard let poi = prep.targets.first else { throw LikelihoodError("the model has no POI") }
      let poiName = m.parameters[poi].name
      // The pre-fit point and the start of the s+b fit: the first POI at --preFitValue.
      guard preFitValue >= prep.specs[poi].lower && preFitValue <= prep.specs[poi].upper else {
        throw LikelihoodError("--preFitValue \(preFitValue) is outside the range of \(poiName) [\(prep.specs[poi].lower), \(prep.specs[poi].upper)]")
      }
      prep.specs[poi].value = preFitValue

      // s+b fit, its first POI's interval, HESSE.
      let sb = try prep.bestFit()
      let iv = profileInterval(prep.nll, parameters: prep.specs, best: sb, index: poi, delta: m.singlesDelta, minimizer: Minimizer())
      let sbFit = FitOutcome(prep: prep, specs: prep.specs, best: sb)
      // b-only fit: first POI at 0.
      var bFit: FitOutcome? = nil
      if !skipBOnlyFit {
        var specs = prep.specs
        specs[poi].value = 0
        specs[poi].fixed = true
        let b = Minimizer().minimize(prep.nll, parameters: specs)
        guard b.status.isConverged else { throw LikelihoodError("the b-only fit did not converge: \(b.status)") }
        bFit = FitOutcome(prep: prep, specs: specs, best: b)
      }

      print("\n --- FitDiagnostics ---")
      print("Best fit \(poiName): \(fmt(sb.x[poi]))  \(fmt(iv.lower - sb.x[poi]))/\(fmt(iv.upper - sb.x[poi], plus: true))  (68% CL)")
      print("s+b fit: \(sb.status), NLL = \(String(format: "%.6f", sb.fval))" + (bFit.map { "; b-only fit: \($0.best.status), NLL = \(String(format: "%.6f", $0.best.fval))" } ?? ""))

      // Pulls of the constrained nuisances.
      let constrained = m.parameters.indices.filter { m.parameters[$0].isConstrained && !prep.specs[$0].fixed }
      if !constrained.isEmpty {
        let w = max(4, constrained.map { m.parameters[$0].name.count }.max()!)
        print("\n" + "name".padding(toLength: w, withPad: " ", startingAt: 0) + "   b-only fit           s+b fit              rho(\(poiName))")
        for i in constrained {
          let name = m.parameters[i].name.padding(toLength: w, withPad: " ", startingAt: 0)
          let b = bFit.map { "\(fmt($0.best.x[i], plus: true)) ± \(fmt($0.error(i)))" } ?? "-"
          let s = "\(fmt(sb.x[i], plus: true)) ± \(fmt(sbFit.error(i)))"
          print("\(name)   \(b.padding(toLength: 20, withPad: " ", startingAt: 0)) \(s.padding(toLength: 20, withPad: " ", startingAt: 0)) \(fmt(sbFit.correlation(i, poi), plus: true))")
        }
      }

      // Yields: pre-fit (first POI at --preFitValue), b-only, s+b.
      var initial = prep.specs.map(\.value)
      initial[poi] = preFitValue
      let fixedPrefit = Set(prep.specs.indices.filter { prep.specs[$0].fixed })
      func yields(_ what: String, _ body: () throws -> [ChannelYields]) throws -> [ChannelYields] {
        do { return try body() } catch let e as LikelihoodError { throw LikelihoodError("\(what) yields: \(e.message)") }
      }
      let prefit = try yields("pre-fit") { try yieldTable(nll: prep.nll, at: initial, distribution: .prefit(fixed: fixedPrefit), method: method) }
      let fitB = try bFit.map { b in try yields("b-only fit") { try yieldTable(nll: prep.nll, at: b.best.x, distribution: b.distribution, method: method) } }
      let fitS = try yields("s+b fit") { try yieldTable(nll: prep.nll, at: sb.x, distribution: sbFit.distribution, method: method) }
      printNormalizations(prefit: prefit, fitS: fitS, fitB: fitB)

      if let json {
        var doc: [String: Any] = [
          "poi": poiName, "errors": errors,
          "fit_s": sbFit.json(m, intervals: [poi: iv]),
          "shapes_prefit": try jsonObject(prefit), "shapes_fit_s": try jsonObject(fitS),
        ]
        if errors == "sampling" { doc["numToysForShapes"] = toysForShapes; doc["seed"] = model.seed }
        if let bFit, let fitB {
          doc["fit_b"] = bFit.json(m, intervals: [:])
          doc["shapes_fit_b"] = try jsonObject(fitB)
        }
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically(String(decoding: data, as: UTF8.self) + "\n", to: json)
      }
      if let plots {
        for (label, table) in [("prefit", prefit), ("postfit_s", fitS)] {
          for ch in table {
            let path = (plots as NSString).appendingPathComponent("\(ch.channel)_\(label).png")
            try plotChannel(ch, fit: label == "prefit" ? "pre-fit" : "post-fit (s+b)", to: path)
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

private func jsonObject<T: Encodable>(_ v: T) throws -> Any {
  try JSONSerialization.jsonObject(with: try JSONEncoder().encode(v))
}
