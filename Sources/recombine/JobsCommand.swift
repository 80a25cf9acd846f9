//===--- JobsCommand.swift ------------------------------------------------===//
// Job splitting of big scans (combineTool.py's --split-points/--job-mode) and
// `recombine merge-scans`.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Batch
import Inference
import Support

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
      guard let m = JobMode(rawValue: jobMode) else { throw UsageError("--job-mode \(jobMode): use interactive, script, slurm or condor") }
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

/// Plans a split scan, writes its files and runs or submits it.
func runSplitScan(_ scan: ScanCommand, arguments: [String]) throws {
  let jobs = scan.jobs
  guard let split = scan.splitPoints else { return }
  let mode = try jobs.mode
  guard scan.firstPoint == nil, scan.lastPoint == nil else {
    throw UsageError("--split-points plans the --firstPoint/--lastPoint ranges itself; give one or the other")
  }
  guard split >= 1 else { throw UsageError("--split-points must be ≥ 1") }
  let taskName = jobs.taskName ?? "recombine_scan"
  guard !taskName.isEmpty, !taskName.contains("/") else { throw UsageError("--task-name must be a plain file name") }

  // The grid, exactly as `scan` builds it (the model is read, nothing is fitted).
  let problem = try scan.model.problem()
  let axes = problem.targets
  var perAxis = Array(repeating: GridScan.pointsPerAxis(scan.points, dimensions: axes.count), count: axes.count)
  if scan.pointsX != nil || scan.pointsY != nil {
    guard axes.count == 2 else { throw UsageError("--points-x/--points-y need exactly two POIs (-P a -P b)") }
    perAxis = [scan.pointsX ?? perAxis[0], scan.pointsY ?? perAxis[1]]
  }
  var scanAxes: [ScanAxis] = []
  for (k, n) in zip(axes, perAxis) {
    let s = problem.specs[k]
    guard s.lower.isFinite, s.upper.isFinite else { throw UsageError("cannot scan '\(s.name)': its range is not finite (use --setParameterRanges)") }
    guard n >= 1 else { throw UsageError("need a positive number of points for '\(s.name)'") }
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
  try JobRunner.run(manifest, dryRun: jobs.dryRun, mergeJob: jobs.mergeJob, reporter: .cli) {
    let result = try ScanMerge.merge(manifest: manifest)
    try JobRunner.writeMerged(result, manifest: manifest, to: $0, allowMissing: false, reporter: .cli)
    if let plot = scan.plot { try drawScan(try LimitTreeTable.read($0), pois: manifest.axes.map(\.name), to: plot) }
  }
}

/// Plans a split toy study (`fit -t N --split-toys K`), writes its files and runs or submits it.
func runSplitToys(command: String = "fit", jobs: JobOptions, firstToy: Int, csv: String?, toys: Int, perJob: Int,
                  arguments: [String]) throws {
  let mode = try jobs.mode
  guard perJob >= 1 else { throw UsageError("--split-toys must be ≥ 1") }
  guard firstToy == 0 else { throw UsageError("--split-toys plans the --firstToy of each job itself") }
  let taskName = jobs.taskName ?? "recombine_toys"
  guard !taskName.isEmpty, !taskName.contains("/") else { throw UsageError("--task-name must be a plain file name") }
  let chunkArguments = JobSplitting.removingOptions(
    arguments, withValue: JobOptions.optionsWithValue.union(["--csv", "-t", "--toys", "--firstToy"]), flags: JobOptions.flags)
  let cwd = FileManager.default.currentDirectoryPath
  let manifest = try ScanJobManifest(
    taskName: taskName, jobMode: mode, jobDirectory: absolutePath(jobs.jobDir ?? cwd), workingDirectory: cwd,
    executable: absolutePath(jobs.jobBinary ?? currentExecutable()), fitArguments: chunkArguments, toys: toys,
    toysPerJob: perJob, mergedOutput: csv.map(absolutePath), command: command)
  var fileOptions = ScanJobFiles.Options(subOptions: jobs.subOpts)
  if let t = JobSplitting.optionValue(arguments, "--threads").flatMap(Int.init) { fileOptions.cpus = t }
  let written = try ScanJobFiles.write(manifest, options: fileOptions)
  printError("toys: \(toys) toys in \(manifest.chunks.count) jobs of up to \(perJob); wrote \(written.joined(separator: ", "))")
  try JobRunner.run(manifest, dryRun: jobs.dryRun, mergeJob: jobs.mergeJob, reporter: .cli) {
    try JobRunner.writeMerged(try ScanMerge.mergeToys(manifest: manifest), manifest: manifest, to: $0, allowMissing: false, reporter: .cli)
  }
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
        guard files.count <= 1 else { throw UsageError("with --dir/--manifest give only OUT.csv") }
        out = files.first
        if plan == nil, let dir {
          guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir).sorted() else {
            throw UsageError("cannot read the job directory \(dir) (it does not exist or is not a directory)")
          }
          let manifests = names.filter { $0.hasSuffix(".manifest.json") }
          if manifests.count > 1 {
            throw UsageError("\(dir) holds several plans (\(manifests.joined(separator: ", "))): choose one with --manifest")
          }
          if let m = manifests.first {
            plan = try ScanJobManifest.read((dir as NSString).appendingPathComponent(m))
            plan!.jobDirectory = absolutePath(dir)  // the job directory may have moved since
          } else {
            inputs = names.filter { $0.hasSuffix(".csv") && JobSplitting.pointRange(inFileName: $0) != nil }
              .map { (dir as NSString).appendingPathComponent($0) }
            guard !inputs.isEmpty else { throw UsageError("\(dir) has no manifest and no *.POINTS.A.B.csv files") }
          }
        }
      } else {
        guard files.count >= 2 else { throw UsageError("give OUT.csv and the chunk CSVs, or --dir JOBDIR") }
        out = files[0]
        inputs = Array(files.dropFirst())
        plan = JobRunner.findManifest(for: inputs)
        if let plan { printError("merge-scans: checking against \(plan.path(plan.manifestName))") }
      }
      guard let target = out ?? plan?.mergedOutput else {
        throw UsageError("give the output file (the plan has no --csv)")
      }
      let result: ScanMergeResult
      if let plan, plan.toys != nil {
        guard inputs.isEmpty else { throw UsageError("a toy study is merged from its job directory: recombine merge-scans [OUT.csv] --dir JOBDIR") }
        result = try ScanMerge.mergeToys(manifest: plan)
      } else if let plan, inputs.isEmpty {
        result = try ScanMerge.merge(manifest: plan)
      } else {
        let given = Set(inputs.map(absolutePath))
        guard !given.contains(absolutePath(target)) else { throw UsageError("the output \(target) is also an input") }
        var r = try ScanMerge.merge(files: inputs, manifest: plan, axisNames: poi.isEmpty ? nil : poi)
        if let plan { r.missingFiles = plan.chunks.map(plan.outputPath).filter { !given.contains($0) && !FileManager.default.fileExists(atPath: $0) } }
        result = r
      }
      try JobRunner.writeMerged(result, manifest: plan, to: target, allowMissing: allowMissing, reporter: .cli)
    }
  }
}

extension JobReporter {
  /// Output to standard output, progress to standard error.
  static let cli = JobReporter(output: { print($0) }, progress: { printError($0) })
}
