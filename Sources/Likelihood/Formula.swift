//===--- Formula.swift ----------------------------------------------------===//
// RooFormulaVar-style expressions of formula rateParams, with analytic derivatives.
//===----------------------------------------------------------------------===//

import Foundation

/// A compiled arithmetic expression over arguments `@0, @1, …` (RooFormulaVar syntax as Combine's
/// formula `rateParam`s use it): numbers, `+ − * /`, `^` or `**` and `pow(a,b)` for powers,
/// unary minus, parentheses, and the functions exp, log, log10, sqrt, abs/fabs, sin, cos, tan,
/// atan, tanh, min, max (also with a `TMath::` prefix).
///
/// Evaluation is a stack machine over forward-mode dual numbers: every stack slot holds a value
/// and its gradient with respect to the arguments, so one pass gives f and ∂f/∂@i. The scratch
/// stack is allocated once, so evaluation does not allocate.
public final class Formula: @unchecked Sendable {
  /// The unary functions a formula may call.
  enum Unary: String, CaseIterable { case exp, log, log10, sqrt, abs, fabs, sin, cos, tan, atan, tanh }
  /// The two-argument functions.
  enum Binary: String, CaseIterable { case pow, min, max }

  enum Op: Equatable {
    case constant(Double)
    case argument(Int)
    case add, subtract, multiply, divide, power, negate
    case function(Unary)  // resolved at parse time: no string matching during evaluation
    case binaryFunction(Binary)
  }

  public let source: String
  public let argumentCount: Int
  let ops: [Op]
  private let width: Int  // 1 + argumentCount
  private let stack: UnsafeMutableBufferPointer<Double>

  /// Parses `source`; `@i` must satisfy i < argumentCount.
  public init(_ source: String, argumentCount: Int) throws {
    self.source = source
    self.argumentCount = argumentCount
    var parser = FormulaParser(Array(source), argumentCount: argumentCount)
    ops = try parser.parse()
    width = 1 + argumentCount
    var depth = 0, maxDepth = 1
    for op in ops {
      switch op {
      case .constant, .argument: depth += 1
      case .add, .subtract, .multiply, .divide, .power, .binaryFunction: depth -= 1
      case .negate, .function: break
      }
      maxDepth = max(maxDepth, depth)
    }
    stack = .allocate(capacity: maxDepth * width)
  }

  deinit { stack.deallocate() }

  /// f(args); writes ∂f/∂args[i] into `gradient` when given.
  @inline(__always)
  public func evaluate(_ args: (Int) -> Double, gradient: UnsafeMutableBufferPointer<Double>? = nil) -> Double {
    let w = width
    var sp = 0
    @inline(__always) func slot(_ k: Int) -> Int { k * w }
    for op in ops {
      switch op {
      case .constant(let c):
        let b = slot(sp)
        stack[b] = c
        for i in 1..<w { stack[b + i] = 0 }
        sp += 1
      case .argument(let a):
        let b = slot(sp)
        stack[b] = args(a)
        for i in 1..<w { stack[b + i] = 0 }
        stack[b + 1 + a] = 1
        sp += 1
      case .negate:
        let b = slot(sp - 1)
        for i in 0..<w { stack[b + i] = -stack[b + i] }
      case .function(let name):
        let b = slot(sp - 1)
        let x = stack[b]
        let (f, d) = Formula.unary(name, x)
        stack[b] = f
        for i in 1..<w { stack[b + i] *= d }
      default:
        sp -= 1
        let a = slot(sp - 1), b = slot(sp)
        let x = stack[a], y = stack[b]
        var f = 0.0, dx = 0.0, dy = 0.0
        switch op {
        case .add: f = x + y; dx = 1; dy = 1
        case .subtract: f = x - y; dx = 1; dy = -1
        case .multiply: f = x * y; dx = y; dy = x
        case .divide: f = x / y; dx = 1 / y; dy = -x / (y * y)
        case .power, .binaryFunction(.pow):
          f = Foundation.pow(x, y)
          dx = y == 0 ? 0 : y * Foundation.pow(x, y - 1)
          dy = x > 0 ? f * Foundation.log(x) : 0
        case .binaryFunction(.min): f = Swift.min(x, y); dx = x <= y ? 1 : 0; dy = 1 - dx
        case .binaryFunction(.max): f = Swift.max(x, y); dx = x >= y ? 1 : 0; dy = 1 - dx
        default: f = .nan
        }
        stack[a] = f
        for i in 1..<w { stack[a + i] = dx * stack[a + i] + dy * stack[b + i] }
      }
    }
    if let gradient { for i in 0..<argumentCount { gradient[i] = stack[1 + i] } }
    return stack[0]
  }

  /// f and its array gradient (convenience, allocates).
  public func evaluate(_ args: [Double]) -> (value: Double, gradient: [Double]) {
    var g = [Double](repeating: 0, count: argumentCount)
    let v = g.withUnsafeMutableBufferPointer { evaluate({ args[$0] }, gradient: $0) }
    return (v, g)
  }

