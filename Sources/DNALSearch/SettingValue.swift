import DNALCore
import Foundation

/// Parses the values of `--set key=value` and the matching flags, with the error a user sees.
enum SettingValue {
    /// A finite number.
    static func number(_ key: String, _ s: String) throws(SearchError) -> Double {
        guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw SearchError("'\(key)' takes a number, got '\(s)'")
        }
        return v
    }

    /// A whole number of at least `min`.
    static func integer(_ key: String, _ s: String, min: Int) throws(SearchError) -> Int {
        guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= min else {
            throw SearchError("'\(key)' takes a whole number of at least \(min), got '\(s)'")
        }
        return v
    }

    /// One of an enumeration's spellings.
    static func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ s: String, _: T.Type) throws(SearchError) -> T
        where T.RawValue == String {
        guard let v = T(rawValue: s.trimmingCharacters(in: .whitespaces)) else {
            throw SearchError("'\(key)' takes one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
        }
        return v
    }

    /// The error for a key that is not one of `keys`, with the nearest one and the full list.
    static func unknown(_ key: String, among keys: [String]) -> SearchError {
        var message = "unknown setting '\(key)'"
        if let near = closestMatch(to: key, in: keys) { message += "; did you mean '\(near)'?" }
        return SearchError(message + " (the settings: \(keys.joined(separator: ", ")))")
    }
}
