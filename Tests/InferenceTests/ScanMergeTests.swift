import Foundation
import Batch
import Inference
import Support
import Testing

/// Merging the chunk outputs of a split scan (`recombine merge-scans`).
@Suite struct ScanMergeTests {
  /// A synthetic 2D scan (3 × 4 points, index i·4 + j) as `scan --csv` writes it, with one saved
  /// nuisance column: the best-fit row, then one row per point.
  static let xs = [0.125, 0.375, 0.625], ys = [-1.5, -0.5, 0.5, 1.5]
  static let header = ["mh", "iToy", "quantileExpected", "a", "b", "theta", "deltaNLL"]
  static let bestFit = ["125", "0", "-1", "0.2", "0.1", "0.05", "0"]
  static func row(_ flat: Int) -> [String] {
    let i = flat / 4, j = flat % 4
    return ["125", "0", String(0.5 / Double(flat + 1)), String(xs[i]), String(ys[j]), String(0.01 * Double(flat)), String(Double(flat) * 0.25)]
  }
  static func chunk(_ range: ClosedRange<Int>, shuffled: Bool = false) -> LimitTreeTable {
    var rows = range.map(row)
    if shuffled { rows.reverse() }
    return LimitTreeTable(header: header, rows: [bestFit] + rows)
  }
  static func manifest() throws -> ScanJobManifest {
    try ScanJobManifest(taskName: "t", jobMode: .slurm, jobDirectory: "/jobs", workingDirectory: "/work", executable: "/bin/recombine",
                        scanArguments: [], splitPoints: 5, axes: [ScanAxis(name: "a", values: xs), ScanAxis(name: "b", values: ys)],
                        mergedOutput: nil)
  }
  static let full = LimitTreeTable(header: header, rows: [bestFit] + (0..<12).map(row))

  /// Chunks in any order, rows in any order, overlapping chunks and repeated best-fit rows merge
  /// to the full scan: one best-fit row, points by index, no duplicates.
  @Test func mergesTwoDimensionalChunks() throws {
    let m = try Self.manifest()
    #expect(m.chunks.map { [$0.first, $0.last] } == [[0, 4], [5, 9], [10, 11]])
    let inputs: [(path: String, table: LimitTreeTable)] = [
      ("/jobs/t.POINTS.10.11.csv", Self.chunk(10...11)),
      ("/jobs/t.POINTS.0.4.csv", Self.chunk(0...4, shuffled: true)),
      ("/jobs/t.POINTS.5.9.csv", Self.chunk(5...9)),
      ("/jobs/rerun.POINTS.3.6.csv", Self.chunk(3...6)),
    ]
    let r = try ScanMerge.merge(inputs, manifest: m)
    #expect(r.table == Self.full)
    #expect(r.pointIndices == (0..<12).map { $0 })
    #expect(r.duplicates == 4)
    #expect(r.isComplete && r.missing.isEmpty && r.tasksToRerun.isEmpty)
    #expect(r.notes.isEmpty)
    // Without the manifest the POI columns (a, b) are inferred and sorting by them is the same order.
    let n = try ScanMerge.merge(inputs)
    #expect(n.table == Self.full)
    #expect(n.duplicates == 4)
    #expect(n.isComplete)
    // Naming the POI columns does the same.
    #expect(try ScanMerge.merge(inputs, axisNames: ["a", "b"]).table == Self.full)
    // Of two rows for one point the lower deltaNLL is kept.
    var better = Self.chunk(7...7)
    better.rows[1][6] = "-0.5"
    let b = try ScanMerge.merge(inputs + [("/jobs/better.csv", better)], manifest: m)
    #expect(b.table.rows[1 + 7][6] == "-0.5")
    #expect(b.table.rows.count == 13)
  }

