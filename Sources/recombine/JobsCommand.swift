//===--- JobsCommand.swift ------------------------------------------------===//
// Job splitting of big scans (combineTool.py's --split-points/--job-mode) and
// `recombine merge-scans`.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Likelihood

/// `recombine scan … --split-points S --job-mode MODE` and `recombine fit -t N --split-toys K
/// --job-mode MODE`: how the jobs of a split scan or toy study run.
struct JobOptions: ParsableArguments {
  @Option(name: .customLong("job-mode"), help: "interactive (run the chunks here, in turn, then merge), script (write the job script), slurm (sbatch an array), condor (condor_submit, queue N).")
  var jobMode: String = "interactive"

  @Flag(name: .customLong("dry-run"), help: "Write the job files and print the commands; run or submit nothing.")
  var dryRun = false

  @Option(name: .customLong("job-dir"), help: "Directory of the job script, submission file, manifest, logs and chunk outputs (default: current directory).")
  var jobDir: String?

  @Option(name: .customLong("task-name"), help: "Name of the job files and chunk outputs: NAME.sh, NAME.slurm|NAME.sub, NAME.manifest.json, NAME.POINTS.A.B.csv (toys: NAME.TOYS.A.B.csv). Default: recombine_scan, recombine_toys.")
  var taskName: String?

  @Option(name: .customLong("sub-opts"), parsing: .unconditional, help: "Extra submission settings: sbatch options (e.g. '--partition=short --time=1:00:00'), or condor submit lines separated by \\n.")
  var subOpts: String?

  @Option(name: .customLong("job-binary"), help: "The recombine executable the jobs run (default: this one).")
  var jobBinary: String?

  @Flag(name: .customLong("merge-job"), help: "Slurm: also submit a merge-scans job that runs when every task succeeded (--dependency=afterok; needs --csv).")
  var mergeJob = false

  /// The options above (and the splitting options) as they appear on the command line: removed
  /// from the chunks' arguments.
  static let optionsWithValue: Set<String> = ["--split-points", "--split-toys", "--job-mode", "--job-dir", "--task-name", "--sub-opts", "--job-binary"]
  static let flags: Set<String> = ["--dry-run", "--merge-job"]

  var isDefault: Bool { jobMode == "interactive" && !dryRun && jobDir == nil && taskName == nil && subOpts == nil && jobBinary == nil && !mergeJob }

  var mode: JobMode {
    get throws {
      guard let m = JobMode(rawValue: jobMode) else { throw LikelihoodError("--job-mode \(jobMode): use interactive, script, slurm or condor") }
      return m
    }
  }
}

/// The arguments given after `recombine <subcommand>`.
func commandLineArguments(after subcommand: String) -> [String] {
  let a = CommandLine.arguments
  if let k = a.dropFirst().firstIndex(of: subcommand) { return Array(a[(k + 1)...]) }
  return Array(a.dropFirst())
}

