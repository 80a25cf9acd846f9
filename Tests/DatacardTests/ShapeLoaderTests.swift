import Foundation
import Testing

@testable import Datacard
@testable import ROOTIO

/// A temporary directory holding one ROOT file of TH1Ds (edges 0, 1, …, n) and the cards written beside it.
struct ShapeFixture {
  let dir: URL
  let rootFile: String

  init(file fileName: String = "shapes.root", _ histograms: [(path: String, values: [Double])]) throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-shapes-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    rootFile = dir.appendingPathComponent(fileName).path
    try writeROOTFile(path: rootFile, histograms: histograms.map { path, values in
      let name = String(path.split(separator: "/").last!)
      return (path, Histogram(name: name, title: "", className: "TH1D", dimension: 1, nbinsX: values.count, nbinsY: 1,
                              xEdges: (0...values.count).map(Double.init), yEdges: [], contents: [0] + values + [0], sumw2: []))
    }, compression: .none)
  }

  /// Writes `text` as `name` in the directory and parses it.
  func card(_ text: String, name: String = "card.txt") throws -> Datacard {
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return try Datacard.parse(contentsOf: path)
  }

  func remove() { try? FileManager.default.removeItem(at: dir) }
}

@Suite struct ShapeLoaderTests {
  /// OBS, SIG, BKG and DATA are replaced per case; ``text(obs:sig:bkg:data:sigObject:)`` inserts a
  /// sig line, so bkg reads through line 4, sig through line 5 and data_obs through line 6.
  static let card = """
    imax 1
    jmax 1
    kmax 0
    shapes * * shapes.root $PROCESS
    shapes data_obs * shapes.root DATA
    bin ch
    observation OBS
    bin ch ch
    process sig bkg
    process 0 1
    rate SIG BKG
    """

  /// Integrals: data 100, data_lo 0.009, data_hi 0.011, sig 5, bkg 95, small 0.5, empty 0.
  static func fixture() throws -> ShapeFixture {
    try ShapeFixture([("data", [40, 60]), ("data_lo", [0.004, 0.005]), ("data_hi", [0.006, 0.005]),
                      ("sig", [2, 3]), ("bkg", [50, 45]), ("small", [0.2, 0.3]), ("empty", [0, 0])])
  }

  static func text(obs: String = "100", sig: String = "5", bkg: String = "95", data: String = "data",
                   sigObject: String = "sig") -> String {
    card.replacingOccurrences(of: "OBS", with: obs).replacingOccurrences(of: "SIG", with: sig)
      .replacingOccurrences(of: "BKG", with: bkg).replacingOccurrences(of: "DATA", with: data)
      .replacingOccurrences(of: "$PROCESS\n", with: "$PROCESS\nshapes sig * shapes.root \(sigObject)\n")
  }

  /// The error ShapeLoader.load() (used by validate and by fit) throws, or nil.
  static func loadError(_ f: ShapeFixture, _ text: String) throws -> DatacardError? {
    let card = try f.card(text)
    do {
      _ = try ShapeLoader(card: card).load()
      return nil
    } catch let e as DatacardError {
      return e
    }
  }

