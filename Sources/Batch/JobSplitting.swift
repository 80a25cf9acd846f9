//===--- JobSplitting.swift -----------------------------------------------===//
// Splitting a grid scan into batch jobs the way combineTool.py does (--split-points): one global
// point index per scan, inclusive [first, last] chunks, one output per chunk named
// NAME.POINTS.A.B.csv, one job script plus one array submission (Slurm or HTCondor), and a JSON
// manifest of the plan that `merge-scans` checks the outputs against.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// One job of a split scan: the global points `first...last` (inclusive, like
/// `--firstPoint/--lastPoint`). `index` is the 0-based task number (Slurm array index, Condor ProcId).
public struct ScanChunk: Codable, Sendable, Equatable {
  public var index: Int
  public var first: Int
  public var last: Int
  public init(index: Int, first: Int, last: Int) {
    self.index = index
    self.first = first
    self.last = last
  }
  public var count: Int { last - first + 1 }
  public func contains(_ point: Int) -> Bool { point >= first && point <= last }
}

/// How the chunks of a split scan are run.
public enum JobMode: String, Codable, Sendable, CaseIterable {
  /// Run every chunk here, one after the other (then merge).
  case interactive
  /// Only write the job script (and the manifest).
  case script
  /// Write a Slurm array script and submit it with `sbatch`.
  case slurm
  /// Write an HTCondor submit file (`queue N`) and submit it with `condor_submit`.
  case condor
}

public enum JobSplitting {
  /// combineTool's chunks: [0, S−1], [S, 2S−1], …, [kS, total−1] (the last one may be shorter),
  /// ⌈total/S⌉ of them. `total` must be the real grid size (2D: n_x·n_y, not --points).
  public static func planChunks(total: Int, splitPoints: Int) throws -> [ScanChunk] {
    guard total >= 1 else { throw JobSplittingError("the grid has no points") }
    guard splitPoints >= 1 else { throw JobSplittingError("--split-points must be ≥ 1") }
    let n = (total + splitPoints - 1) / splitPoints
    return (0..<n).map { k in ScanChunk(index: k, first: k * splitPoints, last: min(total, (k + 1) * splitPoints) - 1) }
  }

  /// The global index of grid point (i₀, i₁, …) with `perAxis` points per axis: the last axis runs
  /// fastest (2D: i·n_y + j, Combine's convention and `GridScan.gridPoints`).
  public static func flatIndex(_ coordinates: [Int], perAxis: [Int]) -> Int {
    precondition(coordinates.count == perAxis.count)
    var flat = 0
    for (c, n) in zip(coordinates, perAxis) { flat = flat * n + c }
    return flat
  }

  /// The inverse of `flatIndex`.
  public static func coordinates(of flat: Int, perAxis: [Int]) -> [Int] {
    var rem = flat
    var out = [Int](repeating: 0, count: perAxis.count)
    for a in stride(from: perAxis.count - 1, through: 0, by: -1) {
      out[a] = rem % perAxis[a]
      rem /= perAxis[a]
    }
    return out
  }

  /// The output file of a chunk: `NAME.POINTS.A.B.csv` (combineTool's `.POINTS.A.B` suffix).
  public static func outputName(task: String, chunk: ScanChunk) -> String {
    "\(task).POINTS.\(chunk.first).\(chunk.last).csv"
  }

  /// The inclusive point range in a file name written by `outputName` (`…POINTS.A.B…`), if any.
  public static func pointRange(inFileName name: String) -> (first: Int, last: Int)? {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    guard let k = parts.lastIndex(of: "POINTS"), k + 2 < parts.count,
          let a = Int(parts[k + 1]), let b = Int(parts[k + 2]), a >= 0, b >= a
    else { return nil }
    return (a, b)
  }

