import Foundation
import Support
import Testing
import TestSupport

/// pyhf workspaces from the command line: the commands take a workspace (or a combination file)
/// where they take a card, with the same numbers as the library (tested in HistFactoryTests).
@Suite struct WorkspaceCommandTests {
  static let workspace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("HistFactoryTests/Fixtures/all_modifiers.json").path

  @Test func commandsTakeWorkspaces() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-ws-cli-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // fit: pyhf's best fit (1.473462).
    let fit = try Recombine.run(bin, ["fit", Self.workspace, "--csv", "fit.csv"], in: dir)
    #expect(fit.status == 0, Comment(rawValue: fit.stderr))
    let mu = try LimitTreeTable.read(dir + "/fit.csv").column("mu")![0]
    #expect(abs(mu - 1.473462) < 2e-4)
    // A patch that changes the observation moves the fit; a patch that fails names its operation.
    try #"[{"op": "replace", "path": "/observations/0/data/1", "value": 45}]"#.write(toFile: dir + "/p.json", atomically: true, encoding: .utf8)
    let patched = try Recombine.run(bin, ["fit", Self.workspace, "--patch", "p.json", "--csv", "fit2.csv"], in: dir)
    #expect(patched.status == 0)
    #expect(try LimitTreeTable.read(dir + "/fit2.csv").column("mu")![0] > mu + 0.1)
    try #"[{"op": "remove", "path": "/channels/9"}]"#.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
    let bad = try Recombine.run(bin, ["fit", Self.workspace, "--patch", "bad.json"], in: dir)
    #expect(bad.status == 1 && bad.stderr.contains("bad.json, operation 0 (remove /channels/9)"), Comment(rawValue: bad.stderr))
    // limit --singlePoint and --interpcode.
    let cls = try Recombine.run(bin, ["limit", Self.workspace, "--singlePoint", "1", "--interpcode", "normsys=code1,histosys=code0", "--csv", "cls.csv"], in: dir)
    #expect(cls.status == 0, Comment(rawValue: cls.stderr))
    #expect(try LimitTreeTable.read(dir + "/cls.csv").column("quantileExpected") == [-1, 0.025, 0.16, 0.5, 0.84, 0.975])
    let wrongCode = try Recombine.run(bin, ["fit", Self.workspace, "--interpcode", "histosys=code2"], in: dir)
    #expect(wrongCode.status != 0 && wrongCode.stderr.contains("discontinuous"))
    // combine-cards with a datacard, then a scan of the combination.
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let combo = try Recombine.run(bin, ["combine-cards", "atlas=" + Self.workspace, "cms=card.txt", "--rename", "atlas:mu=mu_atlas", "-o", "combo.json"], in: dir)
    #expect(combo.status == 0 && combo.stdout.contains("POIs r, mu_atlas"), Comment(rawValue: combo.stderr + combo.stdout))
    let scan = try Recombine.run(bin, ["scan", "combo.json", "-P", "mu_atlas", "--floatOtherPOIs", "1", "--points", "5", "--csv", "scan.csv"], in: dir)
    #expect(scan.status == 0, Comment(rawValue: scan.stderr))
    #expect(try LimitTreeTable.read(dir + "/scan.csv").rows.count == 6)
    let noOut = try Recombine.run(bin, ["combine-cards", "atlas=" + Self.workspace, "cms=card.txt"], in: dir)
    #expect(noOut.status != 0 && noOut.stderr.contains("give -o"))
  }
}
