//===--- ExportPyhfCommand.swift ------------------------------------------===//
// `recombine export-pyhf`: a datacard as a pyhf JSON workspace.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Support

struct ExportPyhfCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-pyhf",
    abstract: "Write a datacard (templates read, physics model applied) as a pyhf JSON workspace, where the formats can express the same model (what they cannot is named in a warning).")

  @OptionGroup var model: ModelOptions
  @Option(name: .shortAndLong, help: "The workspace to write.") var output: String

  func run() throws {
    try runReportingErrors {
      let problem = try model.problem()
      let (doc, warnings) = PyhfExport.workspace(problem.model)
      try writeFileAtomically(String(decoding: try writeJSONObject(doc, pretty: true), as: UTF8.self) + "\n", to: output)
      for w in warnings { printError("warning: " + w) }
      print("wrote \(output) (\(problem.model.channels.count) channels; read it with --interpcode normsys=code1 for Combine's lnN)")
    }
  }
}