  /// A missing chunk, or a chunk with a missing point, is reported with the tasks to run again.
  @Test func reportsMissingChunks() throws {
    let m = try Self.manifest()
    var short = Self.chunk(5...9)
    short.rows.remove(at: 3)  // point 7
    let r = try ScanMerge.merge([("/jobs/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/jobs/t.POINTS.5.9.csv", short)], manifest: m)
    #expect(!r.isComplete)
    #expect(r.missing == [7...7, 10...11])
    #expect(r.missingPointCount == 3)
    #expect(r.tasksToRerun == [1, 2])
    #expect(r.missingReport.contains("missing points (3): 7,10-11"))
    #expect(r.table.rows.count == 1 + 9)
    // Without the manifest: gaps between the POINTS ranges of the file names, and short files.
    let n = try ScanMerge.merge([("/x/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/x/t.POINTS.10.11.csv", Self.chunk(10...11)),
                                 ("/x/t.POINTS.5.9.csv", short)])
    #expect(n.missing.isEmpty)
    #expect(n.incompleteFiles.map(\.path) == ["/x/t.POINTS.5.9.csv"])
    #expect(n.incompleteFiles.first?.found == 4)
    let g = try ScanMerge.merge([("/x/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/x/t.POINTS.10.11.csv", Self.chunk(10...11))])
    #expect(g.missing == [5...9])
    #expect(!g.isComplete)
    // Nothing ran yet.
    let none = try ScanMerge.merge([], manifest: m)
    #expect(none.missing == [0...11] && none.tasksToRerun == [0, 1, 2])
  }

  @Test func rejectsForeignInputs() throws {
    let m = try Self.manifest()
    var other = Self.chunk(0...1)
    other.header[3] = "c"
    #expect(throws: JobSplittingError.self) { try ScanMerge.merge([("a.csv", Self.chunk(0...4)), ("b.csv", other)]) }
    var offGrid = Self.chunk(0...1)
    offGrid.rows[1][3] = "0.2"
    #expect(throws: JobSplittingError.self) { try ScanMerge.merge([("a.csv", offGrid)], manifest: m) }
    #expect(throws: TableError.self) { try LimitTreeTable(csv: "mh,deltaNLL\n1,2,3\n") }
    #expect(ScanMerge.ranges([1, 2, 3, 5, 7, 8]) == [1...3, 5...5, 7...8])
  }

