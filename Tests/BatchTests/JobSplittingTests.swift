import Foundation
import Batch
import Inference
import Support
import Testing
import TestSupport

/// Planning a split scan (combineTool's --split-points) and the files it writes.
@Suite struct JobSplittingTests {
  /// Inclusive [first, last] chunks of the global index; the last one may be shorter.
  @Test func chunkPlanning() throws {
    let c = try JobSplitting.planChunks(total: 12, splitPoints: 5)
    #expect(c == [ScanChunk(index: 0, first: 0, last: 4), ScanChunk(index: 1, first: 5, last: 9), ScanChunk(index: 2, first: 10, last: 11)])
    #expect(c.map(\.count) == [5, 5, 2])
    #expect(try JobSplitting.planChunks(total: 10, splitPoints: 5).map(\.last) == [4, 9])
    #expect(try JobSplitting.planChunks(total: 7, splitPoints: 100) == [ScanChunk(index: 0, first: 0, last: 6)])
    #expect(try JobSplitting.planChunks(total: 3, splitPoints: 1).map { [$0.first, $0.last] } == [[0, 0], [1, 1], [2, 2]])
    #expect(throws: JobSplittingError.self) { try JobSplitting.planChunks(total: 10, splitPoints: 0) }
    #expect(throws: JobSplittingError.self) { try JobSplitting.planChunks(total: 0, splitPoints: 3) }
    // Every point exactly once, for many sizes.
    for total in 1...40 {
      for s in 1...12 {
        let chunks = try JobSplitting.planChunks(total: total, splitPoints: s)
        #expect(chunks.count == (total + s - 1) / s)
        #expect(chunks.flatMap { Array($0.first...$0.last) } == Array(0..<total))
        #expect(chunks.enumerated().allSatisfy { $0.offset == $0.element.index && $0.element.count <= s })
      }
    }
  }

  /// The 2D index is i·n_y + j (first POI outermost), as in Combine and GridScan.gridPoints, and
  /// the plan covers the real grid n_x·n_y, not --points.
  @Test func twoDimensionalIndex() throws {
    let x = [1.0, 2, 3], y = [10.0, 20, 30, 40]
    let grid = GridScan.gridPoints(axes: [x, y])
    for i in x.indices {
      for j in y.indices {
        let flat = JobSplitting.flatIndex([i, j], perAxis: [3, 4])
        #expect(flat == i * 4 + j)
        #expect(grid[flat] == [x[i], y[j]])
        #expect(JobSplitting.coordinates(of: flat, perAxis: [3, 4]) == [i, j])
      }
    }
    // --points 10 in 2D: ⌈√10⌉ = 4 per axis, 16 points (combineTool would plan only 10).
    let n = GridScan.pointsPerAxis(10, dimensions: 2)
    let axes = ["a", "b"].map { ScanAxis(name: $0, values: GridScan.axisValues(lower: 0, upper: 1, count: n, alignEdges: false)) }
    let m = try Self.manifest(axes: axes, split: 5)
    #expect(m.totalPoints == 16)
    #expect(m.chunks.map { [$0.first, $0.last] } == [[0, 4], [5, 9], [10, 14], [15, 15]])
    #expect(m.pointIndex(values: [axes[0].values[2], axes[1].values[1]]) == 2 * 4 + 1)
    #expect(m.pointIndex(values: [0.375 + 1e-10, 0.625]) == 1 * 4 + 2)  // CSV rounding is tolerated
    #expect(m.pointIndex(values: [0.3, 0.625]) == nil)  // off the grid
  }

