import Batch
import Foundation
import Support
import Testing
import TestSupport

@Suite struct SplitScanTests {
  /// The real thing, with the built `recombine`: a scan split into chunks run one after another
  /// (`--job-mode interactive`) and merged equals the same scan in one go; `merge-scans` finds a
  /// deleted chunk; `--job-mode slurm --dry-run` writes the array script and prints `sbatch`.
  @Test(.needsReference) func splitScanEqualsFullScan() throws {
    let bin = try #require(Recombine.binary, "recombine executable not found next to the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-jobs-\(getpid())-scan").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let card = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt").path
    let scan = ["scan", card, "-m", "200", "--rMin", "-1", "--rMax", "2", "--points", "12", "--threads", "1"]
    #expect(try Recombine.run(bin, scan + ["--csv", dir + "/full.csv"], in: dir).status == 0)
    let split = try Recombine.run(bin, scan + ["--csv", "merged.csv", "--split-points", "5", "--job-mode", "interactive",
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
    #expect(try Recombine.run(bin, ["merge-scans", "again.csv", "--dir", "jobs"], in: dir).status == 0)
    Self.expectSameScan(try LimitTreeTable.read(dir + "/again.csv"), full)
    let listed = try Recombine.run(bin, ["merge-scans", "listed.csv", "jobs/t.POINTS.10.11.csv", "jobs/t.POINTS.0.4.csv", "jobs/t.POINTS.5.9.csv"], in: dir)
    #expect(listed.status == 0, Comment(rawValue: listed.stderr))
    Self.expectSameScan(try LimitTreeTable.read(dir + "/listed.csv"), full)

    // A lost chunk: merge fails, names the task, writes nothing; --allow-missing writes the rest.
    try FileManager.default.removeItem(atPath: dir + "/jobs/t.POINTS.5.9.csv")
    let lost = try Recombine.run(bin, ["merge-scans", "lost.csv", "--dir", "jobs"], in: dir)
    #expect(lost.status != 0)
    #expect(lost.stderr.contains("missing points (5): 5-9"))
    #expect(lost.stderr.contains("tasks to run again: 1"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/lost.csv"))
    #expect(try Recombine.run(bin, ["merge-scans", "lost.csv", "--dir", "jobs", "--allow-missing"], in: dir).status == 0)
    #expect(try LimitTreeTable.read(dir + "/lost.csv").rows.count == 1 + 7)
    // Running the interactive plan again redoes only the lost chunk.
    let again = try Recombine.run(bin, scan + ["--csv", "merged2.csv", "--split-points", "5", "--job-dir", "jobs", "--task-name", "t"], in: dir)
    #expect(again.status == 0)
    #expect(again.stderr.contains("task 0 (points 0-4) already done"))
    #expect(again.stderr.contains("task 1 of 3: points 5-9"))
    Self.expectSameScan(try LimitTreeTable.read(dir + "/merged2.csv"), full)
    // The rerun command merge-scans prints works as printed: run through the shell, it redoes the
    // lost chunk and the merge is complete again.
    try FileManager.default.removeItem(atPath: dir + "/jobs/t.POINTS.5.9.csv")
    let lostAgain = try Recombine.run(bin, ["merge-scans", "rerun.csv", "--dir", "jobs"], in: dir)
    let rerun = try #require(lostAgain.stderr.split(separator: "\n").first { $0.hasPrefix("rerun: ") }, Comment(rawValue: lostAgain.stderr))
    let shell = try runProgram("/bin/bash", ["-c", String(rerun.dropFirst("rerun: ".count))], in: dir)
    #expect(shell.status == 0, Comment(rawValue: shell.stderr))
    #expect(try Recombine.run(bin, ["merge-scans", "rerun.csv", "--dir", "jobs"], in: dir).status == 0)
    Self.expectSameScan(try LimitTreeTable.read(dir + "/rerun.csv"), full)

    // Slurm, dry run: the files are written and the submit command printed, nothing submitted.
    let dry = try Recombine.run(bin, scan + ["--csv", "s.csv", "--split-points", "4", "--job-mode", "slurm", "--dry-run",
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
    let mj = try Recombine.run(bin, scan + ["--csv", "s.csv", "--split-points", "4", "--job-mode", "slurm", "--dry-run", "--merge-job",
                                        "--job-dir", "sl", "--task-name", "s"], in: dir)
    let mjLines = mj.stdout.split(separator: "\n").map(String.init)
    #expect(mjLines.first == "JOBID=$(sbatch --parsable \(dir)/sl/s.slurm)")
    #expect(mjLines.count == 2 && mjLines[1].hasPrefix("sbatch --parsable --dependency=afterok:$JOBID --kill-on-invalid-dep=yes"))
    #expect(mjLines.last?.contains("merge-scans --dir \(dir)/sl") == true)
    #expect(try Recombine.run(bin, scan + ["--split-points", "4", "--job-mode", "condor", "--merge-job", "--dry-run"], in: dir).status != 0)
    // Splitting options without --split-points are an error.
    #expect(try Recombine.run(bin, scan + ["--job-mode", "slurm"], in: dir).status != 0)
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
}