  /// A word quoted for bash (single quotes unless it needs none).
  public static func shellQuote(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !s.isEmpty, s.allSatisfy({ safe.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// `arguments` without the options named in `withValue` (each followed by a value, or written
  /// `--opt=value`) and the flags in `flags`. Everything else is kept in order, verbatim.
  public static func removingOptions(_ arguments: [String], withValue: Set<String>, flags: Set<String> = []) -> [String] {
    var out: [String] = []
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a == "--" { out += arguments[i...]; break }
      if flags.contains(a) { i += 1; continue }
      if withValue.contains(a) { i += 2; continue }
      if let eq = a.firstIndex(of: "="), a.hasPrefix("-"), withValue.contains(String(a[..<eq])) { i += 1; continue }
      out.append(a)
      i += 1
    }
    return out
  }

  /// The value of option `name` in `arguments` (`--opt value` or `--opt=value`; the last one wins).
  public static func optionValue(_ arguments: [String], _ name: String) -> String? {
    var value: String? = nil
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a == "--" { break }
      if a == name, i + 1 < arguments.count { value = arguments[i + 1]; i += 2; continue }
      if a.hasPrefix(name + "=") { value = String(a.dropFirst(name.count + 1)) }
      i += 1
    }
    return value
  }
}

/// An error of job planning or merging.
public struct JobSplittingError: RecombineError, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One scanned axis of a planned grid.
public struct ScanAxis: Codable, Sendable, Equatable {
  public var name: String
  public var values: [Double]
  public init(name: String, values: [Double]) {
    self.name = name
    self.values = values
  }
}

/// The plan of a split scan, written as `NAME.manifest.json` in the job directory. `merge-scans`
/// reads it to map rows to global point indices and to list what is missing.
public struct ScanJobManifest: Codable, Sendable, Equatable {
  public static let currentFormat = "recombine-scan-jobs/1"
  public var format: String = ScanJobManifest.currentFormat
  public var taskName: String
  public var jobMode: JobMode
  /// Absolute directory of the scripts, the manifest and the chunk outputs.
  public var jobDirectory: String
  /// Absolute directory every job changes to first (where `scan` was planned), so that relative
  /// paths in `scanArguments` mean the same in every job.
  public var workingDirectory: String
  /// The `recombine` executable the jobs run.
  public var executable: String
  /// The arguments after `scan`, without the splitting options, `--csv`, `--plot` and
  /// `--firstPoint/--lastPoint`: every chunk runs these plus its own range and output.
  public var scanArguments: [String]
  public var splitPoints: Int
  /// The real number of grid points (the product of the axis sizes).
  public var totalPoints: Int
  /// The scanned POIs and their grid values, first axis outermost.
  public var axes: [ScanAxis]
  public var chunks: [ScanChunk]
  /// Where the merged scan goes by default (the `--csv` of the planning command), if given.
  public var mergedOutput: String?
  /// File names (in `jobDirectory`) of the job script and the array submission.
  public var jobScript: String
  public var submitFile: String?
  /// For a toy study (`fit -t N --split-toys K`): the number of toys N; the "points" are then the
  /// toy indices 0…N−1, each job runs `fit` with `--firstToy A -t (B−A+1)`, and `scanArguments` are
  /// the arguments after `fit`. Nil for a scan.
  public var toys: Int? = nil
  /// The subcommand a toy study's jobs run: `fit` (nil, as older plans), `gof`, `significance`, `limit`.
  public var toyCommand: String? = nil
  /// A HybridNew grid (true): one job per value of `axes[0]` (the POI), each running
  /// `hybrid <scanArguments> --singlePoint μ --saveGrid JOBDIR/NAME.GRID.k.json`; the grid is then
  /// read with `hybrid … --grid JOBDIR`. Nil for scans and toy studies.
  public var hybridGrid: Bool? = nil

  public init(taskName: String, jobMode: JobMode, jobDirectory: String, workingDirectory: String, executable: String,
              scanArguments: [String], splitPoints: Int, axes: [ScanAxis], mergedOutput: String?) throws {
    self.taskName = taskName
    self.jobMode = jobMode
    self.jobDirectory = jobDirectory
    self.workingDirectory = workingDirectory
    self.executable = executable
    self.scanArguments = scanArguments
    self.splitPoints = splitPoints
    self.axes = axes
    totalPoints = axes.reduce(1) { $0 * $1.values.count }
    chunks = try JobSplitting.planChunks(total: totalPoints, splitPoints: splitPoints)
    self.mergedOutput = mergedOutput
    jobScript = taskName + ".sh"
    switch jobMode {
    case .slurm: submitFile = taskName + ".slurm"
    case .condor: submitFile = taskName + ".sub"
    case .interactive, .script: submitFile = nil
    }
  }

