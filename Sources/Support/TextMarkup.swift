//===--- TextMarkup.swift -------------------------------------------------===//
// The one text markup of every figure and table: ROOT's TLatex as Combine users write it, plus plain
// Unicode. Every string drawn (titles, labels, legends, tick labels, nuisance names) goes
// through `TextMarkup.parse`, so `#mu_{t#bar{t}#gamma}` and `μ_{tt̄γ}` look the same everywhere.
//
// Supported (TLatex semantics):
//   x^{…}, x_{…}        superscript, subscript (braces required, so `CMS_scale_j` stays literal);
//                       a superscript directly followed by a subscript (or the reverse) is stacked
//   #alpha … #omega, #Alpha … #Omega, #varepsilon, #vartheta, #varphi, #ell, #hbar, #pm, #mp,
//   #times, #cdot, #minus, #rightarrow, #to, #leq, #geq, #neq, #approx, #sim, #infty, … (`symbols`)
//   #bar{…}, #hat{…}, #tilde{…}, #dot{…}, #vec{…}, #overline{…}   accents (Unicode combining marks)
//   #it{…}, #bf{…}      italic, bold
//   #sqrt{…}, #frac{a}{b}, #splitline{a}{b}   drawn inline as √…, a/b, "a b"
//   #color[n]{…}, #font[n]{…}, #scale[f]{…}, #kern[f]{…}, #lower[f]{…}   the bracket is ignored
//   {…}                 grouping (the braces are not drawn)
// A `#` that starts no known command is drawn as written. A '-' that starts a script before a digit
// is drawn as a minus sign ("fb^{-1}").
//===----------------------------------------------------------------------===//

/// One styled piece of text: its characters, script level (0 normal, +1 superscript, −1 subscript,
/// nested levels add) and face.
public struct MarkupRun: Sendable, Equatable {
  public var text: String
  public var level: Int
  public var bold: Bool
  public var italic: Bool
  /// Index of the stacked pair this run belongs to (a superscript and subscript drawn one above the
  /// other share it), nil otherwise.
  public var stack: Int?
}

