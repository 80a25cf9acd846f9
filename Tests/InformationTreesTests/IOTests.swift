import Foundation
import Testing
import TestSupport

@testable import InformationTrees

@Suite struct IOTests {
  func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bit-\(getpid())-\(name)").path
  }

  @Test func csvColumnConventions() throws {
    let text = """
      a,w_0,w_cB,b,w_cA,w_cA_cA,w_cB_cA,w_cB_cB
      1,2,3,4,5,6,7,8
      -1.5,0.5,1e-3,2,3,4,5,6

      """
    let t = try Table.parseCSV(Array(text.utf8))
    let e = try Events(table: t, columns: EventColumns(coefficients: ["cA", "cB"]))
    #expect(e.featureNames == ["a", "b"])
    #expect(e.derivatives == [[0], [1], [0, 0], [0, 1], [1, 1]])
    #expect(e.weights[0..<6] == [2, 5, 3, 6, 7, 8])
    #expect(e.features == [1, 4, -1.5, 2])
    // inferred coefficients, linear only
    let lin = try Events(table: t, columns: EventColumns(quadratic: false))
    #expect(lin.coefficients == ["cB", "cA"])
    #expect(lin.derivatives == [[0], [1]])
    // --weight / --derivative names
    let one = try Events(table: t, columns: EventColumns(features: ["a"], weight: "b", derivatives: ["w_cA"]))
    #expect(one.weights == [4, 5, 2, 3])
    #expect(throws: BITError.self) { try Table.parseCSV(Array("x,y\n1,2\n3\n".utf8)) }
    #expect(throws: BITError.self) { try Table.parseCSV(Array("x,y\n1,abc\n".utf8)) }
  }

  @Test func csvRoundTripGzip() throws {
    let e = Events(featureNames: ["x", "y"], coefficients: ["c"], derivatives: [[0], [0, 0]],
                   features: [0.1, 1e-300, -3, 2.5], weights: [1, 2, 3, 4, 5, 6.000000000000001])
    for name in ["e.csv", "e.csv.gz"] {
      let p = tempPath(name)
      try e.write(p)
      let back = try Events.read(p)
      #expect(back.features == e.features && back.weights == e.weights)
      #expect(back.featureNames == e.featureNames && back.derivatives == e.derivatives)
      try? FileManager.default.removeItem(atPath: p)
    }
  }

  @Test(.needsReference) func modelJSONRoundTrip() throws {
    let (model, events, _) = try ReferenceTests.trainZHReference(mode: .histogram, trees: 3)
    let p = tempPath("model.json")
    try model.save(p)
    let back = try BITModel.load(p)
    #expect(back.trees == model.trees)
    #expect(back.config == model.config && back.basePoints == model.basePoints)
    #expect(back.predict(features: events.features) == model.predict(features: events.features))
    try? FileManager.default.removeItem(atPath: p)
  }
}

@Suite struct NPZTests {
  /// An archive written by numpy.savez_compressed (x: float64[3], w: float32[3,2], k: int64[3]).
  static let numpyArchive = "UEsDBC0AAAAIAAAAIQDrDS8H//////////8FABQAeC5ucHkBABAAmAAAAAAAAABQAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6mjoKtQoUAC4GMPhhD6EZDkAoLgcAUEsDBC0AAAAIAAAAIQD/v0I1//////////8FABQAdy5ucHkBABAAmAAAAAAAAABYAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6CkaaOgq1CmQDLgaGBnsGBgYHIALiBiBeAMQHHABQSwMELQAAAAgAAAAhAAhlG1v//////////wUAFABrLm5weQEAEACYAAAAAAAAAE0AAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjqaOgq1ChQALnYGCOCA0pxQGgBQSwECLQMtAAAACAAAACEA6w0vB1AAAACYAAAABQAAAAAAAAAAAAAAgAEAAAAAeC5ucHlQSwECLQMtAAAACAAAACEA/79CNVgAAACYAAAABQAAAAAAAAAAAAAAgAGHAAAAdy5ucHlQSwECLQMtAAAACAAAACEACGUbW00AAACYAAAABQAAAAAAAAAAAAAAgAEWAQAAay5ucHlQSwUGAAAAAAMAAwCZAAAAmgEAAAAA"

  @Test func readsNumpyArchive() throws {
    let p = FileManager.default.temporaryDirectory.appendingPathComponent("bit-\(getpid())-np.npz").path
    try Data(base64Encoded: Self.numpyArchive)!.write(to: URL(fileURLWithPath: p))
    let t = try readNPZ(p)
    #expect(Set(t.names) == ["x", "w_0", "w_1", "k"])
    #expect(t.column("x") == [1.5, -2, 3.25])
    #expect(t.column("w_1") == [2, 4, 6])
    #expect(t.column("k") == [7, 8, 9])
    try? FileManager.default.removeItem(atPath: p)
  }

  @Test func npzRoundTrip() throws {
    let e = ClosureToy.exponential.generate(count: 1000, seed: 4)
    let p = FileManager.default.temporaryDirectory.appendingPathComponent("bit-\(getpid())-rt.npz").path
    try e.write(p)
    let back = try Events.read(p)
    #expect(back.features == e.features && back.weights == e.weights && back.featureNames == ["x"])
    try? FileManager.default.removeItem(atPath: p)
  }
}
