import Foundation
import Testing

@testable import Datacard

/// `nuisance edit` commands against values worked out by hand from Combine's NuisanceModifier.py.
@Suite struct NuisanceEditTests {
  /// A card with columns a/S, a/B, b/S, b/B; the systematics start on line 11, the edits follow them
  /// (edits apply to the lines parsed before them).
  static func edited(_ systematics: String, _ edits: String...) throws -> Datacard {
    try Datacard.parse(text: """
      imax 2
      jmax 1
      kmax *
      shapes * * shapes.root $PROCESS $PROCESS_$SYSTEMATIC
      bin a b
      observation 10 10
      bin a a b b
      process S B S B
      process 0 1 0 1
      rate 2 8 2 8
      \(systematics)
      \(edits.joined(separator: "\n"))
      """, path: "edit.txt")
  }

  static func effects(_ card: Datacard, _ name: String) -> [Effect]? {
    card.systematics.first { $0.name == name }?.effects
  }

  /// Equal effects, numbers to 1e-12.
  static func close(_ a: [Effect]?, _ b: [Effect]) -> Bool {
    guard let a, a.count == b.count else { return false }
    return zip(a, b).allSatisfy {
      switch ($0, $1) {
      case (.none, .none): return true
      case (.value(let x), .value(let y)): return abs(x - y) < 1e-12
      case (.asymmetric(let d, let u), .asymmetric(let e, let v)): return abs(d - e) < 1e-12 && abs(u - v) < 1e-12
      default: return false
      }
    }
  }

  static func error(_ body: () throws -> Datacard) -> DatacardError? {
    do {
      _ = try body()
      return nil
    } catch {
      return error as? DatacardError
    }
  }

  /// Values of `add` and `split` obey the card's rules: negative only for trG/dFD/dFD2, κd/κu > 0,
  /// numbers as the parser reads them (`+1.1` included).
  @Test func editValuesAreCheckedLikeCardValues() throws {
    let x = "x lnN 1.2 - - -"
    for bad in ["nuisance edit add B a y lnN -1.1", "nuisance edit add B a y lnN 0.9/-1.1",
                "nuisance edit add B a y lnN abc", "nuisance edit split S a x x1 x2 1.05 -1.1"] {
      let e = try #require(Self.error { try Self.edited(x, bad) }, "\(bad)")
      #expect(e.location?.file == "edit.txt" && e.location?.line == 12, "\(bad): \(e)")
      #expect(e.message.contains("-1.1") || e.message.contains("abc"), "\(e)")
    }
    let ok = try Self.edited(x, "nuisance edit add B a y trG -0.1", "nuisance edit add B b z lnN +1.1")
    #expect(Self.effects(ok, "y") == [.none, .value(-0.1), .none, .none])
    #expect(Self.effects(ok, "z") == [.none, .none, .none, .value(1.1)])
  }

  /// `changepdf` with an invalid regular expression is an error, like the other edits; lnN → trG
  /// refuses an asymmetric κ (Combine's log() of a list fails).
  @Test func changePdfRefusals() throws {
    let e = try #require(Self.error { try Self.edited("x lnN 1.2 - - -", "nuisance edit changepdf x( lnU") })
    #expect(e.location?.line == 12 && e.message.contains("'x('") && e.message.contains("regular expression"), "\(e)")
    let a = try #require(Self.error { try Self.edited("z lnN 0.9/1.2 - - -", "nuisance edit changepdf z trG") })
    #expect(a.location?.line == 12 && a.message.contains("0.9/1.2") && a.message.contains("asymmetric"), "\(a)")
  }
}