  @Test func namesAndArguments() {
    let c = ScanChunk(index: 3, first: 30, last: 39)
    #expect(JobSplitting.outputName(task: "mytask", chunk: c) == "mytask.POINTS.30.39.csv")
    #expect(JobSplitting.pointRange(inFileName: "mytask.POINTS.30.39.csv")! == (30, 39))
    #expect(JobSplitting.pointRange(inFileName: "higgsCombine.scan.POINTS.0.9.MultiDimFit.mH125.root")! == (0, 9))
    #expect(JobSplitting.pointRange(inFileName: "scan.csv") == nil)
    #expect(JobSplitting.pointRange(inFileName: "x.POINTS.9.3.csv") == nil)
    let args = ["card.txt", "-m", "125", "--points", "50", "--split-points", "10", "--job-mode=slurm", "--dry-run",
                "--csv", "out.csv", "-P", "r", "--task-name", "t", "--setParameters", "a=1"]
    #expect(JobSplitting.removingOptions(args, withValue: ["--split-points", "--job-mode", "--csv", "--task-name"], flags: ["--dry-run"])
      == ["card.txt", "-m", "125", "--points", "50", "-P", "r", "--setParameters", "a=1"])
    #expect(JobSplitting.optionValue(args, "--job-mode") == "slurm")
    #expect(JobSplitting.optionValue(args, "--csv") == "out.csv")
    #expect(JobSplitting.shellQuote("a/b-c.txt") == "a/b-c.txt")
    #expect(JobSplitting.shellQuote("it's a card") == "'it'\\''s a card'")
    #expect(JobSplitting.shellQuote("") == "''")
  }

  static func manifest(axes: [ScanAxis], split: Int, mode: JobMode = .slurm, dir: String = "/jobs/scan",
                       executable: String = "/opt/bin/recombine", args: [String] = ["card.txt", "-m", "125", "--points", "12"]) throws -> ScanJobManifest {
    try ScanJobManifest(taskName: "t", jobMode: mode, jobDirectory: dir, workingDirectory: "/home/me/ana",
                        executable: executable, scanArguments: args, splitPoints: split, axes: axes, mergedOutput: "/home/me/ana/scan.csv")
  }

  static let rAxis = ScanAxis(name: "r", values: GridScan.axisValues(lower: -1, upper: 2, count: 12, alignEdges: false))

  /// The key lines of the job script, the Slurm array script and the Condor submit file.
  @Test func generatedFiles() throws {
    let m = try Self.manifest(axes: [Self.rAxis], split: 5, args: ["my card.txt", "-m", "125", "--points", "12", "--threads", "1"])
    let script = ScanJobFiles.jobScript(m)
    let lines = script.split(separator: "\n").map(String.init)
    #expect(lines.first == "#!/bin/bash")
    #expect(lines.contains("set -euo pipefail"))
    #expect(lines.contains("TASK=${1:-${SLURM_ARRAY_TASK_ID:-}}"))
    #expect(lines.contains("  0) FIRST=0; LAST=4 ;;"))
    #expect(lines.contains("  1) FIRST=5; LAST=9 ;;"))
    #expect(lines.contains("  2) FIRST=10; LAST=11 ;;"))
    #expect(!script.contains("  3) "))
    #expect(lines.contains("cd /home/me/ana"))
    #expect(lines.contains(#"exec /opt/bin/recombine scan 'my card.txt' -m 125 --points 12 --threads 1 --firstPoint "$FIRST" --lastPoint "$LAST" --csv /jobs/scan/t.POINTS."$FIRST"."$LAST".csv"#))

    let slurm = ScanJobFiles.slurmScript(m, options: .init(cpus: 1, subOptions: "--partition=short --time 60"))
    let sl = slurm.split(separator: "\n").map(String.init)
    #expect(sl.first == "#!/bin/bash")
    #expect(sl.contains("#SBATCH --job-name=t"))
    #expect(sl.contains("#SBATCH --array=0-2"))
    #expect(sl.contains("#SBATCH --output=/jobs/scan/t_%A_%a.log"))
    #expect(sl.contains("#SBATCH --cpus-per-task=1"))
    #expect(sl.contains("#SBATCH --partition=short"))
    #expect(sl.contains("#SBATCH --time 60"))
    #expect(sl.last == #"exec /bin/bash /jobs/scan/t.sh "$SLURM_ARRAY_TASK_ID""#)
    #expect(ScanJobFiles.submitCommand(m) == ["sbatch", "--parsable", "/jobs/scan/t.slurm"])

    let cm = try Self.manifest(axes: [Self.rAxis], split: 4, mode: .condor)
    let sub = ScanJobFiles.condorSubmit(cm, options: .init(subOptions: #"+JobFlavour="workday"\nRequestMemory=2000"#)).split(separator: "\n").map(String.init)
    #expect(sub.contains("executable = /jobs/scan/t.sh"))
    #expect(sub.contains("arguments  = $(ProcId)"))
    #expect(sub.contains("initialdir = /jobs/scan"))
    #expect(sub.contains("on_exit_hold     = (ExitBySignal == True) || (ExitCode != 0)"))
    #expect(sub.contains(#"+JobFlavour="workday""#))
    #expect(sub.contains("RequestMemory=2000"))
    #expect(sub.last == "queue 3")
    #expect(cm.submitFile == "t.sub")
    #expect(ScanJobFiles.submitCommand(cm) == ["condor_submit", "/jobs/scan/t.sub"])
    #expect(try Self.manifest(axes: [Self.rAxis], split: 4, mode: .interactive).submitFile == nil)
  }

  /// The written job script, run by hand for every task (as a batch system would), calls the
  /// executable with the same arguments plus the chunk's range and output; unknown tasks fail.
  @Test func jobScriptRunsEachChunk() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-jobs-\(getpid())-script").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    // A stand-in for recombine that records its working directory and arguments, one per line.
    let fake = dir + "/fake-recombine"
    try writeFileAtomically("#!/bin/bash\n{ pwd; printf '%s\\n' \"$@\"; } > \"$FAKE_OUT\"\n", to: fake, mode: 0o755)
    var m = try Self.manifest(axes: [Self.rAxis], split: 5, mode: .slurm, dir: dir + "/jobs", executable: fake,
                              args: ["card with space.txt", "--setParameters", "a=1,b='x'"])
    m.workingDirectory = dir
    let written = try ScanJobFiles.write(m)
    #expect(written == [dir + "/jobs/t.manifest.json", dir + "/jobs/t.sh", dir + "/jobs/t.slurm"])
    #expect(try ScanJobManifest.read(dir + "/jobs/t.manifest.json") == m)
    #expect(FileManager.default.isExecutableFile(atPath: dir + "/jobs/t.sh"))
    for c in m.chunks {
      let (status, _) = try Self.bash([dir + "/jobs/t.sh", String(c.index)], env: ["FAKE_OUT": dir + "/out\(c.index)"])
      #expect(status == 0)
      let got = try String(contentsOfFile: dir + "/out\(c.index)", encoding: .utf8).split(separator: "\n").map(String.init)
      #expect(got == [dir, "scan", "card with space.txt", "--setParameters", "a=1,b='x'", "--firstPoint", String(c.first),
                      "--lastPoint", String(c.last), "--csv", dir + "/jobs/" + JobSplitting.outputName(task: "t", chunk: c)])
    }
    // As a Slurm array task: the index comes from SLURM_ARRAY_TASK_ID.
    let (s2, _) = try Self.bash([dir + "/jobs/t.sh"], env: ["FAKE_OUT": dir + "/outS", "SLURM_ARRAY_TASK_ID": "2"])
    #expect(s2 == 0)
    #expect(try String(contentsOfFile: dir + "/outS", encoding: .utf8).contains("--firstPoint\n10\n--lastPoint\n11\n"))
    let (bad, err) = try Self.bash([dir + "/jobs/t.sh", "3"], env: ["FAKE_OUT": dir + "/outX"])
    #expect(bad == 2)
    #expect(err.contains("unknown task '3'"))
    let (none, _) = try Self.bash([dir + "/jobs/t.sh"], env: ["FAKE_OUT": dir + "/outX"])
    #expect(none == 2)
    // bash accepts the Slurm array script as it is.
    #expect(try Self.bash(["-n", dir + "/jobs/t.slurm"], env: [:]).0 == 0)
  }

  /// A toy study: 23 toys in jobs of 7 are chunks [0,6] [7,13] [14,20] [21,22]; each task runs
  /// `fit ARGS --firstToy A -t (B−A+1) --csv NAME.TOYS.A.B.csv`; the manifest round-trips and a
  /// missing chunk output is reported with its task by the merge.
  @Test func toyStudyJobs() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-jobs-\(getpid())-toys").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let fake = dir + "/fake-recombine"
    try writeFileAtomically("#!/bin/bash\n{ pwd; printf '%s\\n' \"$@\"; } > \"$FAKE_OUT\"\n", to: fake, mode: 0o755)
    var m = try ScanJobManifest(taskName: "toys", jobMode: .script, jobDirectory: dir + "/jobs", workingDirectory: dir,
                                executable: fake, fitArguments: ["card.txt", "-s", "5", "--algo", "singles"], toys: 23,
                                toysPerJob: 7, mergedOutput: nil)
    m.workingDirectory = dir
    #expect(m.chunks.map { [$0.first, $0.last] } == [[0, 6], [7, 13], [14, 20], [21, 22]])
    #expect(m.toys == 23 && m.totalPoints == 23 && m.axes.isEmpty)
    try ScanJobFiles.write(m)
    #expect(try ScanJobManifest.read(dir + "/jobs/toys.manifest.json") == m)
    for c in m.chunks {
      let (status, _) = try Self.bash([dir + "/jobs/toys.sh", String(c.index)], env: ["FAKE_OUT": dir + "/out\(c.index)"])
      #expect(status == 0)
      let got = try String(contentsOfFile: dir + "/out\(c.index)", encoding: .utf8).split(separator: "\n").map(String.init)
      #expect(got == [dir, "fit", "card.txt", "-s", "5", "--algo", "singles", "--firstToy", String(c.first),
                      "-t", String(c.last - c.first + 1), "--csv", dir + "/jobs/toys.TOYS.\(c.first).\(c.last).csv"])
    }
    // Merge: chunks concatenated in toy order under one header; a missing chunk names its task.
    let header = "mh,iToy,quantileExpected,r,deltaNLL\n"
    for c in m.chunks where c.index != 2 {
      let rows = (c.first...c.last).map { "125,\($0 + 1),-1,1,0\n" }.joined()
      try writeFileAtomically(header + rows, to: m.outputPath(c))
    }
    let partial = try ScanMerge.mergeToys(manifest: m)
    #expect(!partial.isComplete && partial.tasksToRerun == [2] && partial.missingFiles == [m.outputPath(m.chunks[2])])
    try writeFileAtomically(header + (14...20).map { "125,\($0 + 1),-1,1,0\n" }.joined(), to: m.outputPath(m.chunks[2]))
    let full = try ScanMerge.mergeToys(manifest: m)
    #expect(full.isComplete)
    #expect(full.table.rows.map { Int($0[1])! } == Array(1...23))
    #expect(try ScanMerge.merge(manifest: m).table.rows.count == 23)  // the generic merge defers to mergeToys
    // Planning the same study again is fine (interactive reruns resume); a different one (other
    // seed) into the same directory, with those outputs present, is refused.
    try ScanJobFiles.write(m)
    var other = m
    other.scanArguments = ["card.txt", "-s", "6", "--algo", "singles"]
    #expect(throws: JobSplittingError.self) { try ScanJobFiles.write(other) }
  }

  /// Runs bash with arguments and extra environment (no Slurm task id); returns the exit status and standard error.
  static func bash(_ arguments: [String], env: [String: String]) throws -> (Int32, String) {
    var e: [String: String?] = ["SLURM_ARRAY_TASK_ID": nil]
    for (k, v) in env { e[k] = v }
    let r = try runProgram("/bin/bash", arguments, environment: e)
    return (r.status, r.stderr)
  }
}
