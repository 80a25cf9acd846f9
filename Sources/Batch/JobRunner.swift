//===--- JobRunner.swift --------------------------------------------------===//
// Running a planned job array: here, one task after another (interactive), or by printing how
// to run it (script), or by submitting it to Slurm or HTCondor; and writing a merge result.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Where a job runner's messages go: `output` for what a script may capture (job ids, the
/// commands of a dry run), `progress` for what a person reads (standard error in the CLI).
public struct JobReporter: Sendable {
  public var output: @Sendable (String) -> Void
  public var progress: @Sendable (String) -> Void
  public init(output: @escaping @Sendable (String) -> Void, progress: @escaping @Sendable (String) -> Void) {
    self.output = output
    self.progress = progress
  }
}

public enum JobRunner {
  /// Runs the tasks of a plan here (interactive; then `merge(OUT)` if the plan has an output), prints
  /// how to run them (script), or submits the array (Slurm, Condor; with `mergeJob` also the
  /// dependent merge job). With `dryRun` the commands are printed, nothing runs.
  public static func run(
    _ manifest: ScanJobManifest, dryRun: Bool, mergeJob: Bool, reporter: JobReporter, merge: (String) throws -> Void
  ) throws {
    let mode = manifest.jobMode
    let q = JobSplitting.shellQuote
    let grid = manifest.hybridGrid == true
    let (what, unit) = grid ? ("hybrid grid", "point") : manifest.toys == nil ? ("scan", "points") : ("toys", "toys")
    /// How the outputs are combined once the tasks are done.
    let mergeHint = grid ? "recombine hybrid CARD … --grid \(q(manifest.jobDirectory))"
      : "recombine merge-scans \(manifest.mergedOutput == nil ? "OUT.csv " : "")--dir \(q(manifest.jobDirectory))"
    if mergeJob && grid { throw JobSplittingError("--merge-job is for scans and toy studies; read a grid with hybrid … --grid JOBDIR") }
    if mergeJob {
      guard mode == .slurm else { throw JobSplittingError("--merge-job is for --job-mode slurm") }
      guard manifest.mergedOutput != nil else { throw JobSplittingError("--merge-job needs --csv (the merged output)") }
    }
    /// The dependent merge job (Slurm): runs only if every array task exits 0.
    func mergeJobCommand(after id: String) -> [String] {
      ["sbatch", "--parsable", "--dependency=afterok:\(id)", "--kill-on-invalid-dep=yes", "--job-name=\(manifest.taskName)_merge",
       "--output=\(manifest.path(manifest.taskName))_merge_%j.log",
       "--wrap=\(q(manifest.executable)) merge-scans --dir \(q(manifest.jobDirectory))"]
    }
    switch mode {
    case .script:
      reporter.progress("run task i (0..\(manifest.chunks.count - 1)) with: bash \(q(manifest.path(manifest.jobScript))) i; then: \(mergeHint)")
    case .slurm, .condor:
      let cmd = ScanJobFiles.submitCommand(manifest)!
      if dryRun {
        if mergeJob {
          // Runnable as printed: the array's id goes into the merge job's dependency.
          reporter.output("JOBID=$(" + cmd.map(q).joined(separator: " ") + ")")
          reporter.output(mergeJobCommand(after: "$JOBID").map { $0.hasPrefix("--dependency=") ? $0 : q($0) }.joined(separator: " "))
        } else {
          reporter.output(cmd.map(q).joined(separator: " "))
        }
        return
      }
      let (status, out) = try runProcess(cmd, captureOutput: true)
      guard status == 0 else { throw JobSplittingError("\(cmd[0]) failed (exit \(status))\(out.isEmpty ? "" : ": " + out)") }
      let text = out.trimmingCharacters(in: .whitespacesAndNewlines)
      let id = mode == .slurm ? text.split(separator: ";").first.map(String.init) ?? text : text
      reporter.output(id)
      if mergeJob {
        let (s2, out2) = try runProcess(mergeJobCommand(after: id), captureOutput: true)
        guard s2 == 0 else { throw JobSplittingError("sbatch of the merge job failed (exit \(s2)): \(out2)") }
        reporter.progress("submitted array job \(id) and merge job \(out2.trimmingCharacters(in: .whitespacesAndNewlines)) (writes \(manifest.mergedOutput!))")
      } else {
        reporter.progress("submitted; when the jobs are done: \(mergeHint)")
      }
    case .interactive:
      for c in manifest.chunks {
        let cmd = ["/bin/bash", manifest.path(manifest.jobScript), String(c.index)]
        if dryRun {
          reporter.output(cmd.map(q).joined(separator: " "))
          continue
        }
        if FileManager.default.fileExists(atPath: manifest.outputPath(c)) {
          reporter.progress("\(what): task \(c.index) (\(unit) \(c.first)-\(c.last)) already done: \(manifest.outputPath(c))")
          continue
        }
        reporter.progress("\(what): task \(c.index) of \(manifest.chunks.count): \(unit) \(c.first)-\(c.last)")
        let (status, _) = try runProcess(cmd, captureOutput: false)
        guard status == 0 else { throw JobSplittingError("task \(c.index) (\(unit) \(c.first)-\(c.last)) failed (exit \(status))") }
      }
      if dryRun { return }
      if grid {
        try merge(manifest.mergedOutput ?? "")
      } else if let out = manifest.mergedOutput {
        try merge(out)
      } else {
        reporter.progress("\(what): merge the chunks with: recombine merge-scans OUT.csv --dir \(q(manifest.jobDirectory))")
      }
    }
  }

