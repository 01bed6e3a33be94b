/// Why a data set could not be read: always names the file and what is wrong with it.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
