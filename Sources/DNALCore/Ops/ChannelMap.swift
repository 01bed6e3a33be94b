/// Keeps a subset of its input's channels, in order: `out[k] = in[channels[k]]`. A pruned layer
/// that reads only some of a tensor's channels (a block's first conv reading the trunk channels
/// the previous block's gates kept) reads them through a gather.
///
/// Works on the channel axis of a feature map and on the features of a vector.
public struct Gather: Hashable, Sendable {
    /// Input channel of each output channel; strictly increasing.
    public var channels: [Int]

    public init(channels: [Int]) {
        self.channels = channels
    }
}

/// Places its input's channels among zero channels: `out[channels[k]] = in[k]`, every other of
/// the `outChannels` outputs 0. A pruned residual branch writes its kept channels into the
/// full-width trunk through a scatter before the add.
public struct Scatter: Hashable, Sendable {
    /// Output channel of each input channel; strictly increasing, one per input channel.
    public var channels: [Int]
    /// Width of the output.
    public var outChannels: Int

    public init(channels: [Int], outChannels: Int) {
        self.channels = channels
        self.outChannels = outChannels
    }
}

/// Why a channel list is not a valid index map into `width` channels, or nil when it is.
func channelListProblem(_ channels: [Int], width: Int) -> String? {
    guard !channels.isEmpty else { return "needs at least one channel" }
    for (k, c) in channels.enumerated() {
        guard c >= 0, c < width else { return "channel \(c) is out of range 0..<\(width)" }
        if k > 0, channels[k - 1] >= c { return "channels must be strictly increasing, got \(channels[k - 1]) then \(c)" }
    }
    return nil
}

/// A channel list in short form for dumps and messages: runs of consecutive channels as
/// `first..last` (`[0..3, 7, 9..12]`).
public func channelList(_ channels: [Int]) -> String {
    var parts: [String] = []
    var k = 0
    while k < channels.count {
        var end = k
        while end + 1 < channels.count, channels[end + 1] == channels[end] + 1 { end += 1 }
        parts.append(end == k ? "\(channels[k])" : "\(channels[k])..\(channels[end])")
        k = end + 1
    }
    return "[" + parts.joined(separator: ", ") + "]"
}