  /// The plan of a toy study: `toys` toys in jobs of `toysPerJob`, each running `command` (`fit`,
  /// `gof`, `significance`, `limit`) with `fitArguments` (without `-t`, the splitting options and
  /// `--csv`).
  public init(taskName: String, jobMode: JobMode, jobDirectory: String, workingDirectory: String, executable: String,
              fitArguments: [String], toys: Int, toysPerJob: Int, mergedOutput: String?, command: String = "fit") throws {
    guard toys >= 1 else { throw JobSplittingError("a toy study needs at least one toy") }
    try self.init(taskName: taskName, jobMode: jobMode, jobDirectory: jobDirectory, workingDirectory: workingDirectory,
                  executable: executable, scanArguments: fitArguments, splitPoints: toysPerJob,
                  axes: [ScanAxis(name: "toy", values: (0..<toys).map(Double.init))], mergedOutput: mergedOutput)
    axes = []
    self.toys = toys
    toyCommand = command == "fit" ? nil : command
  }

  /// The plan of a HybridNew grid: one job per value of the POI `poi`, each running `hybrid` with
  /// `hybridArguments` (without the splitting options, `--grid-points`, `--csv`, `--root`).
  public init(taskName: String, jobMode: JobMode, jobDirectory: String, workingDirectory: String, executable: String,
              hybridArguments: [String], poi: String, values: [Double], mergedOutput: String?) throws {
    guard !values.isEmpty else { throw JobSplittingError("a HybridNew grid needs at least one point") }
    try self.init(taskName: taskName, jobMode: jobMode, jobDirectory: jobDirectory, workingDirectory: workingDirectory,
                  executable: executable, scanArguments: hybridArguments, splitPoints: 1,
                  axes: [ScanAxis(name: poi, values: values)], mergedOutput: mergedOutput)
    hybridGrid = true
  }

  public var perAxis: [Int] { axes.map(\.values.count) }

  /// Whether the chunk outputs of `other` are this plan's: same arguments, grid or toys, chunks and
  /// working directory (the job mode, executable and submission settings do not matter).
  public func producesSameOutputs(as other: ScanJobManifest) -> Bool {
    scanArguments == other.scanArguments && axes == other.axes && toys == other.toys && chunks == other.chunks
      && workingDirectory == other.workingDirectory && taskName == other.taskName
  }
  public var manifestName: String { taskName + ".manifest.json" }
  public func path(_ name: String) -> String { (jobDirectory as NSString).appendingPathComponent(name) }
  /// A chunk's output: `NAME.POINTS.A.B.csv` (scans), `NAME.TOYS.A.B.csv` (toy studies).
  public func outputPath(_ chunk: ScanChunk) -> String {
    if hybridGrid == true { return path("\(taskName).GRID.\(chunk.first).json") }
    return toys == nil ? path(JobSplitting.outputName(task: taskName, chunk: chunk)) : path("\(taskName).TOYS.\(chunk.first).\(chunk.last).csv")
  }

  public func encoded() throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
  }

  public static func read(_ path: String) throws -> ScanJobManifest {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw JobSplittingError("cannot read the manifest \(path): \(error.localizedDescription)")
    }
    let m: ScanJobManifest
    do { m = try JSONDecoder().decode(ScanJobManifest.self, from: data) } catch {
      throw JobSplittingError("\(path) is not a scan-jobs manifest: \(error)")
    }
    guard m.format == currentFormat else { throw JobSplittingError("\(path): unknown manifest format '\(m.format)'") }
    return m
  }

  /// The global index of a grid point given by its axis values, if it lies on the planned grid
  /// (within a relative 1e-6 of an axis step, ample for the CSV's 9 significant digits).
  public func pointIndex(values: [Double]) -> Int? {
    guard values.count == axes.count else { return nil }
    var coords: [Int] = []
    for (v, axis) in zip(values, axes) {
      let span = (axis.values.max() ?? 0) - (axis.values.min() ?? 0)
      let tol = 1e-6 * max(span / Double(max(1, axis.values.count)), 1e-300) + 1e-12 * abs(v)
      guard let k = axis.values.indices.min(by: { abs(axis.values[$0] - v) < abs(axis.values[$1] - v) }),
            abs(axis.values[k] - v) <= tol
      else { return nil }
      coords.append(k)
    }
    return JobSplitting.flatIndex(coords, perAxis: perAxis)
  }
}