  /// The real thing, with the built `recombine`: a scan split into chunks run one after another
  /// (`--job-mode interactive`) and merged equals the same scan in one go; `merge-scans` finds a
  /// deleted chunk; `--job-mode slurm --dry-run` writes the array script and prints `sbatch`.
  @Test func splitScanEqualsFullScan() throws {
    let bin = try #require(ExampleScriptTests.binary, "recombine executable not found next to the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-jobs-\(getpid())-scan").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let card = GridScanTests.card.path
    let scan = ["scan", card, "-m", "200", "--rMin", "-1", "--rMax", "2", "--points", "12", "--threads", "1"]
    #expect(try Self.run(bin, scan + ["--csv", dir + "/full.csv"], in: dir).status == 0)
    let split = try Self.run(bin, scan + ["--csv", "merged.csv", "--split-points", "5", "--job-mode", "interactive",
                                           "--job-dir", "jobs", "--task-name", "t"], in: dir)
    #expect(split.status == 0, Comment(rawValue: split.stderr))
    for f in ["t.manifest.json", "t.sh", "t.POINTS.0.4.csv", "t.POINTS.5.9.csv", "t.POINTS.10.11.csv"] {
      #expect(FileManager.default.fileExists(atPath: dir + "/jobs/" + f), "\(f) missing")
    }
    let full = try LimitTreeTable.read(dir + "/full.csv"), merged = try LimitTreeTable.read(dir + "/merged.csv")
    Self.expectSameScan(merged, full)
    // The chunk outputs are the full scan's rows for their ranges (plus the best-fit row).
    let c1 = try LimitTreeTable.read(dir + "/jobs/t.POINTS.5.9.csv")
    Self.expectSameScan(c1, LimitTreeTable(header: full.header, rows: [full.rows[0]] + Array(full.rows[6...10])))

    // merge-scans on the job directory, and on listed files.
    #expect(try Self.run(bin, ["merge-scans", "again.csv", "--dir", "jobs"], in: dir).status == 0)
    Self.expectSameScan(try LimitTreeTable.read(dir + "/again.csv"), full)
    let listed = try Self.run(bin, ["merge-scans", "listed.csv", "jobs/t.POINTS.10.11.csv", "jobs/t.POINTS.0.4.csv", "jobs/t.POINTS.5.9.csv"], in: dir)
    #expect(listed.status == 0, Comment(rawValue: listed.stderr))
    Self.expectSameScan(try LimitTreeTable.read(dir + "/listed.csv"), full)

    // A lost chunk: merge fails, names the task, writes nothing; --allow-missing writes the rest.
    try FileManager.default.removeItem(atPath: dir + "/jobs/t.POINTS.5.9.csv")
    let lost = try Self.run(bin, ["merge-scans", "lost.csv", "--dir", "jobs"], in: dir)
    #expect(lost.status != 0)
    #expect(lost.stderr.contains("missing points (5): 5-9"))
    #expect(lost.stderr.contains("tasks to run again: 1"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/lost.csv"))
    #expect(try Self.run(bin, ["merge-scans", "lost.csv", "--dir", "jobs", "--allow-missing"], in: dir).status == 0)
    #expect(try LimitTreeTable.read(dir + "/lost.csv").rows.count == 1 + 7)
    // Running the interactive plan again redoes only the lost chunk.
    let again = try Self.run(bin, scan + ["--csv", "merged2.csv", "--split-points", "5", "--job-dir", "jobs", "--task-name", "t"], in: dir)
    #expect(again.status == 0)
    #expect(again.stderr.contains("task 0 (points 0-4) already done"))
    #expect(again.stderr.contains("task 1 of 3: points 5-9"))
    Self.expectSameScan(try LimitTreeTable.read(dir + "/merged2.csv"), full)

    // Slurm, dry run: the files are written and the submit command printed, nothing submitted.
    let dry = try Self.run(bin, scan + ["--csv", "s.csv", "--split-points", "4", "--job-mode", "slurm", "--dry-run",
                                         "--job-dir", "sl", "--task-name", "s"], in: dir)
    #expect(dry.status == 0, Comment(rawValue: dry.stderr))
    #expect(dry.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "sbatch --parsable \(dir)/sl/s.slurm")
    let slurm = try String(contentsOfFile: dir + "/sl/s.slurm", encoding: .utf8)
    #expect(slurm.contains("#SBATCH --array=0-2\n"))
    #expect(slurm.contains("#SBATCH --cpus-per-task=1\n"))
    let job = try String(contentsOfFile: dir + "/sl/s.sh", encoding: .utf8)
    #expect(job.contains("scan \(card) -m 200 --rMin -1 --rMax 2 --points 12 --threads 1 --firstPoint \"$FIRST\""))
    #expect(!job.contains("--split-points") && !job.contains("--dry-run") && !job.contains("s.csv"))
    let m = try ScanJobManifest.read(dir + "/sl/s.manifest.json")
    #expect(m.totalPoints == 12 && m.chunks.count == 3 && m.mergedOutput == dir + "/s.csv" && m.jobMode == .slurm)
    #expect(!FileManager.default.fileExists(atPath: dir + "/sl/s.POINTS.0.3.csv"))
    // With the dependent merge job: the array's id feeds the merge job's dependency.
    let mj = try Self.run(bin, scan + ["--csv", "s.csv", "--split-points", "4", "--job-mode", "slurm", "--dry-run", "--merge-job",
                                        "--job-dir", "sl", "--task-name", "s"], in: dir)
    let mjLines = mj.stdout.split(separator: "\n").map(String.init)
    #expect(mjLines.first == "JOBID=$(sbatch --parsable \(dir)/sl/s.slurm)")
    #expect(mjLines.count == 2 && mjLines[1].hasPrefix("sbatch --parsable --dependency=afterok:$JOBID --kill-on-invalid-dep=yes"))
    #expect(mjLines.last?.contains("merge-scans --dir \(dir)/sl") == true)
    #expect(try Self.run(bin, scan + ["--split-points", "4", "--job-mode", "condor", "--merge-job", "--dry-run"], in: dir).status != 0)
    // Splitting options without --split-points are an error.
    #expect(try Self.run(bin, scan + ["--job-mode", "slurm"], in: dir).status != 0)
  }

  /// Same header, best fit and POI values; deltaNLL and quantileExpected within 1e-6.
  static func expectSameScan(_ a: LimitTreeTable, _ b: LimitTreeTable, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.header == b.header, sourceLocation: sourceLocation)
    #expect(a.rows.count == b.rows.count, sourceLocation: sourceLocation)
    let q = a.header.firstIndex(of: "quantileExpected")!, d = a.header.firstIndex(of: "deltaNLL")!
    for (x, y) in zip(a.rows, b.rows) {
      for k in x.indices {
        if k == q || k == d {
          #expect(abs(Double(x[k])! - Double(y[k])!) < 1e-6, "\(x) vs \(y)", sourceLocation: sourceLocation)
        } else {
          #expect(x[k] == y[k], "\(x) vs \(y)", sourceLocation: sourceLocation)
        }
      }
    }
  }

  static func run(_ bin: String, _ arguments: [String], in dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    // Standard error goes to a file, so that the two streams cannot block each other.
    let errPath = dir + "/.stderr-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
  }
}
