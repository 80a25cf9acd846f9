//===--- ExportCardCommand.swift ------------------------------------------===//
// `recombine export-card`: a pyhf workspace as a Combine datacard + ROOT file.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HistFactory
import Inference
import ROOTIO
import Support

struct ExportCardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-card",
    abstract: "Write a pyhf/HistFactory workspace as a Combine datacard and its ROOT file, where the formats can express the same model (what they cannot is named in a warning).")

  @Argument(help: "The workspace (JSON, plain or gzipped).") var workspace: String
  @Option(name: .customLong("patch"), help: "JSON Patch files applied first (repeatable, in order).") var patches: [String] = []
  @Option(name: .customLong("measurement"), help: "The measurement (default: the first).") var measurement: String?
  @Option(name: .shortAndLong, help: "The datacard to write; the ROOT file goes beside it (same name, .root).") var output: String

  func run() throws {
    try runReportingErrors {
      let ws = try Workspace.read(workspace, patches: patches)
      let root = (output as NSString).deletingPathExtension + ".root"
      let r = try WorkspaceExport.datacard(ws, measurement: measurement, rootFile: root)
      try writeROOTFile(path: root, histograms: r.histograms)
      try writeFileAtomically(r.card, to: output)
      for w in r.warnings { printError("warning: " + w) }
      print("wrote \(output) and \(root) (\(r.histograms.count) histograms)")
    }
  }
}
