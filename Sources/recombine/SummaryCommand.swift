//===--- SummaryCommand.swift ---------------------------------------------===//
// `recombine summary`: a table of 1D scan results (Markdown and JSON).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Likelihood
import ROOTIO
import Plots
import Support

struct SummaryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Tabulate 1D scans: best fit, 68% and 95% intervals (unions of pieces), as Markdown and JSON.",
    discussion: """
      Each scan is given as FILE.csv[:LABEL] (the CSV of `recombine scan`); the parameter is the scan's \
      first POI column. Intervals are the crossings of 2ΔNLL = 1 and 3.84 of a spline through the \
      points (as plot1DScan.py); an end marked < or > is the scan range, not a crossing.
      """)

  @Argument(help: "Scans: FILE.csv or FILE.csv:LABEL.") var scans: [String]
  @Option(name: .customLong("md"), help: "Write the Markdown table here.") var markdown: String?
  @Option(name: .customLong("json"), help: "Write the JSON table here.") var json: String?
  @Option(name: .customLong("title"), help: "Title line of the Markdown table.") var title: String = "Results"

  func run() throws {
    try runReportingErrors {
      var rows: [[String: Any]] = []
      var md = "## \(title)\n\n| scan | parameter | label | best fit | 68% CL | 95% CL |\n|---|---|---|---|---|---|\n"
      for spec in scans {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let file = parts.first, !file.isEmpty else { throw LikelihoodError("empty scan argument: give FILE.csv[:LABEL]") }
        let table = try LimitTreeTable.read(parts[0])
        let name = try table.pois([], count: 1)[0]
        let scan = try table.scan1D(poi: name, kind: .notAKnot, yCut: nil)
        let r68 = scan.result(Level1D.sigma1), r95 = scan.result(Level1D.cl95)
        let d = r68.suggestedDigits + 1
        let label = parts.count > 1 ? parts[1] : (parts[0] as NSString).lastPathComponent
        let pretty = TextMarkup.plain(ParameterLabels.label(name))
        md += "| \(label) | \(name) | \(pretty) | \(formatNumber(r68.bestFit, digits: d)) | \(r68.piecesText(digits: d)) | \(r95.piecesText(digits: d)) |\n"
        func pieces(_ r: ScanResult) -> [[String: Any]] {
          r.pieces.map { ["lower": $0.lower, "upper": $0.upper, "lowerIsRangeEdge": $0.lowerIsRangeEdge, "upperIsRangeEdge": $0.upperIsRangeEdge] }
        }
        rows.append(["scan": label, "file": parts[0], "parameter": name, "label": pretty, "notEvaluated": scan.excluded.count, "bestFit": r68.bestFit,
                     "cl68": pieces(r68), "cl95": pieces(r95)])
      }
      print(md, terminator: "")
      if let markdown { try writeFileAtomically(md, to: markdown) }
      if let json {
        let data = try JSONSerialization.data(withJSONObject: ["title": title, "results": rows], options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically(String(decoding: data, as: UTF8.self) + "\n", to: json)
      }
    }
  }
}