public enum TextMarkup {
  /// TLatex symbol commands and the Unicode character each draws.
  public static let symbols: [String: String] = {
    var t: [String: String] = [:]
    let greek = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
                 "nu", "xi", "omicron", "pi", "rho", "varsigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"]
    for (k, name) in greek.enumerated() {
      t[name] = String(UnicodeScalar(0x03B1 + UInt32(k))!)
      if name != "varsigma" {
        t[name.prefix(1).uppercased() + name.dropFirst()] = String(UnicodeScalar(0x0391 + UInt32(k))!)
      }
    }
    let more: [String: String] = [
      "varepsilon": "ϵ", "vartheta": "ϑ", "varphi": "ϕ", "varpi": "ϖ", "varUpsilon": "ϒ", "ell": "ℓ", "hbar": "ℏ",
      "pm": "±", "mp": "∓", "times": "×", "cdot": "·", "bullet": "•", "circ": "°", "minus": "−", "divide": "÷",
      "rightarrow": "→", "to": "→", "leftarrow": "←", "leftrightarrow": "↔", "Rightarrow": "⇒", "Leftarrow": "⇐",
      "Leftrightarrow": "⇔", "uparrow": "↑", "downarrow": "↓", "leq": "≤", "geq": "≥", "neq": "≠", "approx": "≈",
      "equiv": "≡", "sim": "∼", "propto": "∝", "infty": "∞", "partial": "∂", "nabla": "∇", "in": "∈", "notin": "∉",
      "cup": "∪", "cap": "∩", "subset": "⊂", "supset": "⊃", "emptyset": "∅", "perp": "⊥", "parallel": "∥",
      "sum": "∑", "int": "∫", "prime": "′", "dagger": "†", "ldots": "…", "dots": "…", "degree": "°", "forall": "∀",
      "exists": "∃", "oplus": "⊕", "otimes": "⊗", "wedge": "∧", "vee": "∨", "Box": "□", "odot": "⊙", "angle": "∠",
    ]
    t.merge(more) { _, b in b }
    return t
  }()

  /// Accent commands and the combining mark each adds after every character of its argument.
  public static let accents: [String: Character] = [
    "bar": "\u{0304}", "overline": "\u{0305}", "hat": "\u{0302}", "tilde": "\u{0303}", "dot": "\u{0307}",
    "ddot": "\u{0308}", "vec": "\u{20D7}", "check": "\u{030C}", "acute": "\u{0301}", "grave": "\u{0300}",
  ]

  /// The styled runs of `s`, in drawing order.
  public static func parse(_ s: String) -> [MarkupRun] {
    var p = Parser(chars: Array(s))
    p.parse(level: 0, bold: false, italic: false, until: nil)
    return p.runs.filter { !$0.text.isEmpty }
  }

  /// `s` as one line of plain Unicode text (for consoles, JSON and tables): symbols and accents
  /// resolved, scripts written as ^… and _… when they are not digits or signs Unicode has.
  public static func plain(_ s: String) -> String {
    var out = ""
    for r in parse(s) {
      if r.level == 0 { out += r.text; continue }
      let mapped = r.text.map { ch -> Character? in
        (r.level > 0 ? superscripts : subscripts)[ch]
      }
      if mapped.allSatisfy({ $0 != nil }) { out += String(mapped.map { $0! }) } else { out += (r.level > 0 ? "^" : "_") + r.text }
    }
    return out
  }

  static let superscripts: [Character: Character] = [
    "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
    "+": "⁺", "−": "⁻", "-": "⁻", "(": "⁽", ")": "⁾", "n": "ⁿ", "i": "ⁱ",
  ]
  static let subscripts: [Character: Character] = [
    "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈", "9": "₉",
    "+": "₊", "−": "₋", "-": "₋", "(": "₍", ")": "₎",
  ]

  struct Parser {
    let chars: [Character]
    var i = 0
    var runs: [MarkupRun] = []
    var stackCount = 0

    init(chars: [Character]) { self.chars = chars }

    mutating func emit(_ s: String, level: Int, bold: Bool, italic: Bool, stack: Int? = nil) {
      if stack == nil, let last = runs.last, last.level == level, last.bold == bold, last.italic == italic, last.stack == nil {
        runs[runs.count - 1].text += s
      } else {
        runs.append(MarkupRun(text: s, level: level, bold: bold, italic: italic, stack: stack))
      }
    }

    /// Index of the `}` closing the `{` at `open`, or nil when unbalanced.
    func closing(_ open: Int) -> Int? {
      var depth = 0
      var k = open
      while k < chars.count {
        if chars[k] == "{" { depth += 1 } else if chars[k] == "}" { depth -= 1; if depth == 0 { return k } }
        k += 1
      }
      return nil
    }

    /// The text of a balanced `{…}` group starting at `i`, consumed; nil (nothing consumed) if none.
    mutating func group() -> [Character]? {
      guard i < chars.count, chars[i] == "{", let c = closing(i) else { return nil }
      defer { i = c + 1 }
      return Array(chars[(i + 1)..<c])
    }

    /// Parses `inner` as a nested piece with the given style, appending its runs.
    mutating func nested(_ inner: [Character], level: Int, bold: Bool, italic: Bool, stack: Int? = nil, minusFirst: Bool = false) {
      var text = inner
      if minusFirst, text.count > 1, text[0] == "-", text[1].isNumber { text[0] = "−" }
      var sub = Parser(chars: text)
      sub.stackCount = stackCount
      sub.parse(level: level, bold: bold, italic: italic, until: nil)
      stackCount = sub.stackCount
      for var r in sub.runs {
        if let stack, r.stack == nil { r.stack = stack }
        if r.stack == nil, let last = runs.last, last.level == r.level, last.bold == r.bold, last.italic == r.italic, last.stack == nil {
          runs[runs.count - 1].text += r.text
        } else { runs.append(r) }
      }
    }

    mutating func parse(level: Int, bold: Bool, italic: Bool, until: Character?) {
      while i < chars.count {
        let c = chars[i]
        if (c == "^" || c == "_"), i + 1 < chars.count, chars[i + 1] == "{", let close = closing(i + 1) {
          let first = Array(chars[(i + 2)..<close])
          i = close + 1
          // A superscript directly followed by a subscript (or the reverse) is stacked.
          if i + 1 < chars.count, (chars[i] == "^" || chars[i] == "_"), chars[i] != c, chars[i + 1] == "{", let c2 = closing(i + 1) {
            let second = Array(chars[(i + 2)..<c2])
            let other = chars[i]
            i = c2 + 1
            stackCount += 1
            let id = stackCount
            nested(first, level: level + (c == "^" ? 1 : -1), bold: bold, italic: italic, stack: id, minusFirst: true)
            nested(second, level: level + (other == "^" ? 1 : -1), bold: bold, italic: italic, stack: id, minusFirst: true)
          } else {
            nested(first, level: level + (c == "^" ? 1 : -1), bold: bold, italic: italic, minusFirst: true)
          }
          continue
        }
        if c == "#", i + 1 < chars.count, chars[i + 1].isLetter {
          var j = i + 1
          while j < chars.count, chars[j].isLetter { j += 1 }
          let name = String(chars[(i + 1)..<j])
          let save = i
          i = j
          if command(name, level: level, bold: bold, italic: italic) { continue }
          i = save
          emit("#", level: level, bold: bold, italic: italic)
          i += 1
          continue
        }
        if c == "{", let close = closing(i) {
          let inner = Array(chars[(i + 1)..<close])
          i = close + 1
          nested(inner, level: level, bold: bold, italic: italic)
          continue
        }
        emit(String(c), level: level, bold: bold, italic: italic)
        i += 1
      }
    }

    /// Handles `#name` (with `i` just past the name); false when the command is unknown or lacks its
    /// arguments.
    mutating func command(_ name: String, level: Int, bold: Bool, italic: Bool) -> Bool {
      if let sym = TextMarkup.symbols[name] {
        emit(sym, level: level, bold: bold, italic: italic)
        return true
      }
      if let mark = TextMarkup.accents[name] {
        guard let arg = group() else { return false }
        // Resolve the argument first (it may hold symbols), then mark each character.
        var sub = Parser(chars: arg)
        sub.parse(level: level, bold: bold, italic: italic, until: nil)
        for r in sub.runs {
          var t = ""
          for ch in r.text { t.append(ch); if !ch.isWhitespace { t.unicodeScalars.append(mark.unicodeScalars.first!) } }
          emit(t, level: r.level, bold: r.bold, italic: r.italic)
        }
        return true
      }
      switch name {
      case "it", "bf", "rm", "mathrm", "mathit", "mathbf":
        guard let arg = group() else { return false }
        nested(arg, level: level, bold: name.hasSuffix("bf") || (bold && name != "rm" && name != "mathrm"),
               italic: name.hasSuffix("it") || (italic && name != "rm" && name != "mathrm"))
        return true
      case "sqrt":
        guard let arg = group() else { return false }
        emit("√", level: level, bold: bold, italic: italic)
        nested(arg, level: level, bold: bold, italic: italic)
        return true
      case "frac", "splitline":
        guard let a = group() else { return false }
        guard let b = group() else { return false }
        nested(a, level: level, bold: bold, italic: italic)
        emit(name == "frac" ? "/" : " ", level: level, bold: bold, italic: italic)
        nested(b, level: level, bold: bold, italic: italic)
        return true
      case "color", "font", "scale", "kern", "lower", "mbox":
        if i < chars.count, chars[i] == "[" {
          guard let close = chars[i...].firstIndex(of: "]") else { return false }
          i = close + 1
        }
        guard let arg = group() else { return false }
        nested(arg, level: level, bold: bold, italic: italic)
        return true
      default:
        return false
      }
    }
  }
}
