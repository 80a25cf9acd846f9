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

  /// doFlipNuisance: κ > 1 flips with p2n, κ < 1 with n2p; κd/κu is decided by κd (< 1: p2n, > 1:
  /// n2p, = 1: never), both parts inverted. 1/1.2 = 0.8333…, 1/0.8 = 1.25, 1/0.9 = 1.1111…,
  /// 1/0.95 = 1.0526315789….
  @Test func flipFollowsCombine() throws {
    let x = "x lnN 1.2 0.8 0.9/0.95 1.0/1.2"
    let original: [Effect] = [.value(1.2), .value(0.8), .asymmetric(down: 0.9, up: 0.95), .asymmetric(down: 1.0, up: 1.2)]
    let flippedS: Effect = .asymmetric(down: 1.111111111111111, up: 1.0526315789473684)
    #expect(Self.close(Self.effects(try Self.edited(x, "nuisance edit flip * * x p2n"), "x"),
                       [.value(0.8333333333333334), .value(0.8), flippedS, original[3]]))
    #expect(Self.close(Self.effects(try Self.edited(x, "nuisance edit flip * * x n2p"), "x"),
                       [.value(1.2), .value(1.25), original[2], original[3]]))
    #expect(Self.close(Self.effects(try Self.edited(x, "nuisance edit flip * b x p2n n2p"), "x"),
                       [original[0], original[1], flippedS, original[3]]))
    // Neither option: Combine refuses ("missed option n2p and/or p2n").
    let e = try #require(Self.error { try Self.edited(x, "nuisance edit flip * * x") })
    #expect(e.location?.line == 12 && e.message.contains("p2n") && e.message.contains("n2p"), "\(e)")
    #expect(Self.error { try Self.edited("y shape 1 - - -", "nuisance edit flip * * y p2n") }?.location?.line == 12)
  }

  /// Moving entries of a shape line into an existing line with other templates is refused at the
  /// edit's line (Combine would read them under the old name); into a new line the old template name
  /// is kept; lnN lines merge freely.
  @Test func perChannelRenameIntoAnExistingShapeLine() throws {
    let lines = "s1 shape 1 - - -\ns2 shape - 1 - -\nk1 lnN 1.1 - - -\nk2 lnN - 1.2 - -"
    let e = try #require(Self.error { try Self.edited(lines, "nuisance edit rename S a s1 s2") })
    #expect(e.location?.line == 15)
    #expect(e.message.contains("'s1Up/Down'") && e.message.contains("'s2Up/Down'") && e.message.contains("line 12"), "\(e)")

    let renamed = try Self.edited(lines, "nuisance edit rename S a s1 s3", "nuisance edit rename S a k1 k2")
    let s3 = try #require(renamed.systematics.first { $0.name == "s3" })
    #expect(s3.templateName == "s1" && s3.effects == [.value(1), .none, .none, .none])
    #expect(Self.effects(renamed, "k2") == [.value(1.1), .value(1.2), .none, .none])
    #expect(!renamed.systematics.contains { $0.name == "s1" || $0.name == "k1" })
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

  /// drop empties the matching columns; split replaces each non-null matching entry by the two given
  /// values and empties it;
  /// changepdf lnN → trG takes ln κ (ln 1.2 = 0.18232155679395462, ln 0.5 = −0.6931471805599453; κ = 1
  /// becomes no effect, as in Combine).
  @Test func dropSplitAndChangePdf() throws {
    let x = "x lnN 1.2 1.3 - 1.1"
    #expect(Self.effects(try Self.edited(x, "nuisance edit drop B a x"), "x") == [.value(1.2), .none, .none, .value(1.1)])

    let splitA = try Self.edited(x, "nuisance edit split * a x x1 x2 1.05 1.02")
    #expect(Self.effects(splitA, "x") == [.none, .none, .none, .value(1.1)])
    #expect(Self.effects(splitA, "x1") == [.value(1.05), .value(1.05), .none, .none])
    #expect(Self.effects(splitA, "x2") == [.value(1.02), .value(1.02), .none, .none])
    // Everywhere: the null b/S entry gets no value, and the emptied x line is dropped.
    let splitAll = try Self.edited(x, "nuisance edit split * * x x1 x2 1.05 1.02")
    #expect(Self.effects(splitAll, "x") == nil)
    #expect(Self.effects(splitAll, "x1") == [.value(1.05), .value(1.05), .none, .value(1.05)])

    let trG = try Self.edited("z lnN 1.2 - 0.5 1", "nuisance edit changepdf z trG")
    let z = try #require(trG.systematics.first { $0.name == "z" })
    #expect(z.type == .trG)
    #expect(Self.close(z.effects, [.value(0.18232155679395462), .none, .value(-0.6931471805599453), .none]))
  }
}

@Suite struct GroupTests {
  /// A group must name parameters of the card after the edits; the error is at the line that added
  /// the unknown member. combineCards' parse (edits not applied) does not check.
  @Test func unknownGroupMembersAreErrors() throws {
    let x = "x lnN 1.2 - - -"
    let e = try #require(NuisanceEditTests.error { try NuisanceEditTests.edited(x, "g group = x", "g group += nothere") })
    #expect(e.location?.line == 13 && e.message.contains("'g'") && e.message.contains("'nothere'"), "\(e)")
    // A member added by a later edit is known.
    let ok = try NuisanceEditTests.edited(x, "g group = x y", "nuisance edit add B a y lnN 1.1")
    #expect(ok.groups.first?.members == ["x", "y"])
    var options = ParseOptions()
    options.evaluateEdits = false
    let text = "imax 1\njmax 1\nkmax *\nbin a\nobservation 1\nbin a a\nprocess S B\nprocess 0 1\nrate 1 1\nx lnN 1.1 -\ng group = x nothere\n"
    #expect(try Datacard.parse(text: text, options: options).groups.first?.members == ["x", "nothere"])
    #expect(NuisanceEditTests.error { try Datacard.parse(text: text) }?.location?.line == 11)
  }
}
