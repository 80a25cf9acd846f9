import ArgumentParser
import Foundation

@main
struct Recombine: ParsableCommand {
  /// ArgumentParser's entry point, then a check that standard output was written in full: a full
  /// disk is exit status 1, not 0 with a truncated table (a reader that stopped reading, as
  /// `| head` does, is not an error).
  static func main() {
    do {
      var command = try parseAsRoot()
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
    subcommands: [Validate.self, CombineCardsCommand.self, FitCommand.self, ScanCommand.self, PlotCommand.self, BITCommand.self, ReinterpretCommand.self, SummaryCommand.self, LimitCommand.self, SignificanceCommand.self, MergeScansCommand.self, ImpactsCommand.self, FitDiagnosticsCommand.self])
}

/// Prints to standard error; a closed or full standard error is ignored (the exit status still
/// says what happened).
func printError(_ s: String) {
  let bytes = Array((s + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
