import ArgumentParser
import Foundation

@main
struct Recombine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recombine",
    abstract: "Statistical fits of CMS Combine datacards, natively.",
    subcommands: [Validate.self, CombineCardsCommand.self, FitCommand.self, ScanCommand.self, PlotCommand.self, BITCommand.self, ReinterpretCommand.self, SummaryCommand.self, LimitCommand.self, SignificanceCommand.self, MergeScansCommand.self, ImpactsCommand.self, FitDiagnosticsCommand.self])
}

/// Prints to standard error.
func printError(_ s: String) {
  FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}