  /// text2workspace's tolerances (ShapeTools.prepareAllShapes): data |integral/obs − 1| ≤ 0.005 (so
  /// obs 100.502 passes, 0.502/100.502 = 0.00499, and 99.501 fails, 0.499/99.501 = 0.00502, although
  /// |obs/integral − 1| is on the other side in both); obs 0 needs integral ≤ 0.01; rates
  /// |integral − rate| ≤ 0.01·max(1, rate) (5.04 passes and 5.06 fails for 5; 0.509 passes and 0.489
  /// fails for 0.5, where a purely relative 1% would refuse both); an empty template is not checked.
  @Test func normalisationsFollowText2Workspace() throws {
    let f = try Self.fixture()
    defer { f.remove() }
    for accepted in [Self.text(), Self.text(obs: "100.502"), Self.text(obs: "-1"), Self.text(obs: "0", data: "data_lo"),
                     Self.text(sig: "5.04", bkg: "95.9"), Self.text(sig: "0.509", sigObject: "small"),
                     Self.text(sig: "3", sigObject: "empty"), Self.text(sig: "-1", sigObject: "small")] {
      #expect(try Self.loadError(f, accepted) == nil, "\(accepted)")
    }
    for (rejected, line, what) in [(Self.text(obs: "99.501"), 6, ["99.501", "100", "'ch'", "data_obs 'data'"]),
                                   (Self.text(obs: "0", data: "data_hi"), 6, ["observation 0", "0.011", "data_hi"]),
                                   (Self.text(sig: "5.06"), 5, ["rate 5.06", "ch/sig", "integral 5 ", "'sig'"]),
                                   (Self.text(sig: "0.489", sigObject: "small"), 5, ["rate 0.489", "ch/sig", "0.5", "'small'"]),
                                   (Self.text(bkg: "96"), 4, ["rate 96", "ch/bkg", "integral 95 ", "'bkg'"])] {
      let e = try #require(try Self.loadError(f, rejected), "\(rejected)")
      #expect(e.location?.file == f.dir.appendingPathComponent("card.txt").path)
      #expect(e.location?.line == line, "\(e)")
      #expect(e.message.contains(f.rootFile), "\(e)")
      for w in what { #expect(e.message.contains(w), "\(e) lacks \(w)") }
    }
  }

  /// The validator reports every mismatch (not just the first), with the same lines and the check
  /// names of ValidateDatacards.
  @Test func validatorReportsEveryMismatch() throws {
    let f = try Self.fixture()
    defer { f.remove() }
    let report = Validator.validate(try f.card(Self.text(obs: "90", sig: "6", bkg: "90")))
    let found = report.errors.map { "\($0.check) \($0.line ?? 0)" }.sorted()
    #expect(found == ["observationMismatch 6", "rateMismatch 4", "rateMismatch 5"], "\(report.errors)")
  }

  /// A channel whose histograms disagree in bin count names the odd one (object, file, count) at its
  /// own shapes line, and the first histogram of the channel it was compared with.
  @Test func binCountMismatchNamesBothHistograms() throws {
    let f = try ShapeFixture([("data", [40, 60]), ("sig", [2, 3]), ("bkg3", [30, 30, 35])])
    defer { f.remove() }
    let text = Self.text(sigObject: "sig").replacingOccurrences(of: "shapes sig *", with: "shapes bkg * shapes.root bkg3\nshapes sig *")
    let e = try #require(try Self.loadError(f, text))
    #expect(e.location?.line == 5, "\(e)")  // the bkg line
    for w in ["channel 'ch'", "bkg ('bkg3' in '\(f.rootFile)') has 3 bins", "data_obs ('data' in '\(f.rootFile)') has 2"] {
      #expect(e.message.contains(w), "\(e) lacks \(w)")
    }
  }

  static let shapeQCard = """
    imax 1
    jmax 1
    kmax *
    shapes * * sys.root nom/$PROCESS sys/$PROCESS_$SYSTEMATIC
    bin ch
    observation 100
    bin ch ch
    process sig bkg
    process 0 1
    rate 5 95
    a shape? 1.1 1
    """

  /// `shape?`: a missing Up template means lnN; an unreadable directory is an error at the shapes
  /// line, not a silent lnN.
  @Test func shapeOrLogNormalFallsBackOnlyForMissingTemplates() throws {
    let f = try ShapeFixture(file: "sys.root", [("nom/data_obs", [40, 60]), ("nom/sig", [2, 3]), ("nom/bkg", [50, 45]),
                                          ("sys/bkg_aUp", [55, 45]), ("sys/bkg_aDown", [45, 45])])
    defer { f.remove() }
    let card = try f.card(Self.shapeQCard)
    let inputs = try ShapeLoader(card: card).load()
    #expect(inputs.lnNFallbacks == [[0, 0]])  // a on sig: no sys/sig_aUp
    #expect(inputs.templates[1]?.variations[0]?.up.values == [55, 45])

    // Point the directory record of "sys" at a keys list beyond the end of the file.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: f.rootFile)))
    let key = try #require(try ROOTFile(bytes: bytes, path: f.rootFile).findKey("sys"))
    let seekKeys = key.seekKey + key.keyLen + 2 + 6 * 4  // version i16, ctime, mtime, nbytes ×2, seekDir, seekParent
    bytes.replaceSubrange(seekKeys..<(seekKeys + 4), with: [0x7F, 0xFF, 0xFF, 0xFF])
    try Data(bytes).write(to: URL(fileURLWithPath: f.rootFile))
    let corrupt = try ROOTFile(path: f.rootFile)
    #expect(try corrupt.histogram("nom/sig").values == [2, 3])
    #expect(throws: ROOTIOError.self) { try corrupt.className(of: "sys/bkg_aUp") }

    let e = try #require(throws: DatacardError.self) { try ShapeLoader(card: card).load() }
    #expect(e.location?.line == 4)
    #expect(e.message.contains("Up template of 'a' for ch/sig") && e.message.contains(f.rootFile) && e.message.contains("seekKeys"), "\(e)")
  }
}