  /// Runs a command (looked up in PATH unless it is a path); returns its exit status and, if
  /// captured, its standard output and error.
  public static func runProcess(_ command: [String], captureOutput: Bool) throws -> (Int32, String) {
    let p = Process()
    if command[0].contains("/") {
      p.executableURL = URL(fileURLWithPath: command[0])
      p.arguments = Array(command.dropFirst())
    } else {
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = command
    }
    let pipe = Pipe()
    if captureOutput {
      p.standardOutput = pipe
      p.standardError = pipe
    }
    do { try p.run() } catch { throw JobSplittingError("cannot run \(command[0]): \(error.localizedDescription)") }
    var text = ""
    if captureOutput { text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    p.waitUntilExit()
    if p.terminationStatus == 127 && !command[0].contains("/") {
      throw JobSplittingError("\(command[0]) not found (is the batch system's client installed and in PATH?); use --dry-run to only write the files")
    }
    return (p.terminationStatus, text)
  }

  /// Writes a merge result, or reports what is missing (and how to rerun it) and fails.
  public static func writeMerged(
    _ r: ScanMergeResult, manifest: ScanJobManifest?, to out: String, allowMissing: Bool, reporter: JobReporter
  ) throws {
    for n in r.notes { reporter.progress("note: \(n)") }
    if !r.isComplete {
      reporter.progress(r.missingReport)
      if let m = manifest, !r.tasksToRerun.isEmpty {
        let tasks = r.tasksToRerun.map(String.init).joined(separator: ",")
        switch m.jobMode {
        case .slurm: reporter.progress("rerun: sbatch --array=\(tasks) \(JobSplitting.shellQuote(m.path(m.submitFile ?? m.taskName + ".slurm")))")
        default: reporter.progress("rerun: for i in \(r.tasksToRerun.map(String.init).joined(separator: " ")); do bash \(JobSplitting.shellQuote(m.path(m.jobScript))) $i; done")
        }
      }
      if !allowMissing { throw JobSplittingError("the \(manifest?.toys == nil ? "scan" : "toy study") is incomplete: \(out) not written (--allow-missing writes what there is)") }
    }
    guard !r.table.header.isEmpty else { throw JobSplittingError("no scan output to merge yet") }
    try r.table.write(to: out)
    if let toys = manifest?.toys {
      reporter.progress("merge-scans: \(toys) toys (\(r.table.rows.count) rows) from \(r.inputFiles.count) files written to \(out)")
      return
    }
    let points = r.table.rows.count - (r.table.bestFitRow == 0 ? 1 : 0)
    reporter.progress("merge-scans: \(points) points from \(r.inputFiles.count) files\(r.duplicates > 0 ? " (\(r.duplicates) duplicates dropped)" : "") written to \(out)")
  }

  /// The manifest next to `inputs` that planned them, if any.
  public static func findManifest(for inputs: [String]) -> ScanJobManifest? {
    let dir = (absolutePath(inputs[0]) as NSString).deletingLastPathComponent
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
    let given = Set(inputs.map(absolutePath))
    for n in names.sorted() where n.hasSuffix(".manifest.json") {
      guard let m = try? ScanJobManifest.read((dir as NSString).appendingPathComponent(n)) else { continue }
      if m.chunks.contains(where: { given.contains(m.outputPath($0)) }) { return m }
    }
    return nil
  }
}

/// `p` as an absolute path (relative to the current directory), standardised.
public func absolutePath(_ p: String) -> String {
  p.hasPrefix("/") ? p : URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
}

/// The path of the running executable.
public func currentExecutable() -> String {
  if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
  let arg0 = CommandLine.arguments[0]
  if arg0.hasPrefix("/") { return arg0 }
  return absolutePath(arg0)
}