/// The files of a split scan.
public enum ScanJobFiles {
  /// Resources and extras of the generated submission files.
  public struct Options: Sendable {
    /// CPUs per job (`#SBATCH --cpus-per-task`, Condor `request_cpus`); nil: not set.
    public var cpus: Int? = nil
    /// Extra submission settings: for Slurm, extra `sbatch` arguments (put in the script as
    /// `#SBATCH` lines); for Condor, extra submit-file lines separated by `\n` (combineTool's --sub-opts).
    public var subOptions: String? = nil
    public init(cpus: Int? = nil, subOptions: String? = nil) {
      self.cpus = cpus
      self.subOptions = subOptions
    }
  }

  /// The job script: bash, one task per call. The task is `$1`, or `$SLURM_ARRAY_TASK_ID` when
  /// run as a Slurm array task; it selects the chunk from the table and runs
  /// `recombine scan <scanArguments> --firstPoint A --lastPoint B --csv JOBDIR/NAME.POINTS.A.B.csv`,
  /// or for a toy study `recombine fit|gof|significance|limit <arguments> --firstToy A -t (B−A+1) --csv JOBDIR/NAME.TOYS.A.B.csv`.
  public static func jobScript(_ m: ScanJobManifest) -> String {
    let q = JobSplitting.shellQuote
    let n = m.chunks.count
    let grid = m.hybridGrid == true
    let what = grid ? "HybridNew grid '\(m.taskName)': \(m.totalPoints) points of \(m.axes.first?.name ?? "")"
      : m.toys == nil ? "scan job '\(m.taskName)': \(m.totalPoints) grid points" : "toy study '\(m.taskName)': \(m.totalPoints) toys"
    let run = grid
      ? "hybrid \(m.scanArguments.map(q).joined(separator: " ")) --singlePoint \"$MU\" --saveGrid \(q(m.jobDirectory + "/" + m.taskName)).GRID.\"$FIRST\".json"
      : m.toys == nil
      ? "scan \(m.scanArguments.map(q).joined(separator: " ")) --firstPoint \"$FIRST\" --lastPoint \"$LAST\" --csv \(q(m.jobDirectory + "/" + m.taskName)).POINTS.\"$FIRST\".\"$LAST\".csv"
      : "\(m.toyCommand ?? "fit") \(m.scanArguments.map(q).joined(separator: " ")) --firstToy \"$FIRST\" -t $((LAST - FIRST + 1)) --csv \(q(m.jobDirectory + "/" + m.taskName)).TOYS.\"$FIRST\".\"$LAST\".csv"
    var s = """
      #!/bin/bash
      # recombine \(what) in \(n) chunks of up to \(m.splitPoints).
      # Usage: \(m.jobScript) TASK   (TASK = 0..\(n - 1); default: $SLURM_ARRAY_TASK_ID)
      # Plan: \(m.manifestName). \(grid ? "Read: recombine hybrid … --grid \(q(m.jobDirectory))" : "Merge: recombine merge-scans --dir \(q(m.jobDirectory))")
      set -euo pipefail
      TASK=${1:-${SLURM_ARRAY_TASK_ID:-}}
      case "$TASK" in

      """
    for c in m.chunks {
      s += "  \(c.index)) FIRST=\(c.first); LAST=\(c.last)\(grid ? "; MU=\(m.axes[0].values[c.first])" : "") ;;\n"
    }
    s += """
        *) echo "\(m.jobScript): unknown task '$TASK' (expected 0..\(n - 1))" >&2; exit 2 ;;
      esac
      cd \(q(m.workingDirectory))
      exec \(q(m.executable)) \(run)

      """
    return s
  }

  /// The Slurm array script: `#SBATCH --array=0-(n−1)`, one log per task, and the job script for
  /// `$SLURM_ARRAY_TASK_ID`. Submit with `sbatch --parsable NAME.slurm`.
  public static func slurmScript(_ m: ScanJobManifest, options: Options = Options()) -> String {
    let q = JobSplitting.shellQuote
    var s = """
      #!/bin/bash
      #SBATCH --job-name=\(m.taskName)
      #SBATCH --array=0-\(m.chunks.count - 1)
      #SBATCH --output=\(m.path(m.taskName))_%A_%a.log

      """
    if let c = options.cpus { s += "#SBATCH --cpus-per-task=\(c)\n" }
    for o in subOptionWords(options.subOptions) { s += "#SBATCH \(o)\n" }
    s += """
      # Resubmit some tasks with: sbatch --array=3,7 \(q(m.path(m.submitFile ?? "")))
      exec /bin/bash \(q(m.path(m.jobScript))) "$SLURM_ARRAY_TASK_ID"

      """
    return s
  }