  /// f(x) and f′(x).
  @inline(__always)
  static func unary(_ u: Unary, _ x: Double) -> (Double, Double) {
    switch u {
    case .exp: let e = Foundation.exp(x); return (e, e)
    case .log: return (Foundation.log(x), 1 / x)
    case .log10: return (Foundation.log10(x), 1 / (x * Foundation.log(10.0)))
    case .sqrt: let s = x.squareRoot(); return (s, 0.5 / s)
    case .abs, .fabs: return (Swift.abs(x), x >= 0 ? 1 : -1)
    case .sin: return (Foundation.sin(x), Foundation.cos(x))
    case .cos: return (Foundation.cos(x), -Foundation.sin(x))
    case .tan: let t = Foundation.tan(x); return (t, 1 + t * t)
    case .atan: return (Foundation.atan(x), 1 / (1 + x * x))
    case .tanh: let t = Foundation.tanh(x); return (t, 1 - t * t)
    }
  }
}

/// Recursive-descent parser producing postfix operations.
struct FormulaParser {
  let s: [Character]
  let argumentCount: Int
  var i = 0
  var out: [Formula.Op] = []

  init(_ s: [Character], argumentCount: Int) {
    self.s = s
    self.argumentCount = argumentCount
  }

  func error(_ m: String) -> LikelihoodError {
    LikelihoodError("formula '\(String(s))': \(m) at character \(i + 1)")
  }

  mutating func skipSpaces() { while i < s.count, s[i] == " " { i += 1 } }

  mutating func peek() -> Character? {
    skipSpaces()
    return i < s.count ? s[i] : nil
  }

  mutating func parse() throws -> [Formula.Op] {
    try expression()
    if let c = peek() { throw error("unexpected '\(c)'") }
    guard !out.isEmpty else { throw error("empty expression") }
    return out
  }

  mutating func expression() throws {
    try term()
    while let c = peek(), c == "+" || c == "-" {
      i += 1
      try term()
      out.append(c == "+" ? .add : .subtract)
    }
  }

  mutating func term() throws {
    try unary()
    while let c = peek(), c == "*" || c == "/" {
      if c == "*", i + 1 < s.count, s[i + 1] == "*" { break }  // ** is a power
      i += 1
      try unary()
      out.append(c == "*" ? .multiply : .divide)
    }
  }

  mutating func unary() throws {
    if let c = peek(), c == "-" || c == "+" {
      i += 1
      try unary()
      if c == "-" { out.append(.negate) }
      return
    }
    try power()
  }

  mutating func power() throws {
    try primary()
    if let c = peek() {
      if c == "^" {
        i += 1
        try unary()
        out.append(.power)
      } else if c == "*", i + 1 < s.count, s[i + 1] == "*" {
        i += 2
        try unary()
        out.append(.power)
      }
    }
  }

  mutating func primary() throws {
    guard let c = peek() else { throw error("expected a number, @N, a function or '('") }
    if c == "(" {
      i += 1
      try expression()
      guard peek() == ")" else { throw error("expected ')'") }
      i += 1
      return
    }
    if c == "@" {
      i += 1
      var digits = ""
      while i < s.count, s[i].isNumber { digits.append(s[i]); i += 1 }
      guard let k = Int(digits) else { throw error("expected a number after '@'") }
      guard k < argumentCount else { throw error("@\(k) refers to argument \(k + 1) of \(argumentCount)") }
      out.append(.argument(k))
      return
    }
    if c.isNumber || c == "." {
      var t = ""
      while i < s.count, s[i].isNumber || s[i] == "." || s[i] == "e" || s[i] == "E"
        || ((s[i] == "-" || s[i] == "+") && !t.isEmpty && (t.last == "e" || t.last == "E"))
      {
        t.append(s[i])
        i += 1
      }
      guard let v = Double(t) else { throw error("bad number '\(t)'") }
      out.append(.constant(v))
      return
    }
    if c.isLetter {
      var name = ""
      while i < s.count, s[i].isLetter || s[i].isNumber || s[i] == "_" || s[i] == ":" { name.append(s[i]); i += 1 }
      if name.hasPrefix("TMath::") { name = String(name.dropFirst(7)).lowercased() }
      guard peek() == "(" else { throw error("unknown name '\(name)' (arguments are written @0, @1, …)") }
      i += 1
      try expression()
      if let bin = Formula.Binary(rawValue: name) {
        guard peek() == "," else { throw error("\(name) needs two arguments") }
        i += 1
        try expression()
        guard peek() == ")" else { throw error("expected ')'") }
        i += 1
        out.append(.binaryFunction(bin))
        return
      }
      guard let fn = Formula.Unary(rawValue: name) else { throw error("unknown function '\(name)'") }
      guard peek() == ")" else { throw error("expected ')'") }
      i += 1
      out.append(.function(fn))
      return
    }
    throw error("unexpected '\(c)'")
  }
}
