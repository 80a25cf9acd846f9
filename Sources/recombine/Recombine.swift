import ArgumentParser
import Foundation

@main
struct Recombine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recombine",
    abstract: "Statistical fits of CMS Combine datacards, natively.",
    subcommands: [FitCommand.self, ScanCommand.self])
}

/// Prints to standard error.
func printError(_ s: String) {
  FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}

/// Writes a file atomically: a temporary file in the same directory, then rename.
func writeAtomically(_ text: String, to path: String) throws {
  let url = URL(fileURLWithPath: path)
  let dir = url.deletingLastPathComponent()
  let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
  try text.write(to: tmp, atomically: false, encoding: .utf8)
  if FileManager.default.fileExists(atPath: path) {
    _ = try FileManager.default.replaceItemAt(url, withItemAt: tmp)
  } else {
    try FileManager.default.moveItem(at: tmp, to: url)
  }
}