  /// The HTCondor submit file: the job script with `arguments = $(ProcId)`, combineTool's
  /// hold/release policy, and `queue N`. Submit with `condor_submit NAME.sub`.
  public static func condorSubmit(_ m: ScanJobManifest, options: Options = Options()) -> String {
    var s = """
      # recombine scan job '\(m.taskName)': \(m.chunks.count) tasks (ProcId 0..\(m.chunks.count - 1))
      executable = \(m.path(m.jobScript))
      arguments  = $(ProcId)
      initialdir = \(m.jobDirectory)
      output = \(m.taskName).$(ClusterId).$(ProcId).out
      error  = \(m.taskName).$(ClusterId).$(ProcId).err
      log    = \(m.taskName).$(ClusterId).log
      on_exit_hold     = (ExitBySignal == True) || (ExitCode != 0)
      periodic_release = (NumJobStarts < 3) && ((CurrentTime - EnteredCurrentStatus) > 600)

      """
    if let c = options.cpus { s += "request_cpus = \(c)\n" }
    if let extra = options.subOptions {
      for line in extra.replacingOccurrences(of: "\\n", with: "\n").split(separator: "\n") { s += line + "\n" }
    }
    s += "queue \(m.chunks.count)\n"
    return s
  }

  /// The command that submits the array (nil for interactive and script modes).
  public static func submitCommand(_ m: ScanJobManifest) -> [String]? {
    switch m.jobMode {
    case .slurm: return ["sbatch", "--parsable", m.path(m.submitFile!)]
    case .condor: return ["condor_submit", m.path(m.submitFile!)]
    case .interactive, .script: return nil
    }
  }

  /// Writes the manifest, the job script and (Slurm, Condor) the submission file, each atomically.
  /// Returns the paths written.
  @discardableResult
  public static func write(_ m: ScanJobManifest, options: Options = Options()) throws -> [String] {
    try FileManager.default.createDirectory(atPath: m.jobDirectory, withIntermediateDirectories: true)
    // Outputs of an earlier, different plan under the same name would be taken for this one's
    // (interactive mode skips finished tasks; the merge reads what is there): refuse.
    if let old = try? ScanJobManifest.read(m.path(m.manifestName)), !old.producesSameOutputs(as: m) {
      let stale = old.chunks.map(old.outputPath).filter { FileManager.default.fileExists(atPath: $0) || FileManager.default.fileExists(atPath: $0 + ".partial") }
      if !stale.isEmpty {
        throw JobSplittingError("\(m.path(m.manifestName)) plans a different \(old.toys == nil ? "scan" : "toy study") whose outputs are still there (\(stale.count) files, e.g. \(stale[0])): remove them, or use another --job-dir or --task-name")
      }
    }
    var written: [String] = []
    try writeFileAtomically(try m.encoded(), to: m.path(m.manifestName))
    written.append(m.path(m.manifestName))
    try writeFileAtomically(jobScript(m), to: m.path(m.jobScript), mode: 0o755)
    written.append(m.path(m.jobScript))
    switch m.jobMode {
    case .slurm:
      try writeFileAtomically(slurmScript(m, options: options), to: m.path(m.submitFile!), mode: 0o755)
      written.append(m.path(m.submitFile!))
    case .condor:
      try writeFileAtomically(condorSubmit(m, options: options), to: m.path(m.submitFile!))
      written.append(m.path(m.submitFile!))
    case .interactive, .script: break
    }
    return written
  }

  /// `--sub-opts` for Slurm: words, kept together as `--key=value` or `--key value`.
  static func subOptionWords(_ s: String?) -> [String] {
    guard let s else { return [] }
    let words = s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    var out: [String] = []
    for w in words {
      if let last = out.last, last.hasPrefix("-"), !last.contains("=") && !last.contains(" "), !w.hasPrefix("-"),
         last.hasPrefix("--") || last.count == 2 {
        out[out.count - 1] = last + " " + w
      } else {
        out.append(w)
      }
    }
    return out
  }
}

extension ScanJobFiles {

}
