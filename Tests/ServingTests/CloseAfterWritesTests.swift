import NIOCore
import NIOEmbedded
import Testing

@testable import Serving

/// Holds every write's promise instead of passing the write on: a socket that has not taken the bytes yet.
private final class HeldWrites: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var promises: [EventLoopPromise<Void>] = []
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promises.append(promise ?? context.eventLoop.makePromise())
    }
}

@Suite("Closing after the writes")
struct CloseAfterWritesTests {
    /// A channel whose writes stay pending until the test completes them, with `CloseAfterWrites` above them.
    private func channel() throws -> (EmbeddedChannel, HeldWrites) {
        let held = HeldWrites()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(held)
        try channel.pipeline.syncOperations.addHandler(CloseAfterWrites())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, held)
    }

    /// A full close waits for the writes before it; a second close joins it; both complete once they are out.
    @Test func aCloseWaitsForTheWritesBeforeIt() throws {
        let (channel, held) = try channel()
        let first = channel.writeAndFlush(NIOAny(1))
        let second = channel.writeAndFlush(NIOAny(2))
        let close = channel.close()
        let again = channel.close()
        #expect(channel.isActive, "closed with writes pending")
        held.promises[0].succeed()
        #expect(channel.isActive, "closed with one write pending")
        held.promises[1].succeed()
        #expect(!channel.isActive)
        channel.embeddedEventLoop.run()  // the channel's close future completes on the loop
        var done: [String] = []
        for (name, future) in [("first", first), ("second", second), ("close", close), ("again", again)] {
            future.whenSuccess { done.append(name) }
        }
        #expect(done == ["first", "second", "close", "again"])
    }

    /// A close waits no longer than the limit when the writes do not go out (a client that stops reading).
    @Test func aCloseWaitsAtMostTheLimit() throws {
        let (channel, held) = try channel()
        let write = channel.writeAndFlush(NIOAny(1))
        let close = channel.close()
        channel.embeddedEventLoop.advanceTime(by: CloseAfterWrites.limit - .milliseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        try close.wait()
        held.promises[0].fail(ChannelError.ioOnClosedChannel)
        #expect(throws: ChannelError.self) { try write.wait() }
    }

    /// Once the writes are out, a close goes through at once.
    @Test func aCloseAfterTheWritesGoesThroughAtOnce() throws {
        let (channel, held) = try channel()
        let write = channel.writeAndFlush(NIOAny(1))
        held.promises[0].succeed()
        try write.wait()
        try channel.close().wait()
        #expect(!channel.isActive)
    }
}
