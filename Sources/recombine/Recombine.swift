import ArgumentParser
import Foundation
import Support

@main
struct Recombine: ParsableCommand {
  /// ArgumentParser's entry point, then a check that standard output was written in full: a full
  /// disk is exit status 1, not 0 with a truncated table (a reader that stopped reading, as
  /// `| head` does, is not an error).
  static func main() {
    // Run under the name `combine` (the link `make install` creates): Combine's command line.
    var arguments = Array(CommandLine.arguments.dropFirst())
    if (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) == "combine" {
      arguments = ["combine"] + arguments
    }
    if let hint = commandHint(arguments) {
      printError(hint)
      Foundation.exit(64)
    }
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch {
      exit(withError: error)
    }
    errno = 0
    if fflush(nil) != 0 {
      let e = errno
      if e == EPIPE { return }
      printError("error: cannot write the standard output\(e != 0 ? ": " + String(cString: strerror(e)) : "")")
      Foundation.exit(1)
    }
  }

  static let configuration = CommandConfiguration(
    commandName: "recombine",
    abstract: "Statistical fits of CMS Combine datacards, natively.",
    subcommands: [Validate.self, CombineCardsCommand.self, FitCommand.self, ScanCommand.self, PlotCommand.self, BITCommand.self, ReinterpretCommand.self, SummaryCommand.self, LimitCommand.self, SignificanceCommand.self, MergeScansCommand.self, ImpactsCommand.self, FitDiagnosticsCommand.self, ModelCommand.self, CombineCommand.self, CollectLimitsCommand.self, BreakdownCommand.self, GoodnessOfFitCommand.self, ChannelCompatibilityCommand.self, HybridNewCommand.self, ExportCardCommand.self, ExportPyhfCommand.self])
}

/// Combine's `-M METHOD` and the subcommand doing that job here.
let combineMethods: [String: String] = [
  "MultiDimFit": "'recombine fit CARD' (--algo none|singles), 'recombine scan CARD' (--algo grid) or 'recombine impacts CARD'",
  "AsymptoticLimits": "'recombine limit CARD'", "Significance": "'recombine significance CARD'",
  "FitDiagnostics": "'recombine fit-diagnostics CARD'", "Impacts": "'recombine impacts CARD'",
]

/// A one-line hint for a first argument that is not a subcommand: the closest subcommand names
/// (`fitt` → `fit`), or, for Combine's `-M METHOD`, the subcommand that does that job. Nil when the
/// arguments start with a subcommand (or an option ArgumentParser handles, such as `--help`).
func commandHint(_ arguments: [String]) -> String? {
  guard let first = arguments.first else { return nil }
  let names = Recombine.configuration.subcommands.compactMap { $0.configuration.commandName ?? String(describing: $0).lowercased() }
  if first == "-M" || first.hasPrefix("--method") {
    let method = arguments.dropFirst().first ?? ""
    let target = combineMethods[method] ?? "a subcommand (\(names.joined(separator: ", ")))"
    return "error: Combine's command line is 'recombine combine -M \(method) …' (or 'combine …' after make install); the native command for -M \(method) is \(target)"
  }
  guard !first.hasPrefix("-"), !names.contains(first) else { return nil }
  return "error: unknown command '\(first)'\(didYouMean(first, in: names)); the commands are \(names.joined(separator: ", "))"
}

/// Prints to standard error; a closed or full standard error is ignored (the exit status still
/// says what happened).
func printError(_ s: String) {
  let bytes = Array((s + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