/// The path of the running executable.
func currentExecutable() -> String {
  if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
  let arg0 = CommandLine.arguments[0]
  if arg0.hasPrefix("/") { return arg0 }
  return URL(fileURLWithPath: arg0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
}

func absolutePath(_ p: String) -> String {
  p.hasPrefix("/") ? p : URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
}

/// Plans a split scan, writes its files and runs or submits it.
func runSplitScan(_ scan: ScanCommand, arguments: [String]) throws {
  let jobs = scan.jobs
  guard let split = scan.splitPoints else { return }
  let mode = try jobs.mode
  guard scan.firstPoint == nil, scan.lastPoint == nil else {
    throw LikelihoodError("--split-points plans the --firstPoint/--lastPoint ranges itself; give one or the other")
  }
  guard split >= 1 else { throw LikelihoodError("--split-points must be ≥ 1") }
  let taskName = jobs.taskName ?? "recombine_scan"
  guard !taskName.isEmpty, !taskName.contains("/") else { throw LikelihoodError("--task-name must be a plain file name") }

  // The grid, exactly as `scan` builds it (the model is read, nothing is fitted).
  let prep = try PreparedFit(scan.model)
  let axes = prep.targets
  var perAxis = Array(repeating: GridScan.pointsPerAxis(scan.points, dimensions: axes.count), count: axes.count)
  if scan.pointsX != nil || scan.pointsY != nil {
    guard axes.count == 2 else { throw LikelihoodError("--points-x/--points-y need exactly two POIs (-P a -P b)") }
    perAxis = [scan.pointsX ?? perAxis[0], scan.pointsY ?? perAxis[1]]
  }
  var scanAxes: [ScanAxis] = []
  for (k, n) in zip(axes, perAxis) {
    let s = prep.specs[k]
    guard s.lower.isFinite, s.upper.isFinite else { throw LikelihoodError("cannot scan '\(s.name)': its range is not finite (use --setParameterRanges)") }
    guard n >= 1 else { throw LikelihoodError("need a positive number of points for '\(s.name)'") }
    scanAxes.append(ScanAxis(name: s.name, values: GridScan.axisValues(lower: s.lower, upper: s.upper, count: n, alignEdges: scan.alignEdges == 1)))
  }

  let chunkArguments = JobSplitting.removingOptions(
    arguments, withValue: JobOptions.optionsWithValue.union(["--csv", "--plot", "--firstPoint", "--lastPoint"]),
    flags: JobOptions.flags)
  let cwd = FileManager.default.currentDirectoryPath
  let manifest = try ScanJobManifest(
    taskName: taskName, jobMode: mode, jobDirectory: absolutePath(jobs.jobDir ?? cwd), workingDirectory: cwd,
    executable: absolutePath(jobs.jobBinary ?? currentExecutable()), scanArguments: chunkArguments, splitPoints: split,
    axes: scanAxes, mergedOutput: scan.csv.map(absolutePath))
  if manifest.chunks.count > 1001, mode == .slurm {
    printError("warning: \(manifest.chunks.count) array tasks; Slurm's default MaxArraySize allows indices 0..1000 (raise --split-points)")
  }
  var fileOptions = ScanJobFiles.Options(subOptions: jobs.subOpts)
  if let t = JobSplitting.optionValue(arguments, "--threads").flatMap(Int.init) { fileOptions.cpus = t }
  let written = try ScanJobFiles.write(manifest, options: fileOptions)
  printError("scan: \(manifest.totalPoints) points (\(perAxis.map(String.init).joined(separator: "×"))) in \(manifest.chunks.count) chunks of up to \(split); wrote \(written.joined(separator: ", "))")
  if scan.plot != nil, mode != .interactive {
    printError("note: --plot is drawn by --job-mode interactive only; draw the merged CSV with 'recombine plot'")
  }
  try runJobs(manifest, jobs: jobs) {
    let result = try ScanMerge.merge(manifest: manifest)
    try writeMerged(result, manifest: manifest, to: $0, allowMissing: false)
    if let plot = scan.plot { try plotScanFile($0, pois: manifest.axes.map(\.name), to: plot) }
  }
}

/// Plans a split toy study (`fit -t N --split-toys K`), writes its files and runs or submits it.
func runSplitToys(_ fit: FitCommand, toys: Int, perJob: Int, arguments: [String]) throws {
  let jobs = fit.jobs
  let mode = try jobs.mode
  guard perJob >= 1 else { throw LikelihoodError("--split-toys must be ≥ 1") }
  guard fit.firstToy == 0 else { throw LikelihoodError("--split-toys plans the --firstToy of each job itself") }
  let taskName = jobs.taskName ?? "recombine_toys"
  guard !taskName.isEmpty, !taskName.contains("/") else { throw LikelihoodError("--task-name must be a plain file name") }
  let chunkArguments = JobSplitting.removingOptions(
    arguments, withValue: JobOptions.optionsWithValue.union(["--csv", "-t", "--toys", "--firstToy"]), flags: JobOptions.flags)
  let cwd = FileManager.default.currentDirectoryPath
  let manifest = try ScanJobManifest(
    taskName: taskName, jobMode: mode, jobDirectory: absolutePath(jobs.jobDir ?? cwd), workingDirectory: cwd,
    executable: absolutePath(jobs.jobBinary ?? currentExecutable()), fitArguments: chunkArguments, toys: toys,
    toysPerJob: perJob, mergedOutput: fit.csv.map(absolutePath))
  var fileOptions = ScanJobFiles.Options(subOptions: jobs.subOpts)
  if let t = JobSplitting.optionValue(arguments, "--threads").flatMap(Int.init) { fileOptions.cpus = t }
  let written = try ScanJobFiles.write(manifest, options: fileOptions)
  printError("toys: \(toys) toys in \(manifest.chunks.count) jobs of up to \(perJob); wrote \(written.joined(separator: ", "))")
  try runJobs(manifest, jobs: jobs) {
    try writeMerged(try ScanMerge.mergeToys(manifest: manifest), manifest: manifest, to: $0, allowMissing: false)
  }
}

/// Runs the tasks of a plan here (interactive; then `merge(OUT)` if the plan has an output), prints
/// how to run them (script), or submits the array (Slurm, Condor; with `--merge-job` also the
/// dependent merge job).
func runJobs(_ manifest: ScanJobManifest, jobs: JobOptions, merge: (String) throws -> Void) throws {
  let mode = manifest.jobMode
  let q = JobSplitting.shellQuote
  let (what, unit) = manifest.toys == nil ? ("scan", "points") : ("toys", "toys")
  if jobs.mergeJob {
    guard mode == .slurm else { throw LikelihoodError("--merge-job is for --job-mode slurm") }
    guard manifest.mergedOutput != nil else { throw LikelihoodError("--merge-job needs --csv (the merged output)") }
  }
  /// The dependent merge job (Slurm): runs only if every array task exits 0.
  func mergeJobCommand(after id: String) -> [String] {
    ["sbatch", "--parsable", "--dependency=afterok:\(id)", "--kill-on-invalid-dep=yes", "--job-name=\(manifest.taskName)_merge",
     "--output=\(manifest.path(manifest.taskName))_merge_%j.log",
     "--wrap=\(q(manifest.executable)) merge-scans --dir \(q(manifest.jobDirectory))"]
  }
  switch mode {
  case .script:
    printError("run task i (0..\(manifest.chunks.count - 1)) with: bash \(q(manifest.path(manifest.jobScript))) i; then: recombine merge-scans \(manifest.mergedOutput == nil ? "OUT.csv " : "")--dir \(q(manifest.jobDirectory))")
  case .slurm, .condor:
    let cmd = ScanJobFiles.submitCommand(manifest)!
    if jobs.dryRun {
      if jobs.mergeJob {
        // Runnable as printed: the array's id goes into the merge job's dependency.
        print("JOBID=$(" + cmd.map(q).joined(separator: " ") + ")")
        print(mergeJobCommand(after: "$JOBID").map { $0.hasPrefix("--dependency=") ? $0 : q($0) }.joined(separator: " "))
      } else {
        print(cmd.map(q).joined(separator: " "))
      }
      return
    }
    let (status, out) = try runProcess(cmd, captureOutput: true)
    guard status == 0 else { throw LikelihoodError("\(cmd[0]) failed (exit \(status))\(out.isEmpty ? "" : ": " + out)") }
    let text = out.trimmingCharacters(in: .whitespacesAndNewlines)
    let id = mode == .slurm ? text.split(separator: ";").first.map(String.init) ?? text : text
    print(id)
    if jobs.mergeJob {
      let (s2, out2) = try runProcess(mergeJobCommand(after: id), captureOutput: true)
      guard s2 == 0 else { throw LikelihoodError("sbatch of the merge job failed (exit \(s2)): \(out2)") }
      printError("submitted array job \(id) and merge job \(out2.trimmingCharacters(in: .whitespacesAndNewlines)) (writes \(manifest.mergedOutput!))")
    } else {
      printError("submitted; when the jobs are done: recombine merge-scans \(manifest.mergedOutput == nil ? "OUT.csv " : "")--dir \(q(manifest.jobDirectory))")
    }
  case .interactive:
    for c in manifest.chunks {
      let cmd = ["/bin/bash", manifest.path(manifest.jobScript), String(c.index)]
      if jobs.dryRun {
        print(cmd.map(q).joined(separator: " "))
        continue
      }
      if FileManager.default.fileExists(atPath: manifest.outputPath(c)) {
        printError("\(what): task \(c.index) (\(unit) \(c.first)-\(c.last)) already done: \(manifest.outputPath(c))")
        continue
      }
      printError("\(what): task \(c.index) of \(manifest.chunks.count): \(unit) \(c.first)-\(c.last)")
      let (status, _) = try runProcess(cmd, captureOutput: false)
      guard status == 0 else { throw LikelihoodError("task \(c.index) (\(unit) \(c.first)-\(c.last)) failed (exit \(status))") }
    }
    if jobs.dryRun { return }
    if let out = manifest.mergedOutput {
      try merge(out)
    } else {
      printError("\(what): merge the chunks with: recombine merge-scans OUT.csv --dir \(q(manifest.jobDirectory))")
    }
  }
}

/// Runs a command (looked up in PATH unless it is a path); returns its exit status and, if
/// captured, its standard output and error.
func runProcess(_ command: [String], captureOutput: Bool) throws -> (Int32, String) {
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
  do { try p.run() } catch { throw LikelihoodError("cannot run \(command[0]): \(error.localizedDescription)") }
  var text = ""
  if captureOutput { text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
  p.waitUntilExit()
  if p.terminationStatus == 127 && !command[0].contains("/") {
    throw LikelihoodError("\(command[0]) not found (is the batch system's client installed and in PATH?); use --dry-run to only write the files")
  }
  return (p.terminationStatus, text)
}

/// Writes a merge result, or reports what is missing (and how to rerun it) and fails.
func writeMerged(_ r: ScanMergeResult, manifest: ScanJobManifest?, to out: String, allowMissing: Bool) throws {
  for n in r.notes { printError("note: \(n)") }
  if !r.isComplete {
    printError(r.missingReport)
    if let m = manifest, !r.tasksToRerun.isEmpty {
      let tasks = r.tasksToRerun.map(String.init).joined(separator: ",")
      switch m.jobMode {
      case .slurm: printError("rerun: sbatch --array=\(tasks) \(JobSplitting.shellQuote(m.path(m.submitFile ?? m.taskName + ".slurm")))")
      default: printError("rerun: for i in \(r.tasksToRerun.map(String.init).joined(separator: " ")); do bash \(JobSplitting.shellQuote(m.path(m.jobScript))) $i; done")
      }
    }
    if !allowMissing { throw LikelihoodError("the \(manifest?.toys == nil ? "scan" : "toy study") is incomplete: \(out) not written (--allow-missing writes what there is)") }
  }
  guard !r.table.header.isEmpty else { throw LikelihoodError("no scan output to merge yet") }
  try ScanJobFiles.writeAtomically(r.table.csv, to: out)
  if let toys = manifest?.toys {
    printError("merge-scans: \(toys) toys (\(r.table.rows.count) rows) from \(r.inputFiles.count) files written to \(out)")
    return
  }
  let points = r.table.rows.count - (r.table.rows.first.map { Double($0[r.table.header.firstIndex(of: "quantileExpected")!]) == -1 } == true ? 1 : 0)
  printError("merge-scans: \(points) points from \(r.inputFiles.count) files\(r.duplicates > 0 ? " (\(r.duplicates) duplicates dropped)" : "") written to \(out)")
}

struct MergeScansCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge-scans",
    abstract: "Merge the chunk outputs of a split scan (or toy study) into one CSV.",
    discussion: """
      recombine merge-scans OUT.csv IN1.csv IN2.csv …   or   recombine merge-scans [OUT.csv] --dir JOBDIR
      Keeps one header and one best-fit row (quantileExpected = -1), sorts the points by their global \
      index (first POI outermost) and drops duplicates (keeping the lower deltaNLL). With the job \
      manifest (NAME.manifest.json, found in --dir or next to the inputs) every planned point is \
      checked; without one, gaps between the POINTS.A.B ranges of the file names are. An incomplete \
      scan is not written (exit 1) unless --allow-missing; the tasks to run again are printed. \
      A toy study (fit -t N --split-toys K) is merged from its directory: the NAME.TOYS.A.B.csv \
      files in toy order; a missing file names its task.
      """)

  @Argument(help: "OUT.csv, then the chunk CSVs (with --dir/--manifest: only OUT.csv, optional if the plan had --csv).")
  var files: [String] = []

  @Option(name: .customLong("dir"), help: "Job directory: its manifest (or its *.POINTS.A.B.csv files).")
  var dir: String?

  @Option(name: .customLong("manifest"), help: "The plan (NAME.manifest.json) to check against.")
  var manifest: String?

  @Option(name: .customShort("P"), help: "POI columns (repeatable; default: from the manifest, or inferred).")
  var poi: [String] = []

  @Flag(name: .customLong("allow-missing"), help: "Write the merged scan even if points are missing.")
  var allowMissing = false

  func run() throws {
    try runReportingErrors {
      var plan: ScanJobManifest? = try manifest.map(ScanJobManifest.read)
      var out: String? = nil
      var inputs: [String] = []
      if dir != nil || manifest != nil {
        guard files.count <= 1 else { throw LikelihoodError("with --dir/--manifest give only OUT.csv") }
        out = files.first
        if plan == nil, let dir {
          guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir).sorted() else {
            throw LikelihoodError("cannot read the job directory \(dir) (it does not exist or is not a directory)")
          }
          let manifests = names.filter { $0.hasSuffix(".manifest.json") }
          if manifests.count > 1 {
            throw LikelihoodError("\(dir) holds several plans (\(manifests.joined(separator: ", "))): choose one with --manifest")
          }
          if let m = manifests.first {
            plan = try ScanJobManifest.read((dir as NSString).appendingPathComponent(m))
            plan!.jobDirectory = absolutePath(dir)  // the job directory may have moved since
          } else {
            inputs = names.filter { $0.hasSuffix(".csv") && JobSplitting.pointRange(inFileName: $0) != nil }
              .map { (dir as NSString).appendingPathComponent($0) }
            guard !inputs.isEmpty else { throw LikelihoodError("\(dir) has no manifest and no *.POINTS.A.B.csv files") }
          }
        }
      } else {
        guard files.count >= 2 else { throw LikelihoodError("give OUT.csv and the chunk CSVs, or --dir JOBDIR") }
        out = files[0]
        inputs = Array(files.dropFirst())
        plan = findManifest(for: inputs)
        if let plan { printError("merge-scans: checking against \(plan.path(plan.manifestName))") }
      }
      guard let target = out ?? plan?.mergedOutput else {
        throw LikelihoodError("give the output file (the plan has no --csv)")
      }
      let result: ScanMergeResult
      if let plan, plan.toys != nil {
        guard inputs.isEmpty else { throw LikelihoodError("a toy study is merged from its job directory: recombine merge-scans [OUT.csv] --dir JOBDIR") }
        result = try ScanMerge.mergeToys(manifest: plan)
      } else if let plan, inputs.isEmpty {
        result = try ScanMerge.merge(manifest: plan)
      } else {
        let given = Set(inputs.map(absolutePath))
        guard !given.contains(absolutePath(target)) else { throw LikelihoodError("the output \(target) is also an input") }
        var r = try ScanMerge.merge(files: inputs, manifest: plan, axisNames: poi.isEmpty ? nil : poi)
        if let plan { r.missingFiles = plan.chunks.map(plan.outputPath).filter { !given.contains($0) && !FileManager.default.fileExists(atPath: $0) } }
        result = r
      }
      try writeMerged(result, manifest: plan, to: target, allowMissing: allowMissing)
    }
  }

  /// The manifest next to the inputs that planned them, if any.
  func findManifest(for inputs: [String]) -> ScanJobManifest? {
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
