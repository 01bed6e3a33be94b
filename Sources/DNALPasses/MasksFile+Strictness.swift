extension MasksFile {
    /// What Foundation's JSON reader lets through that a masks file must not hold: a key given
    /// twice in one object (the reader silently keeps one) and `true`/`false` (it hands them
    /// over as the numbers 1 and 0, so `[true]` would keep channel 1). A single pass over the
    /// text, tracking strings and nesting; nil when there is neither.
    static func strictnessProblem(_ bytes: [UInt8]) -> String? {
        var keys: [Set<String>?] = []       // per open container: its keys when it is an object
        var i = 0
        var lastString: String?
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                var j = i + 1, text: [UInt8] = []
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\"), j + 1 < bytes.count { text.append(bytes[j]); j += 1 }
                    text.append(bytes[j])
                    j += 1
                }
                lastString = String(decoding: text, as: UTF8.self)
                i = j + 1
                continue
            case UInt8(ascii: ":"):
                if let key = lastString, let last = keys.indices.last, keys[last] != nil {
                    if keys[last]!.contains(key) { return "key '\(key)' is given twice" }
                    keys[last]!.insert(key)
                }
            case UInt8(ascii: "{"): keys.append([])
            case UInt8(ascii: "["): keys.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !keys.isEmpty { keys.removeLast() }
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                return "true and false are not channel indices"
            default:
                break
            }
            if c != UInt8(ascii: " ") && c != UInt8(ascii: "\n") && c != UInt8(ascii: "\t") && c != UInt8(ascii: "\r") { lastString = nil }
            i += 1
        }
        return nil
    }
}
